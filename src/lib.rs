//! Shuyuan (书院): a static-site generator for Chinese training knowledge bases.
//!
//! The pipeline runs in data-flow order, a folder per stage: [`config`] → [`source`]
//! ([`source::load`] → [`source::parse`] → [`source::markdown`]) → [`model`] (built by
//! [`model::resolve`]) → [`training`] → [`output`] ([`output::plan`] → [`output::render`] →
//! [`output::write`], beside them [`output::indexing`] writing what [`search`] makes), with
//! [`build`] driving it; [`dev`] is the preview (`serve`, `incremental`); [`pack`] zips a build
//! for offline use; [`output::lock`] lets one run at a time build, pack or serve a site. See
//! ARCHITECTURE.md for the tour.

pub mod build;
pub mod cache;
pub mod config;
pub mod dev;
pub mod diagnostics;
pub mod html;
pub mod model;
pub mod names;
pub mod output;
pub mod pack;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod source;
pub mod training;
