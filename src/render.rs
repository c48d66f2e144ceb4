//! Render: fills the theme's Tera templates with the [`Site`] and hands every output file
//! to the [`Output`] sink as soon as it is rendered, so a large site is never held in
//! memory as HTML all at once.
//!
//! Templates come from the theme (see [`crate::theme`]), overridden file by file by the
//! site's own `templates/`. What is the same for every page (site, navigation, taxonomies) goes
//! into Tera's global context once; per page only `root`, `current_url` and the page's own
//! data are built. Every URL in a context is root-relative; templates prefix `root`, which
//! is what keeps the output working from file:// and under any sub-path.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::resolve::{Page, Site, encode_path, root_prefix};
use crate::schema::Kind;
use crate::theme::ThemeFiles;
use crate::training::{Training, View};
use crate::write::Output;

pub const TEMPLATES: [&str; 13] = [
    "base.html",
    "index.html",
    "section.html",
    "page.html",
    "taxonomy.html",
    "term.html",
    "search.html",
    "404.html",
    "paths.html",
    "path.html",
    "handout.html",
    "glossary.html",
    "changes.html",
];

/// Loads templates (site overrides first) into Tera, reporting syntax errors by file.
pub fn load_templates(
    root: &Path,
    files: &ThemeFiles,
    diagnostics: &mut Diagnostics,
) -> Option<tera::Tera> {
    let mut sources: Vec<(String, String, PathBuf)> = files
        .embedded_files("templates")
        .filter(|(name, _)| name.ends_with(".html") || name.ends_with(".xml"))
        .map(|(name, bytes)| {
            (
                name.to_string(),
                String::from_utf8_lossy(bytes).into_owned(),
                files.template_path(name),
            )
        })
        .collect();
    for dir in files.template_dirs.iter().rev() {
        let entries = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten();
        for entry in entries.filter(|e| e.file_type().is_file()) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "html" && e != "xml") {
                continue;
            }
            let name = crate::load::relative_slash_path(dir, path);
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    sources.retain(|(n, _, _)| n != &name);
                    sources.push((name, text, path.to_path_buf()));
                }
                Err(e) => diagnostics.push(Diagnostic::error(
                    Code::Io,
                    shown(root, path),
                    format!("无法读取模板：{e}"),
                )),
            }
        }
    }
    for required in TEMPLATES {
        if !sources.iter().any(|(n, _, _)| n == required) {
            diagnostics.push(Diagnostic::error(
                Code::TemplateSyntax,
                shown(root, &files.template_path(required)),
                format!("主题缺少模板 {required}"),
            ));
        }
    }
    for (_, text, path) in &sources {
        check_no_outside_assets(root, path, text, diagnostics);
    }
    let mut tera = tera::Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, t, _)| (n.as_str(), t.as_str())))
    {
        let name = e.to_string();
        let path = sources
            .iter()
            .find(|(n, _, _)| name.contains(n.as_str()))
            .map_or_else(|| files.template_path(""), |(_, _, p)| p.clone());
        diagnostics.push(Diagnostic::error(
            Code::TemplateSyntax,
            shown(root, &path),
            format!("模板语法错误：{}", error_chain(&e)),
        ));
        return None;
    }
    Some(tera)
}

fn shown(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(&format!("\n{s}"));
        source = s.source();
    }
    message
}

/// Theme and static files must not pull anything from another host: readers are offline
/// and intranet hosts have no internet. Content may still link out with plain links.
pub fn check_no_outside_assets(
    root: &Path,
    path: &Path,
    text: &str,
    diagnostics: &mut Diagnostics,
) {
    const PATTERNS: [&str; 8] = [
        "src=\"http",
        "src='http",
        "src=\"//",
        "href=\"//",
        "url(http",
        "url(\"http",
        "url('http",
        "@import \"http",
    ];
    let link_rel_assets = ["stylesheet", "icon", "preload", "manifest", "modulepreload"];
    for (number, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let external_link_tag = lower.contains("<link")
            && lower.contains("href=\"http")
            && link_rel_assets.iter().any(|r| lower.contains(r));
        let hit = PATTERNS
            .iter()
            .find_map(|p| lower.find(p))
            .or(external_link_tag.then_some(0))
            .or_else(|| {
                lower
                    .find("import(\"http")
                    .or_else(|| lower.find("fetch(\"http"))
            });
        if let Some(col) = hit {
            diagnostics.push(
                Diagnostic::error(
                    Code::ExternalAsset,
                    shown(root, path),
                    "主题文件引用了外部网络资源；站点必须在离线和内网环境下使用，请把该资源放入 static/ 目录并用相对路径引用",
                )
                .at(text, number + 1, line[..col.min(line.len())].chars().count() + 1),
            );
        }
    }
}

fn kind_fields(kind: Option<Kind>) -> (&'static str, &'static str) {
    kind.map_or(("page", "文章"), |k| (k.as_str(), k.label()))
}

