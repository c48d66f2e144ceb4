//! Hostile pages: thousands of links, footnotes, table cells or emphasis markers on one line
//! used to take time growing with the square of the line (minutes for a few hundred KB), and a
//! page of broken links printed every one with its whole line. Sizes here are modest, so each
//! test is quick now and would have taken far longer before; the assertions are on the output.
//! `bench/hostile.py` measures the full-size inputs on the release binary.

mod common;

use common::{TestSite, diagnostics};

/// A site with one target page, `mubiao`, and a page `cases/hostile.md` holding `body`.
fn site_with(body: &str) -> TestSite {
    let site = TestSite::new();
    site.write("site.toml", "title = \"测试\"\n")
        .write("content/cases/_index.md", "---\ntitle: 案例\n---\n")
        .write(
            "content/cases/mubiao.md",
            "---\ntitle: 目标页\n---\n\n## 第一条\n\n正文。\n",
        )
        .write(
            "content/cases/hostile.md",
            &format!("---\ntitle: 压力\n---\n\n{body}\n"),
        );
    site
}

#[test]
fn thousands_of_links_on_one_line_all_resolve() {
    let links = 3_000;
    let body: String = (0..links)
        .map(|i| format!("第{i}处见[[mubiao]]，"))
        .collect();
    let site = site_with(&body);
    site.build_ok();
    let html = site.read("cases/hostile.html");
    assert_eq!(
        html.matches("<a href=\"../cases/mubiao.html\">目标页</a>")
            .count(),
        links
    );
}

#[test]
fn thousands_of_footnotes_in_one_paragraph_are_numbered_in_order() {
    let notes = 2_000;
    let references: String = (0..notes).map(|i| format!("注{i}[^{i}]，")).collect();
    let definitions: String = (0..notes)
        .map(|i| format!("[^{i}]: 第{i}条注释。\n"))
        .collect();
    let site = site_with(&format!("{references}\n\n{definitions}"));
    site.build_ok();
    let html = site.read("cases/hostile.html");
    assert_eq!(html.matches("class=\"footnote-ref\"").count(), notes);
    let last = format!("第{}条注释。", notes - 1);
    assert!(html.contains(&last), "the last note is listed");
    assert!(html.find("第0条注释。") < html.find(&last));
}

#[test]
fn a_table_thousands_of_columns_wide_keeps_every_cell() {
    let columns = 2_000;
    let header: String = (0..columns).map(|i| format!("|列{i}")).collect();
    let rule = "|---".repeat(columns);
    let row = "|值".repeat(columns);
    let site = site_with(&format!("{header}|\n{rule}|\n{row}|"));
    site.build_ok();
    let html = site.read("cases/hostile.html");
    assert_eq!(html.matches("<th>").count(), columns);
    assert_eq!(html.matches("<td>值</td>").count(), columns);
}

#[test]
fn deeply_nested_emphasis_renders_its_text() {
    let stars = "*".repeat(20_000);
    let pairs = 3_000;
    let body = format!(
        "{stars}重点{stars}\n\n{}交替{}",
        "*_".repeat(pairs),
        "_*".repeat(pairs)
    );
    let site = site_with(&body);
    site.build_ok();
    let html = site.read("cases/hostile.html");
    assert!(html.contains("重点") && html.contains("交替"));
    assert!(html.matches("<em>").count() >= pairs, "the pairs nest");
}

#[test]
fn a_page_of_broken_links_lists_the_first_hundred_and_counts_the_rest() {
    let body = "[[ghost]]".repeat(1_000);
    let site = site_with(&body);
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let listed: Vec<_> = found
        .iter()
        .filter(|d| d.message.contains("找不到 slug 为 `ghost` 的页面"))
        .collect();
    assert_eq!(listed.len(), 100);
    // `[[ghost]]` is nine characters: the n-th link starts at column 9n + 1 of line 5.
    assert_eq!(listed[99].location, "content/cases/hostile.md:5:892");
    let rest: Vec<_> = found
        .iter()
        .filter(|d| d.message.contains("本页还有 900 处链接或锚点有误"))
        .collect();
    assert_eq!(rest.len(), 1, "{found:#?}");
    assert_eq!(rest[0].code, "broken-link");
    assert_eq!(rest[0].location, "content/cases/hostile.md:5:901");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 60_000, "{} bytes of stderr", stderr.len());
    assert!(!site.out().exists(), "nothing written");
}
