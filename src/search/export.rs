//! The static browser index in `out/search/`, loaded by `search.js` through `<script>` tags only
//! (no fetch, modules, WebAssembly or workers), so it works from `file://` and under any sub-path.
//!
//! Layout, where `B` is the build id (a hash of everything below, so files of two builds never mix):
//! - `search/meta.js` (fixed name, the entry point):
//!   `window.__shuyuan.meta({"v":1,"build":"B","shards":S,"docs":N})`
//! - `search/B/s<k>.js`, `k < S`: `window.__shuyuan.shard("B",k,"KEY POSTINGS KEY POSTINGS …")`.
//!   Keys are terms-namespace tokens, `"\u0001"` + a grams-namespace piece, or a pair key
//!   `"\u0002" + a + "\u0002" + b` for adjacent tokens across a run boundary where one is a word
//!   (standing in for positions: `2021`,`16` in `〔2021〕16号`). A key lives in shard
//!   `fnv1a32(UTF-16 code units of key) % S`; `S` grows with the index so a shard stays near
//!   [`TARGET_SHARD_BYTES`] (a small site has one shard).
//! - `search/B/p<d>.js`: one fragment per page `d` (pages are numbered in URL order), loaded only
//!   for the results shown: `window.__shuyuan.page("B",d,{"t":title,"u":url,"k":kind,"l":label,
//!   "d":date,"st":status,"b":[breadcrumbs],"s":[[anchor,heading,text],…]})`.
//! - `search/B/facets.js`, for the full search page: value lists plus one varint column per facet
//!   (see [`Facets`]).
//!
//! Postings: for each page holding the key, in page order, the number
//! `((page - previous page - 1) << 4) | level` as a varint: base64url digits
//! (`A–Z a–z 0–9 - _`), five payload bits each, least significant first, a digit ≥ 32 meaning
//! more digits follow. So the document frequency is the count of digits below 32.
//! `level` bits 0–2 are the BM25 term-frequency part (k1 = 1.2, b = 0.75, heading occurrences
//! counted three times) quantised to 1–7, 0 when the key is only in the title; bit 3 is set when
//! the key is in the title. The browser multiplies by the IDF it derives from the document
//! frequency.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::tokenizer::{Analysis, GRAM_PREFIX, pair_key};
use super::{IndexStats, SearchDoc, SearchError};

/// Shard size the shard count aims at. A two-character query loads one shard, a four-character
/// one three; with the script and ten fragments that keeps a query well under 300 KB.
const TARGET_SHARD_BYTES: usize = 24 * 1024;
/// Format version written to `meta.js`.
const FORMAT_VERSION: u32 = 1;
const BM25_K1: f64 = 1.2;
const BM25_B: f64 = 0.75;
/// A heading occurrence counts as this many body occurrences.
const HEADING_TF: u32 = 3;
/// Level bit set when the key occurs in the title.
const TITLE_BIT: u64 = 8;
/// Pages merged into the postings per parallel batch (bounds memory on large sites).
const BATCH: usize = 256;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends `v` as a base64url varint (see the module docs).
fn push_varint(out: &mut String, mut v: u64) {
    while v >= 32 {
        out.push(B64[(32 | (v & 31)) as usize] as char);
        v >>= 5;
    }
    out.push(B64[v as usize] as char);
}

