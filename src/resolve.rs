//! Resolve: turns parsed and rendered documents into the [`Site`] — sections, pages with
//! their output URLs, resolved links and references, citations both ways, ordering,
//! prev/next and taxonomies.
//!
//! This is the one place that knows every page at once, so it owns the checks that need
//! the whole site: duplicate slugs and output paths, broken links and anchors, references
//! to missing pages, fields a kind requires. All lookups go through hash maps built once,
//! so the stage stays linear in the number of pages and links.

use std::cell::{Cell, OnceCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::load::Asset;
use crate::markdown::{LinkTarget, Rendered, TITLE_CLOSE, TITLE_OPEN, TextSection, TocEntry};
use crate::parse::{Document, Role};
use crate::schema::{Date, FieldType, Kind};

#[derive(Debug)]
pub struct Page {
    pub doc: Document,
    pub slug: String,
    /// Output path relative to the site root, e.g. `cases/juweihui.html`.
    pub url: String,
    pub kind: Option<Kind>,
    pub section: usize,
    pub title: String,
    pub summary: Option<String>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    /// Rendered body with every internal link resolved (relative to this page).
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Every heading id on the page, deeper levels included.
    pub anchors: HashSet<String>,
    pub text: Vec<TextSection>,
    pub char_count: usize,
    pub cites: Vec<usize>,
    pub cited_by: Vec<usize>,
    pub superseded_by: Option<usize>,
    pub supersedes: Vec<usize>,
    pub prev: Option<usize>,
    pub next: Option<usize>,
}

impl Page {
    pub fn status(&self) -> Option<&str> {
        self.doc.text("status")
    }

    /// Takes in the body's plain text once its links are filled in ([`Filled::titles`]):
    /// the text by heading for search, the length, and the summary when the front matter
    /// gives none.
    pub(crate) fn take_text(
        &mut self,
        sections: Vec<TextSection>,
        first_paragraph: &str,
        titles: &[Option<String>],
    ) {
        self.text = sections
            .into_iter()
            .map(|section| TextSection {
                heading: fill_titles(section.heading, titles),
                text: fill_titles(section.text, titles),
                anchor: section.anchor,
            })
            .collect();
        self.char_count = self
            .text
            .iter()
            .map(|s| s.text.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        self.summary = self.doc.text("summary").map(str::to_string).or_else(|| {
            let first = fill_titles(first_paragraph.to_string(), titles);
            (!first.is_empty()).then(|| excerpt(first.trim(), 120))
        });
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
    pub parent: Option<usize>,
    pub subsections: Vec<usize>,
    /// Direct pages in display order.
    pub pages: Vec<usize>,
    /// Pages here and in every subsection.
    pub total_pages: usize,
}

#[derive(Debug)]
pub struct Term {
    pub name: String,
    /// The first page of its list, `{taxonomy}/{file}.html`; the others are
    /// [`Term::page_url`].
    pub url: String,
    pub pages: Vec<usize>,
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
    pub pages: Vec<Page>,
    /// `sections[0]` is the root: the home page.
    pub sections: Vec<Section>,
    pub taxonomies: Vec<TaxonomyIndex>,
    pub assets: Vec<Asset>,
    /// Old output paths that redirect to a page.
    pub aliases: Vec<(String, usize)>,
    /// The [`ResolveInput::extra_bodies`], links filled in, in the same order.
    pub extra_html: Vec<String>,
    /// Where links to those files lead: file relative to `content/` → output URL.
    pub extra_links: HashMap<String, String>,
    /// The search synonyms of `content/_synonyms.md` (see [`crate::synonyms`]).
    pub synonyms: Vec<Vec<String>>,
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

fn output_path(doc: &Document, slug_override: Option<&str>) -> String {
    let rel = &doc.rel;
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    match doc.role {
        Role::Section => join("index.html"),
        Role::BundlePage => join("index.html"),
        Role::Page => {
            let stem = rel
                .rsplit('/')
                .next()
                .unwrap_or(rel)
                .trim_end_matches(".md")
                .trim_end_matches(".MD");
            join(&format!(
                "{}.html",
                crate::names::file_safe(slug_override.unwrap_or(stem))
            ))
        }
    }
}

/// Why a written `slug` cannot name a page, or `None`. The name of the page's file is checked
/// with every other output name (see [`crate::plan`]).
fn slug_problem(slug: &str) -> Option<&'static str> {
    if slug.trim().is_empty() {
        Some(
            "slug 为空，页面会写成没有名字的隐藏文件 .html。请填写一个名字，或删除 slug 字段，用文件名作 slug",
        )
    } else if slug.starts_with('.') {
        Some("以点开头的 slug 会成为隐藏文件，打包和多数服务器都会略去它。请去掉开头的点")
    } else {
        None
    }
}

fn default_slug(doc: &Document) -> String {
    let parts: Vec<&str> = doc.rel.split('/').collect();
    match doc.role {
        Role::BundlePage if parts.len() >= 2 => parts[parts.len() - 2].to_string(),
        _ => parts
            .last()
            .unwrap_or(&"")
            .trim_end_matches(".md")
            .to_string(),
    }
}

pub struct ResolveInput {
    pub documents: Vec<(Document, Rendered)>,
    pub assets: Vec<Asset>,
    pub include_drafts: bool,
    /// Bodies of files that are not pages (learning paths, the glossary): (output URL,
    /// document, rendered body). Their links are resolved and checked like a page's.
    pub extra_bodies: Vec<(String, Document, Rendered)>,
}

pub fn resolve(config: Config, input: ResolveInput, diagnostics: &mut Diagnostics) -> Site {
    let mut section_docs = Vec::new();
    let mut page_docs = Vec::new();
    for (doc, rendered) in input.documents {
        match doc.role {
            Role::Section => section_docs.push((doc, rendered)),
            _ if doc.flag("draft") && !input.include_drafts => {}
            _ => page_docs.push((doc, rendered)),
        }
    }
    page_docs.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));

    let (mut sections, section_intros) = build_sections(&config, section_docs, &page_docs);
    let section_by_dir: HashMap<String, usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.dir.clone(), i))
        .collect();

    // Pages: identity, kind, output path.
    let mut pages: Vec<Page> = Vec::with_capacity(page_docs.len());
    let mut rendered_bodies = Vec::with_capacity(page_docs.len());
    for (doc, rendered) in page_docs {
        let section = nearest_section(&page_dir(&doc), &section_by_dir);
        pages.push(new_page(
            &config,
            &sections,
            section,
            doc,
            &rendered,
            diagnostics,
        ));
        rendered_bodies.push(rendered);
    }

    let slug_index = index_unique(&config.root, &pages, diagnostics);
    let page_by_rel: HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.doc.rel.as_str(), i))
        .collect();
    let asset_set: HashSet<&str> = input.assets.iter().map(|a| a.rel.as_str()).collect();
    let section_by_index_rel = section_index_files(&sections);

    // Links in bodies.
    let extra_links: HashMap<String, String> = input
        .extra_bodies
        .iter()
        .map(|(url, doc, _)| (doc.rel.clone(), url.clone()))
        .collect();
    let targets = LinkTargets {
        root: &config.root,
        pages: &pages,
        sections: &sections,
        page_by_rel: &page_by_rel,
        section_by_index_rel: &section_by_index_rel,
        slug_index: &slug_index,
        assets: &asset_set,
        extra: &extra_links,
    };
    let resolved: Vec<(Filled, Vec<TextSection>, String)> = {
        use rayon::prelude::*;
        // Consumed item by item, so each body's placeholder HTML is freed once it is filled.
        pages
            .par_iter()
            .zip(rendered_bodies.into_par_iter())
            .map(|(page, rendered)| {
                let filled = targets.fill_links(&page.url, &page.doc, &rendered);
                (filled, rendered.sections, rendered.first_paragraph)
            })
            .collect()
    };
    let intros: Vec<(usize, Filled)> = section_intros
        .iter()
        .map(|(i, doc, rendered)| (*i, targets.fill_links(&sections[*i].url, doc, rendered)))
        .collect();
    // Top-level intros also appear on the home page, one folder higher.
    let home_intros: Vec<(usize, String)> = section_intros
        .iter()
        .filter(|(i, _, _)| sections[*i].parent == Some(0))
        .map(|(i, doc, rendered)| (*i, targets.fill_links("index.html", doc, rendered).html))
        .collect();
    let extra_html = input
        .extra_bodies
        .iter()
        .map(|(url, doc, rendered)| {
            let filled = targets.fill_links(url, doc, rendered);
            diagnostics.extend(filled.problems);
            filled.html
        })
        .collect();
    for (page, (filled, text, first_paragraph)) in pages.iter_mut().zip(resolved) {
        page.take_text(text, &first_paragraph, &filled.titles);
        page.html = filled.html;
        diagnostics.extend(filled.problems);
    }
    for (i, filled) in intros {
        sections[i].html = filled.html;
        diagnostics.extend(filled.problems);
    }
    for (i, html) in home_intros {
        sections[i].home_html = html;
    }

    resolve_references(&config, &mut pages, &slug_index, diagnostics);
    order_sections(&mut sections, &mut pages);
    let taxonomies = build_taxonomies(&config, &pages);
    let aliases = check_aliases(&config.root, &pages, diagnostics);

    Site {
        config,
        pages,
        sections,
        taxonomies,
        assets: input.assets,
        aliases,
        extra_html,
        extra_links,
        synonyms: Vec::new(),
    }
}

