//! The ranking vectors: `tests/vectors/ranking.json` holds queries over the fixture site
//! `tests/fixtures/ranking` with the top ten pages, the number of terms each holds and its
//! score, and the ten results as shown (verbatim holders first, each at its best section, from
//! the fragments and the continuation files the query reads). This test builds the fixture with the real binary and checks that `shuyuan search`'s
//! ranking (the static index read back in Rust) gives exactly those; the browser check
//! `tests/browser/checks/ranking.mjs` checks `search.js` in Chromium and
//! `tests/node/core_vectors.js` checks `search-core.js` under Node against the same file. Together they
//! keep the two implementations of the one ranking function the same.
//!
//! After a deliberate change of the ranking, regenerate the file with
//! `SHUYUAN_UPDATE_VECTORS=1 cargo test --test search_vectors` and review the diff.

mod common;

use common::{TestSite, repo_root};
use shuyuan::search::query::{MAX_ALTERNATIVES, MAX_KEYS, STRICT_MAX_KEYS};
use shuyuan::search::rank::{
    BM25_K1, LOOSE_MIN_DF, MAX_HEAVY_KEYS, SERIES_TOP, SERIES_WEIGHT, SYNONYM, TF_LEVELS,
    TITLE_BIT, TITLE_BONUS, TITLE_TERM, WHOLE_TERM,
};
use shuyuan::search::{SearchQuery, StaticIndex};

const VECTORS: &str = "tests/vectors/ranking.json";
/// Scores are sums of IEEE products computed in the same order on both sides; the tolerance
/// only absorbs printing.
const TOLERANCE: f64 = 1e-9;

/// The first `limit` results (ten unless the case says) as the search page shows them: pages holding every term verbatim in
/// the text their fragments give (`src/search/fragments.rs`) first, each linking to its best
/// section.
fn shown(index: &StaticIndex, query: &str, limit: usize) -> serde_json::Value {
    let found = index
        .search(&SearchQuery {
            text: query.to_string(),
            limit,
            ..SearchQuery::default()
        })
        .unwrap();
    found
        .hits
        .iter()
        .map(|h| serde_json::json!({ "url": h.url, "exact": h.exact }))
        .collect()
}

fn top_ten(index: &StaticIndex, query: &str) -> serde_json::Value {
    let (_, ranked) = index.rank(query).unwrap();
    ranked
        .iter()
        .take(10)
        .map(|r| {
            serde_json::json!({
                "url": index.url_of(r.page).unwrap(),
                "held": r.held,
                "score": r.score,
            })
        })
        .collect()
}

#[test]
fn the_rust_ranking_matches_the_vectors() {
    let site = TestSite::fixture("ranking");
    site.build_ok();
    let index = StaticIndex::open(&site.out()).unwrap();
    let path = repo_root().join(VECTORS);
    let mut vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let update = std::env::var_os("SHUYUAN_UPDATE_VECTORS").is_some();
    // The constants search-core.js must carry too (the browser check compares its own with these).
    let constants = serde_json::json!({
        "MAX_KEYS": MAX_KEYS,
        "STRICT_MAX_KEYS": STRICT_MAX_KEYS,
        "BM25_K1": BM25_K1,
        "TF_LEVELS": TF_LEVELS,
        "TITLE_BIT": TITLE_BIT,
        "TITLE_BONUS": TITLE_BONUS,
        "WHOLE_TERM": WHOLE_TERM,
        "TITLE_TERM": TITLE_TERM,
        "MAX_HEAVY_KEYS": MAX_HEAVY_KEYS,
        "LOOSE_MIN_DF": LOOSE_MIN_DF,
        "SYNONYM": SYNONYM,
        "MAX_ALTERNATIVES": MAX_ALTERNATIVES,
        "SERIES_TOP": SERIES_TOP,
        "SERIES_WEIGHT": SERIES_WEIGHT,
    });
    if update {
        vectors["constants"] = constants;
    } else {
        assert_eq!(
            vectors["constants"], constants,
            "the ranking's constants changed"
        );
    }
    let mut checked = 0;
    for case in vectors["queries"].as_array_mut().unwrap() {
        let query = case["q"].as_str().unwrap().to_string();
        let limit = case["limit"].as_u64().map_or(10, |l| l as usize);
        let got = top_ten(&index, &query);
        if update {
            case["top"] = got;
            case["shown"] = shown(&index, &query, limit);
            continue;
        }
        assert_eq!(
            shown(&index, &query, limit),
            case["shown"],
            "{query}: results shown"
        );
        let want = case["top"].as_array().unwrap();
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{query}: number of results");
        for (rank, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g["url"], w["url"], "{query}: page at rank {rank}");
            assert_eq!(g["held"], w["held"], "{query}: terms held at rank {rank}");
            let (gs, ws) = (g["score"].as_f64().unwrap(), w["score"].as_f64().unwrap());
            assert!(
                (gs - ws).abs() < TOLERANCE,
                "{query}: score at rank {rank}: {gs} != {ws}"
            );
        }
        checked += 1;
    }
    if update {
        let text = serde_json::to_string_pretty(&vectors).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        return;
    }
    assert!(checked >= 15, "only {checked} queries");
}

/// The same vectors (and the tokenizer's) under Node, against the `search-core.js` the fixture's
/// build wrote: the browser's ranking checked without a browser (`tests/node/core_vectors.js`).
#[test]
fn the_javascript_core_matches_the_vectors_under_node() {
    let site = TestSite::fixture("ranking");
    site.build_ok();
    let script = repo_root().join("tests/node/core_vectors.js");
    let run = std::process::Command::new("node")
        .arg(&script)
        .arg(site.out())
        .output()
        .expect("node runs (CI installs it; see .ci/run)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "search-core.js differs from the vectors:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("heavy-postings vectors"), "{stdout}");
}

/// A theme copied into a site by an older version's `init` keeps that version's
/// `search-core.js`, which spells keys as its index format did: the build says so, naming the
/// file, and says nothing about a current copy.
#[test]
fn a_search_core_for_another_index_format_is_warned_about() {
    let site = TestSite::fixture("basic");
    let core = "themes/default/static/search-core.js";
    let current = std::fs::read_to_string(site.root().join(core)).unwrap();
    let warned = |out: &std::process::Output| {
        common::diagnostics(out)
            .into_iter()
            .any(|d| d.code == "search" && d.location.starts_with(core))
    };
    assert!(
        !warned(&site.build_ok()),
        "a current core is not warned about"
    );
    for older in [
        current.replace("var INDEX_FORMAT = 6;", "var INDEX_FORMAT = 5;"),
        current.replace("var INDEX_FORMAT = 6;", ""),
    ] {
        assert_ne!(older, current);
        site.write(core, &older);
        let out = site.build_ok();
        assert!(warned(&out), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
