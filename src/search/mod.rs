//! Full-text search: the static, script-loaded index in `out/search/` and the one ranking
//! that reads it, for the site's search page (`search.js`), `shuyuan search` and `/api/search`.
//!
//! Takes the rendered pages as [`SearchDoc`]s (plain text split at headings, plus facets) and
//! writes `out/search/`, which works from `file://` or any sub-path. The browser and the Rust
//! [`StaticIndex`] read the same files and rank with the same function, so the page, the CLI
//! and the dev server return the same results. Submodules:
//! - [`tokenizer`]: normalisation, character classes, tokens.
//! - [`query`]: query syntax, what a page must hold to contain each term, and the key plan.
//! - `rank`: the ranking function (ARCHITECTURE.md, "Ranking").
//! - `series`: pages that are numbered parts of one document (articles of one law).
//! - `snippet`: match marking, excerpts with `<mark>`, best section to link to.
//! - `export`: writes the static index (format documented there).
//! - `reader` and `facets`: read it back for the CLI and the dev server.

mod codec;
mod export;
mod facets;
pub mod fragment_code;
pub(crate) mod fragments;
pub mod query;
pub mod rank;
mod reader;
pub mod script;
mod series;
mod snippet;
pub mod tokenizer;

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) use export::{FNV64_START, fnv64};
pub use reader::StaticIndex;

/// One page as the search sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Root-relative output URL, e.g. `cases/juweihui.html`.
    pub url: String,
    pub title: String,
    /// `case` | `guide` | `policy`.
    pub kind: String,
    /// `案例` | `操作指南` | `政策摘编`.
    pub kind_label: String,
    /// `2024-03-01`.
    pub date: Option<String>,
    /// Section titles from the top, e.g. `["政策摘编", "地方政策"]`.
    pub breadcrumbs: Vec<String>,
    pub tags: Vec<String>,
    pub topics: Vec<String>,
    pub region: Option<String>,
    /// Policy status: 现行有效 / 已修订 / 已废止.
    pub status: Option<String>,
    /// The page text split at headings, in order.
    pub sections: Vec<SearchSection>,
}

/// A stretch of page text under one heading.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SearchSection {
    /// Heading id; `""` for the text before the first heading.
    pub anchor: String,
    pub heading: String,
    /// Plain text.
    pub text: String,
}

/// A search request from the CLI or the dev server. Build it with `..SearchQuery::default()`
/// so that filters added later leave callers untouched.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// The query text: terms separated by spaces, `"…"` for an exact phrase.
    pub text: String,
    /// Only pages of this kind (`case` | `guide` | `policy`).
    pub kind: Option<String>,
    /// Only pages carrying this tag.
    pub tag: Option<String>,
    /// Only pages in this topic.
    pub topic: Option<String>,
    /// Only pages of this region.
    pub region: Option<String>,
    /// Only pages dated in this year (`2024`).
    pub year: Option<String>,
    /// Only policies with this status (现行有效 / 已修订 / 已废止).
    pub status: Option<String>,
    /// Maximum number of hits.
    pub limit: usize,
}

impl SearchQuery {
    /// Whether any facet filter is set.
    pub fn has_filters(&self) -> bool {
        [
            &self.kind,
            &self.tag,
            &self.topic,
            &self.region,
            &self.year,
            &self.status,
        ]
        .iter()
        .any(|v| v.is_some())
    }
}

/// One result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub title: String,
    /// Root-relative URL of the page, with `#anchor` of the best-matching section when it has one.
    pub url: String,
    pub kind: String,
    pub kind_label: String,
    pub date: Option<String>,
    /// Policy status, as on the page.
    pub status: Option<String>,
    pub breadcrumbs: Vec<String>,
    /// Heading of the linked section (`""` for the page top).
    pub section: String,
    /// The ranking score (ARCHITECTURE.md, "Ranking"); hits are already in rank order.
    pub score: f64,
    /// True when every term occurs verbatim in the page.
    pub exact: bool,
    /// HTML excerpt: text escaped, matches in `<mark>`.
    pub snippet: String,
}