/// A page of `section` from its document and rendered body, links not yet filled in: its
/// `html` and `text` are empty and its summary is only the front matter's until
/// [`Page::take_text`]. Reports fields the page's kind requires but it lacks.
pub(crate) fn new_page(
    config: &Config,
    sections: &[Section],
    section: usize,
    doc: Document,
    rendered: &Rendered,
    diagnostics: &mut Diagnostics,
) -> Page {
    let kind = doc.kind.or_else(|| inherited_kind(sections, section));
    let written_slug = doc.text("slug").filter(|slug| {
        let problem = slug_problem(slug);
        if let Some(why) = problem {
            diagnostics.push(doc.error_at(
                &config.root,
                "slug",
                Code::InvalidName,
                format!("slug `{slug}` 不能用：{why}"),
            ));
        }
        problem.is_none()
    });
    let slug = written_slug.map_or_else(|| default_slug(&doc), str::to_string);
    let url = output_path(&doc, written_slug);
    for field in config.schema.required(kind) {
        let kind_note = kind.map_or(String::new(), |k| format!("（{}）", k.label()));
        let written = doc.positions.contains_key(field);
        let blank = match doc.fields.get(field) {
            Some(value) => value.is_blank(),
            // A declared field's value was refused with its own error already; an undeclared
            // one is dropped only when it is empty (`doc_number:`).
            None => written && config.schema.field(field).is_none(),
        };
        if !written {
            diagnostics.push(
                Diagnostic::error(
                    Code::MissingField,
                    &doc.shown_path,
                    format!("缺少必填字段 `{field}`{kind_note}"),
                )
                .at(&doc.source_text(&config.root), 1, 1),
            );
        } else if blank {
            // Written but left empty (`issuer: ""`): pointed at where the editor fills it in.
            diagnostics.push(doc.error_at(
                &config.root,
                field,
                Code::MissingField,
                format!("必填字段 `{field}`{kind_note}没有填写内容"),
            ));
        }
    }
    let title = doc.text("title").unwrap_or(&slug).to_string();
    let summary = doc.text("summary").map(str::to_string);
    Page {
        slug,
        url,
        kind,
        section,
        title,
        summary,
        date: doc.date("date"),
        updated: doc.date("updated"),
        html: String::new(),
        toc: rendered.toc.clone(),
        anchors: rendered.anchors.clone(),
        text: Vec::new(),
        char_count: 0,
        cites: Vec::new(),
        cited_by: Vec::new(),
        superseded_by: None,
        supersedes: Vec::new(),
        prev: None,
        next: None,
        doc,
    }
}

