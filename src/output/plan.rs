//! Output plan: every file a build writes, with what writes it — pages, section and status
//! lists, taxonomy and term pages, training pages, the generated pages, old addresses,
//! attachments, the theme's and the site's static files, the search index's folder and the
//! output marker — checked before anything is written.
//!
//! Two producers of one file, or one producer's file where another needs a folder (an old
//! address `static/style.css`, or `STATIC/style.css`, the same name on Windows, would turn
//! the theme's stylesheet into a folder), are a
//! `duplicate-output` naming both: otherwise the one written last silently wins, and an
//! author could replace the theme's script on every page. A name that breaks on another
//! system ([`crate::names`]) is an `invalid-name` at the producer that chose it.
//!
//! The HTML files among them are render's jobs, listed in [`jobs`], and the sitemap's files
//! are named and written by [`sitemap`]; the names the output's
//! root holds ([`ROOT_GENERATED`] and the content's first folders) are what the 404 page
//! finds the site's root by ([`crate::output::not_found`]).

mod checked;
mod jobs;
pub mod sitemap;

use std::borrow::Cow;
use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};
use std::fs;
use std::path::{Path, PathBuf};

pub use checked::CheckedPaths;
pub use jobs::{
    CHANGES_URL, DEFAULT_PER_PAGE, Job, What, jobs, list_slice, page_job, per_page, recent_pages,
    section_handout_url, section_page_url, training_jobs, training_jobs_showing,
};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{PageId, SectionId, Site};
use crate::source::theme::ThemeFiles;

/// What the build writes at the output's root for every site, whatever its content, as
/// addresses (a folder by a file in it): the home, search and 404 pages, the sitemap, the
/// theme's `static/` folder, the search index's `search/` folder, and the changes, glossary
/// and learning-path pages. The last two are named even for a site with no glossary or
/// paths: a name the root does not hold only stops the 404 page's search for the root at a
/// folder of that name, and the list stays the same from site to site.
pub const ROOT_GENERATED: [&str; 9] = [
    "index.html",
    "404.html",
    "search.html",
    "sitemap.xml",
    "static/",
    "search/",
    CHANGES_URL,
    crate::training::glossary::URL,
    crate::training::paths::INDEX_URL,
];

/// What writes one output file.
#[derive(Clone, Copy)]
enum Producer<'a> {
    Page(PageId),
    /// An old address of the page, as resolved to an output file.
    Alias(PageId),
    Section(SectionId),
    Taxonomy(usize),
    /// Taxonomy, term.
    Term(usize, usize),
    /// A file the build makes by itself, in the reader's words (首页, 搜索页 …).
    Generated(&'static str),
    /// A file of the theme's or the site's `static/` folder.
    Static(&'a Path),
    /// An attachment under `content/`, by its index in [`Site::assets`].
    Attachment(usize),
    /// The `search/` folder, which the search index owns whole.
    SearchIndex,
    Marker,
}

impl Producer<'_> {
    /// Whether an editor wrote it in `content/`: such a producer gets the diagnostic, since
    /// it is what the editor can change.
    fn is_content(self) -> bool {
        matches!(
            self,
            Producer::Page(_)
                | Producer::Alias(_)
                | Producer::Section(_)
                | Producer::Term(..)
                | Producer::Attachment(_)
        )
    }
}

/// The files of the theme's and the site's `static/` folders as the build copies them
/// (`static/<name>`, the site's own file first), with the file each comes from.
pub fn static_files(theme: &ThemeFiles) -> Vec<(String, PathBuf)> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for dir in &theme.static_dirs {
        let entries = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .flatten();
        for entry in entries {
            if !entry.file_type().is_file() || entry.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let rel = format!(
                "static/{}",
                crate::source::load::relative_slash_path(dir, entry.path())
            );
            if seen.insert(rel.clone()) {
                files.push((rel, entry.path().to_path_buf()));
            }
        }
    }
    // A site without a theme folder gets the embedded theme's files after its own.
    for (name, _) in theme.embedded_files("static") {
        let rel = format!("static/{name}");
        if seen.insert(rel.clone()) {
            files.push((rel, PathBuf::from(format!("（内置主题）static/{name}"))));
        }
    }
    files
}

