//! Training features, built from `tests/fixtures/training` with the real binary: learning
//! paths, handouts, related pages, the glossary, the changes page, status views of policy
//! sections and `shuyuan pack`.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;

use common::{TestSite, article, check_links, diagnostics};

fn built() -> TestSite {
    let site = TestSite::fixture("training");
    site.build_ok();
    site
}

/// Text between the first `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in page"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Positions of `needles` in `haystack`, failing if one is missing.
fn positions(haystack: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| {
            haystack
                .find(n)
                .unwrap_or_else(|| panic!("{n:?} not found"))
        })
        .collect()
}

fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pattern = format!(" {attr}=\"");
    html.match_indices(&pattern)
        .map(|(at, _)| {
            let value = &html[at + pattern.len()..];
            &value[..value.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn a_path_page_lists_its_steps_in_order_with_notes_reading_time_and_progress() {
    let site = built();
    let path = site.read("paths/rumen.html");
    let steps = between(&path, "<ol class=\"sy-steps\">", "</ol>");
    let order = positions(
        steps,
        &[
            "href=\"../policies/xin-zhengce.html\"",
            "href=\"../cases/anli-a.html\"",
            "href=\"../guides/bundle/index.html\"",
            "href=\"../cases/anli-b.html\"",
        ],
    );
    assert!(order.windows(2).all(|w| w[0] < w[1]), "steps out of order");
    assert!(steps.contains("重点看做法。"), "a step's note is shown");
    assert!(
        steps.contains("阅读约 1 分钟"),
        "each step shows its reading time"
    );
    assert_eq!(
        steps
            .matches("class=\"sy-study-toggle\" data-path=\"rumen\"")
            .count(),
        4,
        "one 已学完 checkbox per step, keyed by the path"
    );
    assert!(steps.contains("data-page=\"cases/anli-a.html\""));
    let progress = between(&path, "<div class=\"sy-progress\"", "</div>\n</div>");
    assert!(progress.contains("data-path=\"rumen\""));
    assert!(
        progress.contains(
            "data-steps=\"[&quot;policies/xin-zhengce.html&quot;,&quot;cases/anli-a.html&quot;,&quot;guides/bundle/index.html&quot;,&quot;cases/anli-b.html&quot;]\""
        ),
        "{progress}"
    );
    assert!(
        progress.contains("sy-progress-reset"),
        "the path page can reset"
    );
    assert!(path.contains("1.5 学时") && path.contains("新任干部"));
    assert!(path.contains("href=\"../paths/rumen-handout.html\">打印讲义</a>"));
    assert!(path.contains("先读规则"), "the intro is shown");
    assert!(
        path.contains("href=\"../cases/index.html\">案例</a>"),
        "links in the intro resolve"
    );

    let index = site.read("paths/index.html");
    assert!(
        index.contains("<h1 class=\"sy-title\">课程</h1>"),
        "title from paths/_index.md"
    );
    let cards = positions(
        &index,
        &[
            "href=\"../paths/zhuanti.html\"",
            "href=\"../paths/rumen.html\"",
        ],
    );
    assert!(cards[0] < cards[1], "paths are listed by weight");
    let home = site.read("index.html");
    assert!(
        home.contains("href=\"paths/index.html\""),
        "nav and home link the paths"
    );
    assert!(
        home.contains("href=\"paths/rumen.html\">入门课程</a>"),
        "links to path files resolve"
    );
    assert!(home.contains("href=\"glossary.html\">术语表</a>"));
}

#[test]
fn member_pages_show_their_step_in_every_path_with_previous_and_next() {
    let site = built();
    let page = site.read("cases/anli-a.html");
    let boxes: Vec<&str> = page
        .match_indices("<nav class=\"sy-path-box\"")
        .map(|(at, _)| &page[at..at + page[at..].find("</nav>").unwrap()])
        .collect();
    assert_eq!(boxes.len(), 2, "anli-a is in two paths");
    // 专题课程 (weight -1) comes first: step 1 of 2, no previous step.
    assert!(boxes[0].contains("专题课程") && boxes[0].contains("第 1 / 2 步"));
    assert!(!boxes[0].contains("sy-path-prev"));
    assert!(boxes[0].contains("href=\"../cases/anli-c.html\""));
    assert!(boxes[1].contains("入门课程") && boxes[1].contains("第 2 / 4 步"));
    assert!(boxes[1].contains("rel=\"prev\" href=\"../policies/xin-zhengce.html\""));
    assert!(boxes[1].contains("rel=\"next\" href=\"../guides/bundle/index.html\""));
    assert!(boxes[1].contains("学习提示：重点看做法。"));
    assert!(
        boxes[1].contains("data-path=\"rumen\" data-page=\"cases/anli-a.html\""),
        "the checkbox uses the same key as the path page"
    );
    let last = site.read("cases/anli-b.html");
    assert!(
        last.contains("已是最后一步"),
        "the last step leads back to its path"
    );
    let outside = site.read("policies/fei-zhengce.html");
    assert!(
        !outside.contains("sy-path-box"),
        "pages in no path show no box"
    );
}

#[test]
fn path_problems_are_reported_at_their_positions() {
    let site = TestSite::fixture("training");
    site.write(
        "content/paths/bad.md",
        "---\ntitle: 坏路径\nhours: 很多\nsetps: []\nsteps:\n  - anli-a\n  - no-such-page\n  - page: cases/missing.md\n    note: 说明\n  - anli-a\n---\n",
    )
    .write("content/paths/empty.md", "---\ntitle: 空路径\n---\n");
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let at = |code: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|d| d.code == code)
            .map(|d| d.location.as_str())
            .collect()
    };
    assert_eq!(
        at("missing-ref"),
        ["content/paths/bad.md:7:5", "content/paths/bad.md:8:5"]
    );
    assert_eq!(at("field-type"), ["content/paths/bad.md:3:8"]);
    assert_eq!(at("unknown-field"), ["content/paths/bad.md:4:8"]);
    assert_eq!(at("duplicate-step"), ["content/paths/bad.md:10:5"]);
    assert_eq!(at("missing-field"), ["content/paths/empty.md:1:1"]);
    let missing = found.iter().find(|d| d.code == "missing-ref").unwrap();
    assert!(missing.message.contains("no-such-page"), "{missing:?}");
    assert!(!site.out().exists(), "nothing is written");
}

#[test]
fn a_handout_holds_every_page_in_order_with_unique_ids_and_in_document_links() {
    let site = built();
    let handout = site.read("paths/rumen-handout.html");
    let chapters: Vec<&str> = handout
        .match_indices("<section class=\"sy-chapter")
        .map(|(at, _)| &handout[at..at + handout[at..].find("</section>").unwrap()])
        .collect();
    let titles = ["新议事规则", "甲社区议事会", "带图的指南", "乙社区停车协商"];
    assert_eq!(chapters.len(), titles.len());
    for (k, (chapter, title)) in chapters.iter().zip(titles).enumerate() {
        assert!(chapter.contains(&format!("id=\"c{}\"", k + 1)));
        assert!(
            chapter.contains(&format!("</span>{title}</h2>")),
            "chapter {k}"
        );
    }
    let cover = between(&handout, "<header class=\"sy-handout-cover\">", "</header>");
    assert!(
        cover.contains("<dd>4 篇</dd>"),
        "the cover counts the pages"
    );
    assert!(
        cover.contains("先读规则"),
        "and carries the path's introduction"
    );
    assert!(cover.contains("<dt>编印日期</dt>"));
    assert!(handout.contains("<h1 class=\"sy-title\">入门课程</h1>"));
    let toc = between(&handout, "<nav class=\"sy-handout-toc\"", "</nav>");
    assert_eq!(
        toc.matches("<li>").count(),
        4,
        "the contents list every chapter"
    );

    // Headings move down one level under the chapter title, ids get the chapter prefix.
    assert!(chapters[0].contains("<h3 id=\"c1-第一条-总则\">"));
    assert!(chapters[2].contains("<h3 id=\"c3-示意图\">"));
    assert!(!between(&handout, "<section class=\"sy-chapter", "</main>").contains("<h2 id="));
    let ids = attr_values(&handout, "id");
    let unique: HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids in the handout");
    for href in attr_values(&handout, "href") {
        if let Some(target) = href.strip_prefix('#') {
            assert!(
                ids.contains(&target),
                "in-document link #{target} has no target"
            );
        }
    }
    // Links to pages inside the handout become anchors; the rest are re-based.
    assert!(chapters[1].contains("href=\"#c1-第二条-程序\">新规则第二条</a>"));
    assert!(chapters[1].contains("href=\"#c4\">乙社区停车协商</a>"));
    assert!(chapters[1].contains("href=\"../guides/zhinan.html\">指南</a>"));
    assert!(chapters[2].contains("src=\"../guides/bundle/tu.svg\""));
    assert!(
        chapters[0].contains("href=\"#c1-fn-1\""),
        "footnotes stay linked"
    );

    // Every section with pages has one, in the section's order.
    let policies = site.read("policies/handout.html");
    let order = positions(
        &policies,
        &[
            "</span>新议事规则</h2>",
            "</span>旧议事规则</h2>",
            "</span>废止的办法</h2>",
        ],
    );
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    assert!(
        policies.contains("id=\"c1-第一条-总则\"") && policies.contains("id=\"c2-第一条-总则\"")
    );
    assert!(
        site.read("policies/index.html")
            .contains("href=\"../policies/handout.html\">打印讲义</a>")
    );
    assert!(
        !site.out().join("handout.html").exists(),
        "no handout of the whole site"
    );
    check_links(&site.out());
}

#[test]
fn related_pages_share_citations_topics_and_tags() {
    let site = built();
    let related = |page: &str| -> Vec<String> {
        let html = site.read(page);
        let Some(at) = html.find("<section class=\"sy-related sy-related-pages\"") else {
            return Vec::new();
        };
        let list = &html[at..at + html[at..].find("</section>").unwrap()];
        attr_values(list, "href")
            .into_iter()
            .map(String::from)
            .collect()
    };
    // anli-b shares a cited policy, a topic and a tag; anli-c only a tag. The policy anli-a
    // cites is already listed above, and a page is never related to itself.
    assert_eq!(
        related("cases/anli-a.html"),
        ["../cases/anli-b.html", "../cases/anli-c.html"]
    );
    assert!(related("cases/anli-c.html").contains(&"../guides/zhinan.html".to_string()));
    assert!(related("policies/fei-zhengce.html").is_empty());
}

#[test]
fn glossary_terms_are_marked_once_and_never_in_headings_links_or_code() {
    let site = built();
    let body = article(&site.read("cases/anli-a.html")).to_string();
    assert_eq!(body.matches("<abbr class=\"sy-term\"").count(), 3, "{body}");
    let heading = between(&body, "<h2", "</h2>");
    assert!(!heading.contains("<abbr"), "not in headings");
    assert!(body.contains(">议事会章程</a>"), "not in links");
    assert!(body.contains("<code>议事会</code>"), "not in code");
    assert!(body.contains(
        "data-term=\"两委\" data-id=\"两委\" data-def=\"社区党组织和居委会。\">两委</abbr>把停车问题交给"
    ));
    assert!(
        body.contains(">议事会</abbr>，议事会开了三次会，两委列席"),
        "first only"
    );
    assert!(body.contains("title=\"议事会：居民协商的平台。\""));
    assert!(
        body.contains("tabindex=\"0\""),
        "keyboard users can focus a term"
    );
    assert!(
        body.contains("data-term=\"网格员\" data-id=\"网格员\" data-def=\"在网格内巡查的人员。\">专职网格员</abbr>和网格员都参加"),
        "aliases count as the term, the longest match wins"
    );
    assert!(
        !body.contains("data-term=\"网格\" "),
        "网格 inside 网格员 is not a match"
    );

    let glossary = site.read("glossary.html");
    let entries = positions(
        &glossary,
        &[
            "id=\"两委\"",
            "id=\"四议两公开\"",
            "id=\"网格\"",
            "id=\"网格员\"",
            "id=\"议事会\"",
        ],
    );
    assert!(entries.windows(2).all(|w| w[0] < w[1]), "sorted by term");
    assert!(glossary.contains("详见：<a href=\"policies/xin-zhengce.html\">新议事规则</a>"));
    assert!(glossary.contains("又称专职网格员"));
    assert!(
        glossary.contains("本站术语。"),
        "the intro is the file's body"
    );
    assert!(site.read("index.html").contains("href=\"glossary.html\""));
}

#[test]
fn glossary_problems_are_reported_at_their_positions() {
    let site = TestSite::fixture("training");
    site.write(
        "content/_glossary.md",
        "---\nterms:\n  - term: 两委\n    definition: 甲。\n  - term: 社区两委\n    aliases: [两委]\n    definition: 乙。\n  - term: 丙\n  - term: 丁\n    definition: 丁。\n    see: ghost\n---\n",
    );
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let location = |code: &str| {
        found
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("no {code} in {found:#?}"))
            .location
            .clone()
    };
    assert_eq!(location("duplicate-term"), "content/_glossary.md:5:5");
    assert_eq!(location("missing-field"), "content/_glossary.md:8:5");
    assert_eq!(location("missing-ref"), "content/_glossary.md:11:10");
}

