//! Bad input: every problem is reported with its code and `path:line:col`, all at once,
//! and the build exits with 1 without writing anything.

mod common;

use common::{Printed, TestSite, diagnostics};

fn minimal() -> TestSite {
    let site = TestSite::new();
    site.write(
        "site.toml",
        "title = \"测试\"\n[schema.kinds.policy]\nrequired = [\"issuer\"]\n",
    )
    .write(
        "content/policies/_index.md",
        "---\ntitle: 政策\nkind: policy\n---\n",
    )
    .write(
        "content/policies/good.md",
        "---\ntitle: 好文件\nissuer: 某机关\n---\n\n## 第一条\n\n正文。\n",
    );
    site
}

fn find<'a>(found: &'a [Printed], code: &str) -> &'a Printed {
    found
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {found:#?}"))
}

#[test]
fn every_problem_is_reported_at_once_with_positions() {
    let site = minimal();
    site.write("content/policies/yaml.md", "---\ntitle: 甲\ntags: [a, b\n---\n")
        .write("content/policies/types.md", "---\ntitle: 乙\nissuer: 某机关\nweight: 很重\nissued: 2023-02-30\nstatus: 有效\n---\n")
        .write("content/policies/kind.md", "---\ntitle: 丙\nkind: essay\nissuer: 某机关\n---\n")
        .write("content/policies/missing.md", "---\ntitle: 丁\n---\n")
        .write("content/policies/links.md", "---\ntitle: 戊\nissuer: 某机关\nsuperseded_by: nowhere\n---\n\n见[[good#第九条]]和[缺失](none.md)以及[[ghost]]。\n\n![图](pic.png)\n")
        .write("content/cases/dup.md", "---\ntitle: 重名甲\n---\n")
        .write("content/guides/dup.md", "---\ntitle: 重名乙\n---\n")
        .write("content/policies/open.md", "---\ntitle: 未闭合\n\n正文\n");
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);

    let yaml = find(&found, "front-matter-syntax");
    assert!(
        yaml.location.starts_with("content/policies/yaml.md:"),
        "{yaml:?}"
    );
    assert!(yaml.message.contains("YAML"));
    assert_eq!(
        find(&found, "field-type").location,
        "content/policies/types.md:4:9"
    );
    assert_eq!(
        find(&found, "invalid-date").location,
        "content/policies/types.md:5:9"
    );
    assert_eq!(
        find(&found, "invalid-enum").location,
        "content/policies/types.md:6:9"
    );
    assert_eq!(
        find(&found, "unknown-kind").location,
        "content/policies/kind.md:3:7"
    );
    assert!(
        find(&found, "missing-field")
            .location
            .starts_with("content/policies/missing.md")
    );
    assert!(find(&found, "missing-field").message.contains("issuer"));
    assert_eq!(
        find(&found, "missing-ref").location,
        "content/policies/links.md:4:16"
    );
    assert!(
        find(&found, "duplicate-slug")
            .location
            .starts_with("content/guides/dup.md")
    );
    assert!(
        find(&found, "front-matter-unclosed")
            .location
            .starts_with("content/policies/open.md:1")
    );
    let anchors: Vec<_> = found.iter().filter(|d| d.code == "broken-anchor").collect();
    assert_eq!(anchors.len(), 1, "{found:#?}");
    assert_eq!(anchors[0].location, "content/policies/links.md:7:2");
    let broken: Vec<_> = found
        .iter()
        .filter(|d| d.code == "broken-link")
        .map(|d| d.location.as_str())
        .collect();
    assert_eq!(
        broken,
        [
            "content/policies/links.md:7:15",
            "content/policies/links.md:7:30",
            "content/policies/links.md:9:1"
        ]
    );

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("失败：{} 个错误", found.len())),
        "{stderr}"
    );
    // Link errors are found after the sources left memory: the line is read again.
    assert!(
        stderr.contains("见[[good#第九条]]和[缺失](none.md)以及[[ghost]]。"),
        "{stderr}"
    );
    assert!(
        stderr.contains(" 4 | weight: 很重"),
        "the offending line is shown:\n{stderr}"
    );
    // So are the fields that name other pages, checked after the sources left memory.
    assert!(
        stderr.contains(" 4 | superseded_by: nowhere"),
        "the reference's line is shown:\n{stderr}"
    );
    assert!(!site.out().exists(), "nothing written");
}

#[test]
fn gbk_files_are_named_with_their_likely_encoding() {
    let site = minimal();
    let (gbk, _, _) = encoding_rs::GBK.encode("---\ntitle: 社区治理\n---\n正文");
    site.write_bytes("content/policies/gbk.md", &gbk);
    let out = site.build();
    let found = diagnostics(&out);
    let d = find(&found, "not-utf8");
    assert_eq!(d.location, "content/policies/gbk.md");
    assert!(d.message.contains("GBK"), "{d:?}");
}

