//! What an editor meets first, run with the real binary: a bare folder of Markdown builds as
//! it is, a wrong folder or a missing theme is one clear line, `init` and `new` write starter
//! files that show the features and hide nothing, the command line speaks Chinese, YAML
//! mistakes are explained in Chinese where they are, and 使用手册's table of full-width
//! punctuation slips says what the build does with each.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, TestSite, check_links, copy_dir, diagnostics, repo_root};

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run shuyuan")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_folder_of_markdown_builds_with_the_embedded_theme_and_says_so_once() {
    // Only content/: no site.toml, no themes/.
    let bare = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_root().join("tests/fixtures/basic/content"),
        &bare.path().join("content"),
    );
    let out = run_in(bare.path(), &["build"]);
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    let notices: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("提示") && l.contains("site.toml"))
        .collect();
    assert_eq!(notices.len(), 1, "one line about site.toml:\n{text}");
    assert!(notices[0].contains("默认设置"), "{text}");
    assert!(!text.contains("错误"), "{text}");
    // The fixture's site.toml declares `层级`; without it the field is unknown, and said so.
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("警告[")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].starts_with("警告[unknown-field]: 不认识的字段 `层级`"),
        "{text}"
    );
    check_links(&bare.path().join("public"));

    // The same content with the theme folder on disk gives the same site, byte for byte.
    let with_theme = tempfile::tempdir().unwrap();
    copy_dir(
        &bare.path().join("content"),
        &with_theme.path().join("content"),
    );
    copy_dir(
        &repo_root().join("themes/default"),
        &with_theme.path().join("themes/default"),
    );
    let out = run_in(with_theme.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (embedded, folder) = (
        tree(&bare.path().join("public")),
        tree(&with_theme.path().join("public")),
    );
    assert!(embedded.iter().any(|(rel, _)| rel == "static/search.js"));
    assert_eq!(
        embedded.iter().map(|(rel, _)| rel).collect::<Vec<_>>(),
        folder.iter().map(|(rel, _)| rel).collect::<Vec<_>>()
    );
    for ((rel, a), (_, b)) in embedded.iter().zip(&folder) {
        assert!(
            a == b,
            "{rel} differs between the embedded and the folder theme"
        );
    }

    // A site's own static file still wins over the embedded theme's.
    std::fs::create_dir_all(bare.path().join("static")).unwrap();
    std::fs::write(bare.path().join("static/style.css"), "body{}").unwrap();
    assert!(run_in(bare.path(), &["build"]).status.success());
    assert_eq!(
        std::fs::read_to_string(bare.path().join("public/static/style.css")).unwrap(),
        "body{}"
    );
}

#[test]
fn a_folder_that_is_no_site_is_refused_in_one_line() {
    let empty = tempfile::tempdir().unwrap();
    for args in [
        &["build"][..],
        &["check"],
        &["pack"],
        &["serve", "--no-watch", "--port", "0"],
        &["new", "case", "cases/x.md"],
    ] {
        let out = run_in(empty.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let text = stderr(&out);
        assert_eq!(text.lines().count(), 1, "{args:?}: one line:\n{text}");
        assert!(
            text.starts_with("错误：当前文件夹不是书院站点"),
            "{args:?}: {text}"
        );
    }
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "nothing was written"
    );
    let out = run_in(empty.path(), &["build", "--root", "somewhere"]);
    assert!(stderr(&out).starts_with("错误：文件夹 somewhere 不是书院站点"));
}

