//! Build: runs the pipeline in order — config, load, parse, markdown, resolve, training,
//! render, write, search — and decides whether the new output replaces the old.
//!
//! Every stage adds to one [`Diagnostics`] list and the pipeline goes as far as it can,
//! so one run reports every problem. Nothing is written unless the whole run is clean.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::resolve::{ResolveInput, Site};
use crate::model::{IdVec, PageId};
use crate::output::indexing::{IndexFiles, StoredTexts};
use crate::output::render::{Job, Memo, Remembered, Rendering};
use crate::output::write::Output;
use crate::search::SearchDoc;
use crate::source::markdown::{LinkTarget, Rendered, TextFile, TextStore};
use crate::source::parse::{Document, Role};
use crate::source::theme::ThemeFiles;
use crate::training::Training;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    pub include_drafts: bool,
    /// `false` for `shuyuan check`: validate everything, write nothing.
    pub write: bool,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> BuildOptions {
        let root = root.into();
        BuildOptions {
            output: root.join(crate::output::write::DEFAULT_OUTPUT),
            root,
            include_drafts: false,
            write: true,
        }
    }
}

#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    /// Files in the output, and how many of them this build wrote (an in-place rebuild leaves
    /// the others as they were).
    pub files: usize,
    pub written: usize,
    pub elapsed: Duration,
    pub diagnostics: Diagnostics,
}

/// What each stage is doing, for a progress line on long builds.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Builds the site. `Err` carries every diagnostic (at least one of them an error); the
/// previous output is then untouched.
pub fn build(options: &BuildOptions, progress: Progress) -> Result<BuildReport, Diagnostics> {
    run(options, progress, Keep::Report).map(|(report, _)| report)
}

/// Builds the site and keeps what it made in memory ([`Retained`]), from which a preview
/// makes the session that updates single pages without building everything again
/// (`incremental::Session::new`).
pub fn build_retained(
    options: &BuildOptions,
    progress: Progress,
) -> Result<(BuildReport, Retained), Diagnostics> {
    let (report, retained) = run(options, progress, Keep::Everything)?;
    Ok((
        report,
        retained.expect("a build asked to keep everything keeps it"),
    ))
}

/// What a build made, kept in memory after its output is written.
pub struct Retained {
    pub options: BuildOptions,
    pub site: Site,
    pub training: Training,
    pub tera: tera::Tera,
    pub markdown: comrak::Options<'static>,
    /// The pages as search saw them, parallel to `site.pages` (empty when search is off),
    /// their body text in `texts` ([`crate::output::indexing::StoredTexts`]).
    pub search_docs: IdVec<PageId, SearchDoc>,
    /// The build's text store, when search is on.
    pub texts: Option<TextFile>,
    pub links: BodyLinks,
    /// What each file of the search index was made from and its stamp (an empty map when
    /// search is off), when the site has a cache key: the preview's re-index leaves unmade
    /// what is made of the same ([`crate::output::indexing::FolderFiles`]).
    pub index_made: Option<Remembered>,
}

/// What each rendered body linked to before links were resolved.
#[derive(Debug, Default)]
pub struct BodyLinks {
    /// Page file relative to `content/` → what its body links to.
    pub pages: Vec<(String, Vec<LinkTarget>)>,
    /// What the bodies that are not pages link to: section introductions, learning paths,
    /// the glossary.
    pub elsewhere: Vec<LinkTarget>,
}

impl BodyLinks {
    fn collect(
        documents: &[(Document, Rendered)],
        extra_bodies: &[(String, Document, Rendered)],
    ) -> BodyLinks {
        let targets = |rendered: &Rendered| -> Vec<LinkTarget> {
            rendered
                .links
                .iter()
                .map(|link| link.target.clone())
                .collect()
        };
        let mut links = BodyLinks::default();
        for (doc, rendered) in documents {
            if doc.role == Role::Section {
                links.elsewhere.extend(targets(rendered));
            } else {
                links.pages.push((doc.rel.clone(), targets(rendered)));
            }
        }
        for (_, _, rendered) in extra_bodies {
            links.elsewhere.extend(targets(rendered));
        }
        links
    }
}

/// What outlives a build besides its output.
#[derive(PartialEq)]
enum Keep {
    /// Only the report: a source can go as soon as its body is rendered.
    Report,
    /// Everything a preview needs ([`Retained`]).
    Everything,
}

