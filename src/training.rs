//! Training aids: the stage between resolve and render that turns the resolved site into
//! course material — learning paths ([`crate::paths`]), handouts ([`crate::handout`]), the
//! glossary ([`crate::glossary`]), related pages ([`crate::related`]), the list of recent
//! changes and the status views of policy sections — and the template variables that show
//! them.
//!
//! It takes the files that are not pages (`content/paths/**` and `content/_glossary.md`)
//! out of the loaded content before the parse stage, hands their Markdown bodies to resolve
//! so their links are checked like any page's, and after resolve completes [`Training`].
//! Render asks it for its own jobs and for the extra variables of pages and sections.

use std::path::Path;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::diagnostics::Diagnostics;
use crate::glossary::{Glossary, GlossarySource, Matcher};
use crate::load::SourceFile;
use crate::markdown::Rendered;
use crate::names::file_safe;
use crate::parse::Document;
use crate::paths::{PageLookup, PathSource, Paths};
use crate::render::{Contexts, reading_minutes, status_class};
use crate::resolve::{Page, Site, encode_path};
use crate::schema::{Date, STATUSES};

/// The page listing recent additions and updates (最近更新).
pub const CHANGES_URL: &str = "changes.html";
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
        } else if file.rel == crate::glossary::FILE {
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
    rel == crate::glossary::FILE || rel.starts_with("paths/")
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
        diagnostics.extend(crate::parse::nesting_problem(&doc));
        diagnostics.extend(crate::parse::density_problem(&doc));
        let rendered = crate::markdown::render(doc.body(), &doc.rel, options);
        (url, doc, rendered)
    };
    for file in sources.paths {
        let shown_path = shown(&file);
        if let Some((path, body_start)) = crate::paths::parse(
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
            crate::paths::parse_index(&shown(&file), &file.text, diagnostics)
    {
        parsed.index_title = title;
        parsed.has_index = true;
        parsed.bodies.push(body(
            file,
            crate::paths::INDEX_URL.to_string(),
            body_start,
            diagnostics,
        ));
    }
    if let Some(file) = sources.glossary
        && let Some((glossary, body_start)) =
            crate::glossary::parse(&shown(&file), &file.text, diagnostics)
    {
        parsed.glossary = Some(glossary);
        parsed.bodies.push(body(
            file,
            crate::glossary::URL.to_string(),
            body_start,
            diagnostics,
        ));
    }
    parsed
}

/// One status of a section with several: the section's list cut down to that status.
#[derive(Debug)]
pub struct StatusView {
    pub status: String,
    pub class: Option<&'static str>,
    /// In the section's order.
    pub pages: Vec<usize>,
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
    pub related: Vec<Vec<usize>>,
    /// Per section; empty unless its pages carry two or more statuses.
    pub statuses: Vec<Vec<StatusView>>,
    /// Pages for the changes page, newest first.
    pub changes: Vec<usize>,
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
    let paths = crate::paths::resolve(
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
        related: crate::related::related(site),
        statuses: site
            .sections
            .iter()
            .map(|s| status_views(site, s))
            .collect(),
        changes: changes(site),
        built: crate::scaffold::today(),
    }
}

impl Training {
    /// After the body of page `index` changed in a preview ([`crate::incremental`]): marks
    /// the glossary terms in its new HTML and updates where each term occurs. Paths, related
    /// pages and status views depend on front matter only, which such an edit leaves alone.
    pub fn page_edited(&mut self, site: &mut Site, index: usize) {
        let Some(glossary) = &mut self.glossary else {
            return;
        };
        let found = mark(&glossary.matcher(), &mut site.pages[index]);
        for (t, term) in glossary.terms.iter_mut().enumerate() {
            let at = term.pages.binary_search(&index);
            match (at, found.contains(&t)) {
                (Ok(at), false) => {
                    term.pages.remove(at);
                }
                (Err(at), true) => term.pages.insert(at, index),
                _ => {}
            }
        }
    }

    /// A page was added in a preview at `index` ([`crate::incremental`]); pages after it
    /// moved up one. Moves the page numbers the paths and the glossary hold. The caller
    /// made sure no step names the new page; its glossary marks come with
    /// [`Self::page_edited`].
    pub fn page_inserted(&mut self, index: usize) {
        self.renumber(|i| {
            if *i >= index {
                *i += 1;
            }
        });
        self.paths.memberships.insert(index, Vec::new());
    }

    /// Page `index` was removed in a preview; pages after it moved down one. `false`, and
    /// nothing changed, when a path step or a glossary `see` names it: that is an error only
    /// a full build reports.
    pub fn page_removed(&mut self, index: usize) -> bool {
        let seen = self
            .glossary
            .as_ref()
            .is_some_and(|g| g.terms.iter().any(|term| term.see == Some(index)));
        if seen || !self.paths.memberships[index].is_empty() {
            return false;
        }
        if let Some(glossary) = &mut self.glossary {
            for term in &mut glossary.terms {
                term.pages.retain(|&page| page != index);
            }
        }
        self.paths.memberships.remove(index);
        self.renumber(|i| {
            if *i > index {
                *i -= 1;
            }
        });
        true
    }

    fn renumber(&mut self, moved: impl Fn(&mut usize)) {
        for path in &mut self.paths.list {
            for step in &mut path.steps {
                moved(&mut step.page);
            }
        }
        if let Some(glossary) = &mut self.glossary {
            for term in &mut glossary.terms {
                term.see.iter_mut().for_each(&moved);
                term.pages.iter_mut().for_each(&moved);
            }
        }
    }

    /// After pages changed, came or went in a preview ([`crate::incremental`]), with the
    /// site already reconnected: recomputes what follows from front matter and from which
    /// pages there are — related pages, status views and the changes list. Paths and the
    /// glossary find pages by slug and file, which such an edit keeps. `edited` names the
    /// pages edited in place, with their [`crate::related::Ties`] before and after, when no
    /// page came or went: then only the related lists they can change are recomputed.
    pub fn reconnect(&mut self, site: &Site, edited: Option<(&[usize], &[crate::related::Ties])>) {
        match edited {
            Some((pages, ties)) => crate::related::update(site, &mut self.related, pages, ties),
            None => self.related = crate::related::related(site),
        }
        self.statuses = site
            .sections
            .iter()
            .map(|s| status_views(site, s))
            .collect();
        self.changes = changes(site);
    }

    /// The training pages that show page `index`'s body, reading time or glossary terms:
    /// its section's handout, the paths it is in (their pages, handouts and the index), the
    /// glossary and the changes page.
    pub fn jobs_showing(&self, site: &Site, index: usize) -> Vec<(String, &'static str, View)> {
        let page = &site.pages[index];
        let memberships = &self.paths.memberships[index];
        self.jobs(site)
            .into_iter()
            .filter(|(_, _, view)| match *view {
                View::SectionHandout(s) => s == page.section,
                View::Path(p) | View::PathHandout(p) => {
                    memberships.iter().any(|&(member, _)| member == p)
                }
                View::PathsIndex => !memberships.is_empty(),
                View::Glossary => true,
                View::Changes => self.changes.contains(&index),
            })
            .collect()
    }
}

/// Marks glossary terms in every page body (in parallel) and records where each occurs.
fn mark_terms(site: &mut Site, glossary: &mut Glossary) {
    let matcher = glossary.matcher();
    let found: Vec<Vec<usize>> = site
        .pages
        .par_iter_mut()
        .map(|page| mark(&matcher, page))
        .collect();
    for (page, terms) in found.into_iter().enumerate() {
        for term in terms {
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

fn status_views(site: &Site, section: &crate::resolve::Section) -> Vec<StatusView> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
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
    // The schema's order (现行有效, 已修订, 已废止) first, then any others by name.
    let rank = |s: &str| {
        STATUSES
            .iter()
            .position(|k| *k == s)
            .unwrap_or(STATUSES.len())
    };
    groups.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    let folder = section
        .url
        .strip_suffix("index.html")
        .unwrap_or(&section.url);
    groups
        .into_iter()
        .map(|(status, pages)| {
            let class = status_class(Some(&status));
            let name = class.map_or_else(|| file_safe(&status), str::to_string);
            StatusView {
                base: format!("{folder}status-{name}"),
                class,
                status,
                pages,
            }
        })
        .collect()
}

fn changes(site: &Site) -> Vec<usize> {
    let mut dated: Vec<usize> = (0..site.pages.len())
        .filter(|&i| site.pages[i].sort_date().is_some())
        .collect();
    dated.sort_by(|&a, &b| {
        let (a, b) = (&site.pages[a], &site.pages[b]);
        b.sort_date()
            .cmp(&a.sort_date())
            .then_with(|| a.title.cmp(&b.title))
    });
    dated.truncate(CHANGES_MAX);
    dated
}

/// What the training stage renders: its own pages, in [`Training::jobs`].
#[derive(Debug, Clone, Copy)]
pub enum View {
    PathsIndex,
    Path(usize),
    PathHandout(usize),
    SectionHandout(usize),
    Glossary,
    Changes,
}

/// `6` for 6.0, `1.5` for 1.5: hours as editors write them.
fn hours_text(hours: f64) -> String {
    let text = format!("{hours:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Training {
    /// Every file this stage adds: (output path, template, view).
    pub fn jobs(&self, site: &Site) -> Vec<(String, &'static str, View)> {
        let mut jobs = Vec::new();
        if !self.paths.list.is_empty() {
            jobs.push((
                crate::paths::INDEX_URL.to_string(),
                "paths.html",
                View::PathsIndex,
            ));
        }
        for (i, path) in self.paths.list.iter().enumerate() {
            jobs.push((path.url.clone(), "path.html", View::Path(i)));
            if !path.steps.is_empty() {
                jobs.push((
                    path.handout_url.clone(),
                    "handout.html",
                    View::PathHandout(i),
                ));
            }
        }
        for index in 0..site.sections.len() {
            if let Some(url) = section_handout_url(site, index) {
                jobs.push((url, "handout.html", View::SectionHandout(index)));
            }
        }
        if self.glossary.is_some() {
            jobs.push((
                crate::glossary::URL.to_string(),
                "glossary.html",
                View::Glossary,
            ));
        }
        jobs.push((CHANGES_URL.to_string(), "changes.html", View::Changes));
        jobs
    }
}

/// A section's handout, when it has pages of its own. The home page has none: it would be
/// the whole site.
pub fn section_handout_url(site: &Site, index: usize) -> Option<String> {
    let section = &site.sections[index];
    (index != 0 && !section.pages.is_empty()).then(|| {
        let folder = section
            .url
            .strip_suffix("index.html")
            .unwrap_or(&section.url);
        format!("{folder}handout.html")
    })
}

/// Template variables of the training views, and the extras of pages.
impl Training {
    /// `training` in every template: where the site-wide training pages are.
    pub fn globals(&self) -> Value {
        json!({
            "paths_url": (!self.paths.list.is_empty()).then_some(crate::paths::INDEX_URL),
            "paths_title": self.paths.title,
            "paths": self.paths.list.iter().map(|path| json!({
                "title": path.title,
                "url": encode_path(&path.url),
                "summary": path.summary,
                "count": path.steps.len(),
                "hours": path.hours.map(hours_text),
            })).collect::<Vec<_>>(),
            "glossary_url": self.glossary.as_ref().map(|_| crate::glossary::URL),
            "changes_url": CHANGES_URL,
        })
    }

    /// Added to `page`: the learning paths it belongs to, and its related pages.
    pub(crate) fn page_vars(&self, cx: &Contexts, index: usize) -> Vec<(String, Value)> {
        let site = cx.site;
        let step_link = |path: &crate::paths::LearningPath, s: usize| {
            let page = &site.pages[path.steps[s].page];
            cx.link(&page.title, &page.url)
        };
        let paths: Vec<Value> = self.paths.memberships[index]
            .iter()
            .map(|&(p, s)| {
                let path = &self.paths.list[p];
                json!({
                    "slug": path.slug,
                    "title": path.title,
                    "url": encode_path(&path.url),
                    "position": s + 1,
                    "total": path.steps.len(),
                    "note": path.steps[s].note,
                    "prev": (s > 0).then(|| step_link(path, s - 1)),
                    "next": (s + 1 < path.steps.len()).then(|| step_link(path, s + 1)),
                })
            })
            .collect();
        let related: Vec<Value> = self.related[index].iter().map(|&j| cx.summary(j)).collect();
        vec![
            ("paths".to_string(), Value::Array(paths)),
            ("related".to_string(), Value::Array(related)),
        ]
    }

    pub(crate) fn vars(&self, cx: &Contexts, view: View) -> Value {
        let site = cx.site;
        match view {
            View::PathsIndex => json!({ "paths": {
                "title": self.paths.title,
                "url": crate::paths::INDEX_URL,
                "intro_html": self.paths.intro_html,
                "items": (0..self.paths.list.len()).map(|i| self.path_summary(site, i)).collect::<Vec<_>>(),
            }}),
            View::Path(i) => {
                let path = &self.paths.list[i];
                let mut vars = self.path_summary(site, i);
                vars["intro_html"] = json!(path.intro_html);
                vars["steps"] = path
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(s, step)| {
                        let page = &site.pages[step.page];
                        let mut summary = cx.summary(step.page);
                        summary["number"] = json!(s + 1);
                        summary["note"] = json!(step.note);
                        summary["reading_minutes"] = json!(reading_minutes(page.char_count));
                        summary["char_count"] = json!(page.char_count);
                        summary
                    })
                    .collect();
                json!({
                    "path": vars,
                    "paths_index": cx.link(&self.paths.title, crate::paths::INDEX_URL),
                })
            }
            View::PathHandout(i) => {
                let path = &self.paths.list[i];
                let pages: Vec<usize> = path.steps.iter().map(|s| s.page).collect();
                let notes: Vec<Option<&str>> =
                    path.steps.iter().map(|s| s.note.as_deref()).collect();
                let mut handout = self.handout(cx, &pages, &notes, &path.handout_url);
                handout["title"] = json!(path.title);
                handout["kind_label"] = json!("学习路径");
                handout["intro_html"] = json!(path.intro_html);
                handout["source"] = cx.link(&path.title, &path.url);
                handout["audience"] = json!(path.audience);
                handout["hours"] = json!(path.hours.map(hours_text));
                json!({ "handout": handout })
            }
            View::SectionHandout(index) => {
                let section = &site.sections[index];
                let url = section_handout_url(site, index).unwrap_or_default();
                let mut handout = self.handout(cx, &section.pages, &[], &url);
                handout["title"] = json!(section.title);
                handout["kind_label"] = json!("栏目");
                handout["intro_html"] = json!(section.html);
                handout["source"] = cx.link(&section.title, &section.url);
                handout["audience"] = json!([]);
                handout["hours"] = Value::Null;
                json!({ "handout": handout })
            }
            View::Glossary => self.glossary_vars(cx),
            View::Changes => self.changes_vars(cx),
        }
    }

    /// A path as listed on the index (the path page adds its steps and introduction).
    fn path_summary(&self, site: &Site, i: usize) -> Value {
        let path = &self.paths.list[i];
        let minutes: usize = path
            .steps
            .iter()
            .map(|s| reading_minutes(site.pages[s.page].char_count))
            .sum();
        json!({
            "slug": path.slug,
            "title": path.title,
            "url": encode_path(&path.url),
            "summary": path.summary,
            "audience": path.audience,
            "hours": path.hours.map(hours_text),
            "count": path.steps.len(),
            "reading_minutes": minutes,
            "handout_url": (!path.steps.is_empty()).then(|| encode_path(&path.handout_url)),
            // For the progress script, which counts the steps ticked in this browser.
            "steps_json": serde_json::to_string(&path.steps.iter().map(|s| encode_path(&site.pages[s.page].url)).collect::<Vec<_>>()).unwrap_or_default(),
        })
    }

    /// The parts of a handout common to sections and paths; `notes` may be shorter than
    /// `pages` (sections have none).
    fn handout(&self, cx: &Contexts, pages: &[usize], notes: &[Option<&str>], url: &str) -> Value {
        let site = cx.site;
        let chapters: Vec<Value> = crate::handout::chapters(site, pages, url)
            .into_iter()
            .map(|chapter| {
                let page = &site.pages[chapter.page];
                let mut vars = cx.summary(chapter.page);
                vars["number"] = json!(chapter.number);
                vars["id"] = json!(chapter.id);
                vars["updated"] = json!(page.updated.map(|d| d.to_string()));
                vars["meta"] = json!(cx.meta_rows(page));
                vars["note"] = json!(notes.get(chapter.number - 1).copied().flatten());
                // Moved, not copied: a chapter can be tens of megabytes.
                vars["content"] = Value::String(chapter.html);
                vars
            })
            .collect();
        let chars: usize = pages.iter().map(|&p| site.pages[p].char_count).sum();
        let minutes: usize = pages
            .iter()
            .map(|&p| reading_minutes(site.pages[p].char_count))
            .sum();
        json!({
            "url": encode_path(url),
            "date": self.built.to_string(),
            "count": chapters.len(),
            "char_count": chars,
            "reading_minutes": minutes,
            "chapters": chapters,
        })
    }

    fn glossary_vars(&self, cx: &Contexts) -> Value {
        /// The glossary page names a few pages per term; the rest are a count.
        const PAGES_SHOWN: usize = 6;
        let site = cx.site;
        let Some(glossary) = &self.glossary else {
            return json!({});
        };
        let terms: Vec<Value> = glossary
            .terms
            .iter()
            .map(|term| {
                json!({
                    "term": term.term,
                    "id": term.id,
                    "definition": term.definition,
                    "aliases": term.aliases,
                    "see": term.see.map(|p| cx.link(&site.pages[p].title, &site.pages[p].url)),
                    "count": term.pages.len(),
                    "pages": term.pages.iter().take(PAGES_SHOWN)
                        .map(|&p| cx.link(&site.pages[p].title, &site.pages[p].url))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        // Terms come in pinyin order, so each letter's terms are one run.
        let mut groups: Vec<Value> = Vec::new();
        for (term, value) in glossary.terms.iter().zip(&terms) {
            let letter = crate::glossary::index_letter(&term.term).to_string();
            if groups.last().is_none_or(|g| g["letter"] != letter.as_str()) {
                groups.push(json!({ "letter": letter, "terms": [] }));
            }
            if let Some(Value::Array(list)) = groups.last_mut().map(|g| &mut g["terms"]) {
                list.push(value.clone());
            }
        }
        json!({ "glossary": {
            "title": glossary.title,
            "url": crate::glossary::URL,
            "intro_html": glossary.intro_html,
            "terms": terms,
            "groups": groups,
        }})
    }

    fn changes_vars(&self, cx: &Contexts) -> Value {
        let site = cx.site;
        let mut months: Vec<Value> = Vec::new();
        let mut current: Option<(u16, u8)> = None;
        for &i in &self.changes {
            let page = &site.pages[i];
            let Some(date) = page.sort_date() else {
                continue;
            };
            if current != Some((date.year, date.month)) {
                current = Some((date.year, date.month));
                months.push(json!({
                    "label": format!("{} 年 {} 月", date.year, date.month),
                    "id": format!("m{:04}-{:02}", date.year, date.month),
                    "items": [],
                }));
            }
            let updated = page.updated.is_some() && page.updated != page.date;
            let mut item = cx.summary(i);
            item["date"] = json!(date.to_string());
            item["change"] = json!(if updated { "更新" } else { "新增" });
            item["change_class"] = json!(if updated { "updated" } else { "added" });
            item["section"] = json!(site.sections[page.section].title);
            if let Some(Value::Array(items)) = months.last_mut().map(|m| &mut m["items"]) {
                items.push(item);
            }
        }
        json!({ "changes": {
            "title": "最近更新",
            "url": CHANGES_URL,
            "count": self.changes.len(),
            "limit": CHANGES_MAX,
            "months": months,
        }})
    }
}