/// What [`build`] produced.
#[derive(Clone, Debug, Serialize)]
pub struct IndexStats {
    pub docs: usize,
    /// The folder of this build's static files (see `export`).
    pub build_id: String,
    /// The edition: a hash of everything the files are made from.
    pub edition: String,
    /// Distinct keys (tokens and grams) in the static index.
    pub keys: usize,
    pub shards: usize,
    /// Bytes of all shard files.
    pub shard_bytes: u64,
    /// Bytes of all per-page fragment files.
    pub fragment_bytes: u64,
    /// Bytes of the facets file.
    pub facets_bytes: u64,
}

/// Everything that can go wrong while building or querying the search indexes.
#[derive(Debug)]
pub enum SearchError {
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// There is no index at the path (the site has not been built).
    NoIndex(PathBuf),
    /// An index file could not be read back.
    Corrupt(String),
    /// The index is in another format than this program reads (built by another version):
    /// read as this one, its keys would silently match less.
    OtherFormat(u32),
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::Io { path, source } => {
                write!(f, "无法读写 {}（{source}）", path.display())
            }
            SearchError::NoIndex(p) => write!(
                f,
                "没有找到搜索索引 {}：请先运行 shuyuan build",
                p.display()
            ),
            SearchError::Corrupt(m) => write!(f, "搜索索引已损坏，请重新运行 shuyuan build（{m}）"),
            SearchError::OtherFormat(v) => write!(
                f,
                "搜索索引由另一版本的书院生成（格式 {v}，本程序读取格式 {}）：请重新运行 shuyuan build",
                export::FORMAT_VERSION
            ),
        }
    }
}

impl std::error::Error for SearchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SearchError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl SearchError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SearchError {
        let path = path.into();
        move |source| SearchError::Io { path, source }
    }
}

/// Whether a `search-core.js` reads the static index this program writes: it declares the
/// format as `var INDEX_FORMAT = N;`. A site's own copy kept from an older version does not.
pub fn core_reads_this_format(script: &str) -> bool {
    script.contains(&format!("var INDEX_FORMAT = {};", export::FORMAT_VERSION))
}

/// Writes the static index of `docs` into `out_dir/search/`, with the synonym groups that
/// queries are expanded with, replacing the previous build's files there. Pages are numbered
/// in URL order so the output depends only on the content. The work files go into the new
/// folder `work`, never inside the output (which a preview serves while it re-indexes), and
/// it is removed when done.
pub fn build<'a>(
    docs: impl IntoIterator<Item = &'a SearchDoc>,
    synonyms: &[Vec<String>],
    out_dir: &Path,
    work: PathBuf,
) -> Result<IndexStats, SearchError> {
    let docs: Vec<&SearchDoc> = docs.into_iter().collect();
    build_into(&docs, &InDocs, synonyms, &Folder::new(out_dir), work, None)
}

/// [`build`] with the pages' sections read from `texts`, a batch of pages at a time, and the
/// files handed to `out`. With a `cache` folder and the site's cache key, each page's key counts
/// are kept there for the next index, which counts again only the pages whose text changed
/// (unless another index of this process is using the folder: then nothing is cached).
pub fn build_into(
    docs: &[&SearchDoc],
    texts: &dyn PageTexts,
    synonyms: &[Vec<String>],
    out: &dyn IndexOutput,
    work: PathBuf,
    cache: Option<(&Path, crate::cache::Key)>,
) -> Result<IndexStats, SearchError> {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| docs[a].url.cmp(&docs[b].url));
    let pages = export::Pages::new(docs, order, texts);
    export::write(&pages, synonyms, out, work, cache)
}

/// Where the static index's files go: a plain folder ([`Folder`]), or a build's output, which
/// leaves a file the previous output already holds as it is.
pub trait IndexOutput: Sync {
    /// The output folder; the index goes into its `search/`.
    fn dir(&self) -> &Path;

    /// Writes `bytes` as the file `rel` (relative to [`Self::dir`], `/`-separated), making
    /// the folders it needs.
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()>;