fn run(
    options: &BuildOptions,
    progress: Progress,
    keep: Keep,
) -> Result<(BuildReport, Option<Retained>), Diagnostics> {
    let started = Instant::now();
    let config = Config::load(&options.root)?;
    let mut diagnostics = Diagnostics::default();
    if options.write
        && let Err(d) = crate::output::write::check_output_location(
            &options.root,
            &config.theme_dir(),
            &options.output,
        )
    {
        diagnostics.push(d);
        return Err(diagnostics);
    }

    // A build that writes keeps the bodies' plain text in a work file until the search index
    // reads it (`source::markdown::stored`): held in memory it was a quarter of the peak. A
    // preview keeps the file for its re-index.
    let store = if options.write && config.search_enabled {
        let path = crate::output::lock::work_folder(&options.root, "text");
        match TextStore::create(path.clone()) {
            Ok(store) => Some(store),
            Err(e) => {
                diagnostics.push(Diagnostic::error(Code::Io, &path, format!("写入失败：{e}")));
                return Err(diagnostics);
            }
        }
    } else {
        None
    };

    progress("读取内容");
    let mut loaded = crate::source::load::load(
        &options.root,
        &config.content_dir(),
        config.allow_symlinks_outside,
        &mut diagnostics,
    );
    let synonyms = crate::source::synonyms::take(&mut loaded.markdown)
        .map(|file| crate::source::synonyms::parse(&file, &mut diagnostics))
        .unwrap_or_default();
    let training_sources = crate::training::take_sources(&mut loaded.markdown);
    progress("解析前置元数据");
    let documents = crate::source::parse::parse_all(
        &options.root,
        loaded.markdown,
        &config.schema,
        &mut diagnostics,
    );
    progress("渲染 Markdown");
    let markdown_options = crate::source::markdown::options(config.allow_html);
    let release = keep == Keep::Report;
    // A build that writes keeps what each body rendered as, for the next.
    let memo = options.write.then(|| {
        let cache = crate::cache::dir(&options.root.join(crate::output::write::STATE_DIR));
        let key = crate::cache::Key::of(&cache)?;
        crate::source::markdown::memo::Memo::open(&cache, key, config.allow_html)
    });
    let memo = memo.flatten();
    let (documents, (hashes, kept)): (Vec<_>, (Vec<u64>, Vec<_>)) = documents
        .into_par_iter()
        .map(|mut doc| {
            let render =
                || crate::source::markdown::render(doc.body(), &doc.rel, &markdown_options);
            let (mut rendered, kept) = match &memo {
                Some(memo) => {
                    let (rendered, kept) = memo.rendered(&doc.rel, doc.body(), render);
                    (rendered, Some(kept))
                }
                None => (render(), None),
            };
            let hash = source_hash(&doc);
            if release {
                // A quarter of a large site's memory, needed again only to quote a line in a
                // diagnostic (then read from the file).
                doc.release_source();
            }
            // Only pages are indexed; without a store nothing reads the text.
            rendered.put_text_away(store.as_ref().filter(|_| doc.role != Role::Section));
            ((doc, rendered), (hash, kept))
        })
        .unzip();
    if let Some(memo) = memo {
        memo.save(kept.into_iter().flatten());
    }
    let texts = store.and_then(|store| {
        let path = store.path().to_path_buf();
        store
            .finish()
            .map_err(|e| {
                diagnostics.push(Diagnostic::error(Code::Io, path, format!("写入失败：{e}")))
            })
            .ok()
    });
    let mut training = crate::training::parse(
        &options.root,
        training_sources,
        &markdown_options,
        options.include_drafts,
        &mut diagnostics,
    );
    let extra_bodies = std::mem::take(&mut training.bodies);
    let build_id = build_id(
        hashes
            .into_iter()
            .chain(extra_bodies.iter().map(|(_, doc, _)| source_hash(doc))),
    );
    // Only a preview uses them (which page links to which, for later edits).
    let links = if keep == Keep::Everything {
        BodyLinks::collect(&documents, &extra_bodies)
    } else {
        BodyLinks::default()
    };
    progress("解析链接与引用");
    let mut site = crate::model::resolve::resolve(
        config,
        ResolveInput {
            documents,
            assets: loaded.assets,
            include_drafts: options.include_drafts,
            extra_bodies,
        },
        &mut diagnostics,
    );
    site.synonyms = synonyms;
    progress("整理学习路径、讲义与术语");
    let training = crate::training::assemble(&mut site, training, &mut diagnostics);
    let theme = ThemeFiles::for_site(&options.root, &site.config);
    // Checked here, rendered below: one list.
    let jobs = crate::output::render::jobs(&site, &training);
    crate::output::plan::check(&site, &jobs, &theme, &mut diagnostics);
    let tera = crate::output::render::load_templates(&options.root, &theme, &mut diagnostics);
    check_static_files(&options.root, &theme, &mut diagnostics);

    let Some((mut tera, templates)) = tera.filter(|_| !diagnostics.has_errors()) else {
        diagnostics.sort();
        return Err(diagnostics);
    };
    // A work folder under `.shuyuan/` (a pack's, a preview's) is never built again in place:
    // it keeps no render memo.
    let state = options.root.join(crate::output::write::STATE_DIR);
    let in_state = crate::output::write::canonical(&options.output)
        .starts_with(crate::output::write::canonical(&state));
    let cache_key = (options.write && !in_state)
        .then(|| crate::cache::Key::of(&crate::cache::dir(&state)))
        .flatten();
    let mut globals = cache_key.map(crate::cache::Key::hasher);
    crate::output::render::set_globals(&site, &training, &mut tera, &build_id, globals.as_mut());
    let memo = cache_key.zip(globals).and_then(|(key, globals)| {
        let globals = crate::cache::finish(&globals);
        Memo::open(
            &options.root,
            &options.output,
            key,
            templates,
            globals,
            &build_id,
        )
    });
    let index_memo = match cache_key {
        Some(key) => Memo::open_index(&options.root, &options.output, key),
        // A preview's folder is never built again, but its background re-index writes the
        // index there again after each edit: the build tells it, in memory, what it made.
        None if keep == Keep::Everything && options.write => {
            crate::cache::Key::of(&crate::cache::dir(&state))
                .map(|key| Memo::in_memory_index(&options.output, key, Remembered::default()))
        }
        None => None,
    };
    let mut index_made = None;
    let ((files, written), search_docs) = if options.write {
        let mut written = Written {
            root: &options.root,
            site: &mut site,
            training: &training,
            tera: &tera,
            jobs: &jobs,
            theme: &theme,
            texts: texts.as_ref(),
            memo,
            index_memo,
        };
        let Some(committed) = written.commit(&options.output, progress, &mut diagnostics) else {
            diagnostics.sort();
            return Err(diagnostics);
        };
        index_made = written.index_memo.take().map(Memo::into_made);
        committed
    } else {
        crate::output::render::render_unwritten(&site, &training, &tera, &jobs, &mut diagnostics);
        if diagnostics.has_errors() {
            diagnostics.sort();
            return Err(diagnostics);
        }
        ((0, 0), IdVec::new())
    };
    diagnostics.sort();
    let report = BuildReport {
        pages: site.pages.len(),
        files,
        written,
        elapsed: started.elapsed(),
        diagnostics,
    };
    let retained = (keep == Keep::Everything).then(|| Retained {
        options: options.clone(),
        site,
        training,
        tera,
        markdown: markdown_options,
        search_docs,
        texts,
        links,
        index_made,
    });
    Ok((report, retained))
}

