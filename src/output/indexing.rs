//! Indexing: the search stage of a build and of a preview. Turns the site's pages into the
//! [`SearchDoc`]s the search index is made from, and writes the static index into an output
//! folder with its work files in the site's scratch folder. A build keeps the pages' body text
//! in its text store (`source::markdown::stored`), and so does a preview after it; the index
//! reads it from there a batch of pages at a time ([`StoredTexts`]).
//!
//! It sits between the site model and [`crate::search`], so that `build` and `incremental`
//! both use it without either reaching into the other, and `search` itself knows only
//! `SearchDoc`s.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::resolve::{Page, Site};
use crate::model::{IdVec, PageId, Pages, SectionId};
use crate::output::render::{Memo, Remembered};
use crate::output::write::Output;
use crate::search::{IndexOutput, PageTexts, SearchDoc, SearchError, SearchSection, section_bytes};
use crate::source::markdown::{StoredText, TextFile, TextSection};

/// The page as the search index sees it: plain text cut at headings, plus its facets.
pub fn search_doc(
    site: &Site,
    page: &Page,
    text: Vec<crate::source::markdown::TextSection>,
) -> SearchDoc {
    let mut breadcrumbs = Vec::new();
    let mut section = Some(page.section);
    while let Some(index) = section.filter(|&i| i != SectionId::ROOT) {
        breadcrumbs.push(site.sections[index].title.clone());
        section = site.sections[index].parent;
    }
    breadcrumbs.reverse();
    let (kind, kind_label) = page
        .kind
        .map_or(("page", "文章"), |k| (k.as_str(), k.label()));
    // What a reader sees above the body — the summary and the information panel (文号,
    // 发文机关 …) — must be findable too: people search a policy by its document number.
    // Only a written summary: the automatic one is the body's first paragraph, and indexing it
    // twice would count its words twice.
    let mut lines: Vec<String> = page
        .doc
        .text("summary")
        .map(str::to_string)
        .into_iter()
        .collect();
    lines.extend(
        site.panel(page)
            .into_iter()
            .map(|row| format!("{}：{}", row.label, row.value.display())),
    );
    let header = SearchSection {
        anchor: String::new(),
        heading: String::new(),
        text: lines.join("\n"),
    };
    SearchDoc {
        url: page.url.clone(),
        title: page.title.clone(),
        kind: kind.to_string(),
        kind_label: kind_label.to_string(),
        date: page.sort_date().map(|d| d.to_string()),
        breadcrumbs,
        tags: page.doc.list("tags").to_vec(),
        topics: page.doc.list("topics").to_vec(),
        region: page.doc.text("region").map(str::to_string),
        status: page.status().map(str::to_string),
        // The header goes last so that a term found in the body links to its section. With the
        // body text in the build's text store, only the header is here ([`StoredTexts`]).
        sections: body_sections(text)
            .chain(std::iter::once(header).filter(holds_text))
            .collect(),
    }
}

/// A body's plain text as the index takes it: the sections that hold anything.
fn body_sections(text: Vec<TextSection>) -> impl Iterator<Item = SearchSection> {
    text.into_iter()
        .map(|t| SearchSection {
            anchor: t.anchor,
            heading: t.heading,
            text: t.text,
        })
        .filter(holds_text)
}

fn holds_text(section: &SearchSection) -> bool {
    !section.text.is_empty() || !section.heading.is_empty()
}

/// The pages' body text in the build's text store, and the rest of their sections (summary
/// and information panel) in their [`SearchDoc`]s, which are the site's pages in order. A
/// page whose text is held in memory has it in its `SearchDoc`, and no stored text.
pub struct StoredTexts<'a> {
    pub file: &'a TextFile,
    pub texts: Vec<Option<Arc<StoredText>>>,
}

impl StoredTexts<'_> {
    /// Where `pages` keep their text in `file`.
    pub fn of<'a>(file: &'a TextFile, pages: &Pages) -> StoredTexts<'a> {
        let texts = pages.iter().map(|p| p.stored_text.clone()).collect();
        StoredTexts { file, texts }
    }

    fn stored(&self, i: usize) -> Option<&StoredText> {
        self.texts[i].as_deref()
    }
}

impl PageTexts for StoredTexts<'_> {
    fn bytes(&self, i: usize, doc: &SearchDoc) -> usize {
        self.stored(i).map_or(0, StoredText::bytes) + section_bytes(&doc.sections)
    }

    fn sections<'a>(
        &'a self,
        i: usize,
        doc: &'a SearchDoc,
    ) -> Result<Cow<'a, [SearchSection]>, SearchError> {
        let Some(stored) = self.stored(i) else {
            return Ok(Cow::Borrowed(&doc.sections));
        };
        let body = self.file.read(stored).map_err(|source| SearchError::Io {
            path: self.file.path().to_path_buf(),
            source,
        })?;
        let sections = body_sections(body).chain(doc.sections.iter().cloned());
        Ok(Cow::Owned(sections.collect()))
    }
}

/// The pages as the search index sees them. Their text is needed only by search from here
/// on, so it is moved rather than a site's worth of text copied.
pub fn take_docs(site: &mut Site) -> IdVec<PageId, SearchDoc> {
    let texts: Vec<_> = site
        .pages
        .iter_mut()
        .map(|p| std::mem::take(&mut p.text))
        .collect();
    let site = &*site;
    site.pages
        .as_slice()
        .par_iter()
        .zip(texts)
        .map(|(page, text)| search_doc(site, page, text))
        .collect::<Vec<_>>()
        .into()
}

