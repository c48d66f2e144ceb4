//! Incremental: keeps a finished build in memory (the [`Session`]) so that a preview can
//! apply an edit to one page's body by re-rendering that page and the lists that show it,
//! instead of building the whole site again.
//!
//! The fast path is taken only when it is sure to give what a full build would: every
//! changed file is an existing page, its front matter is unchanged, and its headings are
//! unchanged (other pages link to their anchors and show their text). Anything else — a new, renamed or deleted
//! file, a template, `site.toml`, a changed title or tag — asks for a full build. The search
//! indexes are rebuilt in the background afterwards, so the page reloads first.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::build::BuildOptions;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::resolve::{Site, excerpt};
use crate::search::SearchDoc;
use crate::training::Training;

/// A finished build, ready to take small edits.
pub struct Session {
    options: BuildOptions,
    site: Site,
    training: Training,
    tera: tera::Tera,
    markdown: comrak::Options<'static>,
    /// Parallel to `site.pages`.
    search_docs: Vec<SearchDoc>,
    /// Pages edited in place whose handouts, paths and glossary are not rendered yet.
    stale_views: Vec<usize>,
    /// The newest re-index asked for: an older one that has not started yet gives up.
    reindex_wanted: Arc<AtomicU64>,
    /// Held while a re-index runs, so two never write the same index at once.
    reindex_running: Arc<Mutex<()>>,
}

/// What [`Session::update`] did.
#[derive(Debug)]
pub enum Update {
    /// The edit was applied in place; these files were rewritten.
    Applied { files: usize, elapsed: Duration },
    /// The change needs a full build.
    NeedsFullBuild,
}

impl Session {
    pub(crate) fn new(
        options: BuildOptions,
        site: Site,
        training: Training,
        tera: tera::Tera,
        markdown: comrak::Options<'static>,
        search_docs: Vec<SearchDoc>,
    ) -> Session {
        Session {
            options,
            site,
            training,
            tera,
            markdown,
            search_docs,
            stale_views: Vec::new(),
            reindex_wanted: Arc::new(AtomicU64::new(0)),
            reindex_running: Arc::new(Mutex::new(())),
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
        let content = self.site.config.content_dir();
        let mut edits = Vec::new();
        for path in changed {
            // The watcher reports paths relative to the site root.
            let path = &self.options.root.join(path);
            let is_page = path.extension().is_some_and(|e| e == "md")
                && path.file_name().is_some_and(|n| n != "_index.md")
                && path.starts_with(&content)
                && path.is_file();
            if !is_page {
                return Ok(Update::NeedsFullBuild);
            }
            let rel = crate::load::relative_slash_path(&content, path);
            let Some(index) = self.site.pages.iter().position(|p| p.doc.rel == rel) else {
                return Ok(Update::NeedsFullBuild);
            };
            edits.push((index, rel, path.clone()));
        }

        let mut diagnostics = Diagnostics::default();
        let mut prepared = Vec::new();
        for (index, rel, path) in edits {
            let text = match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| crate::load::decode(&b))
            {
                Ok(text) => text,
                Err(message) => {
                    let shown = path
                        .strip_prefix(&self.options.root)
                        .unwrap_or(&path)
                        .to_path_buf();
                    diagnostics.push(Diagnostic::error(Code::NotUtf8, shown, message));
                    continue;
                }
            };
            let file = crate::load::SourceFile { rel, path, text };
            let mut docs = crate::parse::parse_all(
                &self.options.root,
                vec![file],
                &self.site.config.schema,
                &mut diagnostics,
            );
            let Some(doc) = docs.pop() else { continue };
            let old = &self.site.pages[index];
            if doc.fields != old.doc.fields || doc.kind != old.doc.kind {
                return Ok(Update::NeedsFullBuild);
            }
            let rendered = crate::markdown::render(doc.body(), &doc.rel, &self.markdown);
            // Other pages show a heading's text in `[[slug#id]]` links: any change to the
            // headings, not only to their ids, reaches beyond this page.
            if rendered.anchors != old.anchors || rendered.toc != old.toc {
                return Ok(Update::NeedsFullBuild);
            }
            let (html, problems) = crate::resolve::relink(&self.site, &old.url, &doc, &rendered);
            diagnostics.extend(problems);
            prepared.push((index, doc, rendered, html));
        }
        if diagnostics.has_errors() {
            diagnostics.sort();
            return Err(diagnostics);
        }

        let mut files = 0;
        for (index, doc, rendered, html) in prepared {
            let summary = doc.text("summary").map(str::to_string).or_else(|| {
                (!rendered.first_paragraph.is_empty())
                    .then(|| excerpt(&rendered.first_paragraph, 120))
            });
            let page = &mut self.site.pages[index];
            let listed_changed = page.summary != summary;
            page.summary = summary;
            page.html = html;
            page.toc = rendered.toc;
            page.char_count = rendered.char_count;
            page.doc = doc;
            self.training.page_edited(&mut self.site, index);
            let sink = |rel: &str, bytes: &[u8]| crate::write::replace_file(output, rel, bytes);
            files += crate::render::render_page_and_lists(
                &self.site,
                &self.training,
                &self.tera,
                index,
                listed_changed,
                &sink,
            )
            .map_err(|problems| {
                let mut d = Diagnostics::default();
                d.extend(problems);
                d
            })?;
            if !self.stale_views.contains(&index) {
                self.stale_views.push(index);
            }
            if let Some(doc) = self.search_docs.get_mut(index) {
                *doc = crate::build::search_doc(
                    &self.site,
                    &self.site.pages[index],
                    rendered.sections,
                );
            }
        }
        Ok(Update::Applied {
            files,
            elapsed: started.elapsed(),
        })
    }

    /// Renders the handouts, paths and glossary that show the pages edited in place since the
    /// last call. A preview calls it after the reload is sent: a section's handout can hold
    /// hundreds of pages, and the page being edited should not wait for it.
    pub fn catch_up(&mut self, output: &Path) -> Result<usize, Diagnostics> {
        let sink = |rel: &str, bytes: &[u8]| crate::write::replace_file(output, rel, bytes);
        let mut files = 0;
        for index in std::mem::take(&mut self.stale_views) {
            files += crate::render::render_training_views(
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

    /// Rebuilds both search indexes from the session's pages on a background thread: the
    /// static one inside `output`, the tantivy one in its usual place. A newer call makes an
    /// older one that has not started yet give up.
    pub fn reindex_in_background(&self, output: &Path) {
        if !self.site.config.search_enabled || self.search_docs.is_empty() {
            return;
        }
        // Never waits for a running re-index: the edit's reload must not queue behind it.
        let generation = self.reindex_wanted.fetch_add(1, Ordering::SeqCst) + 1;
        let ticket = crate::build::index_ticket();
        let wanted = Arc::clone(&self.reindex_wanted);
        let running = Arc::clone(&self.reindex_running);
        let docs = self.search_docs.clone();
        let index_dir = self.site.config.index_dir.clone();
        let output = output.to_path_buf();
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
                if let Some((staged, _)) = crate::build::index_for_search(
                    ticket,
                    &index_dir,
                    &docs,
                    &output,
                    &mut diagnostics,
                ) {
                    crate::build::swap_in(&staged, &index_dir, &mut diagnostics);
                }
            });
        });
    }
}