pub fn status_class(status: Option<&str>) -> Option<&'static str> {
    match status? {
        "现行有效" => Some("current"),
        "已修订" => Some("revised"),
        "已废止" => Some("repealed"),
        _ => None,
    }
}

/// Builds template variables; [`crate::training`] builds its own views with these helpers.
pub(crate) struct Contexts<'a> {
    pub site: &'a Site,
    training: &'a Training,
}

impl Contexts<'_> {
    pub fn link(&self, title: &str, url: &str) -> Value {
        json!({ "title": title, "url": encode_path(url) })
    }

    fn term(&self, taxonomy: &str, name: &str) -> Value {
        json!({ "name": name, "url": self.site.term_url(taxonomy, name).map(encode_path) })
    }

    pub fn summary(&self, index: usize) -> Value {
        let page = &self.site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        json!({
            "title": page.title,
            "url": encode_path(&page.url),
            "kind": kind,
            "kind_label": kind_label,
            "date": page.sort_date().map(|d| d.to_string()),
            "summary": page.summary,
            "status": page.status(),
            "status_class": status_class(page.status()),
            "tags": page.doc.list("tags").iter().map(|t| self.term("tags", t)).collect::<Vec<_>>(),
            "region": page.doc.text("region"),
        })
    }

    fn breadcrumbs(&self, mut section: usize, include_self: bool) -> Vec<Value> {
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

    pub fn meta_rows(&self, page: &Page) -> Vec<Value> {
        self.site
            .panel(page)
            .into_iter()
            .map(|row| {
                let url = row
                    .value
                    .as_text()
                    .and_then(|v| self.site.term_url(row.name, v))
                    .map(encode_path);
                json!({ "label": row.label, "value": row.value.display(), "url": url })
            })
            .collect()
    }

    fn page(&self, index: usize) -> Value {
        let site = self.site;
        let page = &site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        let pages_link = |i: usize| self.link(&site.pages[i].title, &site.pages[i].url);
        let mut vars = json!({
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
        });
        if let Value::Object(map) = &mut vars {
            map.extend(self.training.page_vars(self, index));
        }
        vars
    }
}

/// Chinese readers take in roughly 300–500 characters a minute; 400 is the middle.
pub fn reading_minutes(chars: usize) -> usize {
    chars.div_ceil(400).max(1)
}

fn globals(site: &Site, training: &Training, build_id: &str) -> Value {
    let root = &site.sections[0];
    let mut nav: Vec<&crate::resolve::Section> = root
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
        "training": training.globals(),
    })
}

/// One file to render. Its variables are built only when it is rendered, so a large site
/// never holds every page's context (and a second copy of its HTML) at once.
pub(crate) struct Job {
    pub path: String,
    pub template: &'static str,
    pub what: What,
}