/// The section of a page added in a preview: the one of its folder, or `None` when the
/// folder has none yet (only a full build makes sections).
pub(crate) fn existing_section(sections: &[Section], doc: &Document) -> Option<usize> {
    let dir = page_dir(doc);
    sections.iter().position(|section| section.dir == dir)
}

/// Old addresses that redirect to a page. Each must stay inside the site; that it replaces
/// no other output file is the output plan's to check ([`crate::plan`]).
fn check_aliases(
    root: &Path,
    pages: &[Page],
    diagnostics: &mut Diagnostics,
) -> Vec<(String, usize)> {
    let mut aliases = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        for alias in page.doc.list("aliases") {
            match alias_path(alias) {
                Some(path) => aliases.push((path, i)),
                None => diagnostics.push(page.doc.error_at(
                    root,
                    "aliases",
                    Code::FieldType,
                    format!("旧地址 `{alias}` 无效：应是站内的路径，如 cases/old-name.html，不能含 `..`、`\\` 或盘符"),
                )),
            }
        }
    }
    aliases
}

/// The output file an old address redirects from; `None` when it would leave the site.
fn alias_path(alias: &str) -> Option<String> {
    let trimmed = alias.trim().trim_start_matches('/');
    let escapes = trimmed.contains('\\')
        || trimmed.contains(':')
        || trimmed
            .split('/')
            .any(|segment| segment == ".." || segment == ".");
    if escapes {
        return None;
    }
    Some(if trimmed.ends_with(".html") {
        trimmed.to_string()
    } else if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        format!("{trimmed}/index.html")
    })
}

