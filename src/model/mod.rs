//! The site model: what every stage after resolve reads — the [`Site`] with its pages,
//! sections and taxonomies, each [`Page`] with its resolved links, references and order —
//! and how its addresses are written in links ([`encode_path`], [`root_prefix`]).
//!
//! [`resolve`], the stage that knows every page at once, builds it from the parsed and
//! rendered sources; training, the output plan, render, search and the preview read it.
//! Pages and sections refer to one another by typed ids ([`PageId`], [`SectionId`]: their
//! place in the site's lists, see [`ids`]); taxonomies and terms by their index.

mod ids;
pub mod resolve;

pub use ids::{Id, IdVec, PageId, Pages, Renumbering, SectionId, Sections};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::config::Config;
use crate::schema::{Date, Kind};
use crate::source::load::Asset;
use crate::source::markdown::{StoredText, TextSection, TocEntry};
use crate::source::parse::Document;

#[derive(Debug)]
pub struct Page {
    pub doc: Document,
    pub slug: String,
    /// Output path relative to the site root, e.g. `cases/juweihui.html`.
    pub url: String,
    pub kind: Option<Kind>,
    pub section: SectionId,
    pub title: String,
    pub summary: Option<String>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    /// Rendered body with every internal link resolved (relative to this page).
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Every heading id on the page, deeper levels included.
    pub anchors: HashSet<String>,
    /// The plain text by heading, for search; empty when the build keeps it in its text store
    /// (`stored_text`).
    pub text: Vec<TextSection>,
    /// Shared: a preview's background re-index takes a snapshot of every page's.
    pub stored_text: Option<Arc<StoredText>>,
    pub char_count: usize,
    pub cites: Vec<PageId>,
    pub cited_by: Vec<PageId>,
    pub superseded_by: Option<PageId>,
    pub supersedes: Vec<PageId>,
    pub prev: Option<PageId>,
    pub next: Option<PageId>,
}

impl Page {
    pub fn status(&self) -> Option<&str> {
        self.doc.text("status")
    }

    /// The date lists sort by: last update first, then publication.
    pub fn sort_date(&self) -> Option<Date> {
        self.updated
            .or(self.date)
            .or_else(|| self.doc.date("issued"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Date,
    Weight,
    Title,
}

#[derive(Debug)]
pub struct Section {
    /// Folder relative to `content/`; empty for the root.
    pub dir: String,
    pub url: String,
    pub title: String,
    pub html: String,
    /// The intro with links relative to the site root, for the home page's section cards.
    pub home_html: String,
    pub kind: Option<Kind>,
    pub sort_by: SortBy,
    pub paginate: Option<usize>,
    pub weight: i64,
    pub parent: Option<SectionId>,
    pub subsections: Vec<SectionId>,
    /// Direct pages in display order.
    pub pages: Vec<PageId>,
    /// Pages here and in every subsection.
    pub total_pages: usize,
}

#[derive(Debug)]
pub struct Term {
    pub name: String,
    /// The first page of its list, `{taxonomy}/{file}.html`; the others are
    /// [`Term::page_url`].
    pub url: String,
    pub pages: Vec<PageId>,
}

impl Term {
    /// Page `number` (from 1) of the term's list: `{taxonomy}/{file}.html`, then
    /// `{taxonomy}/{file}/2.html` and on (file names are chosen so that no term's folder is
    /// another term's file, see `build_taxonomies`).
    pub fn page_url(&self, number: usize) -> String {
        match (number, self.url.strip_suffix(".html")) {
            (2.., Some(stem)) => format!("{stem}/{number}.html"),
            _ => self.url.clone(),
        }
    }
}

#[derive(Debug)]
pub struct TaxonomyIndex {
    pub name: String,
    pub label: String,
    pub terms: Vec<Term>,
}

#[derive(Debug)]
pub struct Site {
    pub config: Config,
    pub pages: Pages,
    /// [`SectionId::ROOT`] is the home page.
    pub sections: Sections,
    pub taxonomies: Vec<TaxonomyIndex>,
    pub assets: Vec<Asset>,
    /// Old output paths that redirect to a page.
    pub aliases: Vec<(String, PageId)>,
    /// The [`crate::model::resolve::ResolveInput::extra_bodies`], links filled in, in the same order.
    pub extra_html: Vec<String>,
    /// Where links to those files lead: file relative to `content/` → output URL.
    pub extra_links: HashMap<String, String>,
    /// The search synonyms of `content/_synonyms.md` (see [`crate::source::synonyms`]).
    pub synonyms: Vec<Vec<String>>,
    /// Every page, newest first: the order of term lists, date-sorted sections, the changes
    /// page and ties between related pages.
    pub newest: NewestFirst,
    /// Slug → the first page with it (a second one is an error): what `[[slug]]` links and
    /// references name.
    pub slugs: HashMap<String, PageId>,
}

/// The pages newest first (by [`Page::sort_date`], undated last), then by title, then in file
/// order: sorted once per resolve, so that every list in this order sorts by a number.
#[derive(Debug, Default)]
pub struct NewestFirst {
    pub order: Vec<PageId>,
    /// A page's place in `order`.
    pub place: IdVec<PageId, u32>,
}

/// One row of a page's information panel (发文机关, 文号 …), also indexed for search.
pub struct PanelRow<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a crate::schema::FieldValue,
}

impl Site {
    /// The front-matter fields a page shows in its information panel, in display order:
    /// its kind's fields, then the site's own declared fields.
    pub fn panel<'a>(&'a self, page: &'a Page) -> Vec<PanelRow<'a>> {
        let schema = &self.config.schema;
        let mut names: Vec<&str> = page.kind.map_or(&[][..], Kind::panel_fields).to_vec();
        names.extend(
            schema
                .custom_fields()
                .filter(|(_, spec)| spec.shown)
                .map(|(n, _)| n),
        );
        names
            .into_iter()
            .filter_map(|name| {
                let value = page.doc.fields.get(name)?;
                let label = schema.field(name).map_or(name, |s| s.label.as_str());
                Some(PanelRow { name, label, value })
            })
            .collect()
    }

    pub fn term_url(&self, taxonomy: &str, term: &str) -> Option<&str> {
        let terms = &self.taxonomies.iter().find(|t| t.name == taxonomy)?.terms;
        // Terms are kept in name order, and this runs for every tag of every listed page.
        let at = terms
            .binary_search_by(|t| t.name.as_str().cmp(term.trim()))
            .ok()?;
        Some(terms[at].url.as_str())
    }
}

/// `../` repeated once per folder in `from`, so `from` can reach any root-relative URL.
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

/// Percent-encodes only what would break an href; Chinese stays readable. The result is
/// safe as it is in HTML attributes, JSON and XML (no `&`), and templates may escape it
/// again without changing it.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    encode_path_into(path, &mut out);
    out
}

/// [`encode_path`], appended to `out`.
pub fn encode_path_into(path: &str, out: &mut String) {
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '&' => out.push_str("%26"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prefix_counts_folders() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("cases/a.html"), "../");
        assert_eq!(root_prefix("a/b/index.html"), "../../");
    }
}
