//! Sections and order: one section per content folder (with its `_index.md`, when there is
//! one), the section each page belongs to and the kind it inherits, then each section's
//! pages in its `sort_by` order with prev/next, and subsections by weight.

use std::collections::{BTreeMap, HashMap};

use crate::config::Config;
use crate::model::{IdVec, NewestFirst, Page, PageId, Pages, Section, SectionId, Sections, SortBy};
use crate::schema::{Date, Kind};
use crate::source::markdown::Rendered;
use crate::source::parse::{Document, Role};

pub(super) fn page_dir(doc: &Document) -> String {
    let mut parts: Vec<&str> = doc.rel.split('/').collect();
    parts.pop();
    if doc.role == Role::BundlePage {
        parts.pop();
    }
    parts.join("/")
}

pub(super) fn nearest_section(dir: &str, by_dir: &HashMap<String, SectionId>) -> SectionId {
    let mut dir = dir;
    loop {
        if let Some(&i) = by_dir.get(dir) {
            return i;
        }
        match dir.rsplit_once('/') {
            Some((parent, _)) => dir = parent,
            None if !dir.is_empty() => dir = "",
            None => return SectionId::ROOT,
        }
    }
}

pub(super) fn inherited_kind(sections: &Sections, mut index: SectionId) -> Option<Kind> {
    loop {
        if let Some(kind) = sections[index].kind {
            return Some(kind);
        }
        index = sections[index].parent?;
    }
}

/// One section per folder that holds pages (or has an `_index.md`), plus the root.
/// Returns the sections, and for those with an `_index.md` its document and rendered intro,
/// whose links are filled in once every page is known.
pub(super) fn build_sections(
    config: &Config,
    section_docs: Vec<(Document, Rendered)>,
    page_docs: &[(Document, Rendered)],
) -> (Sections, Vec<(SectionId, Document, Rendered)>) {
    let mut dirs: BTreeMap<String, Option<(Document, Rendered)>> = BTreeMap::new();
    dirs.insert(String::new(), None);
    for (doc, _) in page_docs {
        let dir = page_dir(doc);
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        while !parts.is_empty() {
            dirs.entry(parts.join("/")).or_insert(None);
            parts.pop();
        }
    }
    for (doc, rendered) in section_docs {
        let dir = doc
            .rel
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string());
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        while !parts.is_empty() {
            dirs.entry(parts.join("/")).or_insert(None);
            parts.pop();
        }
        dirs.insert(dir, Some((doc, rendered)));
    }

    let mut sections = Sections::with_capacity(dirs.len());
    let mut intros = Vec::new();
    let mut index_of: HashMap<String, SectionId> = HashMap::new();
    for (dir, meta) in dirs {
        let folder_name = dir.rsplit('/').next().unwrap_or("").to_string();
        let (title, html, kind, sort_by, paginate, weight) = match &meta {
            Some((doc, _)) => (
                doc.text("title")
                    .map(str::to_string)
                    .unwrap_or_else(|| folder_name.clone()),
                String::new(),
                doc.kind,
                match doc.text("sort_by") {
                    Some("weight") => SortBy::Weight,
                    Some("title") => SortBy::Title,
                    _ => SortBy::Date,
                },
                doc.int("paginate").map(|n| n as usize),
                doc.int("weight").unwrap_or(0),
            ),
            None => (
                folder_name.clone(),
                String::new(),
                None,
                SortBy::Date,
                None,
                0,
            ),
        };
        let title = if dir.is_empty() && meta.as_ref().and_then(|(d, _)| d.text("title")).is_none()
        {
            config.title.clone()
        } else {
            title
        };
        let parent = if dir.is_empty() {
            None
        } else {
            Some(index_of[dir.rsplit_once('/').map_or("", |(p, _)| p)])
        };
        let url = if dir.is_empty() {
            "index.html".to_string()
        } else {
            format!("{dir}/index.html")
        };
        let index = sections.push(Section {
            dir,
            url,
            title,
            html,
            home_html: String::new(),
            kind,
            sort_by,
            paginate,
            weight,
            parent,
            subsections: Vec::new(),
            pages: Vec::new(),
            total_pages: 0,
        });
        if let Some(parent) = parent {
            sections[parent].subsections.push(index);
        }
        index_of.insert(sections[index].dir.clone(), index);
        if let Some((doc, rendered)) = meta {
            intros.push((index, doc, rendered));
        }
    }
    (sections, intros)
}