/// Checks the whole output plan of `site`, whose render jobs are `jobs` (see the module
/// header).
pub fn check(site: &Site, jobs: &[Job], theme: &ThemeFiles, diagnostics: &mut Diagnostics) {
    if !site.config.allow_symlinks_outside {
        check_theme_symlinks(&site.config.root, theme, diagnostics);
    }
    let statics = static_files(theme);
    let sitemap = sitemap::paths(site, jobs);
    let plan = entries(site, jobs, &statics, &sitemap);
    Checker { site, diagnostics }.check(&plan);
}

/// Every file of the plan with what writes it, the static files being `statics` and the
/// sitemap's files `sitemap`.
fn entries<'a>(
    site: &'a Site,
    jobs: &'a [Job],
    statics: &'a [(String, PathBuf)],
    sitemap: &'a [String],
) -> Vec<(&'a str, Producer<'a>)> {
    let mut plan: Vec<(&str, Producer)> = Vec::with_capacity(jobs.len() + site.assets.len() + 8);
    plan.push((crate::output::write::MARKER, Producer::Marker));
    if site.config.search_enabled {
        plan.push(("search", Producer::SearchIndex));
    }
    plan.extend(
        statics
            .iter()
            .map(|(rel, path)| (rel.as_str(), Producer::Static(path))),
    );
    plan.extend(jobs.iter().map(|job| (job.path.as_str(), producer_of(job))));
    plan.extend(
        sitemap
            .iter()
            .map(|path| (path.as_str(), Producer::Generated("站点地图"))),
    );
    plan.extend(
        site.aliases
            .iter()
            .map(|(path, page)| (path.as_str(), Producer::Alias(*page))),
    );
    plan.extend(
        site.assets
            .iter()
            .enumerate()
            .map(|(i, asset)| (asset.rel.as_str(), Producer::Attachment(i))),
    );
    plan
}

/// A symlink in the theme's or the site's template and static folders, or such a folder
/// that is itself a symlink, leading out of the site folder is an error, as in `content/`
/// ([`crate::source::load::load`]): its target would be published or rendered.
fn check_theme_symlinks(root: &Path, theme: &ThemeFiles, diagnostics: &mut Diagnostics) {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for dir in theme.template_dirs.iter().chain(&theme.static_dirs) {
        if let Some(target) = crate::source::load::leads_outside(dir, &canonical_root) {
            diagnostics.push(crate::source::load::symlink_outside(root, dir, &target));
            continue;
        }
        let entries = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter()
            .flatten();
        for entry in entries.filter(|e| e.path_is_symlink()) {
            if let Some(target) = crate::source::load::leads_outside(entry.path(), &canonical_root)
            {
                diagnostics.push(crate::source::load::symlink_outside(
                    root,
                    entry.path(),
                    &target,
                ));
            }
        }
    }
}

fn producer_of(job: &Job) -> Producer<'static> {
    match job.what {
        What::Page(i) => Producer::Page(i),
        What::Section(i, ..) | What::Status(i, ..) => Producer::Section(i),
        What::Taxonomy(t) => Producer::Taxonomy(t),
        What::Term(t, i, ..) => Producer::Term(t, i),
        What::Home | What::Training(_) | What::Plain => {
            Producer::Generated(jobs::describe(job.template))
        }
    }
}

/// `path` as Windows compares names, copied only when case folding changes it (few output
/// paths have capitals).
fn fold_case(path: &str) -> Cow<'_, str> {
    let unchanged = path.chars().all(|c| {
        if c.is_ascii() {
            return !c.is_ascii_uppercase();
        }
        // CJK punctuation, kana and ideographs have no case: most names here are Chinese.
        if ('\u{3000}'..='\u{9fff}').contains(&c) {
            return true;
        }
        let mut lower = c.to_lowercase();
        lower.next() == Some(c) && lower.next().is_none()
    });
    if unchanged {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(path.to_lowercase())
    }
}

struct Checker<'s, 'd> {
    site: &'s Site,
    diagnostics: &'d mut Diagnostics,
}

