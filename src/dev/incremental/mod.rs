//! Incremental: keeps a finished build in memory (the [`Session`]) so that a preview can
//! apply saved pages by rendering again only the files that show what changed, instead of
//! building the whole site again.
//!
//! - A body edit (front matter and headings unchanged) fills in and takes in the page's
//!   body again (`body`).
//! - A front-matter or heading edit, a new page, a removed one (a rename is both) rebuilds
//!   the pages concerned, recomputes the ties between all pages and fills in again the links
//!   that show a changed title or heading (`restructure`, whose header lists what it leaves
//!   to the full build).
//!
//! Both then hand over to `refresh`, which re-renders the pages whose bodies were rendered
//! again and every file whose fingerprint (`fingerprint`) changed, and removes the files the
//! site no longer has. Either is taken only when it gives exactly what a full build would;
//! the session keeps only what that needs beyond the build's own data — which pages each
//! body links to (`links`) and the fingerprints. Anything else — a section introduction, a learning
//! path, the glossary, an asset, a template, `site.toml` — and any edit that makes an error
//! beyond an edited body's own links asks for a full build. Handouts, learning paths and
//! the glossary follow in [`Session::catch_up`] once the editor pauses, and the search
//! indexes are rebuilt in the background after that, so the page reloads first.

mod body;
mod fingerprint;
mod links;
mod refresh;
mod restructure;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fingerprint::Fingerprints;
use links::Links;

use crate::build::{BuildOptions, Retained};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::resolve::Site;
use crate::model::{IdVec, Page, PageId, Renumbering};
use crate::output::indexing::{FolderFiles, StoredTexts};
use crate::output::plan::CheckedPaths;
use crate::output::render::{Memo, Remembered};
use crate::search::SearchDoc;
use crate::source::markdown::{Rendered, TextFile};
use crate::source::parse::Document;
use crate::source::theme::ThemeFiles;
use crate::training::Training;

/// A finished build, ready to take small edits.
pub struct Session {
    options: BuildOptions,
    site: Site,
    training: Training,
    tera: tera::Tera,
    markdown: comrak::Options<'static>,
    /// One per page (none when search is off), shared with a background re-index, which
    /// takes a snapshot of the list instead of a copy of a site's worth of text.
    search_docs: IdVec<PageId, Arc<SearchDoc>>,
    /// The build's text store, where the pages' body text is (`Page::stored_text`) and where
    /// the text of every page taken in again is appended; `None` when search is off.
    texts: Option<Arc<TextFile>>,
    links: Links,
    /// What the output shows; taken while an edit is applied.
    fingerprints: Option<Fingerprints>,
    /// The paths of the output plans found clean.
    checked_plan: CheckedPaths,
    /// A front-matter edit gave up half-way: the site in memory matches no build any more.
    unsound: bool,
    /// Pages edited in place whose handouts, paths and glossary are not rendered yet.
    stale_views: Vec<PageId>,
    /// The newest re-index asked for: an older one that has not started yet gives up.
    reindex_wanted: Arc<AtomicU64>,
    /// Held while a re-index runs, so two never write the same index at once.
    reindex_running: Arc<Mutex<()>>,
    /// What each index file in the session's folder was made from and its stamp, as the
    /// build or the last re-index left them; taken by a re-index while it runs.
    index_made: Arc<Mutex<Remembered>>,
}

/// Saved files sorted by what they are to the site.
#[derive(Default)]
struct Located {
    /// (page, file relative to `content/`, file).
    edited: Vec<(PageId, String, PathBuf)>,
    added: Vec<(String, PathBuf)>,
    removed: Vec<PageId>,
}

/// What a batch of saved files does to the pages.
#[derive(Default)]
struct Changes {
    edited: Vec<Edit>,
    added: Vec<(Document, Rendered)>,
    /// Pages whose file is gone.
    removed: Vec<PageId>,
    /// What reading them warned of (a full-width comma in a list, an unknown field).
    warnings: Diagnostics,
}