/// `_index.md` path (relative to `content/`) → section, for links to a folder's page.
pub(super) fn section_index_files(sections: &Sections) -> HashMap<String, SectionId> {
    sections
        .iter_enumerated()
        .map(|(i, s)| {
            (
                if s.dir.is_empty() {
                    "_index.md".to_string()
                } else {
                    format!("{}/_index.md", s.dir)
                },
                i,
            )
        })
        .collect()
}

pub(super) fn compare_pages(sort_by: SortBy, a: &Page, b: &Page) -> std::cmp::Ordering {
    let by_title = || a.title.cmp(&b.title);
    match sort_by {
        SortBy::Date => b.sort_date().cmp(&a.sort_date()).then_with(by_title),
        SortBy::Weight => a
            .doc
            .int("weight")
            .unwrap_or(i64::MAX)
            .cmp(&b.doc.int("weight").unwrap_or(i64::MAX))
            .then_with(by_title),
        SortBy::Title => by_title(),
    }
}

/// What orders a page in [`NewestFirst`]: newest first, undated last, then title, then file order.
fn newest_key(pages: &Pages, id: PageId) -> (std::cmp::Reverse<Option<Date>>, &str, PageId) {
    let page = &pages[id];
    (std::cmp::Reverse(page.sort_date()), page.title.as_str(), id)
}

/// The site's pages newest first, as [`compare_pages`] orders them by date, with equal
/// pages in file order.
pub(super) fn newest_first(pages: &Pages) -> NewestFirst {
    // The keys are made once: a page's date may take a lookup among its fields.
    let mut keyed: Vec<_> = pages.ids().map(|id| newest_key(pages, id)).collect();
    keyed.sort_unstable();
    let order: Vec<PageId> = keyed.into_iter().map(|(_, _, id)| id).collect();
    let mut newest = NewestFirst {
        order,
        place: IdVec::from_fn(pages.len(), |_| 0),
    };
    newest.number();
    newest
}

impl NewestFirst {
    /// The pages `moved` (same pages, their dates or titles edited) go where a full sort puts
    /// them. The others keep their order among themselves, so each moved page is only taken
    /// out and put back at its place among them.
    pub(super) fn reorder(&mut self, pages: &Pages, moved: &[PageId]) {
        self.order.retain(|id| !moved.contains(id));
        for &id in moved {
            let key = newest_key(pages, id);
            let at = self
                .order
                .partition_point(|&other| newest_key(pages, other) < key);
            self.order.insert(at, id);
        }
        self.number();
    }

    fn number(&mut self) {
        for (rank, &id) in self.order.iter().enumerate() {
            self.place[id] = rank as u32;
        }
    }
}

pub(super) fn order_sections(sections: &mut Sections, pages: &mut Pages, newest: &NewestFirst) {
    for (id, page) in pages.iter_enumerated() {
        sections[page.section].pages.push(id);
    }
    for section in sections.iter_mut() {
        match section.sort_by {
            // A stable sort by date and title keeps equal pages in file order: their place.
            SortBy::Date => section.pages.sort_unstable_by_key(|&id| newest.place[id]),
            sort_by => section
                .pages
                .sort_by(|&a, &b| compare_pages(sort_by, &pages[a], &pages[b])),
        }
        for pair in section.pages.windows(2) {
            pages[pair[0]].next = Some(pair[1]);
            pages[pair[1]].prev = Some(pair[0]);
        }
    }
    // Subsections by weight then title; counts include every descendant (children come after parents).
    for i in sections.ids().rev() {
        let mut subs = std::mem::take(&mut sections[i].subsections);
        subs.sort_by(|&a, &b| {
            (sections[a].weight, &sections[a].title).cmp(&(sections[b].weight, &sections[b].title))
        });
        let total =
            sections[i].pages.len() + subs.iter().map(|&s| sections[s].total_pages).sum::<usize>();
        sections[i].subsections = subs;
        sections[i].total_pages = total;
    }
}