#[test]
fn a_missing_theme_is_one_error_at_its_setting() {
    let site = TestSite::fixture("basic");
    let config = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    site.write("site.toml", &format!("theme = \"lanse\"\n{config}"));
    for command in ["build", "check"] {
        let out = site.run(&[command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let found = diagnostics(&out);
        assert_eq!(found.len(), 1, "{command}: {found:#?}");
        assert_eq!(found[0].code, "config-invalid");
        assert_eq!(found[0].location, "site.toml:1:1");
        assert!(
            found[0].message.starts_with("主题不存在")
                && found[0].message.contains("themes/lanse/"),
            "{:?}",
            found[0]
        );
    }
    site.write("site.toml", &format!("theme = \"../content\"\n{config}"));
    let found = diagnostics(&site.build());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("无效"), "{:?}", found[0]);
}

#[test]
fn help_and_usage_errors_are_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["build", "--help"],
        &["new", "-h"],
        &["search", "--help"],
        &["serve", "--help"],
    ] {
        let out = run_in(dir.path(), args);
        assert!(out.status.success(), "{args:?}");
        let help = stdout(&out);
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "Print",
            "[default",
            "possible values",
        ] {
            assert!(!help.contains(english), "{args:?} shows {english}:\n{help}");
        }
        for chinese in ["用法：shuyuan", "选项：", "-h, --help", "显示帮助"] {
            assert!(help.contains(chinese), "{args:?} lacks {chinese}:\n{help}");
        }
    }
    let top = stdout(&run_in(dir.path(), &["--help"]));
    assert!(top.contains("命令：") && top.contains("显示版本号") && top.contains("构建站点"));
    let new = stdout(&run_in(dir.path(), &["new", "--help"]));
    assert!(
        new.contains("用法：shuyuan new [选项] <类型> <路径>"),
        "{new}"
    );
    let serve = stdout(&run_in(dir.path(), &["serve", "--help"]));
    assert!(serve.contains("（默认：1111）"), "{serve}");

    let out = run_in(dir.path(), &["build", "--nope"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.starts_with("错误：不认识的参数 `--nope`") && text.contains("用法：shuyuan build"),
        "{text}"
    );
    let out = run_in(dir.path(), &["new", "essay", "x.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("的值 `essay` 无效"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn init_starts_a_site_with_a_learning_path_and_a_glossary() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_in(dir.path(), &["init", "kb"]).status.success());
    let kb = dir.path().join("kb");
    let ignored = std::fs::read_to_string(kb.join(".gitignore")).unwrap();
    assert!(
        ignored.lines().any(|l| l == "public/") && ignored.lines().any(|l| l == ".shuyuan/"),
        "git leaves the output and the runs' own folder alone: {ignored}"
    );
    let out = run_in(&kb, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("警告["), "{}", stderr(&out));
    let public = kb.join("public");
    let path = std::fs::read_to_string(public.join("paths/shili-lujing.html")).unwrap();
    for step in ["示例政策", "示例案例", "示例指南"] {
        assert!(path.contains(step), "the path lists {step}");
    }
    let glossary = std::fs::read_to_string(public.join("glossary.html")).unwrap();
    assert!(glossary.contains("四议两公开") && glossary.contains("网格员"));
    let case = std::fs::read_to_string(public.join("cases/shili-anli.html")).unwrap();
    assert!(
        case.contains("href=\"../paths/shili-lujing.html\""),
        "the case links its path"
    );
    assert!(case.contains("sy-term"), "the case marks a glossary term");
    check_links(&public);
}

/// The front matter lines that are not comments.
fn active_fields(page: &str) -> Vec<String> {
    page.split("---")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

#[test]
fn new_fills_only_what_the_editor_must_fill() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_in(dir.path(), &["init", "kb"]).status.success());
    let kb = dir.path().join("kb");
    let out = run_in(&kb, &["new", "case", "cases/xin.md", "--title", "新案例"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = kb.join("content/cases/xin.md");
    let text = std::fs::read_to_string(&page).unwrap();
    assert_eq!(active_fields(&text), ["title", "kind", "date"], "{text}");
    assert!(
        text.contains("# region:") && text.contains("# summary:"),
        "optional fields are shown as comments: {text}"
    );
    let out = run_in(&kb, &["new", "policy", "policies/xin.md"]);
    assert!(out.status.success());
    let policy = std::fs::read_to_string(kb.join("content/policies/xin.md")).unwrap();
    assert_eq!(
        active_fields(&policy),
        [
            "title",
            "kind",
            "date",
            "issuer",
            "doc_number",
            "status",
            "draft"
        ],
        "{policy}"
    );

    // The editor writes a first paragraph and builds: it is the summary, and no empty
    // region label shows.
    std::fs::write(
        &page,
        text.replace("## 背景", "社区新办了一件实事。\n\n## 背景"),
    )
    .unwrap();
    let out = run_in(&kb, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = std::fs::read_to_string(kb.join("public/cases/index.html")).unwrap();
    assert!(
        list.contains("社区新办了一件实事"),
        "the automatic summary is listed"
    );
    let html = std::fs::read_to_string(kb.join("public/cases/xin.html")).unwrap();
    assert!(!html.contains("<dt>地区</dt>"), "no empty region is shown");
}

/// The date `offset_hours` from UTC now, as `new` should write it there.
/// `new` writes no page through a symbolic link that leads out of the site: not a link at the
/// page's own name (dangling or not), not a linked folder on its way, not a linked content/.
#[cfg(unix)]
#[test]
fn new_writes_nothing_through_a_link_out_of_the_site() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    assert!(run_in(dir.path(), &["init", "kb"]).status.success());
    let kb = dir.path().join("kb");
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    symlink(outside.join("pwned.md"), kb.join("content/cases/evil.md")).unwrap();
    symlink(&outside, kb.join("content/link")).unwrap();
    // A link that stays in the site is a folder like any other.
    symlink(kb.join("content/guides"), kb.join("content/inside")).unwrap();

    let out = run_in(&kb, &["new", "case", "cases/evil.md", "--title", "t"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("文件已存在"), "{}", stderr(&out));
    let out = run_in(&kb, &["new", "case", "link/y.md"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains("符号链接") && said.contains("content/link"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );

    let out = run_in(&kb, &["new", "guide", "inside/z.md"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kb.join("content/guides/z.md").is_file());

    // content/ itself linked out of the site.
    let moved = dir.path().join("moved-content");
    std::fs::rename(kb.join("content"), &moved).unwrap();
    symlink(&moved, kb.join("content")).unwrap();
    let out = run_in(&kb, &["new", "case", "cases/w.md"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("符号链接"), "{}", stderr(&out));
    assert!(!moved.join("cases/w.md").exists());
}

fn date_at_offset(offset_hours: i64) -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + offset_hours * 3600;
    let days = seconds.div_euclid(86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[test]
fn new_dates_pages_by_the_local_calendar() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_in(dir.path(), &["init", "kb"]).status.success());
    let kb = dir.path().join("kb");
    // China, and a zone whose date differs from UTC's at this very moment (UTC−12 before
    // noon UTC, UTC+14 after), so that a UTC date can never pass.
    let utc_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600
        % 24;
    let other = if utc_hour < 12 {
        ("Etc/GMT+12", -12)
    } else {
        ("Etc/GMT-14", 14)
    };
    for (n, (zone, offset)) in [("Asia/Shanghai", 8), other].into_iter().enumerate() {
        let rel = format!("cases/t{n}.md");
        let before = date_at_offset(offset);
        let out = Command::new(BIN)
            .args(["new", "case", &rel])
            .current_dir(&kb)
            .env("TZ", zone)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let after = date_at_offset(offset);
        let text = std::fs::read_to_string(kb.join("content").join(&rel)).unwrap();
        let written = text
            .lines()
            .find_map(|l| l.strip_prefix("date: "))
            .unwrap()
            .to_string();
        assert!(
            written == before || written == after,
            "TZ={zone}: dated {written}, expected {before}"
        );
    }
}

#[test]
fn yaml_mistakes_are_explained_in_chinese_where_they_are() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/bracket.md",
        "---\ntitle: 括号\ntags: [议事会, 停车管理\ndate: 2024-01-01\nregion: 江北区\n---\n\n正文。\n",
    );
    site.write(
        "content/cases/quote.md",
        "---\ntitle: 引号\nsummary: \"他说\"好\"\n---\n\n正文。\n",
    );
    site.write(
        "content/paths/bad.md",
        "---\ntitle: 路径\nsteps: [qinghe\n---\n\n正文。\n",
    );
    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    let found = diagnostics(&out);
    let at = |path: &str| {
        found
            .iter()
            .find(|d| d.location.starts_with(path))
            .unwrap_or_else(|| panic!("{path}: {found:#?}"))
    };
    let bracket = at("content/cases/bracket.md");
    assert_eq!(bracket.code, "front-matter-syntax");
    assert_eq!(bracket.location, "content/cases/bracket.md:3:7");
    assert!(
        bracket.message.contains("方括号 `[` 没有闭合")
            && bracket.message.contains("（YAML 解析库原文："),
        "{bracket:?}"
    );
    let quote = at("content/cases/quote.md");
    assert_eq!(quote.location, "content/cases/quote.md:3:14");
    assert!(quote.message.contains("中文引号"), "{quote:?}");
    let path = at("content/paths/bad.md");
    assert_eq!(path.location, "content/paths/bad.md:3:8");
    assert!(path.message.contains("方括号 `[` 没有闭合"), "{path:?}");
    // A Chinese sentence comes first; the library's English only after it, as the original.
    for d in &found {
        let sentence = d
            .message
            .strip_prefix("前置元数据（YAML）格式错误：")
            .unwrap();
        assert!(
            sentence.starts_with(|c: char| c > '\u{2E80}')
                && sentence.contains("（YAML 解析库原文："),
            "{d:?}"
        );
    }
}

#[test]
fn a_link_to_the_top_of_the_page_is_no_broken_anchor() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/top.md",
        "---\ntitle: 顶部\n---\n\n正文。[回到顶部](#)\n",
    );
    site.build_ok();
    assert!(
        site.read("cases/top.html")
            .contains("<a href=\"#\">回到顶部</a>")
    );
    site.write(
        "content/cases/top.md",
        "---\ntitle: 顶部\n---\n\n正文。[回到顶部](#没有这一节)\n",
    );
    let found = diagnostics(&site.build());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].code, "broken-anchor");
}

#[test]
fn an_unclosed_wiki_link_is_pointed_at_its_brackets() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/cases/open.md",
        "---\ntitle: 未闭合\n---\n\n第一段。\n\n依据[[xiachen-2024 开展工作。\n",
    );
    let out = site.build_ok();
    let found = diagnostics(&out);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].code, "unclosed-wiki-link");
    assert_eq!(found[0].location, "content/cases/open.md:7:3");
}