    /// Puts everything written in place, `search/meta.js` last. A build's output does this
    /// when it commits.
    fn publish(&self) -> std::io::Result<()> {
        Ok(())
    }

    /// Drops what was written and not yet put in place: the index failed. A build's output
    /// drops its whole staging folder instead.
    fn abandon(&self) {}

    /// Leaves `rel` as an earlier build into this output wrote it, when that build made it
    /// from what hashes to `made_from` (the index's keyed hash of everything the file is
    /// made of, [`IndexOutput::made_from`]) and nothing changed it since; returns its length
    /// then. An output that remembers nothing keeps nothing.
    fn keep_made_from(&self, _rel: &str, _made_from: u128) -> Option<u64> {
        None
    }

    /// Notes that `rel`, just written, is made from what hashes to `made_from`.
    fn made_from(&self, _rel: &str, _made_from: u128) {}

    /// What an earlier build into this output noted `rel` was made from, keeping nothing: a
    /// guess of [`IndexOutput::keep_made_from`]'s answer, which the index uses to leave
    /// unmade what will likely be kept (it makes it after all when it is not).
    fn made_from_before(&self, _rel: &str) -> Option<u128> {
        None
    }

    /// The file `rel` as the earlier build that [`IndexOutput::made_from_before`] speaks of
    /// left it in place, when there is one (the index reads which folder it wrote).
    fn previous_file(&self, _rel: &str) -> Option<Vec<u8>> {
        None
    }
}

/// A plain folder, written as it is served: a file that holds the same bytes already is left
/// alone (a preview's re-index, `crate::output::indexing::FolderFiles`, keeps what it made
/// of the same without reading it), any other is written beside its place (`<name>.new`)
/// and renamed into it when the index is complete ([`IndexOutput::publish`]), so a reader never gets half a file, and a
/// re-index that fails before that leaves the files as they were ([`IndexOutput::abandon`]
/// removes its `.new` files). A rename that fails while publishing leaves the files renamed
/// so far and the old `meta.js`: the same pages under the same numbers (the folder is named
/// by them), some with newer text.
pub struct Folder {
    dir: PathBuf,
    /// Folders already made, so that each file does not ask again.
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// Files written beside their place: (written, place).
    pending: std::sync::Mutex<Vec<(PathBuf, PathBuf)>>,
}

impl Folder {
    pub fn new(dir: &Path) -> Folder {
        Folder {
            dir: dir.to_path_buf(),
            made: std::sync::Mutex::default(),
            pending: std::sync::Mutex::default(),
        }
    }

    /// [`IndexOutput::write`], returning where the bytes now lie: beside their place until
    /// [`IndexOutput::publish`] renames them into it, or their place when it held them already.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
            if !made.contains(parent) {
                std::fs::create_dir_all(parent)?;
                made.insert(parent.to_path_buf());
            }
        }
        let same = std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64)
            && std::fs::read(&path).is_ok_and(|old| old == bytes);
        if same {
            return Ok(path);
        }
        let mut new = path.clone().into_os_string();
        new.push(".new");
        let new = PathBuf::from(new);
        std::fs::write(&new, bytes)?;
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.push((new.clone(), path));
        Ok(new)
    }
}

impl IndexOutput for Folder {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.put(rel, bytes).map(drop)
    }

    fn publish(&self) -> std::io::Result<()> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let meta = self.dir.join("search").join("meta.js");
        pending.sort_by_key(|(_, place)| *place == meta);
        // What is left after a failed rename is dropped by `abandon`.
        let mut renamed = 0;
        let result = pending.iter().try_for_each(|(new, place)| {
            std::fs::rename(new, place)?;
            renamed += 1;
            Ok(())
        });
        pending.drain(..renamed);
        result
    }

    fn abandon(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (new, _) in pending.drain(..) {
            let _ = std::fs::remove_file(new);
        }
    }
}