/// An edited page, parsed and rendered again.
struct Edit {
    page: PageId,
    doc: Document,
    rendered: Rendered,
}

/// What [`Session::update`] did.
#[derive(Debug)]
pub enum Update {
    /// The edit was applied in place; these files were rewritten. `warnings` are the saved
    /// pages' and those of what the edit worked out again (references, when they were looked
    /// up anew); the site's other warnings stand as the last full build reported them.
    Applied {
        files: usize,
        elapsed: Duration,
        warnings: Diagnostics,
    },
    /// The change needs a full build.
    NeedsFullBuild,
}

impl Session {
    /// Takes over what a build kept ([`crate::build::build_retained`]), which wrote the
    /// site and found no problem in its output plan. What the output shows is fingerprinted
    /// now, while the editor reads, so that the first edit costs what every other does.
    pub fn new(built: Retained) -> Session {
        let jobs = crate::output::render::jobs(&built.site, &built.training);
        let fingerprints = Fingerprints::with_jobs(&built.site, &built.training, &jobs);
        let theme = ThemeFiles::for_site(&built.site.config.root, &built.site.config);
        let checked_plan = CheckedPaths::of(&built.site, &jobs, &theme);
        drop(jobs);
        Session {
            options: built.options,
            site: built.site,
            training: built.training,
            tera: built.tera,
            markdown: built.markdown,
            search_docs: built.search_docs.into_iter().map(Arc::new).collect(),
            texts: built.texts.map(Arc::new),
            links: Links::from_build(built.links),
            fingerprints: Some(fingerprints),
            checked_plan,
            unsound: false,
            stale_views: Vec::new(),
            reindex_wanted: Arc::new(AtomicU64::new(0)),
            reindex_running: Arc::new(Mutex::new(())),
            index_made: Arc::new(Mutex::new(built.index_made.unwrap_or_default())),
        }
    }

    pub fn pages(&self) -> usize {
        self.site.pages.len()
    }

    /// Applies an edit of the files `changed` to the build in `output` (the folder the last
    /// build of this session wrote). `Err` means the edited pages have errors; then nothing
    /// was written and the session is unchanged.
    pub fn update(&mut self, changed: &[PathBuf], output: &Path) -> Result<Update, Diagnostics> {
        let started = Instant::now();
        if self.unsound {
            return Ok(Update::NeedsFullBuild);
        }
        let Some(located) = self.locate(changed) else {
            return Ok(Update::NeedsFullBuild);
        };
        let mut changes = self.read(located)?;
        let mut warnings = std::mem::take(&mut changes.warnings);
        let bodies_only = changes.added.is_empty()
            && changes.removed.is_empty()
            && changes.edited.iter().all(|edit| {
                let old = &self.site.pages[edit.page];
                edit.doc.fields == old.doc.fields
                    && edit.doc.kind == old.doc.kind
                    // Other pages show a heading's text in `[[slug#id]]` links and link to its id.
                    && edit.rendered.anchors == old.anchors
                    && edit.rendered.toc == old.toc
            });
        let (files, applied) = if bodies_only {
            body::apply(self, changes.edited, output)?
        } else {
            match restructure::apply(self, changes, output) {
                Some(applied) => applied,
                None => return Ok(Update::NeedsFullBuild),
            }
        };
        warnings.extend(applied);
        warnings.sort();
        Ok(Update::Applied {
            files,
            elapsed: started.elapsed(),
            warnings,
        })
    }