#[test]
fn the_changes_page_lists_pages_newest_first_grouped_by_month() {
    let site = built();
    let changes = site.read("changes.html");
    let months = positions(
        &changes,
        &[
            ">2024 年 9 月</h2>",
            ">2024 年 3 月</h2>",
            ">2024 年 2 月</h2>",
            ">2023 年 11 月</h2>",
            ">2022 年 7 月</h2>",
            ">2021 年 5 月</h2>",
            ">2020 年 1 月</h2>",
            ">2019 年 6 月</h2>",
        ],
    );
    assert!(
        months.windows(2).all(|w| w[0] < w[1]),
        "months newest first"
    );
    let september = between(&changes, ">2024 年 9 月</h2>", "</section>");
    assert!(september.contains("sy-change-updated\">更新") && september.contains("甲社区议事会"));
    let march = between(&changes, ">2024 年 3 月</h2>", "</section>");
    assert!(march.contains("sy-change-added\">新增") && march.contains("新议事规则"));
    assert!(site.read("index.html").contains("href=\"changes.html\""));
}

#[test]
fn the_home_page_lists_the_ten_newest_pages_equal_dates_in_file_order() {
    let site = TestSite::fixture("basic");
    // new-00 … new-03 share 2030-01-05 with new-08; new-04 … new-11 are 2030-01-01 … 08.
    for n in 0..12 {
        let day = if n < 4 { 5 } else { n - 3 };
        site.write(
            &format!("content/cases/new-{n:02}.md"),
            &format!("---\ntitle: 新案例{n}\ndate: 2030-01-{day:02}\n---\n\n正文。\n"),
        );
    }
    site.build_ok();
    let home = site.read("index.html");
    let recent = between(&home, "sy-home-recent", "</section>");
    let listed: Vec<&str> = recent
        .split("href=\"cases/new-")
        .skip(1)
        .map(|rest| &rest[..2])
        .collect();
    assert_eq!(
        listed,
        ["11", "10", "09", "00", "01", "02", "03", "08", "07", "06"],
        "{recent}"
    );
}