pub fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

fn page_dir(doc: &Document) -> String {
    let mut parts: Vec<&str> = doc.rel.split('/').collect();
    parts.pop();
    if doc.role == Role::BundlePage {
        parts.pop();
    }
    parts.join("/")
}

fn nearest_section(dir: &str, by_dir: &HashMap<String, usize>) -> usize {
    let mut dir = dir;
    loop {
        if let Some(&i) = by_dir.get(dir) {
            return i;
        }
        match dir.rsplit_once('/') {
            Some((parent, _)) => dir = parent,
            None if !dir.is_empty() => dir = "",
            None => return 0,
        }
    }
}

fn inherited_kind(sections: &[Section], mut index: usize) -> Option<Kind> {
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
fn build_sections(
    config: &Config,
    section_docs: Vec<(Document, Rendered)>,
    page_docs: &[(Document, Rendered)],
) -> (Vec<Section>, Vec<(usize, Document, Rendered)>) {
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

    let mut sections: Vec<Section> = Vec::with_capacity(dirs.len());
    let mut intros = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
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
        let index = sections.len();
        if let Some(parent) = parent {
            sections[parent].subsections.push(index);
        }
        index_of.insert(dir.clone(), index);
        if let Some((doc, rendered)) = meta {
            intros.push((index, doc, rendered));
        }
        sections.push(Section {
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
    }
    (sections, intros)
}

/// Slug → page, reporting duplicate slugs (two files writing one output path are the output
/// plan's to report, [`crate::plan`]).
fn index_unique(
    root: &Path,
    pages: &[Page],
    diagnostics: &mut Diagnostics,
) -> HashMap<String, usize> {
    let mut by_slug: HashMap<String, usize> = HashMap::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        if let Some(&first) = by_slug.get(&page.slug) {
            diagnostics.push(page.doc.error_at(
                root,
                "slug",
                Code::DuplicateSlug,
                format!(
                    "slug `{}` 与 {} 重复；每个页面的 slug（文件名或 slug 字段）在全站必须唯一",
                    page.slug,
                    pages[first].doc.shown_path.display()
                ),
            ));
        } else {
            by_slug.insert(page.slug.clone(), i);
        }
    }
    by_slug
}

/// `_index.md` path (relative to `content/`) → section, for links to a folder's page.
fn section_index_files(sections: &[Section]) -> HashMap<String, usize> {
    sections
        .iter()
        .enumerate()
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

/// Fills the links of re-rendered bodies — (output URL, document, rendered body) — against
/// the finished site, for a preview that updates pages in place.
pub fn relink(site: &Site, bodies: &[(&str, &Document, &Rendered)]) -> Vec<Filled> {
    let mut slug_index = HashMap::with_capacity(site.pages.len());
    for (i, page) in site.pages.iter().enumerate() {
        slug_index.entry(page.slug.clone()).or_insert(i);
    }
    let page_by_rel: HashMap<&str, usize> = site
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.doc.rel.as_str(), i))
        .collect();
    let section_by_index_rel = section_index_files(&site.sections);
    let assets: HashSet<&str> = site.assets.iter().map(|a| a.rel.as_str()).collect();
    let targets = LinkTargets {
        root: &site.config.root,
        pages: &site.pages,
        sections: &site.sections,
        page_by_rel: &page_by_rel,
        section_by_index_rel: &section_by_index_rel,
        slug_index: &slug_index,
        assets: &assets,
        extra: &site.extra_links,
    };
    bodies
        .iter()
        .map(|(url, doc, rendered)| targets.fill_links(url, doc, rendered))
        .collect()
}

/// Recomputes what ties pages to one another — unique slugs and output paths, references
/// both ways, section order and prev/next, taxonomies, aliases — after pages changed, came
/// or went in a preview ([`crate::incremental`]), exactly as [`resolve`] computes them.
/// Bodies and links are left alone.
pub fn reconnect(site: &mut Site, diagnostics: &mut Diagnostics) {
    for page in &mut site.pages {
        page.cites.clear();
        page.superseded_by = None;
        page.prev = None;
        page.next = None;
    }
    for section in &mut site.sections {
        section.pages.clear();
    }
    let slug_index = index_unique(&site.config.root, &site.pages, diagnostics);
    resolve_references(&site.config, &mut site.pages, &slug_index, diagnostics);
    order_sections(&mut site.sections, &mut site.pages);
    site.taxonomies = build_taxonomies(&site.config, &site.pages);
    site.aliases = check_aliases(&site.config.root, &site.pages, diagnostics);
}

