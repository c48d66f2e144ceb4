//! What the caches under `.shuyuan/cache/` share: where they are, and which program made
//! them. A cache only ever saves work: each is a pure function of what it is keyed by, and a
//! cache that is missing, damaged or made by another program is ignored.
//!
//! - `render-memo` ([`crate::output::render::Memo`]): which output file was rendered from
//!   which template variables, so that a rebuild leaves an unchanged file where it is.
//! - `postings/` (the search index's reuse of the last build's key counts): each page's keys
//!   and counts, by a hash of the text they were counted from.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The folder of the caches in a site's state folder `state` (`.shuyuan/`).
pub fn dir(state: &Path) -> PathBuf {
    state.join("cache")
}

/// Names this program: its version, and its executable's length and modification time, so
/// that a binary built from other code (another analysis, other templates' handling) finds
/// no cache of its own. `None` when the executable cannot be read; then nothing is cached.
pub fn this_program() -> Option<String> {
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let time = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "{} {} {}",
        env!("CARGO_PKG_VERSION"),
        meta.len(),
        time.as_nanos()
    ))
}