#[test]
fn policy_sections_filter_by_status_and_replacements_link_both_ways() {
    let site = built();
    let list = site.read("policies/index.html");
    let filter = between(&list, "<nav class=\"sy-status-filter\"", "</nav>");
    for (url, status, count) in [
        ("status-current.html", "现行有效", 1),
        ("status-revised.html", "已修订", 1),
        ("status-repealed.html", "已废止", 1),
    ] {
        assert!(
            filter.contains(&format!("href=\"../policies/{url}\">{status}<span class=\"sy-status-filter-count\">{count}</span>")),
            "{filter}"
        );
    }
    let current = site.read("policies/status-current.html");
    let items = between(&current, "<ul class=\"sy-list\">", "</ul>");
    assert!(
        items.contains("新议事规则")
            && !items.contains("旧议事规则")
            && !items.contains("废止的办法")
    );
    assert!(current.contains("aria-current=\"page\">现行有效"));
    assert!(
        !site.out().join("cases/status-current.html").exists(),
        "sections without statuses get no filter"
    );
    let newer = site.read("policies/xin-zhengce.html");
    assert!(
        newer.contains("本文件替代了<a href=\"../policies/jiu-zhengce.html\">《旧议事规则》</a>")
    );
    assert!(
        site.read("policies/jiu-zhengce.html")
            .contains("sy-superseded")
    );
}