/// The bad links of one page listed one by one. Each quotes its source line, which on a page
/// of thousands of links on one long line made the messages alone take minutes and gigabytes;
/// nobody reads past the first hundred anyway.
pub const MAX_LINK_PROBLEMS: usize = 100;

struct LinkTargets<'a> {
    /// The site root, where released sources are read again for diagnostics.
    root: &'a Path,
    pages: &'a [Page],
    sections: &'a [Section],
    page_by_rel: &'a HashMap<&'a str, usize>,
    section_by_index_rel: &'a HashMap<String, usize>,
    slug_index: &'a HashMap<String, usize>,
    assets: &'a HashSet<&'a str>,
    /// Files that are not pages but have an output (learning paths, the glossary).
    extra: &'a HashMap<String, String>,
}

/// A body with its links filled in.
pub struct Filled {
    pub html: String,
    /// The links that lead nowhere.
    pub problems: Vec<Diagnostic>,
    /// Per link, the title it shows in place of text of its own (`[[slug]]`), for the
    /// title slots of the body's plain text ([`Page::take_text`]).
    pub titles: Vec<Option<String>>,
}

impl LinkTargets<'_> {
    /// Replaces each placeholder in the page's HTML with a relative URL, puts in the titles
    /// that links show, and reports the links that lead nowhere.
    /// A page's first [`MAX_LINK_PROBLEMS`] bad links are listed one by one, then one error
    /// counts the rest.
    fn fill_links(&self, url: &str, doc: &Document, rendered: &Rendered) -> Filled {
        let prefix = root_prefix(url);
        let mut problems = Vec::new();
        let mut hrefs = Vec::with_capacity(rendered.links.len());
        let mut titles = Vec::with_capacity(rendered.links.len());
        let failed = Cell::new(0_usize);
        let first_unlisted = Cell::new(None);
        // A released source is read again from the file, once for all of this page's problems.
        let source = OnceCell::new();
        let place = |diagnostic: Diagnostic, line: usize, column: usize| {
            diagnostic.at(
                source.get_or_init(|| doc.source_text(self.root)),
                line,
                column,
            )
        };
        // Like bad links, a page's first MAX_LINK_PROBLEMS unclosed `[[` are enough to see.
        for &(line, column) in rendered.unclosed_wiki_links.iter().take(MAX_LINK_PROBLEMS) {
            problems.push(place(
                Diagnostic::warning(
                    Code::UnclosedWikiLink,
                    &doc.shown_path,
                    "这里的 `[[` 没有对应的 `]]`，不会成为链接：链接到其他页面请写成 [[页面slug]]，两边各两个半角方括号",
                ),
                doc.body_line + line - 1,
                column,
            ));
        }
        for link in &rendered.links {
            let line = doc.body_line + link.line - 1;
            let fail = |code: Code, message: String| {
                failed.set(failed.get() + 1);
                if failed.get() > MAX_LINK_PROBLEMS {
                    if first_unlisted.get().is_none() {
                        first_unlisted.set(Some((line, link.column)));
                    }
                    return None;
                }
                let diagnostic = Diagnostic::error(code, &doc.shown_path, message);
                Some(place(diagnostic, line, link.column))
            };
            let (href, title) = match &link.target {
                LinkTarget::Anchor(anchor) => {
                    if !rendered.anchors.contains(anchor) {
                        problems.extend(fail(
                            Code::BrokenAnchor,
                            format!("本页没有标题锚点 `#{anchor}`"),
                        ));
                    }
                    (format!("#{}", crate::html::escape(anchor)), None)
                }
                LinkTarget::Asset { path } => {
                    if !self.assets.contains(path.as_str()) {
                        problems.extend(fail(
                            Code::BrokenLink,
                            format!("链接 `{}` 指向的文件 content/{path} 不存在", link.written),
                        ));
                    }
                    (format!("{prefix}{}", encode_path(path)), None)
                }
                LinkTarget::Page { path, fragment } => {
                    let target = self.page_by_rel.get(path.as_str()).map(|&i| &self.pages[i]);
                    let section = self
                        .section_by_index_rel
                        .get(path.as_str())
                        .map(|&i| &self.sections[i]);
                    match (target, section) {
                        (Some(target), _) => {
                            check_fragment(fragment, target, &mut problems, &fail);
                            (
                                with_fragment(
                                    &format!("{prefix}{}", encode_path(&target.url)),
                                    fragment,
                                ),
                                Some(target.title.clone()),
                            )
                        }
                        (None, Some(section)) => (
                            with_fragment(
                                &format!("{prefix}{}", encode_path(&section.url)),
                                fragment,
                            ),
                            Some(section.title.clone()),
                        ),
                        (None, None) => match self.extra.get(path.as_str()) {
                            Some(url) => (
                                with_fragment(&format!("{prefix}{}", encode_path(url)), fragment),
                                None,
                            ),
                            None => {
                                problems.extend(fail(
                                    Code::BrokenLink,
                                    format!(
                                        "链接 `{}` 指向的页面 content/{path} 不存在（或是草稿）",
                                        link.written
                                    ),
                                ));
                                ("#".to_string(), None)
                            }
                        },
                    }
                }
                LinkTarget::Wiki { slug, fragment } => match self.slug_index.get(slug.as_str()) {
                    Some(&i) => {
                        let target = &self.pages[i];
                        check_fragment(fragment, target, &mut problems, &fail);
                        (
                            with_fragment(
                                &format!("{prefix}{}", encode_path(&target.url)),
                                fragment,
                            ),
                            Some(match fragment {
                                Some(f) => {
                                    let heading = target
                                        .toc
                                        .iter()
                                        .find(|t| &t.id == f)
                                        .map_or(f.as_str(), |t| t.title.as_str());
                                    format!("{} · {heading}", target.title)
                                }
                                None => target.title.clone(),
                            }),
                        )
                    }
                    None => {
                        problems.extend(fail(
                            Code::BrokenLink,
                            format!("维基链接 `{}` 找不到 slug 为 `{slug}` 的页面", link.written),
                        ));
                        ("#".to_string(), None)
                    }
                },
            };
            hrefs.push(href);
            titles.push(if link.wants_title { title } else { None });
        }
        if let Some((line, column)) = first_unlisted.get() {
            let unlisted = failed.get() - MAX_LINK_PROBLEMS;
            let message = format!(
                "本页还有 {unlisted} 处链接或锚点有误，从这里起不再逐一列出；请先修正上面列出的 {MAX_LINK_PROBLEMS} 处，再构建一次"
            );
            problems.push(place(
                Diagnostic::error(Code::BrokenLink, &doc.shown_path, message),
                line,
                column,
            ));
        }
        Filled {
            html: substitute(&rendered.html, &rendered.link_prefix, &hrefs, &titles),
            problems,
            titles,
        }
    }
}