impl Checker<'_, '_> {
    fn check(&mut self, plan: &[(&str, Producer)]) {
        // FxHash: a preview checks the plan of every edit that adds a file (a new tag's page),
        // and at 100,000 pages hashing the paths was most of the check.
        let mut files: FxHashMap<&str, Producer> =
            FxHashMap::with_capacity_and_hasher(plan.len(), Default::default());
        // Windows does not tell `A.html` from `a.html`: unzipped there, one replaces the other.
        let mut folded: FxHashMap<Cow<str>, &str> =
            FxHashMap::with_capacity_and_hasher(plan.len(), Default::default());
        for &(path, producer) in plan {
            match files.get(path) {
                Some(&first) => self.clash(path, first, producer),
                None => {
                    files.insert(path, producer);
                    let lower = fold_case(path);
                    if let Some(&other) = folded.get(&lower) {
                        self.case_clash(path, producer, other, files[other]);
                    } else {
                        folded.insert(lower, path);
                    }
                }
            }
        }
        // A file where another producer needs a folder: `a.html` against `a.html/index.html`,
        // and anything in `search/`, which the index owns.
        let mut named: FxHashSet<&str> = FxHashSet::default();
        // The first path needing a folder is the one a clash is reported at.
        let mut folders: FxHashSet<&str> = FxHashSet::default();
        for &(path, producer) in plan {
            for (end, _) in path.match_indices('/') {
                let folder = &path[..end];
                if !folders.insert(folder) {
                    continue;
                }
                // `STATIC/style.css/` is `static/style.css/` on Windows: the theme's file.
                let owner = files.get(folder).map(|&owner| (folder, owner)).or_else(|| {
                    let file = *folded.get(&fold_case(folder))?;
                    Some((file, files[file]))
                });
                if let Some((file, owner)) = owner {
                    self.folder_clash(path, folder, file, owner, producer);
                }
            }
            if !matches!(producer, Producer::Marker | Producer::SearchIndex) {
                self.check_names(path, producer, &mut named);
            }
        }
    }

    /// Reports `second` writing `path`, which `first` writes already (or owns as a folder).
    fn clash(&mut self, path: &str, first: Producer, second: Producer) {
        let (at, other) = if second.is_content() || !first.is_content() {
            (second, first)
        } else {
            (first, second)
        };
        let message = format!(
            "输出文件 {path} 有两个来源：{}，以及{}。先写的会被后写的悄悄覆盖。请给其中一个改名（文件名、slug、旧地址或栏目文件夹）",
            self.describe(at),
            self.describe(other)
        );
        let d = self.diagnostic(at, Code::DuplicateOutput, message, path);
        self.diagnostics.push(d);
    }

    /// Reports `second` writing `path`, which differs from `first`'s `other` only in case.
    fn case_clash(&mut self, path: &str, second: Producer, other: &str, first: Producer) {
        let at = if second.is_content() || !first.is_content() {
            second
        } else {
            first
        };
        let message = format!(
            "输出文件 {path} 与 {other} 只有大小写不同，而 Windows 不区分大小写：解压到 Windows 上时一个会覆盖另一个。\
             来源：{}，以及{}。请给其中一个改名",
            self.describe(second),
            self.describe(first)
        );
        let d = self.diagnostic(at, Code::DuplicateOutput, message, path);
        self.diagnostics.push(d);
    }

    /// Reports `producer` writing `path`, which needs `folder` to be a folder, where `owner`
    /// writes the file `file` of that name, or of that name but for case (or owns the folder).
    fn folder_clash(
        &mut self,
        path: &str,
        folder: &str,
        file: &str,
        owner: Producer,
        producer: Producer,
    ) {
        let at = if producer.is_content() || !owner.is_content() {
            producer
        } else {
            owner
        };
        let windows = if file == folder {
            String::new()
        } else {
            format!("（Windows 不区分大小写，{folder} 和 {file} 是同一个名字）")
        };
        let message = format!(
            "{}要写 {path}，需要把 {folder} 用作文件夹，但 {file} 这个文件来自{}，两者不能并存{windows}。\
             请改名（文件名、slug、旧地址或栏目文件夹）",
            self.describe(producer),
            self.describe(owner)
        );
        let d = self.diagnostic(at, Code::DuplicateOutput, message, path);
        self.diagnostics.push(d);
    }

