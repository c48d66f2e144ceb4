//! Reads the static index that [`super::export`] wrote into an output folder, file by file as
//! the browser loads it, and answers queries with [`super::rank`]: the CLI and `/api/search`
//! therefore rank exactly as the site's search page does, from the same files.
//!
//! Each file is a script calling `window.__shuyuan.<name>(…)`; the arguments, put between
//! brackets, are a JSON array (a fragment's last one a string that packs its JSON). Shards
//! and fragments are read only when a query needs them and kept for the next query of the
//! same build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

use super::codec::{decode_heavy, decode_postings, posting_count};
use super::export::index_file;
use super::facets::Facets;
use super::fragments::{OwnedPiece, pieces_read};
use super::query::{self, Term};
use super::rank::{self, KeyInfo, Postings, Ranked};
use super::snippet::{best_section, snippet};
use super::{Found, SearchError, SearchHit, SearchQuery};
use super::{fragment_code, script};

/// `search/meta.js`: which build is current, how it is laid out, and the synonym groups.
#[derive(Clone, Debug, Deserialize)]
struct Meta {
    /// The format (`export::FORMAT_VERSION`); the first indexes wrote none.
    #[serde(default)]
    v: u32,
    build: String,
    /// The edition (`export`); indexes written before there were editions have none.
    #[serde(default)]
    ed: String,
    shards: u32,
    docs: u32,
    #[serde(default)]
    syn: Vec<Vec<String>>,
    /// Series runs (`series::runs`).
    #[serde(default)]
    series: Vec<u32>,
}

/// A page fragment `p<d>.js` (see the export module docs for the field names).
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Fragment {
    pub t: String,
    pub u: String,
    pub k: String,
    pub l: String,
    pub d: Option<String>,
    pub st: Option<String>,
    pub b: Vec<String>,
    pub s: Vec<OwnedPiece>,
    /// Continuation files (`super::fragments`).
    #[serde(default)]
    pub c: usize,
}

/// A query's terms, their synonym alternatives and the pages ranked.
struct Expanded {
    terms: Vec<Term>,
    alternatives: Vec<Vec<Term>>,
    ranked: Vec<Ranked>,
    /// The quoted query found nothing, so these are the results without its quotes.
    relaxed: bool,
    /// A term is loose (a typed sentence, which no page holds verbatim).
    loose: bool,
}

/// The static index of one output folder.
pub struct StaticIndex {
    dir: PathBuf,
    meta: Meta,
    /// Each page's series number (`series::per_page`).
    series: Vec<u32>,
    /// Shard number → key → encoded postings.
    shards: Mutex<HashMap<u32, HashMap<String, String>>>,
    fragments: Mutex<HashMap<u32, Fragment>>,
    /// (page, continuation number) → its pieces.
    continuations: Mutex<HashMap<(u32, usize), Vec<OwnedPiece>>>,
    facets: Mutex<Option<Facets>>,
}

/// The JSON array of a script's call arguments, checked against the expected call.
fn call_arguments(path: &Path, call: &str) -> Result<serde_json::Value, SearchError> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SearchError::NoIndex(path.to_path_buf())
        } else {
            SearchError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    // Not text: no file the build writes, so a damaged one, not a read failure.
    let text = script::text(&bytes)
        .ok_or_else(|| SearchError::Corrupt(format!("{} 不是文本文件", path.display())))?;
    script::arguments(&text, call)
        .ok_or_else(|| SearchError::Corrupt(format!("{} 不是书院写的 {call} 文件", path.display())))
}

/// The JSON a fragment file's string packs, read as `T`.
fn unpacked<T: serde::de::DeserializeOwned>(
    path: &Path,
    packed: &serde_json::Value,
) -> Result<T, SearchError> {
    let corrupt = |detail: String| SearchError::Corrupt(format!("{}：{detail}", path.display()));
    let json = packed
        .as_str()
        .and_then(|packed| fragment_code::unpack(packed).ok())
        .ok_or_else(|| corrupt("片段编码损坏".into()))?;
    serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))
}

/// Every key a plan loads: the terms', their alternatives', the boosts.
fn plan_keys(plan: &query::Plan) -> Vec<&String> {
    plan.per_term
        .iter()
        .flatten()
        .chain(plan.alternatives.iter().flatten().flatten())
        .chain(&plan.boosts)
        .collect()
}

/// A heavy key's stub `~j.df`: its file number in the shard and its document frequency.
fn heavy_stub(value: &str) -> Option<(usize, usize)> {
    let (j, df) = value.strip_prefix('~')?.split_once('.')?;
    Some((j.parse().ok()?, df.parse().ok()?))
}