fn check_fragment(
    fragment: &Option<String>,
    target: &Page,
    problems: &mut Vec<Diagnostic>,
    fail: &dyn Fn(Code, String) -> Option<Diagnostic>,
) {
    if let Some(fragment) = fragment
        && !target.anchors.contains(fragment)
    {
        let known: Vec<&str> = target.toc.iter().take(8).map(|t| t.id.as_str()).collect();
        let hint = if known.is_empty() {
            "该页没有标题".to_string()
        } else {
            format!("可用的锚点有：{}", known.join("、"))
        };
        problems.extend(fail(
            Code::BrokenAnchor,
            format!("《{}》中没有标题锚点 `#{fragment}`；{hint}", target.title),
        ));
    }
}

fn with_fragment(url: &str, fragment: &Option<String>) -> String {
    match fragment {
        Some(f) => format!("{url}#{}", crate::html::escape(f)),
        None => url.to_string(),
    }
}

/// Percent-encodes only what would break an href; Chinese stays readable. The result is
/// safe as it is in HTML attributes, JSON and XML (no `&`), and templates may escape it
/// again without changing it.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
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
    out
}

/// Fills in the placeholders of one body: an `href` or `src` value that is exactly `prefix`
/// and a link's number becomes that link's URL, and a link that shows its target's title
/// (left empty by the Markdown stage) gets it after its opening tag. Text that merely
/// reads like a placeholder is the editor's and stays.
fn substitute(html: &str, prefix: &str, hrefs: &[String], titles: &[Option<String>]) -> String {
    let mut out = String::with_capacity(html.len() + hrefs.len() * 16);
    let mut rest = html;
    while let Some(at) = rest.find(prefix) {
        let (before, after) = (&rest[..at], &rest[at + prefix.len()..]);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let is_href = before.ends_with("href=\"");
        let is_value = (is_href || before.ends_with("src=\"")) && after[digits..].starts_with('"');
        let index = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|&i| is_value && i < hrefs.len());
        let Some(index) = index else {
            out.push_str(&rest[..at + prefix.len()]);
            rest = after;
            continue;
        };
        out.push_str(before);
        out.push_str(&hrefs[index]);
        rest = &after[digits..];
        if let Some(title) = titles[index].as_deref().filter(|_| is_href)
            && let Some(tail) = rest.strip_prefix("\">")
        {
            out.push_str("\">");
            crate::html::escape_into(title, &mut out);
            rest = tail;
        }
    }
    out.push_str(rest);
    // Held until the site is written, for every page: no spare capacity.
    out.shrink_to_fit();
    out
}