#[test]
fn a_replaced_policy_says_how_by_its_status() {
    let site = TestSite::fixture("training");
    site.write(
        "content/policies/fei-er.md",
        "---\ntitle: 又一个废止的办法\ndate: 2018-01-01\nstatus: 已废止\nsuperseded_by: xin-zhengce\n---\n\n旧办法。\n",
    )
    .write(
        "content/policies/maodun.md",
        "---\ntitle: 仍标现行的旧文\ndate: 2017-01-01\nstatus: 现行有效\nsuperseded_by: xin-zhengce\n---\n\n旧文。\n",
    );
    site.build_ok();
    let banner = |rel: &str| {
        let html = site.read(rel);
        between(&html, "<p class=\"sy-superseded-title\">", "</p>").to_string()
    };
    let title = "<p class=\"sy-superseded-title\">";
    assert_eq!(
        banner("policies/jiu-zhengce.html"),
        format!("{title}本文件已被《新议事规则》修订")
    );
    assert_eq!(
        banner("policies/fei-er.html"),
        format!("{title}本文件已废止，由《新议事规则》替代")
    );
    assert_eq!(
        banner("policies/maodun.html"),
        format!("{title}本文件已被《新议事规则》替代")
    );
    assert!(
        !site
            .read("policies/fei-zhengce.html")
            .contains("sy-superseded"),
        "a policy nobody replaced has no banner"
    );
}

