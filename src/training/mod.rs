//! Training aids: the stage between resolve and render that turns the resolved site into
//! course material — learning paths ([`paths`]), handouts ([`handout`]), the glossary
//! ([`glossary`]), related pages ([`related`]), the list of recent changes and the status
//! views of policy sections. It computes data only: the output plan
//! ([`crate::output::plan`]) lists its pages, and render builds what they show.
//!
//! It takes the files that are not pages (`content/paths/**` and `content/_glossary.md`)
//! out of the loaded content before the parse stage, hands their Markdown bodies to resolve
//! so their links are checked like any page's, and after resolve completes [`Training`].

pub mod glossary;
pub mod handout;
pub mod paths;
pub mod related;

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::diagnostics::Diagnostics;
use crate::model::{IdVec, Page, PageId, Renumbering, Section, SectionId, Site};
use crate::names::file_safe;
use crate::schema::{Date, Status};
use crate::source::load::SourceFile;
use crate::source::markdown::Rendered;
use crate::source::parse::Document;
use crate::training::glossary::{Glossary, GlossarySource, Matcher};
use crate::training::paths::{PageLookup, PathSource, Paths};

/// How many pages the changes page lists, newest first.
pub const CHANGES_MAX: usize = 100;
const PATHS_INDEX_REL: &str = "paths/_index.md";

/// The files that are not pages, taken out of the loaded content.
#[derive(Default)]
pub struct Sources {
    paths: Vec<SourceFile>,
    paths_index: Option<SourceFile>,
    glossary: Option<SourceFile>,
}

/// Takes path files and the glossary out of the loaded Markdown, leaving the pages.
pub fn take_sources(markdown: &mut Vec<SourceFile>) -> Sources {
    let mut sources = Sources::default();
    let mut pages = Vec::with_capacity(markdown.len());
    for file in markdown.drain(..) {
        if !is_training_file(&file.rel) {
            pages.push(file);
        } else if file.rel == crate::training::glossary::FILE {
            sources.glossary = Some(file);
        } else if file.rel == PATHS_INDEX_REL {
            sources.paths_index = Some(file);
        } else {
            sources.paths.push(file);
        }
    }
    *markdown = pages;
    sources
}

/// Whether a Markdown file (relative to `content/`) is a learning path or the glossary
/// rather than a page.
pub fn is_training_file(rel: &str) -> bool {
    rel == crate::training::glossary::FILE || rel.starts_with("paths/")
}

/// Parsed sources, waiting for the site. Their bodies go to resolve first.
pub struct Parsed {
    paths: Vec<PathSource>,
    index_title: Option<String>,
    has_index: bool,
    glossary: Option<GlossarySource>,
    /// (output URL, document, rendered body): every path in order, then the index, then
    /// the glossary — the order in which resolve hands back their HTML.
    pub bodies: Vec<(String, Document, Rendered)>,
}

pub fn parse(
    root: &Path,
    sources: Sources,
    options: &comrak::Options,
    include_drafts: bool,
    diagnostics: &mut Diagnostics,
) -> Parsed {
    let mut parsed = Parsed {
        paths: Vec::new(),
        index_title: None,
        has_index: false,
        glossary: None,
        bodies: Vec::new(),
    };
    let shown = |file: &SourceFile| {
        file.path
            .strip_prefix(root)
            .unwrap_or(&file.path)
            .to_path_buf()
    };
    let body = |file: SourceFile, url: String, body_start: usize, diagnostics: &mut Diagnostics| {
        let shown_path = shown(&file);
        let doc = Document::data_file(file.rel, shown_path, file.text, body_start);
        diagnostics.extend(crate::source::parse::nesting_problem(&doc));
        diagnostics.extend(crate::source::parse::density_problem(&doc));
        let rendered = crate::source::markdown::render(doc.body(), &doc.rel, options);
        (url, doc, rendered)
    };
    for file in sources.paths {
        let shown_path = shown(&file);
        if let Some((path, body_start)) = crate::training::paths::parse(
            &file.rel,
            &shown_path,
            &file.text,
            include_drafts,
            diagnostics,
        ) {
            parsed
                .bodies
                .push(body(file, path.url(), body_start, diagnostics));
            parsed.paths.push(path);
        }
    }
    if let Some(file) = sources.paths_index
        && let Some((title, body_start)) =
            crate::training::paths::parse_index(&shown(&file), &file.text, diagnostics)
    {
        parsed.index_title = title;
        parsed.has_index = true;
        parsed.bodies.push(body(
            file,
            crate::training::paths::INDEX_URL.to_string(),
            body_start,
            diagnostics,
        ));
    }
    if let Some(file) = sources.glossary
        && let Some((glossary, body_start)) =
            crate::training::glossary::parse(&shown(&file), &file.text, diagnostics)
    {
        parsed.glossary = Some(glossary);
        parsed.bodies.push(body(
            file,
            crate::training::glossary::URL.to_string(),
            body_start,
            diagnostics,
        ));
    }
    parsed
}

