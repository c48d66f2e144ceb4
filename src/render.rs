//! Render: fills the theme's Tera templates with the [`Site`] and hands every output file
//! to the [`Output`] sink as soon as it is rendered, so a large site is never held in
//! memory as HTML all at once.
//!
//! Templates come from the theme (see [`crate::theme`]), overridden file by file by the
//! site's own `templates/`. What is the same for every page (site, navigation, taxonomies) goes
//! into Tera's global context once; per page only `root`, `current_url` and the page's own
//! data are built. Every URL in a context is root-relative; templates prefix `root`, which
//! is what keeps the output working from file:// and under any sub-path.
//!
//! Which files there are comes from the output plan ([`crate::plan::jobs`]); the templates
//! are loaded in [`templates`], the training pages' variables built in [`training_pages`].

mod templates;
mod training_pages;

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{Page, Section, Site, encode_path, root_prefix};
// The preview (`crate::incremental`) takes the plan's jobs and paging from here.
pub(crate) use crate::plan::{DEFAULT_PER_PAGE, Job, What, jobs, list_slice, per_page};
use crate::plan::{section_handout_url, section_page_url};
use crate::schema::{Kind, Status};
use crate::training::Training;
use crate::write::Output;
use templates::error_chain;
pub use templates::{check_no_outside_assets, load_templates};

fn kind_fields(kind: Option<Kind>) -> (&'static str, &'static str) {
    kind.map_or(("page", "文章"), |k| (k.as_str(), k.label()))
}

/// The badge class of a page's status; `None` (`other` in the theme) for one the site
/// declared itself.
fn status_class(status: Option<&str>) -> Option<&'static str> {
    status.and_then(Status::from_label).map(Status::class)
}

/// `status_classes` in every template: each built-in status with its badge class, as JSON,
/// for the browser's search results, which show statuses as the index holds them.
fn status_classes_json() -> String {
    let classes: serde_json::Map<String, Value> = Status::ALL
        .iter()
        .map(|status| (status.label().to_string(), json!(status.class())))
        .collect();
    Value::Object(classes).to_string()
}

/// A link as templates get it: `{ title, url }`.
#[derive(Serialize)]
struct Link<'a> {
    title: &'a str,
    url: String,
}

/// A tag, topic or region: `{ name, url }`.
#[derive(Serialize)]
struct TermLink<'a> {
    name: &'a str,
    url: Option<String>,
}

/// A page as lists show it.
#[derive(Serialize)]
struct Summary<'a> {
    title: &'a str,
    url: String,
    kind: &'static str,
    kind_label: &'static str,
    date: Option<String>,
    summary: Option<&'a str>,
    status: Option<&'a str>,
    status_class: Option<&'static str>,
    tags: Vec<TermLink<'a>>,
    region: Option<&'a str>,
}

/// One row of a page's information panel.
#[derive(Serialize)]
struct MetaRow<'a> {
    label: &'a str,
    value: String,
    url: Option<String>,
}

/// Builds template variables.
struct Contexts<'a> {
    site: &'a Site,
    training: &'a Training,
}

impl<'a> Contexts<'a> {
    fn link(&self, title: &'a str, url: &str) -> Link<'a> {
        Link {
            title,
            url: encode_path(url),
        }
    }

    fn term(&self, taxonomy: &str, name: &'a str) -> TermLink<'a> {
        TermLink {
            name,
            url: self.site.term_url(taxonomy, name).map(encode_path),
        }
    }

    fn summary(&self, index: usize) -> Summary<'a> {
        let page = &self.site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        Summary {
            title: &page.title,
            url: encode_path(&page.url),
            kind,
            kind_label,
            date: page.sort_date().map(|d| d.to_string()),
            summary: page.summary.as_deref(),
            status: page.status(),
            status_class: status_class(page.status()),
            tags: page
                .doc
                .list("tags")
                .iter()
                .map(|t| self.term("tags", t))
                .collect(),
            region: page.doc.text("region"),
        }
    }

    fn breadcrumbs(&self, mut section: usize, include_self: bool) -> Vec<Link<'a>> {
        let mut crumbs = Vec::new();
        if include_self {
            let s = &self.site.sections[section];
            crumbs.push(self.link(&s.title, &s.url));
        }
        while let Some(parent) = self.site.sections[section].parent {
            let s = &self.site.sections[parent];
            crumbs.push(self.link(if parent == 0 { "首页" } else { &s.title }, &s.url));
            section = parent;
        }
        crumbs.reverse();
        crumbs
    }