    /// Sorts the saved files into edited, added and removed pages, or `None` when one of
    /// them is something else (a section introduction, a learning path, the glossary, an
    /// asset, a template …) or a file the build would not read as a page.
    fn locate(&self, changed: &[PathBuf]) -> Option<Located> {
        let content = self.site.config.content_dir();
        let mut located = Located::default();
        for path in changed {
            // The watcher reports paths relative to the site root.
            let path = self.options.root.join(path);
            if !path.starts_with(&content)
                || path.extension().is_none_or(|e| e != "md")
                || path.file_name().is_some_and(|n| n == "_index.md")
            {
                return None;
            }
            let rel = crate::source::load::relative_slash_path(&content, &path);
            // The build skips hidden files and folders.
            if rel.split('/').any(|part| part.starts_with('.'))
                || crate::training::is_training_file(&rel)
                || rel == crate::source::synonyms::FILE
            {
                return None;
            }
            let exists = match std::fs::metadata(&path) {
                Ok(meta) if meta.len() > crate::source::load::MAX_MARKDOWN_BYTES => return None,
                Ok(meta) => meta.is_file(),
                Err(_) => false,
            };
            match (self.site.pages.by_file(&rel), exists) {
                (Some(id), true) => located.edited.push((id, rel, path)),
                (Some(id), false) => located.removed.push(id),
                (None, true) => located.added.push((rel, path)),
                // A draft or a file that never was a page: nothing to do in place.
                (None, false) => return None,
            }
        }
        Some(located)
    }

    /// Reads, parses and renders the edited and added pages' Markdown.
    fn read(&self, located: Located) -> Result<Changes, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let mut read = |rel: String, path: PathBuf| {
            let text = match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| crate::source::load::decode(&b))
            {
                Ok(text) => text,
                Err(message) => {
                    let shown = path
                        .strip_prefix(&self.options.root)
                        .unwrap_or(&path)
                        .to_path_buf();
                    diagnostics.push(Diagnostic::error(Code::NotUtf8, shown, message));
                    return None;
                }
            };
            let file = crate::source::load::SourceFile { rel, path, text };
            let doc = crate::source::parse::parse_all(
                &self.options.root,
                vec![file],
                &self.site.config.schema,
                &mut diagnostics,
            )
            .pop()?;
            let rendered = crate::source::markdown::render(doc.body(), &doc.rel, &self.markdown);
            Some((doc, rendered))
        };
        let mut changes = Changes {
            removed: located.removed,
            ..Changes::default()
        };
        for (page, rel, path) in located.edited {
            if let Some((doc, rendered)) = read(rel, path) {
                changes.edited.push(Edit {
                    page,
                    doc,
                    rendered,
                });
            }
        }
        for (rel, path) in located.added {
            changes.added.extend(read(rel, path));
        }
        if diagnostics.has_errors() {
            diagnostics.sort();
            return Err(diagnostics);
        }
        changes.warnings = diagnostics;
        Ok(changes)
    }

    /// Pages were removed and added ([`crate::model::IdVec::replace_pages`]): the page ids
    /// and per-page lists the session and training hold move as the pages did.
    fn renumber(&mut self, renumbering: &Renumbering) {
        self.training.renumber(renumbering);
        if self.site.config.search_enabled {
            // An added page's document is made with the other changed pages'.
            self.search_docs =
                renumbering.per_page(std::mem::take(&mut self.search_docs), Arc::default);
        }
        self.stale_views = self
            .stale_views
            .iter()
            .filter_map(|&id| renumbering.new_id(id))
            .collect();
    }

    /// Page `id` changed: its handouts, paths and the glossary wait for [`Self::catch_up`].
    fn views_stale(&mut self, id: PageId) {
        if !self.stale_views.contains(&id) {
            self.stale_views.push(id);
        }
    }

    /// Renders the handouts, paths and glossary that show the pages edited in place since the
    /// last call. A preview calls it after the reload is sent: a section's handout can hold
    /// hundreds of pages, and the page being edited should not wait for it.
    pub fn catch_up(&mut self, output: &Path) -> Result<usize, Diagnostics> {
        let sink = |rel: &str, bytes: &[u8]| crate::output::write::replace_file(output, rel, bytes);
        let mut files = 0;
        for index in std::mem::take(&mut self.stale_views) {
            files += crate::output::render::render_training_views(
                &self.site,
                &self.training,
                &self.tera,
                index,
                &sink,
            )
            .map_err(|problems| {
                let mut d = Diagnostics::default();
                d.extend(problems);
                d
            })?;
        }
        Ok(files)
    }

    /// Rebuilds the static search index inside `output` from the session's pages on a
    /// background thread. A newer call makes an older one that has not started yet give up.
    pub fn reindex_in_background(&self, output: &Path) {
        // The build made the text store exactly when search is on.
        let Some(file) = self.texts.clone().filter(|_| !self.search_docs.is_empty()) else {
            return;
        };
        // Never waits for a running re-index: the edit's reload must not queue behind it.
        let generation = self.reindex_wanted.fetch_add(1, Ordering::SeqCst) + 1;
        let wanted = Arc::clone(&self.reindex_wanted);
        let running = Arc::clone(&self.reindex_running);
        let made = Arc::clone(&self.index_made);
        let docs: Vec<Arc<SearchDoc>> = self.search_docs.as_slice().to_vec();
        let texts: Vec<_> = self
            .site
            .pages
            .iter()
            .map(|p| p.stored_text.clone())
            .collect();
        let synonyms = self.site.synonyms.clone();
        let output = output.to_path_buf();
        let root = self.options.root.clone();
        std::thread::spawn(move || {
            let _running = running.lock().unwrap_or_else(|e| e.into_inner());
            if wanted.load(Ordering::SeqCst) != generation {
                return;
            }
            // One thread, so the editor's next save is not starved of CPU.
            let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(1).build() else {
                return;
            };
            pool.install(|| {
                let mut diagnostics = Diagnostics::default();
                let stored = StoredTexts { file: &file, texts };
                let index = |out: &dyn crate::search::IndexOutput,
                             diagnostics: &mut Diagnostics| {
                    crate::output::indexing::write_index(
                        docs.iter().map(|doc| &**doc),
                        &stored,
                        &synonyms,
                        out,
                        &root,
                        diagnostics,
                    );
                };
                let state = root.join(crate::output::write::STATE_DIR);
                let Some(key) = crate::cache::Key::of(&crate::cache::dir(&state)) else {
                    // No cache key (it could not be read or made): no memory either, and
                    // every file is made and compared with the one in place.
                    return index(&crate::search::Folder::new(&output), &mut diagnostics);
                };
                let mut made = made.lock().unwrap_or_else(PoisonError::into_inner);
                let memo = Memo::in_memory_index(&output, key, std::mem::take(&mut *made));
                let files = FolderFiles::new(memo);
                index(&files, &mut diagnostics);
                *made = files.into_remembered(!diagnostics.has_errors());
            });
        });
    }
}