/// What the write and search stages need from a resolved, checked site.
struct Written<'a> {
    root: &'a Path,
    site: &'a mut Site,
    training: &'a Training,
    /// Tera with the site's globals set.
    tera: &'a tera::Tera,
    /// The render jobs, as the output plan checked them.
    jobs: &'a [Job],
    theme: &'a ThemeFiles,
    /// Where the pages' text is when the build keeps it out of memory.
    texts: Option<&'a TextFile>,
    /// Which files an earlier build into this output rendered from what.
    memo: Option<Memo>,
    /// Which files of the search index an earlier build into this output made from what.
    index_memo: Option<Memo>,
}

impl Written<'_> {
    /// Renders and indexes into a staging folder and swaps it in for `target`. Returns the
    /// number of files made and written ([`Output::counts`]) and the pages as search saw
    /// them, or `None` when anything failed (the problems are in `diagnostics`; the previous
    /// output is untouched).
    fn commit(
        &mut self,
        target: &Path,
        progress: Progress,
        diagnostics: &mut Diagnostics,
    ) -> Option<((usize, usize), IdVec<PageId, SearchDoc>)> {
        let output = match Output::begin(target) {
            Ok(output) => output,
            Err(d) => {
                diagnostics.push(d);
                return None;
            }
        };
        // Pages and the search index are made side by side: each has stretches that keep one
        // core busy (templates of long lists, the index's merge and file writing), which the
        // other fills. Render reads no page text, so search can take it first.
        let search_enabled = self.site.config.search_enabled;
        let search_docs = if search_enabled {
            progress("生成页面与全文索引");
            crate::output::indexing::take_docs(self.site)
        } else {
            progress("生成页面");
            IdVec::new()
        };
        let mut index_diagnostics = Diagnostics::default();
        let (site, theme, root, texts) = (&*self.site, self.theme, self.root, self.texts);
        let index_memo = self.index_memo.as_ref();
        let rendering = Rendering {
            site,
            training: self.training,
            tera: self.tera,
            jobs: self.jobs,
            memo: self.memo.as_ref(),
        };
        rayon::join(
            || write_site(&rendering, theme, &output, diagnostics),
            || {
                // The text store is made exactly when search is on.
                let Some(file) = texts.filter(|_| search_enabled) else {
                    return;
                };
                crate::output::indexing::write_index(
                    search_docs.iter(),
                    &StoredTexts::of(file, &site.pages),
                    &site.synonyms,
                    &IndexFiles {
                        output: &output,
                        memo: index_memo,
                    },
                    root,
                    &mut index_diagnostics,
                )
            },
        );
        diagnostics.extend(index_diagnostics);
        let counts = output.counts();
        if diagnostics.has_errors() {
            output.abandon();
            return None;
        }
        for memo in [&self.memo, &self.index_memo].into_iter().flatten() {
            memo.forget();
        }
        match output.commit() {
            Ok(warning) => {
                diagnostics.extend(warning);
                // A preview's index memo stays in memory, for `run` to hand over.
                let saved = self.index_memo.take_if(|memo| !memo.in_memory());
                for memo in [self.memo.take(), saved].into_iter().flatten() {
                    memo.save();
                }
            }
            Err(d) => {
                diagnostics.push(d);
                return None;
            }
        }
        Some((counts, search_docs))
    }
}

