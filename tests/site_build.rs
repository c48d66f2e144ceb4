//! Building fixture sites with the real binary and checking what lands on disk.

mod common;

use common::{TestSite, article, assert_snapshot, check_links};

#[test]
fn basic_fixture_builds_every_kind_of_page() {
    let site = TestSite::fixture("basic");
    let out = site.build_ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("构建完成：6 个页面"), "{stdout}");

    for file in [
        "index.html",
        "cases/index.html",
        "cases/index-2.html",
        "cases/qinghe.html",
        "policies/xiachen-2024.html",
        "guides/bundle/index.html",
        "guides/bundle/map.svg",
        "guides/bundle/form.pdf",
        "tags/index.html",
        "tags/资源下沉.html",
        "topics/网格化管理.html",
        "region/清河街道.html",
        "search.html",
        "404.html",
        "sitemap.xml",
        "static/style.css",
        "cases/jiu-dizhi.html",
    ] {
        assert!(site.out().join(file).is_file(), "missing {file}");
    }
    assert!(
        !site.out().join("cases/caogao.html").exists(),
        "drafts are not built by default"
    );
}

#[test]
fn rendered_pages_match_snapshots() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    assert_snapshot(
        "basic-policy-article.html",
        article(&site.read("policies/xiachen-2024.html")),
    );
    assert_snapshot(
        "basic-case-article.html",
        article(&site.read("cases/qinghe.html")),
    );
}

#[test]
fn links_resolve_to_relative_urls_with_explicit_index_files() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let case = site.read("cases/qinghe.html");
    assert!(
        case.contains("href=\"../policies/xiachen-2024.html#第一条-总体要求-1\""),
        "relative .md link"
    );
    assert!(
        case.contains("href=\"../policies/xiachen-2024.html#work\""),
        "wiki link with anchor"
    );
    assert!(
        case.contains(">关于深化资源下沉社区的实施意见</a>"),
        "bare wiki link shows the target's title"
    );
    assert!(case.contains(">新文件</a>"), "wiki link with its own text");
    assert!(
        case.contains("href=\"../guides/bundle/form.pdf\""),
        "attachment link"
    );
    let home = site.read("index.html");
    assert!(
        home.contains("href=\"cases/index.html\""),
        "section intro links resolve too"
    );
    assert!(
        home.contains("href=\"policies/xiachen-2021.html\""),
        "intros on the home page link from the root"
    );
    let cases = site.read("cases/index.html");
    assert!(
        cases.contains("../policies/xiachen-2021.html"),
        "section intro wiki link resolves"
    );
    for html in [&case, &home, &cases] {
        assert!(!html.contains("href=\"/"), "no root-absolute links");
        assert!(!html.contains("sy-link-"), "no unresolved placeholders");
    }
}

#[test]
fn knowledge_links_run_both_ways() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let new_policy = site.read("policies/xiachen-2024.html");
    assert!(
        new_policy.contains("清河街道的网格化实践"),
        "a policy lists the cases citing it"
    );
    let old_policy = site.read("policies/xiachen-2021.html");
    assert!(
        old_policy.contains("关于深化资源下沉社区的实施意见"),
        "a superseded policy names its replacement"
    );
    assert!(old_policy.contains("已修订"));
    assert!(
        old_policy.contains("市级"),
        "site-declared fields show in the metadata panel"
    );
    let case = site.read("cases/qinghe.html");
    assert!(
        case.contains("现行有效"),
        "a case lists cited policies with their status"
    );
}

#[test]
fn raw_html_is_omitted_by_default() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let case = site.read("cases/qinghe.html");
    assert!(!article(&case).contains("<script>alert(1)</script>"));
}

#[test]
fn drafts_build_on_request_and_sections_paginate() {
    let site = TestSite::fixture("basic");
    let out = site.run(&["build", "--drafts"]);
    assert!(out.status.success());
    assert!(site.out().join("cases/caogao.html").is_file());
    // 4 cases at 2 per page.
    assert!(site.out().join("cases/index-2.html").is_file());
    let first = site.read("cases/index.html");
    assert!(first.contains("index-2.html"), "pagination links to page 2");
}