/// One status of a section with several: the section's list cut down to that status.
#[derive(Debug)]
pub struct StatusView {
    /// As the pages write it.
    pub status: String,
    /// `None` for a status the site declared itself.
    pub known: Option<Status>,
    /// In the section's order.
    pub pages: Vec<PageId>,
    /// Output path without `.html`, e.g. `policies/status-current`.
    base: String,
}

impl StatusView {
    pub fn page_url(&self, number: usize) -> String {
        if number == 1 {
            format!("{}.html", self.base)
        } else {
            format!("{}-{number}.html", self.base)
        }
    }
}

/// Everything the training templates show, complete after resolve.
#[derive(Debug)]
pub struct Training {
    pub paths: Paths,
    pub glossary: Option<Glossary>,
    /// Per page, best first.
    pub related: crate::training::related::Related,
    /// Per section; empty unless its pages carry two or more statuses.
    pub statuses: IdVec<SectionId, Vec<StatusView>>,
    /// Pages for the changes page, newest first.
    pub changes: Vec<PageId>,
    /// The date on handout covers.
    pub built: Date,
}

/// Completes the training material: resolves path steps and glossary references, marks
/// glossary terms in every page body, and computes related pages, status views and the
/// changes list. `site.extra_html` holds the bodies of `parsed` in order and is consumed.
pub fn assemble(site: &mut Site, parsed: Parsed, diagnostics: &mut Diagnostics) -> Training {
    let mut intros = std::mem::take(&mut site.extra_html).into_iter();
    let lookup = PageLookup::new(&site.pages);
    let path_sources: Vec<(PathSource, String)> = parsed
        .paths
        .into_iter()
        .map(|p| (p, intros.next().unwrap_or_default()))
        .collect();
    let index_intro = if parsed.has_index {
        intros.next().unwrap_or_default()
    } else {
        String::new()
    };
    let paths = crate::training::paths::resolve(
        path_sources,
        parsed.index_title,
        index_intro,
        &lookup,
        site.pages.len(),
        diagnostics,
    );
    let mut glossary = parsed.glossary.map(|g| {
        g.finish(
            intros.next().unwrap_or_default(),
            lookup.slugs(),
            diagnostics,
        )
    });
    if let Some(glossary) = &mut glossary {
        mark_terms(site, glossary);
    }
    Training {
        paths,
        glossary,
        related: crate::training::related::related(site),
        statuses: site
            .sections
            .iter()
            .map(|s| status_views(site, s))
            .collect(),
        changes: changes(site),
        built: Date::today(),
    }
}

impl Training {
    /// After the body of page `id` changed in a preview ([`crate::dev::incremental`]): marks
    /// the glossary terms in its new HTML and updates where each term occurs. Paths, related
    /// pages and status views depend on front matter only, which such an edit leaves alone.
    pub fn page_edited(&mut self, site: &mut Site, id: PageId) {
        let Some(glossary) = &mut self.glossary else {
            return;
        };
        let found = mark(&glossary.matcher(), &mut site.pages[id]);
        for (t, term) in glossary.terms.iter_mut().enumerate() {
            let at = term.pages.binary_search(&id);
            match (at, found.contains(&t)) {
                (Ok(at), false) => {
                    term.pages.remove(at);
                }
                (Err(at), true) => term.pages.insert(at, id),
                _ => {}
            }
        }
    }

    /// Whether page `id` can be removed in a preview: not when a path step or a glossary
    /// `see` names it, which is an error only a full build reports.
    pub fn can_remove(&self, id: PageId) -> bool {
        let seen = self
            .glossary
            .as_ref()
            .is_some_and(|g| g.terms.iter().any(|term| term.see == Some(id)));
        !seen && self.paths.memberships[id].is_empty()
    }

