//! Dev: the editors' preview, downstream of everything else. [`serve`] watches the sources,
//! serves the current build and reloads open pages; [`incremental`] keeps a finished build
//! (what [`crate::build::build_retained`] returns) as a session and applies saved pages to the
//! served folder in place, falling back to a full build when an edit reaches too far. No
//! other module imports this one.

pub mod incremental;
pub mod serve;