#[test]
fn huge_files_are_refused() {
    let site = minimal();
    let mut big = String::from("---\ntitle: 大\nissuer: 某\n---\n");
    big.push_str(&"很长的正文。".repeat(500_000));
    site.write("content/policies/big.md", &big);
    let found = diagnostics(&site.build());
    assert!(find(&found, "file-too-large").message.contains("MB"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let site = minimal();
    std::os::unix::fs::symlink(
        site.root().join("content"),
        site.root().join("content/policies/loop"),
    )
    .unwrap();
    let out = site.build();
    let found = diagnostics(&out);
    assert!(find(&found, "symlink-loop").location.contains("loop"));
}

#[test]
fn yes_and_no_stay_text() {
    let site = minimal();
    site.write(
        "content/policies/no.md",
        "---\ntitle: NO\nissuer: y\nregion: NO\n---\n",
    );
    let out = site.build();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = site.read("policies/no.html");
    assert!(html.contains(">NO<") || html.contains("NO</h1>"));
}

#[test]
fn templates_that_load_outside_assets_fail_the_build() {
    let site = minimal();
    let base =
        std::fs::read_to_string(site.root().join("themes/default/templates/base.html")).unwrap();
    let bad = base.replacen(
        "</head>",
        "<script src=\"https://cdn.example.com/x.js\"></script></head>",
        1,
    );
    site.write("templates/base.html", &bad);
    let out = site.build();
    let found = diagnostics(&out);
    let d = find(&found, "external-asset");
    assert!(d.location.starts_with("templates/base.html:"), "{d:?}");
}

#[test]
fn config_errors_point_into_site_toml() {
    let site = minimal();
    site.write(
        "site.toml",
        "title = \"测试\"\n[schema.fields.\"层级\"]\ntype = \"colour\"\n",
    );
    let found = diagnostics(&site.build());
    let d = find(&found, "config-invalid");
    assert!(d.location.starts_with("site.toml:2"), "{d:?}");
    site.write("site.toml", "title = \"测试\"\nunknown_key = 1\n");
    let found = diagnostics(&site.build());
    assert_eq!(find(&found, "config-syntax").location, "site.toml:2:1");
}

#[test]
fn a_taxonomy_named_like_a_generated_folder_is_reported_at_its_name() {
    let site = minimal();
    site.write(
        "site.toml",
        "title = \"测试\"\n\n[taxonomies]\ntags = \"标签\"\n  search = \"搜索\"\n",
    );
    let found = diagnostics(&site.build());
    let d = find(&found, "duplicate-output");
    assert!(d.message.contains("search"), "{d:?}");
    assert_eq!(d.location, "site.toml:5:3", "{d:?}");
}

#[test]
fn aliases_may_not_leave_the_site_or_replace_a_page() {
    let site = minimal();
    site.write(
        "content/policies/moved.md",
        "---\ntitle: 搬家\nissuer: 某\naliases: [../../escape.html, policies/good.html, policies/old-name.html]\n---\n",
    );
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    assert!(
        find(&found, "field-type")
            .message
            .contains("../../escape.html"),
        "{found:#?}"
    );
    assert!(
        find(&found, "duplicate-output")
            .message
            .contains("policies/good.html"),
        "{found:#?}"
    );
    assert!(
        !site.root().join("escape.html").exists()
            && !site.root().parent().unwrap().join("escape.html").exists()
    );
    site.write(
        "content/policies/moved.md",
        "---\ntitle: 搬家\nissuer: 某\naliases: [policies/old-name.html]\n---\n",
    );
    site.build_ok();
    assert!(site.read("policies/old-name.html").contains("moved.html"));
}

/// A problem with one item of a list is placed at that item, not at the list's first item or
/// its bracket.
#[test]
fn a_bad_list_item_is_pointed_at_itself() {
    let site = minimal();
    site.write(
        "content/policies/items.md",
        "---\ntitle: 列表\nissuer: 某\naliases:\n  - policies/ok.html\n  - ../bad.html\ncites: [good, 不存在]\n---\n",
    );
    let found = diagnostics(&site.build());
    assert_eq!(
        find(&found, "field-type").location,
        "content/policies/items.md:6:5"
    );
    assert_eq!(
        find(&found, "missing-ref").location,
        "content/policies/items.md:7:15"
    );
}

/// A link that climbs out of content/ is said to, not called missing under a wrong path.
#[test]
fn a_link_out_of_content_is_said_to_leave_it() {
    let site = minimal();
    site.write(
        "content/cases/out.md",
        "---\ntitle: 出界\n---\n\n见[配置](../../site.toml)和[别处](../../../else.md)。\n",
    );
    let found = diagnostics(&site.build());
    let links: Vec<&Printed> = found.iter().filter(|d| d.code == "broken-link").collect();
    assert_eq!(links.len(), 2, "{found:#?}");
    for d in links {
        assert!(
            d.message.contains("指向 content/ 之外") && !d.message.contains("content/.."),
            "{d:?}"
        );
    }
}

#[test]
fn pages_and_aliases_may_not_replace_generated_files() {
    let site = minimal();
    site.write("content/404.md", "---\ntitle: 四〇四\n---\n")
        .write("content/policies/tagged.md", "---\ntitle: 标签页\nissuer: 某\ntags: [t1]\naliases: [tags/index.html, search.html]\n---\n");
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let clashes: Vec<_> = found
        .iter()
        .filter(|d| d.code == "duplicate-output")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(clashes.len(), 3, "{found:#?}");
    assert!(clashes.iter().any(|m| m.contains("404.html")));
    assert!(clashes.iter().any(|m| m.contains("tags/index.html")));
    assert!(clashes.iter().any(|m| m.contains("search.html")));
}

#[test]
fn a_policy_may_not_replace_itself_or_be_replaced_in_a_loop() {
    let site = minimal();
    site.write(
        "content/policies/ziji.md",
        "---\ntitle: 自指文件\nissuer: 某机关\nstatus: 已修订\nsuperseded_by: ziji\n---\n\n正文。\n",
    )
    .write(
        "content/policies/jia.md",
        "---\ntitle: 甲文件\nissuer: 某机关\nsuperseded_by: yi\n---\n",
    )
    .write(
        "content/policies/yi.md",
        "---\ntitle: 乙文件\nissuer: 某机关\nsuperseded_by: jia\n---\n",
    )
    // Leads into the loop without being part of it.
    .write(
        "content/policies/bing.md",
        "---\ntitle: 丙文件\nissuer: 某机关\nsuperseded_by: jia\n---\n",
    );
    for command in ["build", "check"] {
        let out = site.run(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let found = diagnostics(&out);
        assert!(
            found.iter().all(|d| d.code == "superseded-loop"),
            "{command}: {found:#?}"
        );
        let loops: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (d.location.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(loops.len(), 3, "{command}: {found:#?}");
        assert_eq!(loops[0].0, "content/policies/jia.md:4:16");
        assert!(
            loops[0]
                .1
                .contains("形成循环：《甲文件》 → 《乙文件》 → 《甲文件》"),
            "{}",
            loops[0].1
        );
        assert_eq!(loops[1].0, "content/policies/yi.md:4:16");
        assert!(loops[1].1.contains("《乙文件》 → 《甲文件》 → 《乙文件》"));
        assert_eq!(loops[2].0, "content/policies/ziji.md:5:16");
        assert!(loops[2].1.contains("指向本页自身"), "{}", loops[2].1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(" 5 | superseded_by: ziji"),
            "{command}: the field's line is shown:\n{stderr}"
        );
    }
    assert!(!site.out().exists(), "nothing written");
}

/// Every file under `dir` with its bytes, for comparing a whole output before and after.
fn snapshot_dir(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn deep_nesting_is_an_error_at_its_position_not_a_crash() {
    let site = minimal();
    site.build_ok();
    let before = snapshot_dir(&site.out());
    // 12 KB of `>`: comrak recursed once per level and overflowed the stack.
    site.write(
        "content/policies/deep.md",
        &format!(
            "---\ntitle: 深\nissuer: 某机关\n---\n\n正文。\n\n{} 引文\n",
            ">".repeat(12_000)
        ),
    )
    .write(
        "content/policies/list.md",
        &format!(
            "---\ntitle: 列表\nissuer: 某机关\n---\n{}",
            (0..100)
                .map(|level| format!("{}- 第{level}层\n", "  ".repeat(level)))
                .collect::<String>()
        ),
    );
    for command in ["build", "check"] {
        let out = site.run(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}: {out:?}");
        let found = diagnostics(&out);
        let deep: Vec<_> = found
            .iter()
            .filter(|d| d.code == "nesting-too-deep")
            .collect();
        assert_eq!(deep.len(), 2, "{command}: {found:#?}");
        assert_eq!(deep[0].location, "content/policies/deep.md:8:65");
        assert!(deep[0].message.contains("嵌套超过 64 层"), "{:?}", deep[0]);
        assert_eq!(deep[1].location, "content/policies/list.md:69:129");
    }
    assert_eq!(
        snapshot_dir(&site.out()),
        before,
        "the last good output stays"
    );
}

#[test]
fn an_empty_required_field_is_missing_where_it_is_written() {
    let site = minimal();
    site.write(
        "content/policies/blank.md",
        "---\ntitle: 空\nissuer: \"  \"\n---\n",
    );
    for command in ["build", "check"] {
        let out = site.run(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let found = diagnostics(&out);
        let d = find(&found, "missing-field");
        assert_eq!(d.location, "content/policies/blank.md:3:9", "{command}");
        assert!(d.message.contains("issuer") && d.message.contains("没有填写"));
    }
}

#[test]
fn full_width_punctuation_in_front_matter_is_pointed_at() {
    let site = minimal();
    site.write(
        "content/policies/comma.md",
        "---\ntitle: 逗号\nissuer: 某机关\ntags: [议事会，停车管理]\n---\n",
    );
    let out = site.build_ok();
    let found = diagnostics(&out);
    let d = find(&found, "full-width-comma");
    assert_eq!(d.location, "content/policies/comma.md:4:11");
    assert!(d.message.contains("[议事会, 停车管理]"), "{d:?}");

    // Quotes say the comma is meant: no warning for a quoted item.
    site.write(
        "content/policies/comma.md",
        "---\ntitle: 逗号\nissuer: 某机关\ntags: [\"调整大小，另请参见缩放\", '议事会，停车']\n---\n",
    );
    let out = site.build_ok();
    let found = diagnostics(&out);
    assert!(
        found.iter().all(|d| d.code != "full-width-comma"),
        "{found:?}"
    );

    site.write(
        "content/policies/colon.md",
        "---\ntitle: 冒号\nissuer: 某机关\nregion：江北区\nsummary: |\n  会议：纪要\n---\n",
    );
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let colon: Vec<_> = found
        .iter()
        .filter(|d| d.location.starts_with("content/policies/colon.md"))
        .collect();
    assert_eq!(colon.len(), 1, "one error for the colon: {found:#?}");
    assert_eq!(colon[0].code, "front-matter-syntax");
    assert_eq!(colon[0].location, "content/policies/colon.md:4:7");
    assert!(colon[0].message.contains("全角冒号"), "{:?}", colon[0]);
}

#[test]
fn a_long_line_is_quoted_around_the_column_only() {
    let site = minimal();
    let line = format!(
        "{}[缺失](none.md){}",
        "很长的正文。".repeat(35_000),
        "后文".repeat(100)
    );
    site.write(
        "content/policies/long.md",
        &format!("---\ntitle: 长\nissuer: 某机关\n---\n\n{line}\n"),
    );
    let out = site.build();
    let found = diagnostics(&out);
    assert_eq!(
        find(&found, "broken-link").location,
        "content/policies/long.md:6:210001"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
    let quoted = stderr
        .lines()
        .find(|l| l.starts_with(" 6 | "))
        .expect("the line is quoted");
    assert!(
        quoted.starts_with(" 6 | …") && quoted.ends_with('…') && quoted.contains("[缺失](none.md)"),
        "{quoted}"
    );
    // The caret still sits under the `[`: as many cells in as the quoted text before it.
    let caret = stderr
        .lines()
        .skip_while(|l| !l.starts_with(" 6 | "))
        .nth(1)
        .unwrap();
    let before = &quoted[..quoted.find("[缺失]").unwrap()];
    let pad = &caret[..caret.find('^').unwrap()];
    assert_eq!(
        pad.chars()
            .map(|c| if c == '\u{3000}' { 2 } else { 1 })
            .sum::<usize>(),
        before
            .chars()
            .map(|c| if c == '…' || c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    );
}

/// `check` renders every file in memory as `build` does: a theme template that fails only
/// when rendered (an undefined variable) fails `check` with the errors `build` gives, and
/// neither writes anything.
#[test]
fn check_reports_the_template_errors_that_build_reports() {
    let site = minimal();
    let template = site.root().join("themes/default/templates/page.html");
    let text = std::fs::read_to_string(&template).unwrap();
    let broken = text.replacen("{% block main %}", "{% block main %}{{ page.nope }}", 1);
    assert_ne!(broken, text, "page.html has no main block");
    std::fs::write(&template, broken).unwrap();
    let built = site.run(&["build"]);
    let checked = site.run(&["check"]);
    assert_eq!(built.status.code(), Some(1), "build: {built:?}");
    assert_eq!(checked.status.code(), Some(1), "check: {checked:?}");
    let from_build = diagnostics(&built);
    let render_errors = from_build
        .iter()
        .filter(|d| d.code == "template-render")
        .count();
    assert_eq!(render_errors, 1, "one page, one error: {from_build:#?}");
    assert!(from_build[0].message.contains("nope"), "{from_build:#?}");
    assert_eq!(diagnostics(&checked), from_build);
    assert!(!site.out().exists(), "nothing written");
}
