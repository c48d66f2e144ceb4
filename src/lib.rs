//! Shuyuan (书院): a static-site generator for Chinese training knowledge bases.
//!
//! The pipeline runs in data-flow order: [`config`] → [`load`] → [`parse`] →
//! [`markdown`] → [`resolve`] (which builds the [`model`]) → [`training`] → [`plan`] →
//! [`render`] → [`write`], then [`search`], with [`build`] driving it; [`pack`] zips a build
//! for offline use; [`lock`] lets one run at a time build, pack or serve a site. See
//! ARCHITECTURE.md for the tour.

pub mod build;
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