fn write_site(
    rendering: &Rendering,
    theme: &ThemeFiles,
    output: &Output,
    diagnostics: &mut Diagnostics,
) {
    crate::output::render::render_site(rendering, output, diagnostics);
    diagnostics.extend(write_search_script(theme, output));
    let (site, jobs) = (rendering.site, rendering.jobs);
    let mut record = |result: Result<(), Diagnostic>| {
        if let Err(d) = result {
            diagnostics.push(d);
        }
    };
    let sitemap = crate::output::plan::sitemap::Sitemap::of(site, jobs);
    for (path, xml) in sitemap.render_all() {
        record(output.write(path, xml.as_bytes()));
    }
    // The site's own static files first: a theme file of the same name is then left out.
    let (site_static, theme_static) = theme
        .static_dirs
        .split_first()
        .expect("the site's static folder is always listed");
    record(output.copy_tree(site_static, "static"));
    for dir in theme_static {
        record(write_compact_theme_files(dir, output));
        record(output.copy_tree(dir, "static"));
    }
    record(copy_embedded_static(theme, output));
    let copied: Vec<Result<(), Diagnostic>> = site
        .assets
        .par_iter()
        .map(|asset| output.copy(&asset.path, &asset.rel))
        .collect();
    for result in copied {
        record(result);
    }
}

/// The embedded theme's static files that no folder copied before them provides, scripts and
/// stylesheets compacted.
fn copy_embedded_static(theme: &ThemeFiles, output: &Output) -> Result<(), Diagnostic> {
    for (name, bytes) in theme.embedded_files("static") {
        let rel = format!("static/{name}");
        if !output.has(&rel) {
            let compacted = std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| crate::output::compact::compact(name, text));
            output.write(&rel, compacted.as_ref().map_or(bytes, |c| c.as_bytes()))?;
        }
    }
    Ok(())
}