/// Where the index reads each page's sections: the [`SearchDoc`]s' own ([`build`]), or, for a
/// build that keeps the body text out of memory until the index reads it, wherever it keeps
/// it ([`build_into`]). The index asks for a batch of pages at a time, twice (for the
/// keys, then for the fragments), and holds only that batch.
pub trait PageTexts: Sync {
    /// Bytes of the headings and texts of `doc`'s sections; `i` is its place in the list the
    /// index was given.
    fn bytes(&self, i: usize, doc: &SearchDoc) -> usize;

    /// `doc`'s sections, in order.
    fn sections<'a>(
        &'a self,
        i: usize,
        doc: &'a SearchDoc,
    ) -> Result<Cow<'a, [SearchSection]>, SearchError>;
}

/// Each page's sections are in its [`SearchDoc`].
struct InDocs;

impl PageTexts for InDocs {
    fn bytes(&self, _: usize, doc: &SearchDoc) -> usize {
        section_bytes(&doc.sections)
    }

    fn sections<'a>(
        &'a self,
        _: usize,
        doc: &'a SearchDoc,
    ) -> Result<Cow<'a, [SearchSection]>, SearchError> {
        Ok(Cow::Borrowed(&doc.sections))
    }
}

/// Bytes of the headings and texts of `sections`.
pub fn section_bytes(sections: &[SearchSection]) -> usize {
    sections
        .iter()
        .map(|s| s.text.len() + s.heading.len())
        .sum()
}

/// What a search found.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    /// At most the query's limit, in the order the search page shows them.
    pub hits: Vec<SearchHit>,
    /// The query's quotes were taken out because the quoted query found nothing.
    pub relaxed: bool,
}

/// What a reader is told when [`Found::relaxed`] is set (the page says the same).
pub const RELAXED_NOTE: &str = "没有完全符合引号内容的结果，以下是去掉引号后的结果。";

/// Searches the static index of the site built into `out_dir` (for the CLI). A long-running
/// server should keep a [`StaticIndex`], which caches what it has read.
pub fn search(out_dir: &Path, query: &SearchQuery) -> Result<Found, SearchError> {
    StaticIndex::open(out_dir)?.search(query)
}

/// Writes hits for a terminal: rank, kind, title, date, URL and the snippet, with matches in
/// ANSI bold yellow when `color` is set and in 【】 otherwise.
pub fn print_hits(out: &mut dyn Write, hits: &[SearchHit], color: bool) -> std::io::Result<()> {
    if hits.is_empty() {
        return writeln!(out, "没有找到结果。");
    }
    let (open, close) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("【", "】")
    };
    for (i, hit) in hits.iter().enumerate() {
        let date = hit.date.as_deref().unwrap_or("");
        writeln!(
            out,
            "{:>2}. [{}] {}  {}",
            i + 1,
            hit.kind_label,
            hit.title,
            date
        )?;
        writeln!(out, "    {}", hit.url)?;
        let text = hit
            .snippet
            .replace("<mark>", open)
            .replace("</mark>", close)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        writeln!(out, "    {}", text.replace('\n', " "))?;
    }
    Ok(())
}

/// The `--json` form of a hit list.
pub fn hits_to_json(hits: &[SearchHit]) -> String {
    serde_json::to_string_pretty(hits).expect("hits serialise to JSON")
}

/// A seeded generator of numbers below its argument, for the vectors' made-up inputs (a
/// linear congruential generator: the same on every machine).
#[cfg(test)]
fn seeded(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    }
}

/// Compares `value` with the shared vectors file `tests/vectors/<name>`, which
/// `SHUYUAN_UPDATE_VECTORS=1` rewrites first: Rust's side of a file that `search-core.js` is
/// checked against too.
#[cfg(test)]
fn assert_vectors(name: &str, value: &impl Serialize) {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let json = serde_json::to_string(value).expect("vectors serialise") + "\n";
    if std::env::var_os("SHUYUAN_UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &json).expect("vectors written");
    }
    let stored = std::fs::read_to_string(&path).expect("the vectors file");
    assert!(
        stored == json,
        "tests/vectors/{name} differs from the code: review, then SHUYUAN_UPDATE_VECTORS=1"
    );
}