#[test]
fn site_toml_mistakes_are_explained_in_chinese() {
    let site = TestSite::fixture("basic");
    for (config, location, sentence) in [
        (
            "title = 我的知识库\n",
            "site.toml:1:9",
            "文字要放在一对英文双引号里",
        ),
        (
            "titel = \"知识库\"\n",
            "site.toml:1:1",
            "不认识的设置 `titel`",
        ),
        (
            "[search]\nenabled = \"yes\"\n",
            "site.toml:2:11",
            "这项设置只能写 true（是）或 false（否）",
        ),
        // As the manual's 打包与发布 page has it added, to the end of init's site.toml.
        (
            "title = \"知识库\"\n\n[schema.kinds.policy]\nrequired = [\"issuer\"]\nbase_url = \"http://intranet/kb/\"\n",
            "site.toml:5:1",
            "`base_url` 是全站的设置，却写在了 [schema.kinds.policy] 之下",
        ),
    ] {
        site.write("site.toml", config);
        let found = diagnostics(&site.build());
        assert_eq!(found.len(), 1, "{config}: {found:#?}");
        assert_eq!(found[0].code, "config-syntax");
        assert_eq!(found[0].location, location, "{config}");
        let message = &found[0].message;
        assert!(
            message.starts_with(&format!("站点配置 site.toml 有误：{sentence}"))
                && message.contains("（TOML 解析库原文："),
            "{config}: {message}"
        );
    }
}