/// FNV-1a over the UTF-16 code units of `key` (what the browser can hash without encoding).
fn key_hash(key: &str) -> u32 {
    key.encode_utf16().fold(0x811c_9dc5u32, |h, u| {
        (h ^ u32::from(u)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a 64 offset basis: where a fresh [`fnv64`] hash starts.
pub(crate) const FNV64_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 over bytes: the build ids (site and search), and the hasher of the key maps.
pub(crate) fn fnv64(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// FNV-1a as a `Hasher`: keys are a few bytes long, where it beats the default SipHash.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(FNV64_START)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv64(self.0, bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A static-index key borrowed from a page's analysed text.
#[derive(Hash, PartialEq, Eq)]
enum Key<'a> {
    Term(&'a str),
    Gram(&'a str),
    Pair(&'a str, &'a str),
}

impl Key<'_> {
    fn to_key_string(&self) -> String {
        match self {
            Key::Term(t) => (*t).to_string(),
            Key::Gram(g) => format!("{GRAM_PREFIX}{g}"),
            Key::Pair(a, b) => pair_key(a, b),
        }
    }
}

/// Occurrences of one key in one page, packed as `weighted tf << 1 | in title`, where the
/// weighted tf counts body occurrences once and heading occurrences [`HEADING_TF`] times.
type Count = u32;

/// Adds every key of `a` to `counts` (`add` to the packed count, `flag` or-ed in); returns the
/// number of terms tokens.
fn count_keys<'a>(
    counts: &mut FnvMap<Key<'a>, Count>,
    a: &'a Analysis,
    add: Count,
    flag: Count,
) -> usize {
    let mut bump = |key: Key<'a>| {
        let c = counts.entry(key).or_default();
        *c = (*c + add) | flag;
    };
    let terms = a.term_spans();
    for s in &terms {
        bump(Key::Term(a.span_text(s)));
    }
    for w in terms.windows(2).filter(|w| a.forms_pair(&w[0], &w[1])) {
        bump(Key::Pair(a.span_text(&w[0]), a.span_text(&w[1])));
    }
    for g in a.gram_spans() {
        bump(Key::Gram(a.span_text(&g)));
    }
    terms.len()
}

/// One page's document length (terms in headings and text: BM25's length) and key counts.
struct PageKeys {
    len: u32,
    keys: Vec<(String, Count)>,
}

/// Counts every key of a page in one pass over its title, headings and text.
fn page_keys(doc: &SearchDoc) -> PageKeys {
    let title = Analysis::new(&doc.title);
    let sections: Vec<(Analysis, Analysis)> = doc
        .sections
        .iter()
        .map(|s| (Analysis::new(&s.heading), Analysis::new(&s.text)))
        .collect();
    let mut counts: FnvMap<Key<'_>, Count> = FnvMap::default();
    count_keys(&mut counts, &title, 0, 1);
    let mut len = 0;
    for (heading, text) in &sections {
        len += count_keys(&mut counts, heading, HEADING_TF << 1, 0);
        len += count_keys(&mut counts, text, 1 << 1, 0);
    }
    PageKeys {
        len: len as u32,
        keys: counts
            .into_iter()
            .map(|(k, c)| (k.to_key_string(), c))
            .collect(),
    }
}

/// The quantised level of a packed count in a page of BM25 length ratio `len_norm`.
fn level(count: Count, len_norm: f64) -> u64 {
    let tf = f64::from(count >> 1);
    // BM25's saturating tf part lies in [0, k1 + 1); spread it over levels 1..=7.
    let part = tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * len_norm);
    let tf_level = if count >> 1 == 0 {
        0
    } else {
        1 + ((part / (BM25_K1 + 1.0) * 7.0) as u64).min(6)
    };
    tf_level | if count & 1 == 1 { TITLE_BIT } else { 0 }
}

/// Every key's postings: `page << 32 | packed count`, pages ascending; and each page's length.
fn postings(docs: &[&SearchDoc]) -> (FnvMap<String, Vec<u64>>, Vec<u32>) {
    let mut map: FnvMap<String, Vec<u64>> = FnvMap::default();
    let mut lens = Vec::with_capacity(docs.len());
    for (b, batch) in docs.chunks(BATCH).enumerate() {
        let pages: Vec<PageKeys> = batch.par_iter().map(|d| page_keys(d)).collect();
        for (i, page) in pages.into_iter().enumerate() {
            let id = ((b * BATCH + i) as u64) << 32;
            lens.push(page.len);
            for (key, count) in page.keys {
                match map.get_mut(&key) {
                    Some(list) => list.push(id | u64::from(count)),
                    None => {
                        map.insert(key, vec![id | u64::from(count)]);
                    }
                }
            }
        }
    }
    (map, lens)
}

/// Encodes one key's postings (see the module docs); `len_norm[page]` is BM25's length ratio.
fn encode_postings(list: &[u64], len_norm: &[f64]) -> String {
    let mut out = String::with_capacity(list.len() * 2);
    let mut next = 0u64;
    for &p in list {
        let page = p >> 32;
        let lvl = level(p as u32, len_norm[page as usize]);
        push_varint(&mut out, ((page - next) << 4) | lvl);
        next = page + 1;
    }
    out
}

/// A page fragment as written to `p<d>.js`.
#[derive(Serialize)]
struct Fragment<'a> {
    t: &'a str,
    u: &'a str,
    k: &'a str,
    l: &'a str,
    d: Option<&'a str>,
    st: Option<&'a str>,
    b: &'a [String],
    s: Vec<[&'a str; 3]>,
}

/// The facets file: value lists, then per page (in page order) one varint column each:
/// `kind` (index into `kinds`), `date` (0 for none, else `((year - 1000) * 12 + month - 1) * 31
/// + day - 1 + 1` with missing month or day taken as 1), `status` and `region` (0 for none, else
/// index + 1), and `tags`, `topics` (a count, then that many indices).
#[derive(Serialize)]
struct Facets {
    kinds: Vec<(String, String)>,
    statuses: Vec<String>,
    regions: Vec<String>,
    tags: Vec<String>,
    topics: Vec<String>,
    kind: String,
    date: String,
    status: String,
    region: String,
    tag: String,
    topic: String,
}

/// Sorted distinct values and an index lookup.
fn value_list<'a>(
    values: impl Iterator<Item = &'a String>,
) -> (Vec<String>, HashMap<&'a str, u64>) {
    let mut list: Vec<&str> = values.map(String::as_str).collect();
    list.sort_unstable();
    list.dedup();
    let index = list
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, i as u64))
        .collect();
    (list.into_iter().map(String::from).collect(), index)
}