impl StaticIndex {
    /// Opens the static index under `out_dir/search/` (the site's output folder).
    pub fn open(out_dir: &Path) -> Result<StaticIndex, SearchError> {
        let dir = out_dir.join("search");
        let args = call_arguments(&dir.join("meta.js"), "meta")?;
        let meta: Meta = serde_json::from_value(args[0].clone())
            .map_err(|e| SearchError::Corrupt(format!("meta.js：{e}")))?;
        if meta.v != super::export::FORMAT_VERSION {
            return Err(SearchError::OtherFormat(meta.v));
        }
        if meta.shards == 0 {
            return Err(SearchError::Corrupt("meta.js：分片数为 0".into()));
        }
        Ok(StaticIndex {
            dir: dir.join(&meta.build),
            series: super::series::per_page(&meta.series, meta.docs),
            meta,
            shards: Mutex::new(HashMap::new()),
            fragments: Mutex::new(HashMap::new()),
            continuations: Mutex::new(HashMap::new()),
            facets: Mutex::new(None),
        })
    }

    /// The folder of the current build's files.
    #[cfg(test)]
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder and the edition of this index: together they change whenever the index
    /// does (the folder alone stays when a rebuild changed only what pages say).
    pub fn version(&self) -> (&str, &str) {
        (&self.meta.build, &self.meta.ed)
    }

    /// The shard value of every key (postings or a heavy stub), reading the shards they hash
    /// to; `None` for a key in no page.
    fn shard_values(&self, keys: &[&String]) -> Result<HashMap<String, String>, SearchError> {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = HashMap::new();
        for key in keys {
            let k = super::export::key_hash(key) % self.meta.shards;
            if let std::collections::hash_map::Entry::Vacant(slot) = shards.entry(k) {
                let args =
                    call_arguments(&self.dir.join(index_file('s', k as usize, None)), "shard")?;
                let data = args[2].as_str().unwrap_or_default();
                let words: Vec<&str> = data.split(' ').collect();
                slot.insert(
                    words
                        .chunks_exact(2)
                        .map(|w| (w[0].to_string(), w[1].to_string()))
                        .collect(),
                );
            }
            if let Some(value) = shards[&k].get(key.as_str()) {
                out.insert(key.to_string(), value.clone());
            }
        }
        Ok(out)
    }

    /// The decoded postings of `keys`, whose shard values are in `values`: inline, or read
    /// from the key's own file for a heavy key.
    fn postings(
        &self,
        keys: &[&String],
        values: &HashMap<String, String>,
    ) -> Result<HashMap<String, Postings>, SearchError> {
        let mut out = HashMap::new();
        for key in keys {
            let Some(value) = values.get(key.as_str()) else {
                continue;
            };
            let postings = match heavy_stub(value) {
                Some((j, _)) => {
                    let k = super::export::key_hash(key) % self.meta.shards;
                    let path = self.dir.join(index_file('s', k as usize, Some(j)));
                    let args = call_arguments(&path, "heavy")?;
                    decode_heavy(args[3].as_str().unwrap_or_default())
                }
                None => decode_postings(value),
            };
            out.insert(key.to_string(), postings);
        }
        Ok(out)
    }

    fn fragment(&self, page: u32) -> Result<Fragment, SearchError> {
        let mut fragments = self.fragments.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = fragments.get(&page) {
            return Ok(f.clone());
        }
        let path = self.dir.join(index_file('p', page as usize, None));
        let args = call_arguments(&path, "page")?;
        let fragment: Fragment = unpacked(&path, &args[2])?;
        fragments.insert(page, fragment.clone());
        Ok(fragment)
    }