#[test]
fn generated_pages_may_not_overwrite_a_page() {
    let site = TestSite::fixture("training");
    site.write(
        "content/cases/handout.md",
        "---\ntitle: 讲义\ndate: 2024-01-01\n---\n",
    );
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let clash = found.iter().find(|d| d.code == "duplicate-output").unwrap();
    assert!(
        clash.location.starts_with("content/cases/handout.md"),
        "{clash:?}"
    );
}

#[test]
fn pack_writes_one_folder_with_a_shortcut_the_usage_notes_and_the_site_in_a_subfolder() {
    let site = TestSite::fixture("training");
    let out = site.run(&["pack", "--output", "dist/kb.zip"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!site.out().exists(), "pack leaves public/ alone");
    let bytes = std::fs::read(site.root().join("dist/kb.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        assert!(
            name.starts_with("培训测试站/"),
            "{name} is outside the top folder"
        );
        if entry.is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            files.insert(name, data);
        }
    }
    let notes = String::from_utf8(files["培训测试站/使用说明.txt"].clone()).unwrap();
    assert!(notes.starts_with('\u{FEFF}'), "a BOM, for Windows Notepad");
    assert!(notes.contains("打开知识库.html") && notes.contains("\r\n"));
    assert!(notes.contains("不需要联网"));

    // A reader opening the folder sees three entries, all named in Chinese, and no file
    // of the site itself.
    let top: HashSet<&str> = files
        .keys()
        .filter_map(|name| name.strip_prefix("培训测试站/")?.split('/').next())
        .filter(|entry| !entry.is_empty())
        .collect();
    assert_eq!(
        top,
        HashSet::from(["打开知识库.html", "使用说明.txt", "站点文件"])
    );
    // The shortcut opens the site's home page from file://, by a refresh and by a link.
    let shortcut = String::from_utf8(files["培训测试站/打开知识库.html"].clone()).unwrap();
    let home = "站点文件/index.html";
    assert!(
        shortcut.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0; url={home}\">"
        )) && shortcut.contains(&format!("<a href=\"{home}\">")),
        "{shortcut}"
    );
    assert!(shortcut.contains("<meta charset=\"utf-8\">") && shortcut.contains("《培训测试站》"));

    // The same files as a plain build, plus the notes.
    site.build_ok();
    let built: HashSet<String> = walkdir::WalkDir::new(site.out())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let rel = e.path().strip_prefix(site.out()).unwrap();
            format!(
                "培训测试站/站点文件/{}",
                rel.to_string_lossy().replace('\\', "/")
            )
        })
        .chain(["使用说明.txt", "打开知识库.html"].map(|name| format!("培训测试站/{name}")))
        .collect();
    let packed: HashSet<String> = files.keys().cloned().collect();
    assert_eq!(packed, built);
    assert_eq!(
        files["培训测试站/站点文件/paths/rumen.html"],
        std::fs::read(site.out().join("paths/rumen.html")).unwrap()
    );

    // Every non-ASCII name carries the UTF-8 flag (general purpose bit 11).
    let mut checked = 0;
    for (at, _) in bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
    {
        let flags = u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]);
        let len = u16::from_le_bytes([bytes[at + 28], bytes[at + 29]]) as usize;
        let name = &bytes[at + 46..at + 46 + len];
        if !name.is_ascii() {
            assert_ne!(flags & 0x0800, 0, "{}", String::from_utf8_lossy(name));
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        zip.len(),
        "every name starts with the Chinese folder"
    );
}

