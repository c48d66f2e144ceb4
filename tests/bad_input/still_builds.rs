//! The other side of the failure modes: what must still build, and build safely (device
//! names and climbing tags get safe files, symlinks inside the site, our own folders and
//! zips replaced, packs that unzip on Windows).

use super::harness::*;

#[test]
fn tags_that_name_devices_or_climb_get_safe_files_inside_their_folder() {
    let site = good_site();
    bad_page(
        &site,
        "date: 2024-03-01\ntags: [CON, aux, \"../../../逃出\", .hidden, 'x.', Con.txt]",
    );
    site.build_ok();
    let tags = site.out().join("tags");
    // Windows reads a device name before the first dot: `Con.txt_.html` would still be `CON`.
    for file in [
        "CON_.html",
        "aux_.html",
        "-hidden.html",
        "x-.html",
        "Con_.txt.html",
    ] {
        assert!(tags.join(file).is_file(), "tags/{file}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&tags)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n.contains("逃出")),
        "the climbing tag has its page in tags/: {names:?}"
    );
    assert!(!site.root().join("逃出.html").exists());
    assert!(!site.root().parent().unwrap().join("逃出.html").exists());
    // The tag list links to the safe names.
    let index = site.read("tags/index.html");
    assert!(
        index.contains("CON_.html") && index.contains("aux_.html"),
        "{index}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_site_build_and_outside_ones_only_when_allowed() {
    let site = good_site();
    site.write("shared/common.md", "---\ntitle: 共用\n---\n\n站内共用。\n");
    symlink(
        &site.root().join("shared/common.md"),
        &site.root().join("content/guides/common.md"),
    );
    site.build_ok();
    assert!(site.out().join("guides/common.html").is_file());

    // A folder of this test's own outside the site, removed when the test ends.
    let elsewhere = tempfile::tempdir().unwrap();
    let page = elsewhere.path().join("allowed.md");
    std::fs::write(&page, "---\ntitle: 允许的站外页\n---\n").unwrap();
    symlink(&page, &site.root().join("content/guides/allowed.md"));
    assert_eq!(site.build().status.code(), Some(1));
    site.write(
        "site.toml",
        "title = \"坏输入\"\n[content]\nallow_symlinks_outside = true\n",
    );
    site.build_ok();
    assert!(site.out().join("guides/allowed.html").is_file());
}

#[test]
fn our_own_folders_and_zips_are_replaced() {
    let site = good_site();
    site.build_ok();
    assert!(
        site.out().join(".shuyuan-output").is_file(),
        "the output carries the marker"
    );
    site.write("content/guides/h.md", "---\ntitle: 新页\n---\n");
    site.build_ok();
    assert!(
        site.out().join("guides/h.html").is_file(),
        "a marked public/ is replaced"
    );

    std::fs::create_dir_all(site.root().join("empty")).unwrap();
    let out = site.run(&["build", "--output", "empty"]);
    assert!(
        out.status.success(),
        "an empty folder may become the output"
    );
    assert!(site.root().join("empty/.shuyuan-output").is_file());

    for _ in 0..2 {
        let out = site.run(&["pack", "--output", "dist/kb.zip"]);
        assert!(
            out.status.success(),
            "an earlier pack is replaced: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn new_refuses_page_names_that_break_on_windows() {
    let site = good_site();
    for path in ["cases/CON", "cases/aux.md", "lpt1/x.md", "cases/.hidden.md"] {
        let out = site.run(&["new", "case", path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path}: {stderr}");
        assert!(stderr.contains("不能用"), "{path}: {stderr}");
    }
    for made in [
        "content/cases/CON.md",
        "content/cases/aux.md",
        "content/lpt1",
    ] {
        assert!(!site.root().join(made).exists(), "{made}");
    }
}

#[test]
fn a_pack_named_after_a_device_or_a_long_title_still_unzips_on_windows() {
    for (title, folder) in [
        ("CON", "CON_".to_string()),
        (".aux.", "aux_".to_string()),
        // Windows reads the device before the first dot: `Con.培训_` would still be `CON`.
        ("Con.培训", "Con_.培训".to_string()),
        (&*"长".repeat(100), "长".repeat(74)),
    ] {
        let site = good_site();
        site.write("site.toml", &format!("title = \"{title}\"\n"));
        let out = site.run(&["pack"]);
        assert!(
            out.status.success(),
            "{title}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let zip = site.root().join(format!("{folder}.zip"));
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert!(
            names
                .iter()
                .all(|name| name.starts_with(&format!("{folder}/"))),
            "{title}: one top folder {folder}/"
        );
    }
}

/// A field no part of the site reads used to vanish without a word, so `titel:` cost a page
/// its title and `Tags:` its tags. Each is a warning at its name, with the field meant where
/// one is close; the page still builds (a folder of Markdown from elsewhere may carry fields
/// of its own). A taxonomy `site.toml` adds is a field the site reads.
#[test]
fn unknown_fields_build_with_a_warning_at_their_name() {
    let site = good_site();
    site.write(
        "site.toml",
        "title = \"坏输入\"\n[taxonomies]\ntags = \"标签\"\n\"专题\" = \"专题\"\n",
    );
    bad_page(
        &site,
        "Tags: [甲]\n\u{3000}tags: [乙]\ntitel: 错拼的标题\n专题: [议事]\nauthor: 某人",
    );
    let out = site.build_ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warned: Vec<(String, String)> = crate::common::diagnostics(&out)
        .into_iter()
        .filter(|d| d.code == "unknown-field")
        .map(|d| (d.location, d.message))
        .collect();
    let expected = [
        ("content/cases/bad.md:3:1", "是不是想写 `tags`"),
        ("content/cases/bad.md:4:1", "是不是想写 `tags`"),
        ("content/cases/bad.md:5:1", "是不是想写 `title`"),
        (
            "content/cases/bad.md:7:1",
            "没有在 site.toml 的 [schema.fields] 中声明",
        ),
    ];
    assert_eq!(warned.len(), expected.len(), "{stderr}");
    for ((location, message), (want_at, want_text)) in warned.iter().zip(expected) {
        assert_eq!(location, want_at, "{stderr}");
        assert!(message.contains(want_text), "{message}");
    }
    assert!(
        stderr.contains("警告[unknown-field]"),
        "a warning, not an error"
    );
    assert!(
        site.out().join("专题/议事.html").is_file(),
        "the declared taxonomy is read"
    );
}

/// `[甲](a.md#)` and `[[a#]]` are the top of that page, as `[回到顶部](#)` is the top of this
/// one, and so is `#top` in any case where no heading has that id: no broken anchor.
#[test]
fn a_link_to_the_top_of_another_page_is_no_broken_anchor() {
    let site = good_site();
    site.write(
        "content/guides/top.md",
        "---\ntitle: 顶部\n---\n\n见[甲案例](../cases/a.md#)和[[a#]]，[回到顶部](#top)，[甲案例顶部](../cases/a.md#TOP)。\n",
    );
    site.build_ok();
    let html = site.read("guides/top.html");
    assert_eq!(
        html.matches("href=\"../cases/a.html\"").count(),
        2,
        "{html}"
    );
    assert!(html.contains("href=\"#top\""), "{html}");
    assert!(html.contains("href=\"../cases/a.html#TOP\""), "{html}");
}

/// Chinese input methods type `、` between items and `【】` for brackets: YAML reads one tag
/// where the editor meant two. Like the full-width comma, each is a warning at the mark;
/// a quoted item keeps its `、` without a word.
#[test]
fn enumeration_commas_and_full_width_brackets_in_a_list_are_warned_at_the_mark() {
    let site = good_site();
    bad_page(
        &site,
        "tags: [议事会、停车管理]\ntopics: 【老旧小区, 加装电梯】\naudience: [\"书记、主任\"]",
    );
    let out = site.build_ok();
    let warned: Vec<(String, String)> = crate::common::diagnostics(&out)
        .into_iter()
        .filter(|d| d.code == "full-width-comma")
        .map(|d| (d.location, d.message))
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(warned.len(), 2, "{stderr}");
    assert_eq!(warned[0].0, "content/cases/bad.md:3:11");
    assert!(warned[0].1.contains("顿号"), "{stderr}");
    assert!(warned[0].1.contains("[议事会, 停车管理]"), "{stderr}");
    assert_eq!(warned[1].0, "content/cases/bad.md:4:9");
    assert!(warned[1].1.contains("全角方括号"), "{stderr}");
    assert!(warned[1].1.contains("[老旧小区, 加装电梯]"), "{stderr}");
}

/// YAML escapes put control characters in a title or summary (`"\u0000"`, `"\u000b"`, as
/// text pasted from elsewhere may hold): they went raw into `<title>`, `<meta
/// name="description">` and every list showing the page, as a NUL in the body once did.
#[test]
fn control_characters_in_front_matter_never_reach_the_output() {
    let site = good_site();
    site.write(
        "content/cases/kong.md",
        "---\ntitle: \"控\\u0000制\\u0007字符\"\nsummary: \"摘\\u0000要\\u000b文字\"\ndate: 2024-05-01\ntags: [\"网\\u0000格\"]\n---\n\n正文。\n",
    );
    site.build_ok();
    let page = site.read("cases/kong.html");
    assert!(page.contains("<title>控制字符 - 坏输入</title>"), "{page}");
    assert!(
        page.contains("<meta name=\"description\" content=\"摘要文字\">"),
        "{page}"
    );
    for entry in walkdir::WalkDir::new(site.out()) {
        let path = entry.unwrap().into_path();
        // The search fragments unpacked: their packed units say nothing of the text.
        let Some(text) = crate::common::readable_text(&path) else {
            continue;
        };
        assert!(
            !text.contains(|c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
            "a control character in {}",
            path.display()
        );
    }
}

/// `new` promises a page: `new case cases/tongzhi.2024` wrote `content/cases/tongzhi.2024`,
/// an attachment published front matter and all, and `new case cases/` wrote
/// `content/cases.md` beside the folder meant.
#[test]
fn new_writes_a_page_whatever_the_name_ends_with_and_refuses_a_folder() {
    let site = good_site();
    for (path, written) in [
        ("cases/tongzhi.2024", "content/cases/tongzhi.2024.md"),
        ("cases/biao.txt", "content/cases/biao.txt.md"),
        ("cases/Daxie.MD", "content/cases/Daxie.MD"),
    ] {
        let out = site.run(&["new", "case", path, "--title", "新页"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{path}: {stderr}");
        assert!(site.root().join(written).is_file(), "{path} → {written}");
    }
    assert!(!site.root().join("content/cases/tongzhi.2024").exists());
    site.build_ok();
    assert!(site.out().join("cases/tongzhi.2024.html").is_file());
    assert!(site.out().join("cases/biao.txt.html").is_file());

    let out = site.run(&["new", "case", "guides/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("文件夹"), "{stderr}");
    assert!(!site.root().join("content/guides.md").exists());
}

/// A policy still marked 现行有效 that names the policy replacing it says two things at once:
/// a warning at its `status`, and the build goes on.
#[test]
fn a_current_policy_that_names_its_replacement_is_warned_at_its_status() {
    let site = good_site();
    site.write("content/policies/_index.md", "---\ntitle: 政策\n---\n")
        .write(
            "content/policies/jiu.md",
            "---\ntitle: 旧办法\nkind: policy\nissuer: 某机关\nstatus: 现行有效\nsuperseded_by: xin\n---\n\n正文。\n",
        )
        .write(
            "content/policies/xin.md",
            "---\ntitle: 新办法\nkind: policy\nissuer: 某机关\nstatus: 现行有效\n---\n\n正文。\n",
        );
    let out = site.build_ok();
    let warned: Vec<_> = crate::common::diagnostics(&out)
        .into_iter()
        .filter(|d| d.code == "status-conflict")
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert_eq!(
        warned[0].location, "content/policies/jiu.md:5:9",
        "{stderr}"
    );
    assert!(warned[0].message.contains("《新办法》"), "{stderr}");

    site.write(
        "content/policies/jiu.md",
        "---\ntitle: 旧办法\nkind: policy\nissuer: 某机关\nstatus: 已废止\nsuperseded_by: xin\n---\n\n正文。\n",
    );
    let out = site.build_ok();
    assert!(
        crate::common::diagnostics(&out).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