#[test]
fn output_does_not_reference_outside_hosts() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let loaders = [
        "<script src=\"",
        "<img src=\"",
        "<iframe src=\"",
        "url(\"",
        "url('",
        "url(",
        "@import \"",
    ];
    for entry in walkdir::WalkDir::new(site.out()) {
        let entry = entry.unwrap();
        let is_text = entry
            .path()
            .extension()
            .is_some_and(|e| matches!(e.to_str(), Some("html" | "css" | "js")));
        if !is_text {
            continue;
        }
        let text = common::file_text(entry.path()).unwrap();
        for loader in loaders {
            for (at, _) in text.match_indices(loader) {
                let target = &text[at + loader.len()..];
                assert!(
                    !target.starts_with("http") && !target.starts_with("//"),
                    "{} loads an outside resource: {}",
                    entry.path().display(),
                    &target[..target.len().min(60)]
                );
            }
        }
        for (at, _) in text.match_indices("<link") {
            let tag = &text[at..at + text[at..].find('>').unwrap_or(0)];
            assert!(
                !tag.contains("href=\"http") && !tag.contains("href=\"//"),
                "outside <link>: {tag}"
            );
        }
    }
}

#[test]
fn every_internal_link_in_the_output_reaches_a_file() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    check_links(&site.out());
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let before = common::tree(&site.out());
    site.write("content/cases/broken.md", "---\ntitle: [未闭合\n---\n");
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        common::tree(&site.out()),
        before,
        "public/ changed after a failed build"
    );
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind");
}

