//! Exact substring recall over generated pages: every page whose normalised text contains a
//! random substring is found by `shuyuan search` (and ranked before pages that do not contain
//! it), and lies in the candidate set a browser derives from the static index files, decoded here
//! independently of the exporter and of the reader.

#[path = "common/corpus.rs"]
mod corpus;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use shuyuan::search::query::{parse, plan};
use shuyuan::search::tokenizer::normalize;
use shuyuan::search::{SearchDoc, SearchQuery, build};

/// The searchable strings of a page: title, headings, section texts (normalised).
fn texts(doc: &SearchDoc) -> Vec<String> {
    std::iter::once(&doc.title)
        .chain(doc.sections.iter().flat_map(|s| [&s.heading, &s.text]))
        .map(|t| normalize(t))
        .collect()
}

/// Draws `n` substrings of 1–8 characters from random strings of random pages.
fn substrings(docs: &[SearchDoc], rng: &mut corpus::Rng, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let doc = &docs[rng.below(docs.len())];
        let all = texts(doc);
        // Mostly body text, sometimes the title or a heading.
        let text = &all[rng.below(all.len())];
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            continue;
        }
        let len = 1 + rng.below(8);
        let start = rng.below(chars.len());
        let s: String = chars[start..(start + len).min(chars.len())]
            .iter()
            .collect();
        let trimmed = s.trim();
        // Pure punctuation has nothing to search for.
        if trimmed != s || parse(&s).is_empty() {
            continue;
        }
        out.push(s);
    }
    out
}

