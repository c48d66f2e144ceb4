//! Output: what a build writes, in the order it happens. [`plan`] lists every file the
//! build will write with what writes it and checks them for collisions before anything is
//! rendered; [`render`] fills the templates for the plan's jobs; [`indexing`] turns the pages
//! into search documents and writes the static index beside them; [`write`] stages it all and
//! swaps it into place, owning which folders may be replaced. [`compact`] shrinks the theme's
//! scripts and stylesheets, [`not_found`] gives the 404 page its root, and [`lock`] lets one
//! run at a time write into a site's output and scratch folders, clearing what killed runs
//! left there.

pub mod compact;
pub mod indexing;
pub mod lock;
pub mod not_found;
pub mod plan;
pub mod render;
pub mod write;
