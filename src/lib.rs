//! Shuyuan (书院): a static-site generator for Chinese training knowledge bases.
pub mod search;
