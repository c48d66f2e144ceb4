//! What readers get of the text editors write, built with the real binary: summaries,
//! `<meta name="description">`, list pages, handouts and search text carry the words a
//! link shows and nothing of the machinery behind them or of stray control characters;
//! text that looks like that machinery stays as written; link addresses reach their files;
//! heading ids are unique on their page.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use common::{TestSite, article, check_links, readable_text};

/// Every file under `dir` that holds a private-use character (U+E000–U+F8FF), with the text
/// around the first one. Files that are not text (images) hold none; fragments are read
/// unpacked.
fn private_use(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(text) = readable_text(entry.path()) else {
            continue;
        };
        if let Some(at) = text.find(|c| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
            let before: String = text[..at].chars().rev().take(30).collect();
            let before: String = before.chars().rev().collect();
            let after: String = text[at..].chars().take(30).collect();
            let rel = entry.path().strip_prefix(dir).unwrap().display();
            found.push(format!("{rel}: …{before}{after}…"));
        }
    }
    found
}

/// Every file under `dir` whose path contains `part`, as text (fragments unpacked).
fn texts(dir: &Path, part: &str) -> Vec<(String, String)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let text = readable_text(e.path())?;
            rel.contains(part).then_some((rel, text))
        })
        .collect()
}

/// The value of `<meta name="description" content="…">`.
fn description(html: &str) -> &str {
    let start = "<meta name=\"description\" content=\"";
    let at = html.find(start).expect("a description") + start.len();
    &html[at..at + html[at..].find('"').unwrap()]
}

#[test]
fn the_sample_site_and_a_new_site_show_no_placeholder_characters() {
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("site");
    let out = Command::new(common::BIN)
        .args(["build", "--root"])
        .arg(common::repo_root())
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        output.join("cases/handout.html").is_file() && texts(&output, "search/").len() > 2,
        "handouts and the search index are among the files looked at"
    );
    let found = private_use(&output);
    assert!(found.is_empty(), "{}", found.join("\n"));

    // `shuyuan init`'s starter case links to its policy with `[[slug]]` in its first line.
    let site = TestSite::new();
    assert!(site.run(&["init", "kb"]).status.success());
    let kb = site.root().join("kb");
    let out = Command::new(common::BIN)
        .arg("build")
        .current_dir(&kb)
        .output()
        .unwrap();
    assert!(out.status.success());
    let found = private_use(&kb.join("public"));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn wiki_links_show_their_titles_in_every_plain_text() {
    let site = TestSite::fixture("training");
    site.write(
        "content/cases/yiju.md",
        "---\ntitle: 依据新规则的做法\ndate: 2024-06-01\ntags: [议事会]\n---\n\n\
         某社区依据[[xin-zhengce]]开展协商，按[[xin-zhengce#第二条-程序]]办理，并参照[[jiu-zhengce|旧规则]]。\n\n\
         ## 对照[[jiu-zhengce]]\n\n\
         | 文件 | 说明 |\n| --- | --- |\n| [[fei-zhengce]] | 已废止 |\n\n\
         - 另见[[anli-a]]\n",
    )
    .write(
        "content/paths/yiju-lu.md",
        "---\ntitle: 依据之路\nsteps: [yiju, anli-a]\n---\n\n按顺序读。\n",
    );
    site.build_ok();
    let found = private_use(&site.out());
    assert!(found.is_empty(), "{}", found.join("\n"));

    let summary = "某社区依据新议事规则开展协商，按新议事规则 · 第二条 程序办理，并参照旧规则。";
    let page = site.read("cases/yiju.html");
    assert_eq!(description(&page), summary);
    assert!(page.contains(&format!("<p class=\"sy-lead\">{summary}</p>")));
    for listing in [
        "cases/index.html",
        "tags/议事会.html",
        "cases/handout.html",
        "paths/yiju-lu.html",
        "changes.html",
    ] {
        assert!(site.read(listing).contains(summary), "{listing}");
    }
    // The search text: the summary, the heading and the table cell.
    let search = texts(&site.out(), "search/");
    for words in [summary, "对照旧议事规则", "废止的办法", "另见甲社区议事会"] {
        assert!(
            search.iter().any(|(_, text)| text.contains(words)),
            "no search file holds {words:?}"
        );
    }
}

#[test]
fn text_that_reads_like_a_link_placeholder_stays_as_written() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/zifu.md",
        "---\ntitle: 写着占位符\ndate: 2024-01-01\n---\n\n\
         正文写着 sy-link-0，代码里是 `sy-link-1`，链接见[[xiachen-2024]]和[意见](../policies/xiachen-2021.md)。\n",
    )
    .write(
        "content/cases/shiti.md",
        "---\ntitle: 实体写法\ndate: 2024-01-02\n---\n\n\
         见[[xiachen-2024]]；实体写法 sy&#45;link-0 照原样，[意见](../policies/xiachen-2021.md)。\n",
    );
    site.build_ok();
    let plain = site.read("cases/zifu.html");
    let plain = article(&plain);
    assert!(
        plain.contains("正文写着 sy-link-0，代码里是 <code>sy-link-1</code>，"),
        "{plain}"
    );
    assert!(plain.contains(
        "<a href=\"../policies/xiachen-2024.html\">关于深化资源下沉社区的实施意见</a>和<a href=\"../policies/xiachen-2021.html\">意见</a>"
    ));
    let entity = site.read("cases/shiti.html");
    let entity = article(&entity);
    assert!(entity.contains("实体写法 sy-link-0 照原样"), "{entity}");
    assert!(entity.contains("<a href=\"../policies/xiachen-2021.html\">意见</a>"));

    // Raw HTML, where a site allows it, is the editor's too.
    let raw = TestSite::new();
    raw.write(
        "site.toml",
        "title = \"测试\"\n[markdown]\nallow_html = true\n",
    )
    .write("content/a.md", "---\ntitle: 甲\n---\n\n正文。\n")
    .write(
        "content/b.md",
        "---\ntitle: 乙\n---\n\n<a href=\"sy-link-0\">自己写的链接</a>，见[[a]]。\n",
    );
    raw.build_ok();
    let html = raw.read("b.html");
    assert!(
        html.contains("<a href=\"sy-link-0\">自己写的链接</a>，见<a href=\"a.html\">甲</a>"),
        "{}",
        article(&html)
    );
}

