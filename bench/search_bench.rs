//! Search benchmark (not run by the tests; `bench/search.sh` runs it in release mode).
//!
//! Generates a deterministic Chinese corpus (10,000 pages of 2,000–4,000 characters by default),
//! runs `search::build`, and reports build time, tantivy index size, static index size, shard
//! count, and for a few queries the bytes a browser loads: `search.js` + `meta.js` + the shard
//! files holding the query's keys + the fragments of the first ten results (tantivy's top ten,
//! and as a bound the ten largest fragments among its top hundred). It also times tantivy queries.
//!
//! Usage: `search_bench [PAGES] [OUT_DIR]` (defaults: 10000, `bench/out`).

#[path = "../tests/common/corpus.rs"]
mod corpus;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use shuyuan::search::query::{browser_keys, parse};
use shuyuan::search::{SearchConfig, SearchIndex, SearchQuery, build};

/// Results on the first page of the full search page (the dropdown shows fewer).
const FIRST_PAGE: usize = 10;

const QUERIES: &[(&str, &str)] = &[
    ("1 char", "党"),
    ("2 chars", "业主"),
    ("4 chars", "加装电梯"),
    ("two terms", "物业 合同"),
    ("doc number", "〔2021〕16号"),
    ("question", "物业公司中标以后还要和每位业主签合同吗"),
];

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn tree_size(dir: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            let (b, n) = tree_size(&path);
            total = (total.0 + b, total.1 + n);
        } else {
            total = (total.0 + size(&path), total.1 + 1);
        }
    }
    total
}

/// The browser's shard choice: FNV-1a over UTF-16 code units, modulo the shard count.
fn shard_of(key: &str, shards: usize) -> usize {
    let h = key.encode_utf16().fold(2_166_136_261u32, |h, u| {
        (h ^ u32::from(u)).wrapping_mul(16_777_619)
    });
    h as usize % shards
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let pages: usize = args
        .next()
        .map_or(10_000, |a| a.parse().expect("PAGES is a number"));
    let out_root = PathBuf::from(args.next().unwrap_or_else(|| "bench/out".into()));
    let site = out_root.join("public");
    let index_dir = out_root.join("index");

    let t = Instant::now();
    let docs = corpus::pages(2024, pages, 2000..4000);
    let chars: usize = docs
        .iter()
        .flat_map(|d| &d.sections)
        .map(|s| s.text.chars().count())
        .sum();
    println!(
        "corpus: {pages} pages, {chars} characters of text ({:.1} s to generate)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let config = SearchConfig {
        index_dir: index_dir.clone(),
    };
    let stats = build(&docs, &config, &site).expect("build");
    let build_time = t.elapsed().as_secs_f64();
    let search_dir = site.join("search");
    let (static_bytes, static_files) = tree_size(&search_dir);
    println!("build (tantivy index + static index, in parallel): {build_time:.1} s");
    println!("tantivy index: {}", kb(stats.index_bytes));
    println!(
        "static index: {} in {static_files} files (shards {}, fragments {}, facets {}), {} keys",
        kb(static_bytes),
        kb(stats.shard_bytes),
        kb(stats.fragment_bytes),
        kb(stats.facets_bytes),
        stats.keys
    );
    println!(
        "shards: {} (average {})",
        stats.shards,
        kb(stats.shard_bytes / stats.shards as u64)
    );

    let script = size(Path::new("themes/default/static/search.js"));
    let meta = size(&search_dir.join("meta.js"));
    let build_dir = search_dir.join(&stats.build_id);
    let mut urls: Vec<&str> = docs.iter().map(|d| d.url.as_str()).collect();
    urls.sort_unstable();
    let fragment = |url: &str| {
        let page = urls.binary_search(&url).expect("hit is a page");
        size(&build_dir.join(format!("p{page}.js")))
    };
    let index = SearchIndex::open(&index_dir).expect("open index");
    println!(
        "\nbytes loaded per query = search.js {} + meta.js {} + shards + {FIRST_PAGE} fragments",
        kb(script),
        kb(meta)
    );
    println!(
        "{:<11} {:>6} {:>10} {:>11} {:>10} {:>11} {:>11} {:>9}",
        "query", "shards", "shard KB", "fragments", "total", "worst frag", "worst total", "tantivy"
    );
    for (name, q) in QUERIES {
        let (keys, boosts) = browser_keys(&parse(q));
        let shard_set: BTreeSet<usize> = keys
            .iter()
            .flatten()
            .chain(&boosts)
            .map(|k| shard_of(k, stats.shards))
            .collect();
        let shard_bytes: u64 = shard_set
            .iter()
            .map(|k| size(&build_dir.join(format!("s{k}.js"))))
            .sum();
        let search = |limit: usize| {
            index
                .search(&SearchQuery {
                    text: q.to_string(),
                    limit,
                    ..SearchQuery::default()
                })
                .expect("search")
        };
        let hits = search(100);
        let sizes: Vec<u64> = hits
            .iter()
            .map(|h| fragment(h.url.split('#').next().unwrap_or_default()))
            .collect();
        let first: u64 = sizes.iter().take(FIRST_PAGE).sum();
        let mut sorted = sizes.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let worst: u64 = sorted.iter().take(FIRST_PAGE).sum();
        let runs = 5;
        let t = Instant::now();
        for _ in 0..runs {
            search(FIRST_PAGE);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        let base = script + meta + shard_bytes;
        println!(
            "{name:<11} {:>6} {:>10} {:>11} {:>10} {:>11} {:>11} {ms:>7.1}ms",
            shard_set.len(),
            kb(shard_bytes),
            kb(first),
            kb(base + first),
            kb(worst),
            kb(base + worst),
        );
    }
}