/// Every refused setting of `site.toml` is reported in one run, each at its line, and the
/// validation of what remains runs too.
#[test]
fn every_site_toml_mistake_is_reported_at_once() {
    let site = TestSite::fixture("basic");
    site.write(
        "site.toml",
        "title = \"知识库\"\ndescription = 123\ntitel = \"x\"\ntheme = \"no/such\"\nunknown_table.x = 1\n\n[markdown]\nallow_html = \"yes\"\n",
    );
    let found = diagnostics(&site.build());
    let places: Vec<&str> = found.iter().map(|d| d.location.as_str()).collect();
    assert_eq!(
        places,
        [
            "site.toml:2:15",
            "site.toml:3:1",
            "site.toml:4:1",
            "site.toml:5:1",
            "site.toml:8:14"
        ],
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .all(|d| d.message.starts_with("站点配置") || d.message.contains("主题")),
        "{found:#?}"
    );
    // Broken syntax (a table header left open) is read no further: one problem, at the
    // bracket, not a cascade of what follows it.
    site.write("site.toml", "titel = 1\n[search\nenabled = true\n");
    let found = diagnostics(&site.build());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].location, "site.toml:2:8");
}

/// `base_url` goes into `404.html`'s links and every sitemap entry: anything but a web
/// address is an error at its line, and a Chinese path is percent-encoded.
#[test]
fn base_url_must_be_a_web_address() {
    let site = TestSite::fixture("basic");
    let config = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    for (bad, why) in [
        ("intranet/kb", "http://"),
        ("javascript:alert(1)", "http://"),
        ("http:///kb/", "服务器名"),
        ("http://x/a b/", "空格"),
        (" http://x/", "http://"),
        ("http://x/\"><script>", "`\\\"`"),
        ("http://127.0.0.1:8080/kb/index.html", "文件名"),
        ("http://x/kb/?a=1", "文件名"),
    ] {
        site.write(
            "site.toml",
            &format!("title = \"t\"\nbase_url = {}\n", toml_string(bad)),
        );
        let found = diagnostics(&site.build());
        assert_eq!(found.len(), 1, "{bad}: {found:#?}");
        assert_eq!(found[0].code, "config-invalid", "{bad}");
        assert_eq!(found[0].location, "site.toml:2:1", "{bad}");
        assert!(
            found[0].message.contains(why),
            "{bad}: {}",
            found[0].message
        );
    }
    site.write(
        "site.toml",
        &format!("base_url = \"HTTP://intranet/培训\"\n{config}"),
    );
    site.build_ok();
    let sitemap = site.read("sitemap.xml");
    assert!(
        sitemap.contains("<loc>HTTP://intranet/%E5%9F%B9%E8%AE%AD/index.html</loc>"),
        "{sitemap}"
    );
    assert!(
        site.read("404.html")
            .contains("href=\"/%E5%9F%B9%E8%AE%AD/")
    );
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The tags shown on a built page.
fn shown_tags(html: &str) -> Vec<String> {
    html.split("class=\"sy-tag\" href=\"")
        .skip(1)
        .filter_map(|rest| {
            let text = &rest[rest.find("\">")? + 2..];
            Some(text[..text.find("</a>")?].to_string())
        })
        .collect()
}

/// The text between the first pair of backticks in `cell`.
fn code_span(cell: &str) -> &str {
    cell.split('`').nth(1).expect("a `code` span")
}

#[test]
fn the_manuals_punctuation_table_says_what_the_build_does() {
    // 使用手册 promises that its examples work; this table tells editors what each full-width
    // slip in front matter does. Each row, as written and as corrected, in a case of a site.
    let manual = std::fs::read_to_string(repo_root().join("content/manual/quanjiao-biaodian.md"))
        .expect("the manual's page on full-width punctuation");
    let rows: Vec<Vec<&str>> = manual
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert!(rows.len() >= 4, "the table has {} rows", rows.len());
    let site = TestSite::new();
    site.write("site.toml", "title = \"手册示例\"\n");
    for row in &rows {
        let [wrong, right, effect] = row[..] else {
            panic!("a row of three cells: {row:?}");
        };
        for (line, as_written) in [(code_span(wrong), true), (code_span(right), false)] {
            let field = line.split([':', '：']).next().unwrap().trim();
            let mut front = vec!["title: 示例".to_string(), "date: 2024-03-01".to_string()];
            match front
                .iter()
                .position(|l| l.starts_with(&format!("{field}:")))
            {
                Some(at) => front[at] = line.to_string(),
                None => front.push(line.to_string()),
            }
            let at_line = 2 + front.iter().position(|l| l == line).unwrap();
            site.write(
                "content/cases/shili.md",
                &format!("---\n{}\n---\n\n正文。\n", front.join("\n")),
            );
            let out = site.build();
            let found = diagnostics(&out);
            let (errors, warnings) = (
                stderr(&out).matches("错误[").count(),
                stderr(&out).matches("警告[").count(),
            );
            let context = format!("`{line}` ({effect}):\n{}", stderr(&out));
            if !as_written {
                assert!(
                    out.status.success() && found.is_empty(),
                    "the corrected {context}"
                );
                if field == "tags" {
                    // The tags the corrected line lists: `tags: [议事会, 停车管理]`.
                    let listed: Vec<&str> = line
                        .split_once('[')
                        .and_then(|(_, rest)| rest.split_once(']'))
                        .map(|(items, _)| items.split(',').map(str::trim).collect())
                        .unwrap_or_default();
                    assert_eq!(
                        shown_tags(&site.read("cases/shili.html")),
                        listed,
                        "{context}"
                    );
                }
                continue;
            }
            if effect.contains("报错") && !effect.contains("不报错") {
                assert!(
                    !out.status.success() && errors > 0,
                    "no error for {context}"
                );
                let location = &found[0].location;
                assert!(
                    location.starts_with(&format!("content/cases/shili.md:{at_line}:")),
                    "{location}: {context}"
                );
                if effect.contains("指出这个冒号") {
                    let column = line.chars().position(|c| c == '：').unwrap() + 1;
                    assert!(
                        location.ends_with(&format!(":{at_line}:{column}")),
                        "{location}: {context}"
                    );
                }
                continue;
            }
            assert!(out.status.success(), "an error for {context}");
            let said_warning = usize::from(effect.contains("警告"));
            assert_eq!(warnings, said_warning, "warnings for {context}");
            if let Some(tag) = effect.split("一个标签“").nth(1) {
                let tag = &tag[..tag.find('”').unwrap()];
                assert_eq!(
                    shown_tags(&site.read("cases/shili.html")),
                    [tag],
                    "{context}"
                );
            }
        }
    }
}