#[test]
fn a_foreign_output_folder_is_never_replaced() {
    let site = TestSite::fixture("basic");
    site.write("mine/notes.txt", "我的文件");
    let out = site.run(&["build", "--output", "mine"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(site.root().join("mine/notes.txt").is_file());
    let out = site.run(&["build", "--output", "content"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_build_keeps_page_text_in_a_work_file_that_a_previews_build_keeps_until_dropped() {
    let site = TestSite::fixture("basic");
    // Title slots in a heading and a text: their titles reach the index from the store.
    site.write(
        "content/cases/slots.md",
        "---\ntitle: 标题槽\ndate: 2024-05-01\n---\n\n## 对照[[xiachen-2024]]\n\n见[[xiachen-2024#work]]。\n",
    );
    let scratch = site.root().join(".shuyuan/tmp");
    let stored_text = || -> u64 {
        std::fs::read_dir(&scratch)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("text-"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    let mut options = shuyuan::build::BuildOptions::new(site.root());
    options.output = site.root().join("stored");
    let seen = std::sync::Mutex::new(0);
    let progress = |stage: &str| {
        if stage == "生成页面与全文索引" {
            *seen.lock().unwrap() = stored_text();
        }
    };
    shuyuan::build::build(&options, &progress).unwrap();
    assert!(
        *seen.lock().unwrap() > 0,
        "the text waits for the index in a work file"
    );
    assert_eq!(stored_text(), 0, "and goes with the build");
    // A preview's build keeps the store for its re-index while the preview holds the build,
    // and writes what a plain build writes.
    options.output = site.root().join("kept");
    let (_, retained) = shuyuan::build::build_retained(&options, &|_| {}).unwrap();
    assert!(stored_text() > 0, "a preview keeps the text store");
    let (stored, kept) = (
        common::tree(&site.root().join("stored")),
        common::tree(&site.root().join("kept")),
    );
    assert!(stored.iter().any(|(rel, _)| rel.starts_with("search")));
    assert!(stored == kept, "the two builds differ");
    drop(retained);
    assert_eq!(stored_text(), 0, "the store goes with the preview's build");
}

#[test]
fn check_validates_without_writing() {
    let site = TestSite::fixture("basic");
    let out = site.run(&["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!site.out().exists());
}

#[test]
fn crlf_and_bom_files_build() {
    let site = TestSite::fixture("basic");
    site.write("content/cases/crlf.md", "\u{FEFF}---\r\ntitle: 换行\r\ndate: 2024-01-01\r\nregion: 甲\r\ntopics: [乙]\r\n---\r\n\r\n## 标题\r\n\r\n正文\r\n");
    site.build_ok();
    assert!(site.read("cases/crlf.html").contains("<h1"));
}

#[test]
fn new_and_init_produce_buildable_sites() {
    let site = TestSite::new();
    let out = site.run(&["init", "kb"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kb = site.root().join("kb");
    let run = |args: &[&str]| {
        std::process::Command::new(common::BIN)
            .args(args)
            .current_dir(&kb)
            .output()
            .unwrap()
    };
    let out = run(&[
        "new",
        "policy",
        "policies/xin-wenjian.md",
        "--title",
        "新文件",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = kb.join("content/policies/xin-wenjian.md");
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(
        text.contains("title: \"新文件\"")
            && text.contains("issuer: \"\"")
            && text.contains("status: 现行有效")
            && text.contains("\ndraft: true"),
        "{text}"
    );
    // Unfinished, the page is a draft: `check` passes, `check --drafts` points at each
    // required field still empty.
    assert!(run(&["check"]).status.success());
    let out = run(&["check", "--drafts"]);
    assert_eq!(out.status.code(), Some(1));
    let line_of = |field: &str| {
        1 + text
            .lines()
            .position(|l| l.starts_with(&format!("{field}:")))
            .unwrap()
    };
    let missing: Vec<String> = common::diagnostics(&out)
        .into_iter()
        .filter(|d| d.code == "missing-field")
        .map(|d| d.location)
        .collect();
    assert_eq!(
        missing,
        [
            format!("content/policies/xin-wenjian.md:{}:9", line_of("issuer")),
            format!(
                "content/policies/xin-wenjian.md:{}:13",
                line_of("doc_number")
            ),
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let filled = text
        .replace("issuer: \"\"", "issuer: 某机关")
        .replace("doc_number: \"\"", "doc_number: 某发〔2024〕2号")
        .lines()
        .filter(|l| !l.starts_with("draft:"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&page, filled).unwrap();
    let out = run(&["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(kb.join("public/policies/xin-wenjian.html").is_file());
    check_links(&kb.join("public"));
}

#[test]
fn new_writes_only_inside_content_and_only_pages_that_parse() {
    let site = TestSite::new();
    assert!(site.run(&["init", "kb"]).status.success());
    let kb = site.root().join("kb");
    let run = |args: &[&str]| {
        std::process::Command::new(common::BIN)
            .args(args)
            .current_dir(&kb)
            .output()
            .unwrap()
    };
    let outside = site.root().join("outside");
    for path in [
        "../../outside/x".to_string(),
        "cases/../../../outside/y.md".to_string(),
        "content/../z.md".to_string(),
        outside.join("abs.md").display().to_string(),
    ] {
        let out = run(&["new", "case", &path]);
        assert_eq!(out.status.code(), Some(1), "{path}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("不在 content/ 目录之内"),
            "{path}: {stderr}"
        );
    }
    assert!(!outside.exists() && !kb.join("z.md").exists());

    let out = run(&["new", "case", "cases/two-lines.md", "--title", "a\n---"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("标题不能包含换行"));
    assert!(!kb.join("content/cases/two-lines.md").exists());

    let title = "“引号”\"双引号\"、反斜杠\\与冒号: # 井号";
    let out = run(&["new", "case", "cases/odd.md", "--title", title]);
    assert!(out.status.success(), "{out:?}");
    assert!(run(&["build"]).status.success());
    let html = std::fs::read_to_string(kb.join("public/cases/odd.html")).unwrap();
    assert!(
        html.contains(&format!("<title>{}", shuyuan::html::escape(title))),
        "the title is exactly what was typed"
    );
}

#[test]
fn usage_errors_exit_with_two() {
    let site = TestSite::new();
    assert_eq!(
        site.run(&["build", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(site.run(&["new", "essay", "x.md"]).status.code(), Some(2));
}

#[test]
fn the_sample_site_builds_cleanly_and_shows_every_kind() {
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("site");
    let out = std::process::Command::new(common::BIN)
        .args(["build", "--root"])
        .arg(common::repo_root())
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("警告["),
        "the sample site builds without warnings:\n{stderr}"
    );
    check_links(&output);

    let count = |dir: &str| {
        walkdir::WalkDir::new(common::repo_root().join("content").join(dir))
            .into_iter()
            .flatten()
            .filter(|e| {
                e.path().extension().is_some_and(|x| x == "md")
                    && !e.file_name().to_string_lossy().starts_with('_')
            })
            .count()
    };
    assert!(count("cases") >= 6 && count("guides") >= 4 && count("policies") >= 6);
    let superseded = walkdir::WalkDir::new(&output)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .contains("sy-superseded")
        });
    assert!(
        superseded,
        "at least one superseded policy shows its banner"
    );
}

#[cfg(unix)]
#[test]
fn a_rebuild_keeps_unchanged_files_and_replaces_changed_ones() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::fixture("basic");
    site.build_ok();
    let inode = |rel: &str| std::fs::metadata(site.out().join(rel)).unwrap().ino();
    let (kept, edited) = ("policies/xiachen-2021.html", "cases/qinghe.html");
    let before = (inode(kept), inode(edited));
    // Copied files (an attachment, a theme asset) carry their source's time and are not
    // copied again: rsync sees them unchanged.
    let (attachment, asset) = ("guides/bundle/form.pdf", "static/style.css");
    let copied = (inode(attachment), inode(asset));
    let modified = |path: &std::path::Path| std::fs::metadata(path).unwrap().modified().unwrap();
    assert_eq!(
        modified(&site.out().join(attachment)),
        modified(&site.root().join("content").join(attachment)),
        "an attachment keeps its source's modification time"
    );
    let source = site.root().join("content/cases/qinghe.md");
    let text = std::fs::read_to_string(&source).unwrap();
    site.write(
        "content/cases/qinghe.md",
        &format!("{text}\n改过的一段。\n"),
    );
    site.build_ok();
    assert_eq!(inode(kept), before.0, "an unchanged page keeps its file");
    assert_ne!(inode(edited), before.1, "a changed page gets a new file");
    assert_eq!(
        (inode(attachment), inode(asset)),
        copied,
        "unchanged copied files are not copied again"
    );
    let html = std::fs::read_to_string(site.out().join(edited)).unwrap();
    assert!(html.contains("改过的一段"));
    // A failed build after linking leaves the previous files as they were.
    let kept_bytes = std::fs::read(site.out().join(kept)).unwrap();
    site.write("content/cases/broken.md", "---\ntitle: [未闭合\n---\n");
    assert_eq!(site.build().status.code(), Some(1));
    assert_eq!(std::fs::read(site.out().join(kept)).unwrap(), kept_bytes);
}

/// A rebuild over an output of ours moves in only the files that changed and removes those
/// the site no longer has (`output::write::in_place`); the search index keeps its folder and
/// its unchanged files. After every kind of change the output equals a clean build's.
#[cfg(unix)]
#[test]
fn a_rebuild_moves_in_only_what_changed_and_equals_a_clean_build() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::fixture("basic");
    site.write_cases("more", 40, "社区, 议事");
    site.write(
        "content/notes.md",
        "---\ntitle: 工作笔记\n---\n\n笔记正文。\n",
    );
    site.build_ok();
    let inodes = |dir: &std::path::Path| -> std::collections::BTreeMap<String, u64> {
        common::tree(dir)
            .into_keys()
            .map(|rel| {
                let inode = std::fs::metadata(dir.join(&rel)).unwrap().ino();
                (rel, inode)
            })
            .collect()
    };
    let before = inodes(&site.out());
    // The output folder itself stays: no whole-folder swap (whose hard links would keep the
    // files' inodes too).
    let folder = std::fs::metadata(site.out()).unwrap().ino();

    let source = site.root().join("content/cases/qinghe.md");
    let text = std::fs::read_to_string(&source).unwrap();
    site.write("content/cases/qinghe.md", &text.replace("社区", "街道社区"));
    let rebuilt = String::from_utf8(site.build_ok().stdout).unwrap();
    common::assert_equals_a_clean_build(&site, "a body edited");
    assert_eq!(std::fs::metadata(site.out()).unwrap().ino(), folder);
    let after = inodes(&site.out());
    let moved: Vec<&String> = after
        .iter()
        .filter(|(rel, inode)| before.get(*rel) != Some(inode))
        .map(|(rel, _)| rel)
        .collect();
    assert!(moved.contains(&&"cases/qinghe.html".to_string()));
    assert!(moved.contains(&&"search/meta.js".to_string()));
    let index_files = after
        .keys()
        .filter(|rel| rel.starts_with("search/"))
        .count();
    let index_moved = moved
        .iter()
        .filter(|rel| rel.starts_with("search/"))
        .count();
    assert!(
        index_moved * 4 < index_files,
        "{index_moved} of {index_files} index files were written again: {moved:?}"
    );
    assert!(
        moved.len() * 4 < after.len(),
        "{} of {} files were written again",
        moved.len(),
        after.len()
    );
    // The build says how many files there are (the marker aside) and how many it wrote.
    let said = format!(
        "{} 个文件在 ./public（更新了其中 {} 个）",
        after.len() - 1,
        moved.len()
    );
    assert!(rebuilt.contains(&said), "{rebuilt:?} does not say {said:?}");

    // A page goes, and a folder takes the name its file had.
    std::fs::remove_file(site.root().join("content/notes.md")).unwrap();
    site.write(
        "content/notes.html/first.md",
        "---\ntitle: 笔记第一篇\n---\n\n正文。\n",
    );
    site.build_ok();
    assert!(site.out().join("notes.html/first.html").is_file());
    common::assert_equals_a_clean_build(&site, "a file became a folder");

    // And back: the folder goes, the file comes again.
    std::fs::remove_dir_all(site.root().join("content/notes.html")).unwrap();
    site.write(
        "content/notes.md",
        "---\ntitle: 工作笔记\n---\n\n笔记正文。\n",
    );
    site.build_ok();
    assert!(site.out().join("notes.html").is_file());
    common::assert_equals_a_clean_build(&site, "a folder became a file");

    // A file someone put into the output goes, as when the output was replaced whole.
    std::fs::write(site.out().join("extra.txt"), "手放的文件").unwrap();
    site.build_ok();
    assert!(!site.out().join("extra.txt").exists());
    common::assert_equals_a_clean_build(&site, "a stray file");
    let left: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn long_term_lists_split_into_pages_of_fifty() {
    let site = TestSite::fixture("basic");
    site.write_cases("gongjian", 55, "共建");
    site.build_ok();
    let first = site.read("tags/共建.html");
    let second = site.read("tags/共建/2.html");
    assert!(!site.out().join("tags/共建/3.html").exists());
    let listed = |html: &str| -> Vec<String> {
        html.match_indices("gongjian-")
            .map(|(at, _)| html[at..at + "gongjian-00".len()].to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let (on_first, on_second) = (listed(&first), listed(&second));
    assert_eq!((on_first.len(), on_second.len()), (50, 5));
    assert!(on_first.iter().all(|p| !on_second.contains(p)));
    // Newest first: the five oldest are on the second page.
    assert!(on_second.contains(&"gongjian-00".to_string()));
    for html in [&first, &second] {
        assert!(
            html.contains("共 55 篇相关内容"),
            "the whole count on every page"
        );
    }
    assert!(
        first.contains("href=\"../tags/共建/2.html\""),
        "page 1 links on"
    );
    assert!(
        second.contains("href=\"../../tags/共建.html\""),
        "page 2 links back"
    );
    common::check_links(&site.out());
}

#[test]
fn term_file_names_never_collide_or_leave_their_folder() {
    let site = TestSite::fixture("basic");
    // 51 pages: each term has a second list page, in a folder named after its file. The
    // folder `a.html/` of the term `a.html` would be the file of the term `a`; `.` and `..`
    // would be no folders at all; `index` and `index.html` would be the taxonomy's page.
    site.write_cases("jia", 51, "a, a.html, ., .., index, index.html");
    site.write(
        "content/cases/twice.md",
        "---\ntitle: 重复标签\ndate: 2023-01-01\ntags: [重复, 重复]\n---\n\n正文。\n",
    );
    site.build_ok();
    for second in ["a", "a.html_", "-", "--", "index_", "index.html_"] {
        let path = format!("tags/{second}/2.html");
        assert!(site.out().join(&path).is_file(), "{path}");
    }
    let tags = site.read("tags/index.html");
    assert!(
        tags.contains("sy-term-list"),
        "the taxonomy page kept its file"
    );
    for file in ["a.html", "a.html_.html", "-.html", "--.html", "index_.html"] {
        assert!(tags.contains(&format!("href=\"../tags/{file}\"")), "{file}");
    }
    assert!(site.read("tags/重复.html").contains("共 1 篇相关内容"));
    common::check_links(&site.out());
}

/// `[search] index_dir` once named where a second index was swapped in, and a build given
/// `index_dir = "content"` replaced the site's content with index files. The setting is still
/// accepted (old `site.toml` files keep building) but names nothing we write.
#[test]
fn an_old_index_dir_setting_touches_nothing() {
    let site = TestSite::fixture("basic");
    let config = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    site.write(
        "site.toml",
        &format!("{config}\n[search]\nindex_dir = \"content\"\n"),
    );
    let before = std::fs::read_to_string(site.root().join("content/cases/qinghe.md")).unwrap();
    site.build_ok();
    assert_eq!(
        std::fs::read_to_string(site.root().join("content/cases/qinghe.md")).unwrap(),
        before
    );
    assert!(site.root().join("content/cases/_index.md").is_file());
    let found = site.run(&["search", "--json", "网格"]);
    assert!(found.status.success(), "{found:?}");
    assert!(String::from_utf8_lossy(&found.stdout).contains("cases/qinghe.html"));
}

/// `shuyuan search … | head` closes the pipe after a few lines: the search must end quietly.
#[test]
fn search_output_cut_short_by_its_reader_is_no_crash() {
    use std::process::{Command, Stdio};
    let site = TestSite::fixture("basic");
    site.build_ok();
    for args in [&["search", "--json", "网格"][..], &["search", "网格"][..]] {
        let mut child = Command::new(common::BIN)
            .args(args)
            .current_dir(site.root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before the search has printed anything, as with `| head -0`.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
    }
}

/// A server shows `404.html` for a missing address in any folder (`/kb/cases/sub/x.html`),
/// where links relative to the site root break; with `base_url` its links start from that
/// address's path, and without one they stay relative (the page is then right at the root).
#[test]
fn the_404_page_links_from_the_base_url_path() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let relative = site.read("404.html");
    assert!(relative.contains("href=\"static/style.css\""), "{relative}");

    let config = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    site.write(
        "site.toml",
        &format!("base_url = \"http://intranet.example/kb/training\"\n{config}"),
    );
    site.build_ok();
    let rooted = site.read("404.html");
    for link in [
        "href=\"/kb/training/static/style.css\"",
        "href=\"/kb/training/index.html\"",
        "src=\"/kb/training/static/search.js\"",
    ] {
        assert!(rooted.contains(link), "{link} missing in:\n{rooted}");
    }
    // Every other page stays relative, so the output still works from file://.
    assert!(
        site.read("index.html")
            .contains("href=\"static/style.css\"")
    );
}

/// Statuses have one definition (`schema::Status`): every page hands each status's badge
/// class to the search script, which keeps no list of its own, and the stylesheet styles
/// each class.
#[test]
fn every_page_names_the_badge_class_of_each_status_for_the_search_script() {
    use shuyuan::schema::Status;
    let site = TestSite::fixture("basic");
    site.build_ok();
    let css = site.read("static/style.css");
    let script = site.read("static/search.js");
    for page in [
        "index.html",
        "policies/xiachen-2024.html",
        "search.html",
        "404.html",
    ] {
        let html = site.read(page);
        let start = html
            .find("<meta name=\"shuyuan-statuses\" content=\"")
            .unwrap_or_else(|| panic!("{page} names no status classes"));
        let content = &html[start..].split('"').nth(3).unwrap();
        let json = content.replace("&quot;", "\"");
        let named: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{page}: {json}: {e}"));
        assert_eq!(named.len(), Status::ALL.len(), "{page}: {json}");
        for status in Status::ALL {
            assert_eq!(named[status.label()], status.class(), "{page}: {json}");
        }
    }
    for status in Status::ALL {
        // The theme's stylesheet is written compact: `.sy-status-x{`.
        assert!(css.contains(&format!(".sy-status-{}{{", status.class())));
        assert!(
            !script.contains(status.label()),
            "search.js keeps its own status {}",
            status.label()
        );
    }
}

/// The embedded theme's scripts and stylesheets are written compact (comments and indentation
/// left out), with the search analysis's folding table still in `search-core.js`; a site's own
/// file of the same name is copied as its author wrote it.
#[test]
fn theme_scripts_and_stylesheets_are_compacted_and_a_sites_own_are_not() {
    let site = TestSite::fixture("basic");
    let own = "/* the site's own, kept */\nbody  {  color: red;  }\n";
    std::fs::create_dir_all(site.root().join("static")).unwrap();
    std::fs::write(site.root().join("static/search.css"), own).unwrap();
    site.build_ok();
    let theme = common::repo_root().join("themes/default/static");
    for name in [
        "search.js",
        "search-core.js",
        "theme.js",
        "style.css",
        "content.css",
    ] {
        let written = site.read(&format!("static/{name}"));
        let source = std::fs::read_to_string(theme.join(name)).unwrap();
        assert!(
            !written.contains("\n  ") && !written.contains("// "),
            "{name} keeps indentation or comments"
        );
        // search-core.js gains the folding table (13 KB).
        assert!(
            name == "search-core.js" || written.len() * 10 < source.len() * 9,
            "{name}: {} bytes written from {}",
            written.len(),
            source.len()
        );
    }
    let core = site.read("static/search-core.js");
    assert!(
        core.contains("FOLD_PAIRS=\"") && !core.contains("FOLD_PAIRS=\"\""),
        "the folding table is in"
    );
    assert_eq!(site.read("static/search.css"), own);
}