    fn meta_rows(&self, page: &'a Page) -> Vec<MetaRow<'a>> {
        self.site
            .panel(page)
            .into_iter()
            .map(|row| MetaRow {
                label: row.label,
                value: row.value.display(),
                url: row
                    .value
                    .as_text()
                    .and_then(|v| self.site.term_url(row.name, v))
                    .map(encode_path),
            })
            .collect()
    }

    fn page(&self, index: usize) -> Value {
        let site = self.site;
        let page = &site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        let pages_link = |i: usize| self.link(&site.pages[i].title, &site.pages[i].url);
        json!({
            "title": page.title,
            "url": encode_path(&page.url),
            "slug": page.slug,
            "kind": kind,
            "kind_label": kind_label,
            "summary": page.summary,
            "date": page.date.map(|d| d.to_string()),
            "updated": page.updated.map(|d| d.to_string()),
            "content": page.html,
            "toc": page.toc,
            "breadcrumbs": self.breadcrumbs(page.section, page.section != 0),
            "meta": self.meta_rows(page),
            "tags": page.doc.list("tags").iter().map(|t| self.term("tags", t)).collect::<Vec<_>>(),
            "topics": page.doc.list("topics").iter().map(|t| self.term("topics", t)).collect::<Vec<_>>(),
            "region": page.doc.text("region").map(|r| self.term("region", r)),
            "status": page.status(),
            "status_class": status_class(page.status()),
            "superseded_by": page.superseded_by.map(pages_link),
            "supersedes": page.supersedes.iter().map(|&i| pages_link(i)).collect::<Vec<_>>(),
            "cites": page.cites.iter().map(|&i| {
                let cited = &site.pages[i];
                json!({
                    "title": cited.title, "url": encode_path(&cited.url),
                    "status": cited.status(), "status_class": status_class(cited.status()),
                })
            }).collect::<Vec<_>>(),
            "cited_by": page.cited_by.iter().map(|&i| {
                let citing = &site.pages[i];
                json!({ "title": citing.title, "url": encode_path(&citing.url), "kind_label": kind_fields(citing.kind).1 })
            }).collect::<Vec<_>>(),
            "prev": page.prev.map(pages_link),
            "next": page.next.map(pages_link),
            "reading_minutes": reading_minutes(page.char_count),
            "char_count": page.char_count,
            "paths": self.memberships(index),
            "related": self.related(index),
        })
    }
}

/// Chinese readers take in roughly 300–500 characters a minute; 400 is the middle.
pub fn reading_minutes(chars: usize) -> usize {
    chars.div_ceil(400).max(1)
}

fn globals(site: &Site, training: &Training, build_id: &str) -> Value {
    let root = &site.sections[0];
    let mut nav: Vec<&Section> = root
        .subsections
        .iter()
        .map(|&i| &site.sections[i])
        .collect();
    nav.sort_by_key(|s| s.weight);
    json!({
        "site": {
            "title": site.config.title,
            "description": site.config.description,
            "language": site.config.language,
            "build_id": build_id,
        },
        "nav": nav.iter().map(|s| json!({"title": s.title, "url": encode_path(&s.url), "dir": s.dir})).collect::<Vec<_>>(),
        "taxonomies": site.taxonomies.iter().map(|t| json!({
            "name": t.name, "label": t.label, "url": format!("{}/index.html", t.name),
        })).collect::<Vec<_>>(),
        "search": { "enabled": site.config.search_enabled },
        "status_classes": status_classes_json(),
        "training": training_pages::globals(training),
    })
}

/// Puts what every page shares (site, navigation, taxonomies, where the training pages
/// are) into Tera's global context.
pub fn set_globals(site: &Site, training: &Training, tera: &mut tera::Tera, build_id: &str) {
    if let Value::Object(map) = globals(site, training, build_id) {
        let global = tera.global_context();
        for (key, value) in map {
            global.insert(key, &value);
        }
    }
}

/// Where rendered files go: the build's staging folder, or the live folder of a preview.
pub type Sink<'a> = &'a (dyn Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync);

pub(crate) fn render_jobs(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    jobs: &[Job],
    sink: Sink,
) -> Vec<Diagnostic> {
    let contexts = Contexts { site, training };
    let nav_dirs: Vec<&str> = site.sections[0]
        .subsections
        .iter()
        .map(|&i| site.sections[i].dir.as_str())
        .collect();
    jobs.par_iter()
        .filter_map(|job| {
            let mut context = tera::Context::new();
            let root = if job.template == "404.html" {
                context.insert("site_top_names", &crate::not_found::top_names(site));
                crate::not_found::root(site.config.base_url.as_deref())
            } else {
                root_prefix(&job.path)
            };
            context.insert("root", &root);
            context.insert("current_url", &job.path);
            let top = job.path.split('/').next().unwrap_or("");
            context.insert(
                "active_section",
                if nav_dirs.contains(&top) { top } else { "" },
            );
            contexts.fill(&job.what, &mut context);
            match tera.render(job.template, &context) {
                Ok(html) => sink(&job.path, html.as_bytes()).err(),
                Err(e) => Some(Diagnostic::error(
                    Code::TemplateRender,
                    PathBuf::from(format!("templates/{}", job.template)),
                    format!("渲染 {} 时模板出错：{}", job.path, error_chain(&e)),
                )),
            }
        })
        .collect()
}

/// Renders the training pages that hold page `index`'s body or reading time: its section's
/// handout, its paths and their handouts, the glossary. A preview renders these after the
/// reload, since a handout can hold hundreds of pages. Returns how many files were written.
pub fn render_training_views(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    index: usize,
    sink: Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let jobs = crate::plan::training_jobs_showing(site, training, index);
    let problems = render_jobs(site, training, tera, &jobs, sink);
    if problems.is_empty() {
        Ok(jobs.len())
    } else {
        Err(problems)
    }
}

/// Renders the files that show page `index`: the page itself and, when `listed_changed` (its
/// title, date or summary as lists show them), the home page, its section's list page, the
/// status view listing it and its taxonomy term pages. Returns how many files were written.
pub fn render_page_and_lists(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    index: usize,
    listed_changed: bool,
    sink: Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let jobs = crate::plan::page_and_list_jobs(site, training, index, listed_changed);
    let problems = render_jobs(site, training, tera, &jobs, sink);
    if problems.is_empty() {
        Ok(jobs.len())
    } else {
        Err(problems)
    }
}

/// Renders every HTML file of the site into `output`. Returns how many files were written.
pub fn render_site(
    site: &Site,
    training: &Training,
    tera: &mut tera::Tera,
    build_id: &str,
    output: &Output,
    diagnostics: &mut Diagnostics,
) -> usize {
    set_globals(site, training, tera, build_id);
    let jobs = jobs(site, training);
    let problems = render_jobs(site, training, tera, &jobs, &|path, bytes| {
        output.write(path, bytes)
    });
    let count = jobs.len();
    diagnostics.extend(problems);
    for (alias, target) in &site.aliases {
        let html = redirect_page(site, alias, *target);
        if let Err(d) = output.write(alias, html.as_bytes()) {
            diagnostics.push(d);
        }
    }
    count + site.aliases.len()
}

/// Renders every HTML file as [`render_site`] does and drops it, for `check`: a template
/// that fails only when rendered (an undefined variable) fails `check` as it fails `build`.
pub fn render_unwritten(
    site: &Site,
    training: &Training,
    tera: &mut tera::Tera,
    build_id: &str,
    diagnostics: &mut Diagnostics,
) {
    set_globals(site, training, tera, build_id);
    let jobs = jobs(site, training);
    diagnostics.extend(render_jobs(site, training, tera, &jobs, &|_, _| Ok(())));
}

/// The file at old address `alias` that sends the reader on to page `target`.
pub(crate) fn redirect_page(site: &Site, alias: &str, target: usize) -> String {
    let page = &site.pages[target];
    let href = crate::html::escape(&format!("{}{}", root_prefix(alias), encode_path(&page.url)));
    let title = crate::html::escape(&page.title);
    // The empty icon keeps Firefox from asking the server's root for /favicon.ico.
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta http-equiv=\"refresh\" content=\"0; url={href}\"><link rel=\"canonical\" href=\"{href}\"><link rel=\"icon\" href=\"data:,\"></head>\
         <body><p>本页已移至 <a href=\"{href}\">{title}</a>。</p></body></html>\n"
    )
}