/// A build's output as the index writes into it: through [`Output::write`], remembering in
/// the index memo what each file is made from, so that the next build into the same output
/// leaves a file that would be made of the same where it is, without reading it to compare.
pub struct IndexFiles<'a> {
    pub output: &'a Output,
    pub memo: Option<&'a Memo>,
}

impl IndexOutput for IndexFiles<'_> {
    fn dir(&self) -> &Path {
        IndexOutput::dir(self.output)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        IndexOutput::write(self.output, rel, bytes)
    }

    fn keep_made_from(&self, rel: &str, made_from: u128) -> Option<u64> {
        self.memo?.keep_if_unchanged(self.output, rel, made_from)
    }

    fn made_from(&self, rel: &str, made_from: u128) {
        if let Some(memo) = self.memo {
            memo.record(self.output, rel, made_from);
        }
    }

    fn made_from_before(&self, rel: &str) -> Option<u128> {
        self.memo?.made_from_before(rel)
    }

    fn previous_file(&self, rel: &str) -> Option<Vec<u8>> {
        self.memo?.previous_file(rel)
    }
}

/// The folder a preview serves, as its background re-index writes into it
/// ([`crate::search::Folder`]: changed files beside their place until the index is whole),
/// remembering in a memo kept in memory what each file is made from and its stamp, as a
/// build's [`IndexFiles`] does in its memo file: a page whose fragments are made of the same
/// as last time is not cut, serialised and packed again, and no file made of the same is read
/// back to compare.
pub struct FolderFiles {
    folder: crate::search::Folder,
    memo: Memo,
    /// Where each file written by this re-index lies until its hash is noted.
    written: Mutex<HashMap<String, PathBuf>>,
    /// Files written beside their place, with their hash: stamped once renamed into it
    /// (a rename over a file may change the stamp: the creation time on Windows).
    placed_later: Mutex<Vec<(String, u128)>>,
}

impl FolderFiles {
    /// The preview's folder that `memo` ([`Memo::in_memory_index`]) speaks of.
    pub fn new(memo: Memo) -> FolderFiles {
        FolderFiles {
            folder: crate::search::Folder::new(memo.target()),
            memo,
            written: Mutex::default(),
            placed_later: Mutex::default(),
        }
    }

    /// What the next re-index is to remember: what this one made and left when its files
    /// all went in place (`published`) and it noted any, else what the last one did, whose
    /// stamps tell which of its files are still as it left them.
    pub fn into_remembered(self, published: bool) -> Remembered {
        let (previous, made) = self.memo.into_parts();
        if published && !made.is_empty() {
            made
        } else {
            previous
        }
    }
}

impl IndexOutput for FolderFiles {
    fn dir(&self) -> &Path {
        self.folder.dir()
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        let at = self.folder.put(rel, bytes)?;
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(rel.to_string(), at);
        Ok(())
    }

    fn publish(&self) -> std::io::Result<()> {
        self.folder.publish()?;
        let placed = std::mem::take(
            &mut *self
                .placed_later
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for (rel, hash) in placed {
            self.memo
                .record_at(&self.folder.dir().join(&rel), &rel, hash);
        }
        Ok(())
    }

    fn abandon(&self) {
        self.folder.abandon();
    }

    fn keep_made_from(&self, rel: &str, made_from: u128) -> Option<u64> {
        self.memo.keep_in_place(rel, made_from)
    }

    fn made_from(&self, rel: &str, made_from: u128) {
        let at = self
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(rel);
        match at {
            // The place held these bytes already: left as it was.
            Some(at) if at == self.folder.dir().join(rel) => {
                self.memo.record_at(&at, rel, made_from)
            }
            Some(_) => self
                .placed_later
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((rel.to_string(), made_from)),
            None => {}
        }
    }

    fn made_from_before(&self, rel: &str) -> Option<u128> {
        self.memo.made_from_before(rel)
    }

    fn previous_file(&self, rel: &str) -> Option<Vec<u8>> {
        self.memo.previous_file(rel)
    }
}

/// Writes the static search index of `docs` under `out_dir/search/`, with its work files in
/// the site's scratch folder, their body text read from `stored`; a failure is an error of the
/// build.
pub fn write_index<'a>(
    docs: impl IntoIterator<Item = &'a SearchDoc>,
    stored: &StoredTexts,
    synonyms: &[Vec<String>],
    out: &dyn IndexOutput,
    root: &Path,
    diagnostics: &mut Diagnostics,
) {
    let work = crate::output::lock::work_folder(root, "postings");
    let _writing = crate::output::write::writing();
    let docs: Vec<&SearchDoc> = docs.into_iter().collect();
    let caches = crate::cache::dir(&root.join(crate::output::write::STATE_DIR));
    let postings = caches.join("postings");
    let cache = crate::cache::Key::of(&caches).map(|key| (postings.as_path(), key));
    if let Err(e) = crate::search::build_into(&docs, stored, synonyms, out, work, cache) {
        diagnostics.push(Diagnostic::error(
            Code::Search,
            out.dir().join("search"),
            format!("无法建立全文索引：{e}"),
        ));
    }
}
