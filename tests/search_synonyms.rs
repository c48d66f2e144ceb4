//! Synonyms editors write in `content/_synonyms.md`: a query finds pages through them in
//! `shuyuan search` (the browser's copy of the same ranking is pinned by the ranking vectors,
//! whose fixture has synonyms too), a literal hit ranks first, snippets mark the synonym, the
//! file is no page, and a line that is not a group is an error at its position.

mod common;

use common::{TestSite, diagnostics};

fn search(site: &TestSite, query: &str) -> Vec<serde_json::Value> {
    let out = site.run(&["search", "--json", "--", query]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn urls(hits: &[serde_json::Value]) -> Vec<&str> {
    hits.iter()
        .map(|h| h["url"].as_str().unwrap().split('#').next().unwrap())
        .collect()
}

#[test]
fn a_synonym_finds_pages_below_literal_hits_and_is_marked() {
    let site = TestSite::fixture("ranking");
    site.write(
        "content/cases/dibao-anli.md",
        "---\ntitle: 一户低保家庭的走访记录\n---\n网格员上门核实低保家庭的收入变化。\n",
    );
    site.build_ok();
    assert!(!site.out().join("_synonyms.html").exists());
    assert!(
        !std::fs::read_to_string(site.out().join("index.html"))
            .unwrap()
            .contains("_synonyms")
    );

    let hits = search(&site, "低保");
    assert_eq!(
        urls(&hits),
        ["cases/dibao-anli.html", "policies/dibao.html"],
        "the literal hit first, then the page that says 最低生活保障"
    );
    assert!(
        hits[1]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>最低生活保障</mark>"),
        "{}",
        hits[1]["snippet"]
    );
    // The other way round: the full name finds the page that only has the abbreviation.
    // (Pages sharing only a piece of it, 保障, follow as partial answers.)
    assert_eq!(
        urls(&search(&site, "最低生活保障"))[..2],
        ["policies/dibao.html", "cases/dibao-anli.html"]
    );
    // A quoted term means exactly its text.
    assert_eq!(urls(&search(&site, "“低保”")), ["cases/dibao-anli.html"]);
}

#[test]
fn a_line_that_is_not_a_group_is_an_error_where_it_is() {
    let site = TestSite::fixture("ranking");
    site.write(
        "content/_synonyms.md",
        "# 同义词\n> 说明\n低保 = 最低生活保障\n业委会：业主委员会\n",
    );
    let out = site.build();
    assert!(!out.status.success());
    let found = diagnostics(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, "synonyms");
    assert!(
        found[0].location == "content/_synonyms.md:4:1",
        "{:?}",
        found[0].location
    );
}