    /// Continuation file `j` of page `page`'s fragment.
    fn continuation(&self, page: u32, j: usize) -> Result<Vec<OwnedPiece>, SearchError> {
        let mut continuations = self.continuations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pieces) = continuations.get(&(page, j)) {
            return Ok(pieces.clone());
        }
        let path = self.dir.join(index_file('p', page as usize, Some(j)));
        let args = call_arguments(&path, "more")?;
        let pieces: Vec<OwnedPiece> = unpacked(&path, &args[3])?;
        continuations.insert((page, j), pieces.clone());
        Ok(pieces)
    }

    fn with_facets<T>(&self, f: impl FnOnce(&Facets) -> T) -> Result<T, SearchError> {
        let mut facets = self.facets.lock().unwrap_or_else(|e| e.into_inner());
        if facets.is_none() {
            let path = self.dir.join("facets.js");
            let args = call_arguments(&path, "facets")?;
            *facets = Some(Facets::decode(&args[1], self.meta.docs)?);
        }
        Ok(f(facets.as_ref().expect("facets were just loaded")))
    }

    /// The root-relative URL of page number `page`.
    pub fn url_of(&self, page: u32) -> Result<String, SearchError> {
        Ok(self.fragment(page)?.u)
    }

    /// Every page answering the query, ranked, before filters: exactly the page's list, with
    /// the analysed terms and their synonym alternatives. A query with quotes that finds
    /// nothing is run again without them (ARCHITECTURE.md, "Ranking", step 1).
    pub fn rank(&self, text: &str) -> Result<(Vec<Term>, Vec<Ranked>), SearchError> {
        let expanded = self.rank_expanded(text)?;
        Ok((expanded.terms, expanded.ranked))
    }

    fn rank_expanded(&self, text: &str) -> Result<Expanded, SearchError> {
        let quoted = self.rank_terms(query::parse(text))?;
        if !quoted.ranked.is_empty() || !quoted.terms.iter().any(|t| t.quoted) {
            return Ok(quoted);
        }
        let relaxed = self.rank_terms(query::parse(&query::without_quotes(text)))?;
        Ok(Expanded {
            relaxed: true,
            ..relaxed
        })
    }

    fn rank_terms(&self, terms: Vec<Term>) -> Result<Expanded, SearchError> {
        if terms.is_empty() {
            return Ok(Expanded {
                terms,
                alternatives: Vec::new(),
                ranked: Vec::new(),
                relaxed: false,
                loose: false,
            });
        }
        let alternatives = query::expand(&terms, &self.meta.syn);
        let plan = query::plan(&terms, &alternatives);
        let keys = plan_keys(&plan);
        let values = self.shard_values(&keys)?;
        let info = |key: &str| match values.get(key) {
            None => KeyInfo::Light(0),
            Some(value) => match heavy_stub(value) {
                Some((_, df)) => KeyInfo::Heavy(df),
                None => KeyInfo::Light(posting_count(value.as_bytes())),
            },
        };
        let loose = plan.loose.iter().any(|&l| l);
        let plan = rank::settle(&plan, &info);
        let keys = plan_keys(&plan);
        let postings = self.postings(&keys, &values)?;
        let ranked = rank::rank(&terms, &plan, &postings, self.meta.docs, &self.series);
        Ok(Expanded {
            terms,
            alternatives,
            ranked,
            relaxed: false,
            loose,
        })
    }

    /// Runs a query with its filters; at most `query.limit` (at least 1) hits, in the order
    /// the search page shows them (`pickShown` in `search.js`): of the shortest start of the
    /// ranked list holding `limit` pages that hold every term verbatim, looking at most twice
    /// `limit` deep (`limit` when a term is loose: no page holds a typed sentence), the
    /// holders first, each group in rank order. A page holding a keyword's bigrams apart then
    /// never pushes one holding the keyword out of view. Past the first `limit`, a page is
    /// judged on its fragment alone (no continuation files), which keeps looking deeper cheap.
    pub fn search(&self, query: &SearchQuery) -> Result<Found, SearchError> {
        let Expanded {
            terms,
            alternatives,
            ranked,
            relaxed,
            loose,
        } = self.rank_expanded(&query.text)?;
        // Snippets mark what a synonym found too; "holds every term" stays literal.
        let marked: Vec<Term> = terms
            .iter()
            .cloned()
            .chain(alternatives.iter().flatten().map(|a| Term {
                quoted: true,
                ..a.clone()
            }))
            .collect();
        let filtered = if query.has_filters() {
            self.with_facets(|f| {
                ranked
                    .into_iter()
                    .filter(|r| f.passes(r.page, query))
                    .collect::<Vec<_>>()
            })?
        } else {
            ranked
        };
        let limit = query.limit.max(1);
        let deepest = filtered.len().min(if loose { limit } else { 2 * limit });
        let mut hits = Vec::with_capacity(deepest);
        let mut held = 0;
        for (looked, r) in filtered[..deepest].iter().enumerate() {
            if looked >= limit && held == limit {
                break;
            }
            let mut fragment = self.fragment(r.page)?;
            let head = std::mem::take(&mut fragment.s);
            // Past the first `limit`, a page is judged on its fragment alone.
            let more = if looked < limit { fragment.c } else { 0 };
            let (pieces, holds) = pieces_read(&terms, &fragment.t, head, more, |j| {
                self.continuation(r.page, j)
            })?;
            fragment.s = pieces;
            held += usize::from(holds);
            hits.push((holds, r, fragment));
        }
        // Stable: the rank order stays within each group.
        hits.sort_by_key(|(exact, _, _)| !exact);
        hits.truncate(limit);
        Ok(Found {
            hits: hits
                .into_iter()
                .map(|(exact, r, f)| describe(&marked, r, f, exact))
                .collect(),
            relaxed,
        })
    }
}

/// A hit as the page shows it: the best section's anchor, heading and snippet.
fn describe(terms: &[Term], r: &Ranked, f: Fragment, exact: bool) -> SearchHit {
    let (best, marks) = best_section(terms, f.s.iter().map(|s| (s[1].as_str(), s[2].as_str())));
    let section = f.s.get(best);
    let anchor = section.map_or("", |s| s[0].as_str());
    SearchHit {
        url: if anchor.is_empty() {
            f.u
        } else {
            format!("{}#{anchor}", f.u)
        },
        title: f.t,
        kind: f.k,
        kind_label: f.l,
        date: f.d,
        status: f.st,
        breadcrumbs: f.b,
        section: section.map_or(String::new(), |s| s[1].clone()),
        score: r.score,
        exact,
        snippet: section.map_or(String::new(), |s| snippet(&s[2], &marks)),
    }
}