/// A theme folder's scripts and stylesheets that no file written before them replaces,
/// compacted (`compact`); `copy_tree` then copies its other files.
fn write_compact_theme_files(dir: &Path, output: &Output) -> Result<(), Diagnostic> {
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file() || name.starts_with('.') {
            continue;
        }
        let rel = format!(
            "static/{}",
            crate::source::load::relative_slash_path(dir, entry.path())
        );
        if output.has(&rel) {
            continue;
        }
        // A file that is not UTF-8 is left to the copy, as it is.
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if let Some(compacted) = crate::output::compact::compact(&name, &text) {
            output.write(&rel, compacted.as_bytes())?;
        }
    }
    Ok(())
}

/// Writes `static/search-core.js` (the site's own copy first, else the theme's, else the
/// embedded theme's) with the search analysis's folding table in its slot, before the static
/// folders are copied (which keeps it). A script without the slot is left for the copy. Returns
/// what went wrong, and a warning when a copy on disk reads another index format than this
/// program writes (a theme copied into the site by an older version's `init`): the page's
/// search would look keys up as that version spelled them and miss, without a word.
fn write_search_script(theme: &ThemeFiles, output: &Output) -> Vec<Diagnostic> {
    let on_disk = theme
        .static_dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| (i, dir.join(SEARCH_CORE)))
        .find(|(_, path)| path.is_file());
    let mut problems = Vec::new();
    // The theme's copy is compacted like its other scripts; the site's own is left as it is.
    let (text, from_theme) = match on_disk {
        Some((i, path)) => {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    return vec![Diagnostic::error(Code::Io, &path, format!("无法读取：{e}"))];
                }
            };
            if !crate::search::core_reads_this_format(&text) {
                // The first static folder is the site's own, `static/` under its root.
                let root = theme.static_dirs[0].parent().unwrap_or(Path::new(""));
                problems.push(Diagnostic::warning(
                    Code::Search,
                    path.strip_prefix(root).unwrap_or(&path),
                    "这是旧版书院的搜索脚本，读不了本程序写出的搜索索引，站内搜索会漏掉结果：\
                     请换成新版的同名文件（用 shuyuan init 新建一个站点，从其中的 \
                     themes/default/static/ 复制）",
                ));
            }
            (text, i > 0)
        }
        None => match theme
            .embedded_files("static")
            .find(|(name, _)| *name == SEARCH_CORE)
        {
            Some((_, bytes)) => (String::from_utf8_lossy(bytes).into_owned(), true),
            None => return problems,
        },
    };
    let Some(script) = crate::search::tokenizer::with_fold_table(&text) else {
        return problems;
    };
    let script = if from_theme {
        crate::output::compact::compact(SEARCH_CORE, &script).unwrap_or(script)
    } else {
        script
    };
    problems.extend(
        output
            .write(&format!("static/{SEARCH_CORE}"), script.as_bytes())
            .err(),
    );
    problems
}

/// The theme script that carries the search analysis (and so the folding table).
const SEARCH_CORE: &str = "search-core.js";

fn check_static_files(root: &Path, theme: &ThemeFiles, diagnostics: &mut Diagnostics) {
    for dir in &theme.static_dirs {
        for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
            let path = entry.path();
            let checked = path
                .extension()
                .is_some_and(|e| matches!(e.to_str(), Some("css" | "js" | "html" | "svg")));
            if checked && let Ok(text) = std::fs::read_to_string(path) {
                crate::output::render::check_no_outside_assets(root, path, &text, diagnostics);
            }
        }
    }
}

/// The edition shown on the home page: a short hash of every source (each hashed by
/// [`source_hash`]), so it changes exactly when content does.
fn build_id(source_hashes: impl Iterator<Item = u64>) -> String {
    let hash = source_hashes.fold(crate::search::FNV64_START, |hash, source| {
        crate::search::fnv64(hash, &source.to_le_bytes())
    });
    format!("{:08x}", hash as u32)
}

fn source_hash(doc: &crate::source::parse::Document) -> u64 {
    let hash = crate::search::fnv64(crate::search::FNV64_START, doc.rel.as_bytes());
    crate::search::fnv64(hash, doc.source.as_bytes())
}