/// Packs `YYYY-MM-DD` (or a prefix of it) as described on [`Facets`]; `None` when unreadable.
fn date_code(date: &str) -> Option<u64> {
    let part = |r: std::ops::Range<usize>| date.get(r).and_then(|s| s.parse::<u64>().ok());
    let year = part(0..4).filter(|y| (1000..=4000).contains(y))?;
    let month = part(5..7).filter(|m| (1..=12).contains(m)).unwrap_or(1);
    let day = part(8..10).filter(|d| (1..=31).contains(d)).unwrap_or(1);
    Some(((year - 1000) * 12 + month - 1) * 31 + day)
}

fn facets(docs: &[&SearchDoc]) -> Facets {
    let mut kinds: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d.kind.clone(), d.kind_label.clone()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup_by(|a, b| a.0 == b.0);
    let (statuses, status_ix) = value_list(docs.iter().filter_map(|d| d.status.as_ref()));
    let (regions, region_ix) = value_list(docs.iter().filter_map(|d| d.region.as_ref()));
    let (tags, tag_ix) = value_list(docs.iter().flat_map(|d| &d.tags));
    let (topics, topic_ix) = value_list(docs.iter().flat_map(|d| &d.topics));
    let mut f = Facets {
        kind: String::new(),
        date: String::new(),
        status: String::new(),
        region: String::new(),
        tag: String::new(),
        topic: String::new(),
        kinds,
        statuses,
        regions,
        tags,
        topics,
    };
    let optional =
        |ix: &HashMap<&str, u64>, v: &Option<String>| v.as_deref().map_or(0, |v| ix[v] + 1);
    let list = |out: &mut String, ix: &HashMap<&str, u64>, vs: &[String]| {
        let mut distinct: Vec<u64> = vs.iter().map(|v| ix[v.as_str()]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        push_varint(out, distinct.len() as u64);
        for v in distinct {
            push_varint(out, v);
        }
    };
    for d in docs {
        let kind = f.kinds.iter().position(|k| k.0 == d.kind).unwrap_or(0);
        push_varint(&mut f.kind, kind as u64);
        push_varint(
            &mut f.date,
            d.date.as_deref().and_then(date_code).unwrap_or(0),
        );
        push_varint(&mut f.status, optional(&status_ix, &d.status));
        push_varint(&mut f.region, optional(&region_ix, &d.region));
        list(&mut f.tag, &tag_ix, &d.tags);
        list(&mut f.topic, &topic_ix, &d.topics);
    }
    f
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("static index data serialises to JSON")
}

/// Removes what an earlier build wrote (`meta.js` and build directories), nothing else.
fn clear_old_builds(dir: &Path) -> Result<(), SearchError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(SearchError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        if name == "meta.js" {
            std::fs::remove_file(&path).map_err(SearchError::io(&path))?;
        } else if is_build_id(&name) && path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(SearchError::io(&path))?;
        }
    }
    Ok(())
}