pub(crate) enum What {
    Home,
    /// Section index, list page number (1-based), number of list pages.
    Section(usize, usize, usize),
    /// Section index, status view in it, list page number, number of list pages.
    Status(usize, usize, usize, usize),
    Training(View),
    Page(usize),
    Taxonomy(usize),
    /// Taxonomy, term, list page number, number of list pages.
    Term(usize, usize, usize, usize),
    Plain,
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
            if let Value::Object(vars) = contexts.vars(&job.what) {
                for (key, value) in vars {
                    context.insert(key, &value);
                }
            }
            // Rendered as bytes: the sink writes bytes, and Tera would otherwise check the
            // whole page for valid UTF-8 only to make a `String` of it.
            let mut html = Vec::new();
            match tera.render_to(job.template, &context, &mut html) {
                Ok(()) => sink(&job.path, &html).err(),
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
    let jobs: Vec<Job> = training
        .jobs_showing(site, index)
        .into_iter()
        .map(|(path, template, view)| Job {
            path,
            template,
            what: What::Training(view),
        })
        .collect();
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
    let page = &site.pages[index];
    let mut jobs = vec![Job {
        path: page.url.clone(),
        template: "page.html",
        what: What::Page(index),
    }];
    if listed_changed {
        jobs.push(Job {
            path: "index.html".into(),
            template: "index.html",
            what: What::Home,
        });
        let section = &site.sections[page.section];
        if page.section != 0
            && let Some(position) = section.pages.iter().position(|&p| p == index)
        {
            let number = position / per_page(section) + 1;
            jobs.push(Job {
                path: section_page_url(section, number),
                template: "section.html",
                what: What::Section(
                    page.section,
                    number,
                    list_pages(section, section.pages.len()),
                ),
            });
        }
        for (v, view) in training.statuses[page.section].iter().enumerate() {
            if let Some(position) = view.pages.iter().position(|&p| p == index) {
                let number = position / per_page(section) + 1;
                jobs.push(Job {
                    path: view.page_url(number),
                    template: "section.html",
                    what: What::Status(
                        page.section,
                        v,
                        number,
                        list_pages(section, view.pages.len()),
                    ),
                });
            }
        }
        for (t, taxonomy) in site.taxonomies.iter().enumerate() {
            for (i, term) in taxonomy.terms.iter().enumerate() {
                if let Some(position) = term.pages.iter().position(|&p| p == index) {
                    let number = position / DEFAULT_PER_PAGE + 1;
                    jobs.push(Job {
                        path: term.page_url(number),
                        template: "term.html",
                        what: What::Term(t, i, number, term_list_pages(term)),
                    });
                }
            }
        }
    }
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

/// List page `number` of a section: the first is its `index.html`, the rest `index-N.html`.
fn section_page_url(section: &crate::resolve::Section, number: usize) -> String {
    if number == 1 {
        section.url.clone()
    } else {
        section
            .url
            .replace("index.html", &format!("index-{number}.html"))
    }
}

/// Long lists are split even when the section does not ask for it: a list of thousands of
/// links is slow to open on the old machines many readers have.
pub(crate) const DEFAULT_PER_PAGE: usize = 50;

pub(crate) fn per_page(section: &crate::resolve::Section) -> usize {
    section.paginate.unwrap_or(DEFAULT_PER_PAGE).max(1)
}

fn list_pages(section: &crate::resolve::Section, items: usize) -> usize {
    items.div_ceil(per_page(section)).max(1)
}

/// A term's list is split like a section's, [`DEFAULT_PER_PAGE`] to a page.
fn term_list_pages(term: &crate::resolve::Term) -> usize {
    term.pages.len().div_ceil(DEFAULT_PER_PAGE).max(1)
}

/// The items on list page `number` (from 1), `per_page` to a page.
pub(crate) fn list_slice(items: &[usize], number: usize, per_page: usize) -> &[usize] {
    let start = (number - 1).saturating_mul(per_page).min(items.len());
    let end = start.saturating_add(per_page).min(items.len());
    &items[start..end]
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

/// What a generated file is, in the reader's words, for collision messages.
pub(crate) fn describe(template: &str) -> &'static str {
    match template {
        "index.html" => "首页",
        "section.html" => "栏目列表页",
        "taxonomy.html" | "term.html" => "分类页",
        "search.html" => "搜索页",
        "404.html" => "404 页",
        "paths.html" => "学习路径索引页",
        "path.html" => "学习路径页",
        "handout.html" => "讲义",
        "glossary.html" => "术语表",
        _ => "最近更新页",
    }
}

/// Every HTML file of the site but the old addresses' redirects.
pub(crate) fn jobs(site: &Site, training: &Training) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(site.pages.len() + site.sections.len() + 16);
    jobs.push(Job {
        path: "index.html".into(),
        template: "index.html",
        what: What::Home,
    });
    for (index, section) in site.sections.iter().enumerate().skip(1) {
        let total = list_pages(section, section.pages.len());
        for number in 1..=total {
            jobs.push(Job {
                path: section_page_url(section, number),
                template: "section.html",
                what: What::Section(index, number, total),
            });
        }
        for (v, view) in training.statuses[index].iter().enumerate() {
            let total = list_pages(section, view.pages.len());
            for number in 1..=total {
                jobs.push(Job {
                    path: view.page_url(number),
                    template: "section.html",
                    what: What::Status(index, v, number, total),
                });
            }
        }
    }
    for (index, page) in site.pages.iter().enumerate() {
        jobs.push(Job {
            path: page.url.clone(),
            template: "page.html",
            what: What::Page(index),
        });
    }
    for (t, taxonomy) in site.taxonomies.iter().enumerate() {
        jobs.push(Job {
            path: format!("{}/index.html", taxonomy.name),
            template: "taxonomy.html",
            what: What::Taxonomy(t),
        });
        for (i, term) in taxonomy.terms.iter().enumerate() {
            let total = term_list_pages(term);
            for number in 1..=total {
                jobs.push(Job {
                    path: term.page_url(number),
                    template: "term.html",
                    what: What::Term(t, i, number, total),
                });
            }
        }
    }
    jobs.extend(
        training
            .jobs(site)
            .into_iter()
            .map(|(path, template, view)| Job {
                path,
                template,
                what: What::Training(view),
            }),
    );
    jobs.push(Job {
        path: "search.html".into(),
        template: "search.html",
        what: What::Plain,
    });
    jobs.push(Job {
        path: "404.html".into(),
        template: "404.html",
        what: What::Plain,
    });
    jobs
}

impl Contexts<'_> {
    fn vars(&self, what: &What) -> Value {
        let site = self.site;
        match *what {
            What::Home => self.home(),
            What::Section(index, number, total) => self.section(index, None, number, total),
            What::Status(index, view, number, total) => {
                self.section(index, Some(view), number, total)
            }
            What::Training(view) => self.training.vars(self, view),
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
            What::Plain => json!({}),
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
                "handout_url": crate::training::section_handout_url(site, index).map(|u| encode_path(&u)),
                "status": status.map(|v| &views[v].status),
                "statuses": views.iter().enumerate().map(|(v, view)| json!({
                    "status": view.status, "status_class": view.class,
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
    for (url, template, _) in training.jobs(site) {
        if template != "handout.html" {
            entry(&url, None);
        }
    }
    xml.push_str("</urlset>\n");
    xml
}