#[test]
fn terms_with_an_ampersand_link_to_their_pages() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/rd.md",
        "---\ntitle: 研发合作\ndate: 2024-01-01\ntags: [R&D, 甲&乙]\ntopics: [\"A&B\"]\n---\n\n见[[yan&fa]]。\n",
    )
    .write(
        "content/cases/yan&fa.md",
        "---\ntitle: 研与发\ndate: 2024-01-02\n---\n\n正文。\n",
    );
    site.build_ok();
    for file in ["tags/R&D.html", "tags/甲&乙.html", "topics/A&B.html"] {
        assert!(site.out().join(file).is_file(), "{file}");
    }
    let page = site.read("cases/rd.html");
    let tags: Vec<&str> = page
        .match_indices("href=\"")
        .map(|(at, _)| {
            let value = &page[at + 6..];
            &value[..value.find('"').unwrap()]
        })
        .filter(|href| href.contains("R") && href.contains("D.html"))
        .collect();
    assert!(!tags.is_empty(), "the page links to its tag");
    for href in tags {
        let file = site.out().join("cases").join(common::href_path(href));
        assert!(file.is_file(), "{href} leads to no file");
    }
    assert!(
        site.read("sitemap.xml")
            .contains("<loc>cases/yan%26fa.html</loc>")
    );
    check_links(&site.out());
}

#[test]
fn heading_ids_are_unique_on_their_page() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/guides/buzhou.md",
        "---\ntitle: 办理步骤\nweight: 2\n---\n\n\
         ## 步骤 1\n\n甲。\n\n## 步骤\n\n乙。\n\n## 步骤\n\n丙。\n\n## 步骤-2\n\n丁。\n\n## 步骤\n\n戊。\n",
    );
    site.build_ok();
    let page = site.read("guides/buzhou.html");
    let ids: Vec<&str> = page
        .match_indices(" id=\"")
        .map(|(at, _)| {
            let value = &page[at + 5..];
            &value[..value.find('"').unwrap()]
        })
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids in {ids:?}");
    let headings: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| id.starts_with("步骤"))
        .collect();
    assert_eq!(headings.len(), 5, "{ids:?}");
    // The table of contents and each heading's own anchor lead to its heading.
    for id in headings {
        assert!(
            page.contains(&format!("<a href=\"#{id}\">")),
            "no TOC entry for {id}"
        );
    }
    let handout = site.read("guides/handout.html");
    let handout_ids: Vec<&str> = handout
        .match_indices(" id=\"")
        .map(|(at, _)| {
            let value = &handout[at + 5..];
            &value[..value.find('"').unwrap()]
        })
        .collect();
    let unique: HashSet<&str> = handout_ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        handout_ids.len(),
        "duplicate ids in the handout"
    );
}

#[test]
fn control_characters_never_reach_plain_text() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/kongzifu.md",
        "---\ntitle: 控制字符\ndate: 2024-01-01\n---\n\n\
         第一段含有空字符\0和响铃\u{7}以及转义\u{1b}[31m红字。\n\n## 小节\n\n第二段\u{1}带\u{85}控制字符。\n",
    );
    site.build_ok();
    let page = site.read("cases/kongzifu.html");
    assert_eq!(
        description(&page),
        "第一段含有空字符和响铃以及转义[31m红字。"
    );
    let is_stray = |c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\r');
    let lead = &page[page.find("<p class=\"sy-lead\">").expect("a lead")..];
    let lead = &lead[..lead.find("</p>").unwrap()];
    assert!(!lead.contains(is_stray), "{lead:?}");
    for listing in ["cases/index.html", "changes.html"] {
        let html = site.read(listing);
        assert!(
            html.contains("第一段含有空字符"),
            "{listing} lists the page"
        );
        assert!(!html.contains(is_stray), "{listing}");
    }
    let search = texts(&site.out(), "search/");
    let pages_text: Vec<&(String, String)> = search
        .iter()
        .filter(|(_, text)| text.contains("第二段"))
        .collect();
    assert!(!pages_text.is_empty(), "the search text holds the page");
    for (rel, text) in pages_text {
        assert!(text.contains("第二段带控制字符"), "{rel}");
        // JSON writes a control character as `\u00XX`.
        assert!(
            !text.contains(is_stray) && !text.contains("\\u000") && !text.contains("\\u001"),
            "{rel}"
        );
    }
}
