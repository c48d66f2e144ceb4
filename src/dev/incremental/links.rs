//! Links: which bodies link to which pages, kept from the build so that a preview knows
//! whose HTML to fill in again when a page's title or headings change (a link may show
//! the title, `[[slug#id]]` shows the heading, and a fragment must still exist).
//!
//! Only the link targets are kept, not the rendered bodies: the few bodies that need it
//! are rendered again from their source.

use std::collections::{HashMap, HashSet};

use crate::build::BodyLinks;
use crate::model::resolve::Page;
use crate::source::markdown::{LinkTarget, Rendered};

/// How a body names the page it links to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkKey {
    /// A Markdown file relative to `content/`.
    File(String),
    Slug(String),
}

impl LinkKey {
    /// The ways a body can name `page`.
    pub fn of(page: &Page) -> [LinkKey; 2] {
        [
            LinkKey::File(page.doc.rel.clone()),
            LinkKey::Slug(page.slug.clone()),
        ]
    }
}

/// The pages each body links to.
#[derive(Debug, Default)]
pub struct Links {
    /// Page file relative to `content/` → what its body links to.
    from_pages: HashMap<String, Vec<LinkKey>>,
    /// What the bodies that are not pages link to: section introductions, learning paths,
    /// the glossary. They are not filled in again in place.
    from_elsewhere: HashSet<LinkKey>,
}

impl Links {
    /// From what the build's bodies linked to.
    pub fn from_build(built: BodyLinks) -> Links {
        let mut links = Links::default();
        for (rel, targets) in built.pages {
            let found: Vec<LinkKey> = targets.iter().filter_map(key).collect();
            if !found.is_empty() {
                links.from_pages.insert(rel, found);
            }
        }
        links.from_elsewhere = built.elsewhere.iter().filter_map(key).collect();
        links
    }

    /// Records what page `rel` links to now.
    pub fn page_rendered(&mut self, rel: &str, rendered: &Rendered) {
        let found: Vec<LinkKey> = keys(rendered).collect();
        if found.is_empty() {
            self.from_pages.remove(rel);
        } else {
            self.from_pages.insert(rel.to_string(), found);
        }
    }

    /// Page `rel` is gone.
    pub fn forget(&mut self, rel: &str) {
        self.from_pages.remove(rel);
    }

    /// Whether a body that is not a page links to a page named by `keys`.
    pub fn shown_elsewhere(&self, keys: &[LinkKey]) -> bool {
        keys.iter().any(|key| self.from_elsewhere.contains(key))
    }

    /// The pages (by file) whose bodies link to a page named by `keys`.
    pub fn linking_to<'a>(&'a self, keys: &'a [LinkKey]) -> impl Iterator<Item = &'a str> {
        self.from_pages
            .iter()
            .filter(|(_, found)| found.iter().any(|key| keys.contains(key)))
            .map(|(rel, _)| rel.as_str())
    }
}

fn keys(rendered: &Rendered) -> impl Iterator<Item = LinkKey> + '_ {
    rendered.links.iter().filter_map(|link| key(&link.target))
}

/// How a link names a page, if it links to one.
fn key(target: &LinkTarget) -> Option<LinkKey> {
    match target {
        LinkTarget::Page { path, .. } => Some(LinkKey::File(path.clone())),
        LinkTarget::Wiki { slug, .. } => Some(LinkKey::Slug(slug.clone())),
        LinkTarget::Anchor(_) | LinkTarget::Asset { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(markdown: &str) -> Rendered {
        crate::source::markdown::render(
            markdown,
            "cases/a.md",
            &crate::source::markdown::options(false),
        )
    }

    #[test]
    fn pages_are_found_by_file_and_by_slug() {
        let mut links = Links::default();
        links.page_rendered(
            "cases/a.md",
            &rendered("[乙](b.md) 和 [[c#做法]]，[图](x.png)"),
        );
        links.page_rendered("cases/d.md", &rendered("没有链接。"));
        let b = [LinkKey::File("cases/b.md".into())];
        let c = [LinkKey::Slug("c".into())];
        assert_eq!(links.linking_to(&b).collect::<Vec<_>>(), ["cases/a.md"]);
        assert_eq!(links.linking_to(&c).collect::<Vec<_>>(), ["cases/a.md"]);
        assert!(!links.shown_elsewhere(&c));
        links.page_rendered("cases/a.md", &rendered("不再链接。"));
        assert_eq!(links.linking_to(&b).count(), 0);
        links.page_rendered("cases/a.md", &rendered("[[c]]"));
        links.forget("cases/a.md");
        assert_eq!(links.linking_to(&c).count(), 0);
    }
}
