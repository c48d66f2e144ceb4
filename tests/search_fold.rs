//! Traditional and simplified characters find each other: `tests/fixtures/fold` holds a page
//! written in simplified characters (网格), one in traditional characters (網格) and an unrelated
//! one; `shuyuan search` on the built site must find both pages from either script, and mark the
//! words in each page's own script. `tests/browser/checks/fold.mjs` asks the search page the same.

mod common;

use common::TestSite;

const SIMPLIFIED_PAGE: &str = "guides/jianti.html";
const TRADITIONAL_PAGE: &str = "guides/fanti.html";

/// The results of `shuyuan search --json`: page URL (without the heading anchor) and snippet.
fn search(site: &TestSite, query: &str) -> Vec<(String, String)> {
    let out = site.run(&["search", "--json", query]);
    assert!(
        out.status.success(),
        "shuyuan search {query} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    results
        .iter()
        .map(|r| {
            let url = r["url"].as_str().expect("url");
            let page = url.split('#').next().unwrap_or(url).to_string();
            (page, r["snippet"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn pages(results: &[(String, String)]) -> Vec<&str> {
    let mut pages: Vec<&str> = results.iter().map(|(p, _)| p.as_str()).collect();
    pages.sort_unstable();
    pages
}

fn snippet_of<'a>(results: &'a [(String, String)], page: &str) -> &'a str {
    results
        .iter()
        .find(|(p, _)| p == page)
        .map_or("", |(_, s)| s.as_str())
}

#[test]
fn either_script_finds_pages_written_in_the_other() {
    let site = TestSite::fixture("fold");
    site.build_ok();
    let both = vec![TRADITIONAL_PAGE, SIMPLIFIED_PAGE];

    let traditional_query = search(&site, "網格");
    assert_eq!(pages(&traditional_query), both, "query 網格");
    assert!(
        snippet_of(&traditional_query, SIMPLIFIED_PAGE).contains("<mark>网格</mark>"),
        "the simplified page marks its own text: {traditional_query:?}"
    );

    let simplified_query = search(&site, "网格");
    assert_eq!(pages(&simplified_query), both, "query 网格");
    assert!(
        snippet_of(&simplified_query, TRADITIONAL_PAGE).contains("<mark>網格</mark>"),
        "the traditional page marks its own text: {simplified_query:?}"
    );

    // A whole title typed in the other script names its page first.
    for query in ["網格化管理辦法", "网格化管理办法"] {
        let results = search(&site, query);
        assert_eq!(
            results.first().map(|(p, _)| p.as_str()),
            Some(TRADITIONAL_PAGE),
            "query {query}: {results:?}"
        );
    }
    let results = search(&site, "走訪責任網格");
    assert_eq!(
        results.first().map(|(p, _)| p.as_str()),
        Some(SIMPLIFIED_PAGE),
        "query 走訪責任網格: {results:?}"
    );
}