fn is_build_id(name: &str) -> bool {
    name.len() == 12
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Writes the static index for `docs` (already in page order) into `out_dir/search/`.
/// Writes the static index; the returned stats leave `index_bytes` (tantivy's) at 0.
pub(super) fn write(docs: &[&SearchDoc], out_dir: &Path) -> Result<IndexStats, SearchError> {
    let (map, lens) = postings(docs);
    let keys = map.len();
    let avg = (lens.iter().map(|&l| f64::from(l)).sum::<f64>() / lens.len().max(1) as f64).max(1.0);
    let len_norm: Vec<f64> = lens
        .iter()
        .map(|&l| 1.0 - BM25_B + BM25_B * f64::from(l) / avg)
        .collect();
    let mut encoded: Vec<(String, String)> = map
        .into_par_iter()
        .map(|(k, list)| {
            let e = encode_postings(&list, &len_norm);
            (k, e)
        })
        .collect();
    encoded.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let total: usize = encoded.iter().map(|(k, p)| k.len() + p.len() + 2).sum();
    let shard_count = total.div_ceil(TARGET_SHARD_BYTES).max(1);
    let mut shard_data = vec![String::new(); shard_count];
    for (key, post) in &encoded {
        let data = &mut shard_data[key_hash(key) as usize % shard_count];
        if !data.is_empty() {
            data.push(' ');
        }
        let _ = write!(data, "{key} {post}");
    }
    drop(encoded);
    let shard_json: Vec<String> = shard_data.par_iter().map(|s| json(s.as_str())).collect();
    drop(shard_data);
    let fragments: Vec<String> = docs
        .par_iter()
        .map(|d| {
            json(&Fragment {
                t: &d.title,
                u: &d.url,
                k: &d.kind,
                l: &d.kind_label,
                d: d.date.as_deref(),
                st: d.status.as_deref(),
                b: &d.breadcrumbs,
                s: d.sections
                    .iter()
                    .map(|s| [s.anchor.as_str(), s.heading.as_str(), s.text.as_str()])
                    .collect(),
            })
        })
        .collect();
    let facets = json(&facets(docs));

    let mut h = fnv64(FNV64_START, &(shard_count as u64).to_le_bytes());
    for part in shard_json.iter().chain(&fragments).chain([&facets]) {
        h = fnv64(h, part.as_bytes());
        h = fnv64(h, &[0]);
    }
    let build = format!("{:012x}", h & 0xffff_ffff_ffff);

    let search_dir = out_dir.join("search");
    clear_old_builds(&search_dir)?;
    let build_dir = search_dir.join(&build);
    std::fs::create_dir_all(&build_dir).map_err(SearchError::io(&build_dir))?;
    let file = |name: String, body: String| -> Result<u64, SearchError> {
        let path: PathBuf = build_dir.join(name);
        std::fs::write(&path, &body).map_err(SearchError::io(&path))?;
        Ok(body.len() as u64)
    };
    let shard_bytes = shard_json
        .into_par_iter()
        .enumerate()
        .map(|(k, data)| {
            file(
                format!("s{k}.js"),
                format!("window.__shuyuan.shard(\"{build}\",{k},{data})\n"),
            )
        })
        .sum::<Result<u64, _>>()?;
    let fragment_bytes = fragments
        .into_par_iter()
        .enumerate()
        .map(|(d, data)| {
            file(
                format!("p{d}.js"),
                format!("window.__shuyuan.page(\"{build}\",{d},{data})\n"),
            )
        })
        .sum::<Result<u64, _>>()?;
    let facets_bytes = file(
        "facets.js".into(),
        format!("window.__shuyuan.facets(\"{build}\",{facets})\n"),
    )?;
    // meta.js goes last: until it names the new build, readers keep using the old one.
    let meta = format!(
        "window.__shuyuan.meta({{\"v\":{FORMAT_VERSION},\"build\":\"{build}\",\"shards\":{shard_count},\"docs\":{}}})\n",
        docs.len()
    );
    let meta_path = search_dir.join("meta.js");
    std::fs::write(&meta_path, meta).map_err(SearchError::io(&meta_path))?;
    Ok(IndexStats {
        docs: docs.len(),
        build_id: build,
        keys,
        shards: shard_count,
        shard_bytes,
        fragment_bytes,
        facets_bytes,
        index_bytes: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_use_five_bits_per_digit() {
        let mut s = String::new();
        for v in [0, 31, 32, 1023, 1024] {
            push_varint(&mut s, v);
        }
        assert_eq!(s, "AfgB_fggB");
    }

    #[test]
    fn dates_pack_into_a_sortable_number() {
        assert!(date_code("2024-03-01") < date_code("2024-03-02"));
        assert!(date_code("2023-12-31") < date_code("2024-01-01"));
        assert_eq!(date_code("2024"), date_code("2024-01-01"));
        assert_eq!(date_code("soon"), None);
    }
}