    /// Checks each name along `path` once (a folder is named by the first file in it).
    fn check_names<'p>(
        &mut self,
        path: &'p str,
        producer: Producer,
        named: &mut FxHashSet<&'p str>,
    ) {
        for (end, _) in path.match_indices('/').chain([(path.len(), "")]) {
            let prefix = &path[..end];
            if !named.insert(prefix) {
                continue;
            }
            let name = prefix.rsplit('/').next().unwrap_or(prefix);
            if let Some(why) = crate::names::problem(name) {
                let message = format!(
                    "输出路径 {} 中的名字“{}”不能用：{why}。它来自{}；请改一个名字",
                    short(path),
                    short(name),
                    self.describe(producer)
                );
                let d = self.diagnostic(producer, Code::InvalidName, message, path);
                self.diagnostics.push(d);
            }
        }
    }

    fn describe(&self, producer: Producer) -> String {
        let site = self.site;
        match producer {
            Producer::Page(i) => format!("页面 {}", site.pages[i].doc.shown_path.display()),
            Producer::Alias(i) => format!(
                "{} 的旧地址（aliases）",
                site.pages[i].doc.shown_path.display()
            ),
            Producer::Section(i) => format!("栏目 {}", section_file(site, i).display()),
            Producer::Taxonomy(t) => format!("分类“{}”的总览页", site.taxonomies[t].label),
            Producer::Term(t, i) => {
                let taxonomy = &site.taxonomies[t];
                format!(
                    "{}“{}”的列表页",
                    taxonomy.label,
                    short(&taxonomy.terms[i].name)
                )
            }
            Producer::Generated(what) => format!("自动生成的{what}"),
            Producer::Static(path) => {
                format!("主题或站点的静态文件 {}", shown(site, path).display())
            }
            Producer::Attachment(i) => format!("附件 content/{}", site.assets[i].rel),
            Producer::SearchIndex => "全文索引（search/ 文件夹归它所有）".to_string(),
            Producer::Marker => format!("书院的输出标记文件 {}", crate::output::write::MARKER),
        }
    }

    /// The diagnostic, placed where the editor changes what `producer` writes.
    fn diagnostic(
        &self,
        producer: Producer,
        code: Code,
        message: String,
        path: &str,
    ) -> Diagnostic {
        let site = self.site;
        let root = &site.config.root;
        match producer {
            Producer::Page(i) => site.pages[i].doc.error_at(root, "slug", code, message),
            Producer::Alias(i) => site.pages[i].doc.error_at(root, "aliases", code, message),
            Producer::Term(t, i) => {
                let taxonomy = &site.taxonomies[t];
                let page = &site.pages[taxonomy.terms[i].pages[0]];
                page.doc.error_at(root, &taxonomy.name, code, message)
            }
            Producer::Section(i) => Diagnostic::error(code, section_file(site, i), message),
            Producer::Attachment(i) => {
                Diagnostic::error(code, shown(site, &site.assets[i].path), message)
            }
            Producer::Static(file) => Diagnostic::error(code, shown(site, file), message),
            Producer::Taxonomy(t) => {
                let d = Diagnostic::error(code, crate::config::CONFIG_FILE, message);
                // The name's line is quoted from the file, read again for this rare message.
                let name = &site.taxonomies[t].name;
                let written = (site.config.taxonomies.iter())
                    .find(|c| &c.name == name)
                    .and_then(|c| c.written_at);
                match (
                    written,
                    fs::read_to_string(root.join(crate::config::CONFIG_FILE)),
                ) {
                    (Some((line, column)), Ok(text)) => d.at(&text, line, column),
                    _ => d,
                }
            }
            Producer::Generated(_) | Producer::SearchIndex | Producer::Marker => {
                Diagnostic::error(code, path, message)
            }
        }
    }
}

/// A section's `_index.md`, or its folder when it has none, as editors see it.
fn section_file(site: &Site, index: SectionId) -> PathBuf {
    let dir = &site.sections[index].dir;
    let folder = Path::new("content").join(dir);
    let index_file = folder.join("_index.md");
    if site.config.root.join(&index_file).is_file() {
        index_file
    } else {
        folder
    }
}

fn shown<'p>(site: &Site, path: &'p Path) -> &'p Path {
    path.strip_prefix(&site.config.root).unwrap_or(path)
}

/// A name as a message shows it: a long one (a 200-character tag) cut to its first 40
/// characters, so that the message stays readable.
fn short(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…（共 {} 字节）", &text[..cut], text.len()),
        None => text.to_string(),
    }
}