/// Plain text with each title slot replaced by the title its link shows (nothing for a link
/// that leads nowhere: the build fails on it anyway).
fn fill_titles(text: String, titles: &[Option<String>]) -> String {
    if !text.contains(TITLE_OPEN) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text.as_str();
    while let Some(at) = rest.find(TITLE_OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + TITLE_OPEN.len_utf8()..];
        let end = after.find(TITLE_CLOSE).unwrap_or(after.len());
        let title = after[..end]
            .parse::<usize>()
            .ok()
            .and_then(|i| titles.get(i))
            .and_then(Option::as_deref);
        out.push_str(title.unwrap_or_default());
        rest = after[end..].strip_prefix(TITLE_CLOSE).unwrap_or_default();
    }
    out.push_str(rest);
    out.shrink_to_fit();
    out
}

/// `cites`, `superseded_by` and any site-declared `ref`/`refs` field must name real pages.
fn resolve_references(
    config: &Config,
    pages: &mut [Page],
    slug_index: &HashMap<String, usize>,
    diagnostics: &mut Diagnostics,
) {
    let mut ref_fields = vec!["cites".to_string(), "superseded_by".to_string()];
    ref_fields.extend(
        config
            .schema
            .custom_fields()
            .filter(|(_, spec)| matches!(spec.ty, FieldType::Ref | FieldType::Refs))
            .map(|(name, _)| name.to_string()),
    );
    let mut cited_by: Vec<Vec<usize>> = vec![Vec::new(); pages.len()];
    let mut supersedes: Vec<Vec<usize>> = vec![Vec::new(); pages.len()];
    for (i, page) in pages.iter_mut().enumerate() {
        for field in &ref_fields {
            let slugs: Vec<String> = match page.doc.fields.get(field) {
                Some(crate::schema::FieldValue::Text(s)) => vec![s.clone()],
                Some(crate::schema::FieldValue::List(items)) => items.clone(),
                _ => continue,
            };
            for slug in slugs {
                let Some(&target) = slug_index.get(slug.trim()) else {
                    diagnostics.push(page.doc.error_at(
                        &config.root,
                        field,
                        Code::MissingRef,
                        format!("字段 `{field}` 引用的页面 `{slug}` 不存在（按 slug 查找）"),
                    ));
                    continue;
                };
                match field.as_str() {
                    "cites" if !page.cites.contains(&target) => {
                        page.cites.push(target);
                        cited_by[target].push(i);
                    }
                    "superseded_by" => {
                        page.superseded_by = Some(target);
                        supersedes[target].push(i);
                    }
                    _ => {}
                }
            }
        }
    }
    check_replacement_loops(&config.root, pages, &mut supersedes, diagnostics);
    for (page, (by, sup)) in pages.iter_mut().zip(cited_by.into_iter().zip(supersedes)) {
        page.cited_by = by;
        page.supersedes = sup;
    }
}

/// A chain of `superseded_by` must end at a page nobody replaced: a page replaced by itself,
/// or by a page that is in turn replaced by it (A → B → A), names no newer document. Every
/// page of such a loop gets an error at its field and no replacement.
fn check_replacement_loops(
    root: &Path,
    pages: &mut [Page],
    supersedes: &mut [Vec<usize>],
    diagnostics: &mut Diagnostics,
) {
    const UNSEEN: u8 = 0;
    const ON_WALK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; pages.len()];
    let mut loops = Vec::new();
    for start in 0..pages.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| state[i] == UNSEEN) {
            state[i] = ON_WALK;
            walk.push(i);
            at = pages[i].superseded_by;
        }
        if let Some(i) = at.filter(|&i| state[i] == ON_WALK)
            && let Some(from) = walk.iter().position(|&p| p == i)
        {
            loops.push(walk[from..].to_vec());
        }
        for i in walk {
            state[i] = DONE;
        }
    }
    for members in loops {
        for (k, &i) in members.iter().enumerate() {
            let message = if members.len() == 1 {
                format!(
                    "字段 `superseded_by` 指向本页自身（`{}`）：一份文件不能被自己替代，请填写替代本文件的新文件的 slug，或删除该字段",
                    pages[i].slug
                )
            } else {
                // The loop as seen from this page, back to it.
                let chain: Vec<String> = (0..=members.len())
                    .map(|step| format!("《{}》", pages[members[(k + step) % members.len()]].title))
                    .collect();
                format!(
                    "字段 `superseded_by` 形成循环：{}。替代关系应从旧文件指向新文件，不能绕回本页，请检查这几份文件的 `superseded_by`",
                    chain.join(" → ")
                )
            };
            diagnostics.push(pages[i].doc.error_at(
                root,
                "superseded_by",
                Code::SupersededLoop,
                message,
            ));
        }
        for &i in &members {
            if let Some(newer) = pages[i].superseded_by.take() {
                supersedes[newer].retain(|&older| older != i);
            }
        }
    }
}