/// Takes in a page's body text once its links are filled in (`titles`): into the build's text
/// store, where the re-index reads it, or held in memory when there is none or it cannot take
/// it.
fn take_body_text(
    texts: Option<&TextFile>,
    page: &mut Page,
    rendered: &mut Rendered,
    titles: &[Option<String>],
) {
    let sections = std::mem::take(&mut rendered.sections);
    let measure = std::mem::take(&mut rendered.measure);
    let first_paragraph = &rendered.first_paragraph;
    match texts.map(|file| file.put(&sections, measure)) {
        Some(Ok(stored)) => page.take_stored_text(stored, first_paragraph, titles),
        _ => page.take_text(sections, first_paragraph, titles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A built site whose intro links to `c` and whose page `a` links to `b`.
    fn session(root: &Path) -> (Session, PathBuf) {
        let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        for entry in walkdir::WalkDir::new(&theme) {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(&theme).unwrap();
            let target = root.join("themes/default").join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(target).unwrap();
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
        write(
            root,
            "content/cases/_index.md",
            "---\ntitle: 案例\n---\n见[[c]]。\n",
        );
        write(
            root,
            "content/cases/a.md",
            "---\ntitle: 甲\n---\n见[[b]]。\n",
        );
        write(root, "content/cases/b.md", "---\ntitle: 乙\n---\n正文。\n");
        write(root, "content/cases/c.md", "---\ntitle: 丙\n---\n正文。\n");
        let output = root.join("out");
        let options = BuildOptions {
            output: output.clone(),
            ..BuildOptions::new(root)
        };
        let (_, built) = crate::build::build_retained(&options, &|_| {}).unwrap();
        (Session::new(built), output)
    }

    #[test]
    fn a_body_edit_writes_the_files_whose_inputs_changed_and_nothing_else() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let page = |first: &str, last: &str| {
            format!("---\ntitle: 丁\ndate: 2024-05-01\n---\n{first}\n\n{last}\n")
        };
        write(root, "content/cases/d.md", &page("旧的第一段。", "正文。"));
        let (mut session, output) = session(root);
        let mut update = |text: &str| {
            write(root, "content/cases/d.md", text);
            let changed = [PathBuf::from("content/cases/d.md")];
            match session.update(&changed, &output).unwrap() {
                Update::Applied { files, .. } => files,
                Update::NeedsFullBuild => panic!("a body edit stays in place"),
            }
        };
        let read = |rel: &str| std::fs::read_to_string(output.join(rel)).unwrap();

        assert_eq!(
            update(&page("旧的第一段。", "正文加长了。")),
            1,
            "the summary (the first paragraph) is as it was: only the page is written"
        );
        assert!(read("cases/d.html").contains("正文加长了。"));

        update(&page("新的第一段。", "正文加长了。"));
        for shown_in in [
            "cases/d.html",
            "cases/index.html",
            "index.html",
            "changes.html",
        ] {
            assert!(
                read(shown_in).contains("新的第一段。"),
                "{shown_in} shows the new summary before the catch-up"
            );
        }
    }

    #[test]
    fn what_stays_in_place_and_what_takes_the_full_build() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let (mut session, output) = session(root);
        let mut update = |rel: &str, text: Option<&str>| {
            match text {
                Some(text) => write(root, rel, text),
                None => std::fs::remove_file(root.join(rel)).unwrap(),
            }
            let outcome = session.update(&[PathBuf::from(rel)], &output).unwrap();
            matches!(outcome, Update::Applied { .. })
        };
        let read = |rel: &str| std::fs::read_to_string(output.join(rel)).unwrap();

        assert!(update(
            "content/cases/b.md",
            Some("---\ntitle: 新乙\n---\n正文。\n")
        ));
        assert!(
            read("cases/a.html").contains("新乙"),
            "the link shows the new title"
        );
        assert!(
            read("cases/index.html").contains("新乙"),
            "so does the list"
        );

        assert!(
            !update(
                "content/cases/c.md",
                Some("---\ntitle: 新丙\n---\n正文。\n")
            ),
            "the section intro shows c's title, and intros are not kept"
        );
        assert!(
            !update(
                "content/cases/b.md",
                Some("---\ntitle: 新乙\nslug: yi\n---\n正文。\n")
            ),
            "a new slug moves the page"
        );
        assert!(
            !update("content/new/x.md", Some("---\ntitle: 新\n---\n")),
            "a new folder"
        );
        assert!(
            !update("content/cases/b.md", None),
            "a linked page cannot go"
        );
        write(
            root,
            "content/cases/b.md",
            "---\ntitle: 新乙\n---\n正文。\n",
        );
        std::fs::remove_dir_all(root.join("content/new")).unwrap();

        assert!(update(
            "content/cases/d.md",
            Some("---\ntitle: 丁\n---\n正文。\n")
        ));
        assert!(read("cases/index.html").contains("d.html"));
        assert!(update("content/cases/d.md", None));
        assert!(
            !output.join("cases/d.html").exists(),
            "a removed page leaves nothing"
        );
        assert!(!read("cases/index.html").contains("d.html"));
    }
}
