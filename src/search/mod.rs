//! Full-text search: the tantivy index for the CLI and the dev server, and the static,
//! script-loaded index that `search.js` queries from `file://` or any sub-path.
//!
//! Takes the rendered pages as [`SearchDoc`]s (plain text split at headings, plus facets) and
//! hands on two artefacts: a tantivy index in [`SearchConfig::index_dir`] (not published), read by
//! [`search`], and `out/search/` for the browser. Both use the one tokenizer in [`tokenizer`]
//! (Han bigrams plus whole words, with Han characters and word bigrams as a separate "grams"
//! namespace for one-character and edge-cut queries) and the one query analysis in [`query`], so a
//! page containing the query text is found by either. Submodules:
//! - [`tokenizer`]: normalisation, character classes, tokens; tantivy adapters.
//! - [`query`]: query syntax and what a page must hold to contain each term.
//! - `snippet`: match marking, excerpts with `<mark>`, best section to link to.
//! - `index`: the tantivy schema, indexing and the tiered search.
//! - `export`: the static browser index (format documented there).

mod export;
mod index;
pub mod query;
mod snippet;
pub mod tokenizer;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) use export::{FNV64_START, fnv64};
pub use index::SearchIndex;

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

/// Where the tantivy index lives.
#[derive(Clone, Debug)]
pub struct SearchConfig {
    /// The tantivy index directory (by default `.shuyuan/index` under the site root; not published).
    pub index_dir: PathBuf,
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

/// One result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub title: String,
    /// Root-relative URL of the page, with `#anchor` of the best-matching section when it has one.
    pub url: String,
    pub kind: String,
    pub kind_label: String,
    pub date: Option<String>,
    pub breadcrumbs: Vec<String>,
    /// Heading of the linked section (`""` for the page top).
    pub section: String,
    /// Relevance within the hit's tier; hits are already in rank order.
    pub score: f32,
    /// True when every term occurs verbatim in the page.
    pub exact: bool,
    /// HTML excerpt: text escaped, matches in `<mark>`.
    pub snippet: String,
}

/// What [`build`] produced.
#[derive(Clone, Debug, Serialize)]
pub struct IndexStats {
    pub docs: usize,
    /// Content hash naming this build's static files.
    pub build_id: String,
    /// Distinct keys (tokens and grams) in the static index.
    pub keys: usize,
    pub shards: usize,
    /// Bytes of all shard files.
    pub shard_bytes: u64,
    /// Bytes of all per-page fragment files.
    pub fragment_bytes: u64,
    /// Bytes of the facets file.
    pub facets_bytes: u64,
    /// Bytes of the tantivy index directory.
    pub index_bytes: u64,
}

/// Everything that can go wrong while building or querying the search indexes.
#[derive(Debug)]
pub enum SearchError {
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// tantivy failed.
    Index(tantivy::TantivyError),
    /// There is no index at the path (the site has not been built).
    NoIndex(PathBuf),
    /// A directory we were asked to replace holds files we did not write.
    NotOurs(PathBuf),
    /// A stored document could not be read back.
    Corrupt(String),
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            SearchError::Index(e) => write!(f, "search index: {e}"),
            SearchError::NoIndex(p) => write!(
                f,
                "no search index at {} (run `shuyuan build` first)",
                p.display()
            ),
            SearchError::NotOurs(p) => write!(
                f,
                "{} exists and is not a search index; refusing to replace it",
                p.display()
            ),
            SearchError::Corrupt(m) => write!(f, "search index is damaged: {m}"),
        }
    }
}

impl std::error::Error for SearchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SearchError::Io { source, .. } => Some(source),
            SearchError::Index(e) => Some(e),
            _ => None,
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e)
    }
}

impl SearchError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SearchError {
        let path = path.into();
        move |source| SearchError::Io { path, source }
    }
}

/// Builds the tantivy index in `config.index_dir` and writes the static browser index into
/// `out_dir/search/`. Both are rebuilt from scratch; pages are numbered in URL order so the
/// output (and its build id) depends only on the content.
pub fn build(
    docs: &[SearchDoc],
    config: &SearchConfig,
    out_dir: &Path,
) -> Result<IndexStats, SearchError> {
    let mut sorted: Vec<&SearchDoc> = docs.iter().collect();
    sorted.sort_by(|a, b| a.url.cmp(&b.url));
    let (index_bytes, exported) = rayon::join(
        || index::build(&sorted, &config.index_dir),
        || export::write(&sorted, out_dir),
    );
    Ok(IndexStats {
        index_bytes: index_bytes?,
        ..exported?
    })
}

/// Searches the tantivy index in `index_dir` (for the CLI and `GET /api/search`).
/// Opens the index on every call; a long-running server should keep a [`SearchIndex`].
pub fn search(index_dir: &Path, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
    SearchIndex::open(index_dir)?.search(query)
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
