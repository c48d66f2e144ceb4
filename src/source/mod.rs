//! Source: the site's sources read and parsed, the stages before the site model. [`load`]
//! walks `content/` and reads every file once; [`parse`] splits front matter from body and
//! type-checks every field (its YAML syntax errors put in Chinese by [`yaml_errors`]);
//! [`markdown`] turns each body into HTML, its headings, links and search text, after
//! [`nesting`] and [`density`] have refused bodies too deep or too dense to parse in bounded
//! stack and memory. [`synonyms`] reads `content/_synonyms.md` for search, and [`theme`] says
//! which template and static files the site renders with. Nothing here knows other pages:
//! that starts with [`crate::model::resolve`].

pub mod density;
pub mod load;
pub mod markdown;
pub mod nesting;
pub mod parse;
pub mod synonyms;
pub mod theme;
pub mod yaml_errors;