#[test]
fn pack_refuses_a_destination_that_the_next_build_would_replace() {
    let site = TestSite::fixture("training");
    site.build_ok();
    let before = std::fs::read(site.out().join("index.html")).unwrap();
    for dest in ["public/kb.zip", "public/sub/kb.zip", ".shuyuan/kb.zip"] {
        let out = site.run(&["pack", "--output", dest]);
        assert_eq!(out.status.code(), Some(1), "{dest}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("unsafe-output") && said.contains("public/"),
            "{dest}: {said}"
        );
        assert!(!site.root().join(dest).exists(), "{dest}");
    }
    assert_eq!(
        std::fs::read(site.out().join("index.html")).unwrap(),
        before,
        "the output is untouched"
    );
    // A name without .zip gets it: Windows opens the file by its extension.
    let out = site.run(&["pack", "--output", "dist/培训资料"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(site.root().join("dist/培训资料.zip").is_file());
    assert!(!site.root().join("dist/培训资料").exists());
}

#[test]
fn a_body_edit_in_preview_updates_glossary_marks_handouts_and_paths() {
    let site = TestSite::fixture("training");
    let options = shuyuan::build::BuildOptions::new(site.root());
    let (_, built) = shuyuan::build::build_retained(&options, &|_| {}).unwrap();
    let mut session = shuyuan::dev::incremental::Session::new(built);
    let page = site.root().join("content/cases/anli-b.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replace(
            "乙社区按四议两公开程序",
            "乙社区的两委按四议两公开程序，改写一句",
        ),
    )
    .unwrap();
    let update = session.update(&[page], &site.out()).unwrap();
    assert!(
        matches!(update, shuyuan::dev::incremental::Update::Applied { .. }),
        "{update:?}"
    );
    let body = article(&site.read("cases/anli-b.html")).to_string();
    assert!(
        body.contains("data-term=\"两委\""),
        "new terms are marked: {body}"
    );
    // Handouts and the glossary follow once the preview catches up (after the reload).
    assert!(!site.read("cases/handout.html").contains("改写一句"));
    session.catch_up(&site.out()).unwrap();
    for holder in ["cases/handout.html", "paths/rumen-handout.html"] {
        assert!(site.read(holder).contains("改写一句"), "{holder} is stale");
    }
    let glossary = site.read("glossary.html");
    let entry = between(&glossary, "id=\"两委\"", "</div>");
    assert!(
        entry.contains("乙社区停车协商"),
        "the glossary lists the page: {entry}"
    );
}