    /// Pages were removed and added in a preview ([`crate::dev::incremental`]), the ids moving
    /// as `renumbering` says: moves every page id training holds, dropping the removed
    /// pages (from glossary occurrences, related lists, status views and the changes list).
    /// The caller made sure no path step or glossary `see` names a removed page
    /// ([`Self::can_remove`]) and no step names an added one. An added page has no related
    /// pages and is in no list until [`Self::reconnect`]; its glossary marks come with
    /// [`Self::page_edited`].
    pub fn renumber(&mut self, renumbering: &Renumbering) {
        let kept = |ids: &[PageId]| -> Vec<PageId> {
            ids.iter()
                .filter_map(|&id| renumbering.new_id(id))
                .collect()
        };
        for path in &mut self.paths.list {
            for step in &mut path.steps {
                step.page = renumbering
                    .new_id(step.page)
                    .expect("a removed page is no path step");
            }
        }
        self.paths.memberships =
            renumbering.per_page(std::mem::take(&mut self.paths.memberships), Vec::new);
        if let Some(glossary) = &mut self.glossary {
            for term in &mut glossary.terms {
                term.see = term.see.and_then(|id| renumbering.new_id(id));
                term.pages = kept(&term.pages);
            }
        }
        self.related.renumber(renumbering);
        for views in self.statuses.iter_mut() {
            for view in views {
                view.pages = kept(&view.pages);
            }
        }
        self.changes = kept(&self.changes);
    }

    /// After pages changed, came or went in a preview ([`crate::dev::incremental`]), with the
    /// site already reconnected: recomputes what follows from front matter and from which
    /// pages there are — related pages, status views and the changes list. Paths and the
    /// glossary find pages by slug and file, which such an edit keeps. `edited` names the
    /// pages edited in place, with their [`crate::training::related::Ties`] before and after, when no
    /// page came or went: then only the related lists and status views they can change are
    /// recomputed.
    pub fn reconnect(
        &mut self,
        site: &Site,
        edited: Option<(&[PageId], &[crate::training::related::Ties])>,
    ) {
        match edited {
            Some((pages, ties)) => {
                crate::training::related::update(site, &mut self.related, ties);
                // A status view lists its section's own pages, and no page changed section.
                let sections: HashSet<SectionId> =
                    pages.iter().map(|&id| site.pages[id].section).collect();
                for id in sections {
                    self.statuses[id] = status_views(site, &site.sections[id]);
                }
            }
            None => {
                self.related = crate::training::related::related(site);
                self.statuses = site
                    .sections
                    .as_slice()
                    .par_iter()
                    .map(|s| status_views(site, s))
                    .collect::<Vec<_>>()
                    .into();
            }
        }
        self.changes = changes(site);
    }
}

/// Marks glossary terms in every page body (in parallel) and records where each occurs.
fn mark_terms(site: &mut Site, glossary: &mut Glossary) {
    let matcher = glossary.matcher();
    let found: IdVec<PageId, Vec<usize>> = site
        .pages
        .as_mut_slice()
        .par_iter_mut()
        .map(|page| mark(&matcher, page))
        .collect::<Vec<_>>()
        .into();
    for (page, terms) in found.iter_enumerated() {
        for &term in terms {
            glossary.terms[term].pages.push(page);
        }
    }
}

/// Marks the terms in one page's body; returns the terms it mentions.
fn mark(matcher: &Matcher, page: &mut Page) -> Vec<usize> {
    match matcher.annotate(&page.html) {
        Some((mut html, found)) => {
            html.shrink_to_fit();
            page.html = html;
            found
        }
        None => Vec::new(),
    }
}

fn status_views(site: &Site, section: &Section) -> Vec<StatusView> {
    let mut groups: Vec<(String, Vec<PageId>)> = Vec::new();
    for &i in &section.pages {
        if let Some(status) = site.pages[i].status() {
            match groups.iter_mut().find(|(s, _)| s == status) {
                Some((_, pages)) => pages.push(i),
                None => groups.push((status.to_string(), vec![i])),
            }
        }
    }
    if groups.len() < 2 {
        return Vec::new();
    }
    // The built-in statuses in their order (现行有效, 已修订, 已废止), then any others by name.
    let rank = |s: &str| {
        let known = Status::from_label(s);
        (known.is_none(), known)
    };
    groups.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    let folder = section
        .url
        .strip_suffix("index.html")
        .unwrap_or(&section.url);
    groups
        .into_iter()
        .map(|(status, pages)| {
            let known = Status::from_label(&status);
            let name = known.map_or_else(|| file_safe(&status), |k| k.class().to_string());
            StatusView {
                base: format!("{folder}status-{name}"),
                known,
                status,
                pages,
            }
        })
        .collect()
}

fn changes(site: &Site) -> Vec<PageId> {
    site.newest
        .order
        .iter()
        .copied()
        .take_while(|&id| site.pages[id].sort_date().is_some())
        .take(CHANGES_MAX)
        .collect()
}

/// The training stage's pages, as the output plan lists them ([`crate::output::plan::training_jobs`]).
#[derive(Debug, Clone, Copy)]
pub enum View {
    PathsIndex,
    Path(usize),
    PathHandout(usize),
    SectionHandout(SectionId),
    Glossary,
    Changes,
}