/// The query that asks for exactly `s`: quoted when it holds a space (which would split terms).
fn query_for(s: &str) -> String {
    if s.contains(char::is_whitespace) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

#[test]
fn every_page_containing_a_substring_is_found() {
    let docs = corpus::pages(7, 50, 300..1500);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let stats = build(&docs, &[], &out, tmp.path().join("work")).unwrap();
    assert_eq!(stats.docs, 50);

    let normalised: Vec<Vec<String>> = docs.iter().map(texts).collect();
    let index = shuyuan::search::StaticIndex::open(&out).unwrap();
    let browser = StaticIndex::load(&out);
    // Page numbers in the static index follow URL order.
    let mut by_url: Vec<&SearchDoc> = docs.iter().collect();
    by_url.sort_by(|a, b| a.url.cmp(&b.url));

    let mut rng = corpus::Rng::new(99);
    let queries = substrings(&docs, &mut rng, 400);
    let mut checked_multi = 0;
    for s in &queries {
        let needle = normalize(s);
        let containing: BTreeSet<&str> = docs
            .iter()
            .zip(&normalised)
            .filter(|(_, t)| t.iter().any(|x| x.contains(&needle)))
            .map(|(d, _)| d.url.as_str())
            .collect();
        assert!(!containing.is_empty(), "{s:?} was drawn from a page");
        if containing.len() > 1 {
            checked_multi += 1;
        }

        let hits = index
            .search(&SearchQuery {
                text: query_for(s),
                limit: 1000,
                ..SearchQuery::default()
            })
            .unwrap()
            .hits;
        let urls: Vec<&str> = hits
            .iter()
            .map(|h| h.url.split('#').next().unwrap())
            .collect();
        for url in &containing {
            assert!(urls.contains(url), "{s:?}: the search missed {url}");
        }
        // Pages holding the text come first, and say so.
        for (rank, hit) in hits.iter().enumerate() {
            let holds = containing.contains(urls[rank]);
            assert_eq!(hit.exact, holds, "{s:?}: exact flag of {}", hit.url);
            assert_eq!(
                holds,
                rank < containing.len(),
                "{s:?}: {} ranked {rank}",
                hit.url
            );
        }

        let candidates = browser.candidates(&query_for(s));
        for (page, doc) in by_url.iter().enumerate() {
            if containing.contains(doc.url.as_str()) {
                assert!(
                    candidates.contains(&page),
                    "{s:?}: static index missed {}",
                    doc.url
                );
            }
        }
    }
    assert!(
        checked_multi > 100,
        "too few substrings occur on several pages"
    );
}

/// The static index as the browser reads it: meta, then every shard, decoded from the files.
struct StaticIndex {
    shards: usize,
    keys: HashMap<String, String>,
}

/// Strips `window.__shuyuan.NAME(` … `)` and returns the JSON arguments as one array.
fn call_args(path: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let prefix = format!("window.__shuyuan.{name}(");
    let inner = text
        .trim_end()
        .strip_prefix(&prefix)
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{} is not a {name} call", path.display()));
    serde_json::from_str(&format!("[{inner}]")).unwrap()
}

/// FNV-1a over UTF-16 code units, written from the format description.
fn shard_of(key: &str, shards: usize) -> usize {
    let mut h: u32 = 2_166_136_261;
    for u in key.encode_utf16() {
        h ^= u32::from(u);
        h = h.wrapping_mul(16_777_619);
    }
    h as usize % shards
}

fn digit(c: u8) -> u64 {
    match c {
        b'A'..=b'Z' => u64::from(c - b'A'),
        b'a'..=b'z' => u64::from(c - b'a') + 26,
        b'0'..=b'9' => u64::from(c - b'0') + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not a base64url digit: {c}"),
    }
}

/// Pages of a posting list (levels are checked, then dropped). A heavy key's list may be tiered:
/// plain postings, `.`, the shared level's digit, then `g` and page gaps or `b` and a bitmap of
/// six pages a digit.
fn decode(postings: &str) -> BTreeSet<usize> {
    let Some((plain, rest)) = postings.split_once('.') else {
        return decode_plain(postings);
    };
    let mut pages = decode_plain(plain);
    assert_ne!(digit(rest.as_bytes()[0]) & 31, 0, "shared level empty");
    let body = &rest.as_bytes()[2..];
    match rest.as_bytes()[1] {
        b'g' => {
            let (mut v, mut shift, mut next) = (0u64, 0, 0u64);
            for &c in body {
                let d = digit(c);
                v |= (d & 31) << shift;
                shift += 5;
                if d < 32 {
                    assert!(pages.insert((next + v) as usize), "page in both tiers");
                    next += v + 1;
                    v = 0;
                    shift = 0;
                }
            }
        }
        b'b' => {
            for (i, &c) in body.iter().enumerate() {
                for bit in 0..6 {
                    if digit(c) & (1 << bit) != 0 {
                        assert!(pages.insert(i * 6 + bit), "page in both tiers");
                    }
                }
            }
        }
        other => panic!("unknown rest encoding {}", other as char),
    }
    pages
}

fn decode_plain(postings: &str) -> BTreeSet<usize> {
    let mut pages = BTreeSet::new();
    let (mut v, mut shift, mut next) = (0u64, 0, 0u64);
    for &c in postings.as_bytes() {
        let d = digit(c);
        v |= (d & 31) << shift;
        shift += 5;
        if d < 32 {
            let page = next + (v >> 5);
            // A page holds the key in its title (bit 4) or its text (level 1–15).
            assert_ne!(v & 31, 0, "posting with an empty level");
            pages.insert(page as usize);
            next = page + 1;
            v = 0;
            shift = 0;
        }
    }
    assert_eq!(shift, 0, "posting list ends mid-number");
    pages
}

impl StaticIndex {
    fn load(out: &Path) -> StaticIndex {
        let meta = &call_args(&out.join("search/meta.js"), "meta")[0];
        let build = meta["build"].as_str().unwrap().to_string();
        let shards = meta["shards"].as_u64().unwrap() as usize;
        let docs = meta["docs"].as_u64().unwrap() as usize;
        let dir = out.join("search").join(&build);
        // Numbered files go a thousand to a folder.
        let last = docs - 1;
        assert!(dir.join(format!("p{}/{last}.js", last / 1000)).is_file());
        assert!(!dir.join(format!("p{}/{docs}.js", docs / 1000)).exists());
        let mut keys = HashMap::new();
        for k in 0..shards {
            let args = call_args(&dir.join(format!("s{}/{k}.js", k / 1000)), "shard");
            assert_eq!(args[0], build.as_str(), "shard {k} names another build");
            assert_eq!(args[1], k as u64);
            let data = args[2].as_str().unwrap();
            let parts: Vec<&str> = if data.is_empty() {
                vec![]
            } else {
                data.split(' ').collect()
            };
            assert_eq!(parts.len() % 2, 0, "shard {k}: key without postings");
            for pair in parts.chunks(2) {
                assert_eq!(
                    shard_of(pair[0], shards),
                    k,
                    "key {:?} in the wrong shard",
                    pair[0]
                );
                // A heavy key's postings are in a file of its own, named by its stub `~j.df`.
                let postings = match pair[1].strip_prefix('~') {
                    Some(stub) => {
                        let j = stub.split('.').next().unwrap();
                        let args =
                            call_args(&dir.join(format!("s{}/{k}-{j}.js", k / 1000)), "heavy");
                        args[3].as_str().unwrap().to_string()
                    }
                    None => pair[1].to_string(),
                };
                keys.insert(pair[0].to_string(), postings);
            }
        }
        StaticIndex { shards, keys }
    }

    fn pages(&self, key: &str) -> BTreeSet<usize> {
        assert!(self.shards > 0);
        self.keys.get(key).map(|p| decode(p)).unwrap_or_default()
    }

    /// Pages holding every key the browser requires for every term (what it ranks first).
    fn candidates(&self, query: &str) -> BTreeSet<usize> {
        let mut result: Option<BTreeSet<usize>> = None;
        for keys in plan(&parse(query), &[]).per_term {
            for key in keys {
                let pages = self.pages(&key);
                result = Some(match result {
                    None => pages,
                    Some(r) => r.intersection(&pages).copied().collect(),
                });
            }
        }
        result.unwrap_or_default()
    }
}