/// The `paginator` every list template gets: page `number` of `total`, `url(k)` the
/// address of page `k`.
fn paginator(number: usize, total: usize, url: impl Fn(usize) -> String) -> Value {
    json!({
        "current": number,
        "total": total,
        "prev_url": (number > 1).then(|| url(number - 1)),
        "next_url": (number < total).then(|| url(number + 1)),
        "pages": (1..=total).map(|k| json!({"number": k, "url": url(k), "current": k == number})).collect::<Vec<_>>(),
    })
}

impl Contexts<'_> {
    /// Puts the variables of the file `what` into `context`.
    fn fill(&self, what: &What, context: &mut tera::Context) {
        let site = self.site;
        let vars = match *what {
            What::Training(view) => return self.fill_training(view, context),
            What::Plain => return,
            What::Home => self.home(),
            What::Section(index, number, total) => self.section(index, None, number, total),
            What::Status(index, view, number, total) => {
                self.section(index, Some(view), number, total)
            }
            What::Page(index) => json!({ "page": self.page(index) }),
            What::Taxonomy(t) => {
                let taxonomy = &site.taxonomies[t];
                json!({ "taxonomy": {
                    "name": taxonomy.name, "label": taxonomy.label,
                    "terms": taxonomy.terms.iter().map(|t| json!({"name": t.name, "url": encode_path(&t.url), "count": t.pages.len()})).collect::<Vec<_>>(),
                }})
            }
            What::Term(t, i, number, total) => {
                let taxonomy = &site.taxonomies[t];
                let term = &taxonomy.terms[i];
                let shown = list_slice(&term.pages, number, DEFAULT_PER_PAGE);
                json!({
                    "taxonomy": {"name": taxonomy.name, "label": taxonomy.label, "url": format!("{}/index.html", taxonomy.name)},
                    "term": {
                        "name": term.name, "url": encode_path(&term.url), "count": term.pages.len(),
                        "pages": shown.iter().map(|&i| self.summary(i)).collect::<Vec<_>>(),
                    },
                    "paginator": paginator(number, total, |k| encode_path(&term.page_url(k))),
                })
            }
        };
        if let Value::Object(vars) = vars {
            for (key, value) in vars {
                context.insert(key, &value);
            }
        }
    }

    fn home(&self) -> Value {
        let site = self.site;
        let root = &site.sections[0];
        let mut recent: Vec<usize> = (0..site.pages.len()).collect();
        recent.sort_by(|&a, &b| site.pages[b].sort_date().cmp(&site.pages[a].sort_date()));
        recent.truncate(10);
        let sections: Vec<Value> = root
            .subsections
            .iter()
            .map(|&i| {
                let s = &site.sections[i];
                json!({ "title": s.title, "url": encode_path(&s.url), "intro_html": s.home_html, "count": s.total_pages })
            })
            .collect();
        let topics: Vec<Value> = site
            .taxonomies
            .iter()
            .find(|t| t.name == "topics")
            .map(|t| t.terms.iter().map(|term| json!({"name": term.name, "url": encode_path(&term.url), "count": term.pages.len()})).collect())
            .unwrap_or_default();
        json!({
            "home": { "title": root.title, "content": root.html },
            "sections": sections,
            "recent": recent.iter().map(|&i| self.summary(i)).collect::<Vec<_>>(),
            "topics": topics,
        })
    }

    /// A section's list, or with `status` one of its status views (the same list cut down
    /// to the pages with one status).
    fn section(&self, index: usize, status: Option<usize>, number: usize, total: usize) -> Value {
        let site = self.site;
        let section = &site.sections[index];
        let views = &self.training.statuses[index];
        let items = status.map_or(&section.pages, |v| &views[v].pages);
        let shown = list_slice(items, number, per_page(section));
        let (kind, kind_label) = kind_fields(section.kind);
        let url = |k: usize| {
            encode_path(
                &status.map_or_else(|| section_page_url(section, k), |v| views[v].page_url(k)),
            )
        };
        let (intro_lead, intro_more) = crate::html::split_lead(&section.html, INTRO_LEAD_CHARS);
        json!({
            "section": {
                "title": section.title,
                "url": encode_path(&section.url),
                "content": section.html,
                "intro_lead": intro_lead,
                "intro_more": intro_more,
                "kind": kind,
                "kind_label": kind_label,
                "breadcrumbs": self.breadcrumbs(index, status.is_some()),
                "subsections": section.subsections.iter().map(|&s| {
                    let sub = &site.sections[s];
                    json!({"title": sub.title, "url": encode_path(&sub.url), "count": sub.total_pages})
                }).collect::<Vec<_>>(),
                "pages": shown.iter().map(|&i| self.summary(i)).collect::<Vec<_>>(),
                "count": section.pages.len(),
                "handout_url": section_handout_url(site, index).map(|u| encode_path(&u)),
                "status": status.map(|v| &views[v].status),
                "statuses": views.iter().enumerate().map(|(v, view)| json!({
                    "status": view.status, "status_class": view.known.map(Status::class),
                    "url": encode_path(&view.page_url(1)), "count": view.pages.len(),
                    "current": status == Some(v),
                })).collect::<Vec<_>>(),
            },
            "paginator": paginator(number, total, url),
        })
    }
}

/// A section page shows at most this many characters of its introduction before its list;
/// the rest folds behind “展开说明”, so the list starts on the first screen.
const INTRO_LEAD_CHARS: usize = 120;

/// `sitemap.xml`: absolute when `base_url` is configured, otherwise root-relative.
pub fn sitemap(site: &Site, training: &Training) -> String {
    let base = site.config.base_url.as_deref().unwrap_or("");
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut entry = |url: &str, date: Option<String>| {
        xml.push_str("  <url><loc>");
        xml.push_str(&crate::html::escape(&format!("{base}{}", encode_path(url))));
        xml.push_str("</loc>");
        if let Some(date) = date {
            xml.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        xml.push_str("</url>\n");
    };
    for section in &site.sections {
        entry(&section.url, None);
    }
    for page in &site.pages {
        entry(&page.url, page.sort_date().map(|d| d.to_string()));
    }
    // Handouts repeat pages that are listed already.
    for job in crate::plan::training_jobs(site, training) {
        if job.template != "handout.html" {
            entry(&job.path, None);
        }
    }
    xml.push_str("</urlset>\n");
    xml
}