fn compare_pages(sort_by: SortBy, a: &Page, b: &Page) -> std::cmp::Ordering {
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

fn order_sections(sections: &mut [Section], pages: &mut [Page]) {
    for (i, page) in pages.iter().enumerate() {
        sections[page.section].pages.push(i);
    }
    for section in sections.iter_mut() {
        let sort_by = section.sort_by;
        section
            .pages
            .sort_by(|&a, &b| compare_pages(sort_by, &pages[a], &pages[b]));
        for pair in section.pages.windows(2) {
            pages[pair[0]].next = Some(pair[1]);
            pages[pair[1]].prev = Some(pair[0]);
        }
    }
    // Subsections by weight then title; counts include every descendant (children come after parents).
    for i in (0..sections.len()).rev() {
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

fn build_taxonomies(config: &Config, pages: &[Page]) -> Vec<TaxonomyIndex> {
    config
        .taxonomies
        .iter()
        .map(|taxonomy| {
            let mut terms: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, page) in pages.iter().enumerate() {
                let values: Vec<&str> = match page.doc.fields.get(&taxonomy.name) {
                    Some(crate::schema::FieldValue::Text(s)) => vec![s.as_str()],
                    Some(crate::schema::FieldValue::List(items)) => {
                        items.iter().map(String::as_str).collect()
                    }
                    _ => continue,
                };
                for value in values {
                    let value = value.trim();
                    if value.is_empty() {
                        continue;
                    }
                    let listed = terms.entry(value).or_default();
                    // `tags: [网格, 网格]` lists the page once.
                    if listed.last() != Some(&i) {
                        listed.push(i);
                    }
                }
            }
            // The taxonomy's own page is `index.html` in the same folder.
            let mut used_files: HashSet<String> = HashSet::from(["index.html".to_string()]);
            TaxonomyIndex {
                name: taxonomy.name.clone(),
                label: taxonomy.label.clone(),
                terms: terms
                    .into_iter()
                    .map(|(name, mut term_pages)| {
                        term_pages
                            .sort_by(|&a, &b| compare_pages(SortBy::Date, &pages[a], &pages[b]));
                        // A term's file is `F.html` and its further list pages are in the folder
                        // `F/`: a name is free when neither is taken (the terms `a` and
                        // `a.html` would otherwise make a file and a folder of one name).
                        // Leading dots would make `.` and `..` folders, or hidden files;
                        // `CON` cannot be a file on Windows (see `names::safe_file_stem`).
                        let mut file = crate::names::safe_file_stem(name);
                        loop {
                            let stem = file.to_lowercase();
                            let with_extension = format!("{stem}.html");
                            if !used_files.contains(&stem) && !used_files.contains(&with_extension)
                            {
                                used_files.insert(stem);
                                used_files.insert(with_extension);
                                break;
                            }
                            file.push('_');
                        }
                        Term {
                            name: name.to_string(),
                            url: format!("{}/{file}.html", taxonomy.name),
                            pages: term_pages,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_only_in_attributes() {
        let html = "<a href=\"sy-link-1\"></a><a href=\"sy-link-0\">x</a> sy-link-0 <img src=\"sy-link-2\">";
        let out = substitute(
            html,
            "sy-link-",
            &["../a.html".into(), "b.html#甲".into(), "c.png".into()],
            &[None, Some("标题<1>".into()), None],
        );
        assert_eq!(
            out,
            "<a href=\"b.html#甲\">标题&lt;1&gt;</a><a href=\"../a.html\">x</a> sy-link-0 <img src=\"c.png\">"
        );
    }

    #[test]
    fn title_slots_take_the_titles() {
        let titles = [Some("甲".to_string()), None];
        assert_eq!(
            fill_titles("依据\u{1}0\u{2}和\u{1}1\u{2}。".into(), &titles),
            "依据甲和。"
        );
    }

    #[test]
    fn root_prefix_counts_folders() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("cases/a.html"), "../");
        assert_eq!(root_prefix("a/b/index.html"), "../../");
    }
}
