//! Bad input about paths, names and what we may replace: one case per failure mode, each on a
//! real site in a temporary folder built by the real binary. Every case first builds a good
//! site, then breaks it, runs the command and checks the exit code, the `错误[code]` at its
//! `path:line:col`, that nothing panicked, that every message is Chinese, and that `public/`
//! (whatever was there before the failing run) is byte for byte as it was.

mod common;

use std::path::{Path, PathBuf};

use common::{TestSite, diagnostics};

/// One failure mode.
struct Case {
    name: &'static str,
    /// Breaks the good site.
    setup: fn(&TestSite),
    /// The command, run in the site's root.
    args: &'static [&'static str],
    code: &'static str,
    /// `path:line:col`, or the path alone where a file has no line to point at.
    location: &'static str,
    /// Further checks once the command failed (a file left alone, nothing written outside).
    after: fn(&TestSite),
}

fn nothing(_: &TestSite) {}

impl Case {
    /// A case with no further checks.
    const fn new(
        name: &'static str,
        setup: fn(&TestSite),
        args: &'static [&'static str],
        code: &'static str,
        location: &'static str,
    ) -> Case {
        Case {
            name,
            setup,
            args,
            code,
            location,
            after: nothing,
        }
    }
}

/// A small good site: two sections, a tagged case, a guide.
fn good_site() -> TestSite {
    let site = TestSite::new();
    site.write("site.toml", "title = \"坏输入\"\n")
        .write("content/cases/_index.md", "---\ntitle: 案例\n---\n")
        .write(
            "content/cases/a.md",
            "---\ntitle: 甲案例\ndate: 2024-01-02\ntags: [网格]\n---\n\n正文。\n",
        )
        .write("content/guides/_index.md", "---\ntitle: 指南\n---\n")
        .write("content/guides/g.md", "---\ntitle: 指南甲\n---\n\n步骤。\n");
    site
}

/// A case page at `content/cases/bad.md` with `front` as the front matter after its title
/// (so its first field is on line 3).
fn bad_page(site: &TestSite, front: &str) {
    site.write(
        "content/cases/bad.md",
        &format!("---\ntitle: 坏页\n{front}\n---\n\n正文。\n"),
    );
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A folder outside every test site, shared by the symlink cases (each case writes only
/// its own file in it).
fn outside() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shuyuan-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file and symlink under `dir` with its bytes (a symlink's target for a symlink),
/// following `dir` itself if it is a symlink.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<_> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.path_is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                format!("-> {}", target.display()).into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, bytes)
        })
        .collect();
    entries.sort();
    entries
}

fn same_bytes(site: &TestSite, rel: &str, expected: &[u8]) {
    let actual = std::fs::read(site.root().join(rel)).unwrap_or_default();
    assert_eq!(actual, expected, "{rel} changed");
}

/// A file stem of 251 bytes: `.md` makes a name the file system takes, `.html` one it refuses.
macro_rules! long_stem {
    () => {
        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
    };
}

const CASES: &[Case] = &[
    // --- #12.3: nothing the content makes may replace a theme file, or anything else ---
    Case::new(
        "a content section named static replaces the theme's script",
        |s| {
            s.write("content/static/_index.md", "---\ntitle: 静态\n---\n")
                .write("content/static/theme.js", "alert('作者的脚本')\n");
        },
        &["build"],
        "duplicate-output",
        "content/static/theme.js",
    ),
    Case::new(
        "a page in content/static/ lands on a theme file's name",
        |s| {
            s.write("themes/default/static/intro.html", "<p>主题自带</p>\n")
                .write("content/static/intro.md", "---\ntitle: 介绍\n---\n");
        },
        &["build"],
        "duplicate-output",
        "content/static/intro.md:1:1",
    ),
    Case::new(
        "an old address turns the theme's stylesheet into a redirect folder",
        |s| bad_page(s, "aliases: [\"static/style.css\"]"),
        &["build"],
        "duplicate-output",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "an old address replaces the theme's script file",
        |s| bad_page(s, "aliases: [static/theme.js]"),
        &["build"],
        "duplicate-output",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "a section and the topics taxonomy both write topics/index.html",
        |s| {
            s.write("content/topics/_index.md", "---\ntitle: 专题栏目\n---\n");
        },
        &["build"],
        "duplicate-output",
        "content/topics/_index.md",
    ),
    Case::new(
        "an attachment and a page both write one file",
        |s| {
            s.write("content/cases/a.html", "<p>附件</p>\n");
        },
        &["build"],
        "duplicate-output",
        "content/cases/a.html",
    ),
    Case::new(
        "an attachment replaces the generated sitemap",
        |s| {
            s.write("content/sitemap.xml", "<urlset/>\n");
        },
        &["build"],
        "duplicate-output",
        "content/sitemap.xml",
    ),
    Case::new(
        "an attachment inside search/, which the search index owns",
        |s| {
            s.write("content/search/meta.js", "window.x = 1;\n");
        },
        &["build"],
        "duplicate-output",
        "content/search/meta.js",
    ),
    Case::new(
        "an old address replaces an attachment",
        |s| {
            s.write("content/cases/form.pdf", "%PDF-1.4\n");
            bad_page(s, "aliases: [cases/form.pdf/]");
        },
        &["build"],
        "duplicate-output",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "an old address needs the output marker file as a folder",
        |s| bad_page(s, "aliases: [.shuyuan-output/]"),
        &["build"],
        "duplicate-output",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "two pages claim the same old address",
        |s| {
            bad_page(s, "aliases: [old/one.html]");
            s.write(
                "content/guides/other.md",
                "---\ntitle: 另一页\naliases: [old/one.html]\n---\n",
            );
        },
        &["build"],
        "duplicate-output",
        "content/guides/other.md:3:10",
    ),
    Case::new(
        "two pages whose files differ only in case, one file on Windows",
        |s| {
            s.write("content/cases/A.md", "---\ntitle: 大写甲\n---\n");
        },
        &["build"],
        "duplicate-output",
        "content/cases/a.md:1:1",
    ),
    // --- #12.4: paths that escape the site ---
    Case {
        name: "a taxonomy key climbs out of the output",
        setup: |s| {
            s.write(
                "site.toml",
                "title = \"坏输入\"\n[taxonomies]\n\"../x\" = \"逃逸\"\ntags = \"标签\"\n",
            );
            bad_page(s, "\"../x\": [出去]");
        },
        args: &["build"],
        code: "config-invalid",
        location: "site.toml:3:1",
        // The build's staging folder is in the site root: `../x` leads to the root's `x/`.
        after: |s| {
            assert!(
                !s.root().join("x").exists(),
                "a taxonomy wrote outside the output"
            )
        },
    },
    Case::new(
        "a taxonomy key climbs three folders",
        |s| {
            s.write(
                "site.toml",
                "title = \"坏输入\"\n[taxonomies]\ntags = \"标签\"\n\"../../../x\" = \"逃逸\"\n",
            );
        },
        &["check"],
        "config-invalid",
        "site.toml:4:1",
    ),
    Case::new(
        "a taxonomy key with a slash",
        |s| {
            s.write(
                "site.toml",
                "title = \"坏输入\"\n[taxonomies]\ntags = \"标签\"\n\"a/b\" = \"两层\"\n",
            );
        },
        &["build"],
        "config-invalid",
        "site.toml:4:1",
    ),
    Case::new(
        "a taxonomy key that is a Windows device name",
        |s| {
            s.write(
                "site.toml",
                "title = \"坏输入\"\n[taxonomies]\nCON = \"设备\"\n",
            );
        },
        &["build"],
        "config-invalid",
        "site.toml:3:1",
    ),
    Case::new(
        "a hidden taxonomy key",
        |s| {
            s.write(
                "site.toml",
                "title = \"坏输入\"\n[taxonomies]\n\".git\" = \"隐藏\"\n",
            );
        },
        &["check"],
        "config-invalid",
        "site.toml:3:1",
    ),
    Case::new(
        "a theme name that leaves themes/",
        |s| {
            s.write("site.toml", "title = \"坏输入\"\ntheme = \"../../x\"\n");
        },
        &["build"],
        "config-invalid",
        "site.toml:2:1",
    ),
    #[cfg(unix)]
    Case::new(
        "a symlinked attachment leads to /etc/passwd",
        |s| {
            symlink(
                Path::new("/etc/passwd"),
                &s.root().join("content/guides/passwd.txt"),
            )
        },
        &["build"],
        "symlink-outside",
        "content/guides/passwd.txt",
    ),
    #[cfg(unix)]
    Case::new(
        "a symlinked page from outside the site",
        |s| {
            let page = outside().join("outside-page.md");
            std::fs::write(&page, "---\ntitle: 站外\n---\n\n站外正文。\n").unwrap();
            symlink(&page, &s.root().join("content/guides/outside.md"));
        },
        &["build"],
        "symlink-outside",
        "content/guides/outside.md",
    ),
    #[cfg(unix)]
    Case::new(
        "a symlinked folder leads out of the site",
        |s| {
            let folder = outside().join("folder");
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("x.md"), "---\ntitle: 站外\n---\n").unwrap();
            symlink(&folder, &s.root().join("content/linked"));
        },
        &["check"],
        "symlink-outside",
        "content/linked",
    ),
    #[cfg(unix)]
    Case::new(
        "a symlink in the site's static/ leads out of the site",
        |s| {
            std::fs::create_dir_all(s.root().join("static")).unwrap();
            symlink(
                Path::new("/etc/passwd"),
                &s.root().join("static/passwd.txt"),
            );
        },
        &["build"],
        "symlink-outside",
        "static/passwd.txt",
    ),
    #[cfg(unix)]
    Case::new(
        "a symlinked template leads out of the site",
        |s| {
            let template = outside().join("page.html");
            std::fs::write(&template, "{{ page.title }}").unwrap();
            std::fs::create_dir_all(s.root().join("templates")).unwrap();
            symlink(&template, &s.root().join("templates/page.html"));
        },
        &["check"],
        "symlink-outside",
        "templates/page.html",
    ),
    #[cfg(unix)]
    Case {
        name: "public is a symlink",
        setup: |s| {
            let real = s.root().join("elsewhere");
            std::fs::rename(s.out(), &real).unwrap();
            symlink(&real, &s.out());
        },
        args: &["build"],
        code: "unsafe-output",
        location: "./public",
        after: |s| {
            let link = std::fs::symlink_metadata(s.out()).unwrap();
            assert!(
                link.file_type().is_symlink(),
                "public/ is still the symlink"
            );
            assert!(s.root().join("elsewhere/index.html").is_file());
        },
    },
    Case {
        name: "pack --output a page of content/",
        setup: nothing,
        args: &["pack", "--output", "content/cases/a.md"],
        code: "unsafe-output",
        location: "content/cases/a.md",
        after: |s| {
            let page = "---\ntitle: 甲案例\ndate: 2024-01-02\ntags: [网格]\n---\n\n正文。\n";
            same_bytes(s, "content/cases/a.md", page.as_bytes());
        },
    },
    Case {
        name: "pack --output site.toml",
        setup: nothing,
        args: &["pack", "--output", "site.toml"],
        code: "unsafe-output",
        location: "site.toml",
        after: |s| same_bytes(s, "site.toml", "title = \"坏输入\"\n".as_bytes()),
    },
    Case {
        name: "pack --output into the theme",
        setup: nothing,
        args: &["pack", "--output", "themes/default/site.zip"],
        code: "unsafe-output",
        location: "themes/default/site.zip",
        after: |s| assert!(!s.root().join("themes/default/site.zip").exists()),
    },
    Case {
        name: "pack --output into templates/",
        setup: nothing,
        args: &["pack", "--output", "templates/site.zip"],
        code: "unsafe-output",
        location: "templates/site.zip",
        after: |s| assert!(!s.root().join("templates").exists()),
    },
    Case {
        name: "pack --output into static/",
        setup: nothing,
        args: &["pack", "--output", "static/site.zip"],
        code: "unsafe-output",
        location: "static/site.zip",
        after: |s| assert!(!s.root().join("static").exists()),
    },
    Case {
        name: "pack --output a new file in a new folder under content/",
        setup: nothing,
        args: &["pack", "--output", "content/new/site.zip"],
        code: "unsafe-output",
        location: "content/new/site.zip",
        after: |s| assert!(!s.root().join("content/new").exists()),
    },
    Case {
        name: "pack --output an editor's own document",
        setup: |s| {
            s.write("我的文档.docx", "不是压缩包");
        },
        args: &["pack", "--output", "我的文档.docx"],
        code: "unsafe-output",
        location: "我的文档.docx",
        after: |s| same_bytes(s, "我的文档.docx", "不是压缩包".as_bytes()),
    },
    Case {
        name: "pack --output an existing folder",
        setup: |s| {
            s.write("资料/说明.txt", "保留");
        },
        args: &["pack", "--output", "资料"],
        code: "unsafe-output",
        location: "资料",
        after: |s| same_bytes(s, "资料/说明.txt", "保留".as_bytes()),
    },
    // --- Ownership: only folders we made are replaced ---
    Case::new(
        "a foreign, non-empty public/ without the marker",
        |s| {
            std::fs::remove_dir_all(s.out()).unwrap();
            s.write("public/报告.docx", "一份文件");
        },
        &["build"],
        "unsafe-output",
        "./public",
    ),
    Case::new(
        "build --output content",
        nothing,
        &["build", "--output", "content"],
        "unsafe-output",
        "content",
    ),
    Case::new(
        "build --output the site root",
        nothing,
        &["build", "--output", "."],
        "unsafe-output",
        ".",
    ),
    Case::new(
        "build --output the folder holding the site",
        nothing,
        &["build", "--output", ".."],
        "unsafe-output",
        "..",
    ),
    Case {
        name: "build --output inside the theme",
        setup: nothing,
        args: &["build", "--output", "themes/default/out"],
        code: "unsafe-output",
        location: "themes/default/out",
        after: |s| assert!(!s.root().join("themes/default/out").exists()),
    },
    Case {
        name: "build --output templates",
        setup: nothing,
        args: &["build", "--output", "templates"],
        code: "unsafe-output",
        location: "templates",
        after: |s| assert!(!s.root().join("templates").exists()),
    },
    Case {
        name: "build --output static",
        setup: nothing,
        args: &["build", "--output", "static"],
        code: "unsafe-output",
        location: "static",
        after: |s| assert!(!s.root().join("static").exists()),
    },
    Case {
        name: "build --output a folder that climbs back into content/",
        setup: nothing,
        args: &["build", "--output", "not-yet/../content/out"],
        code: "unsafe-output",
        location: "not-yet/../content/out",
        after: |s| assert!(!s.root().join("not-yet").exists()),
    },
    Case {
        name: "build --output an existing file",
        setup: |s| {
            s.write("output.txt", "我的笔记");
        },
        args: &["build", "--output", "output.txt"],
        code: "unsafe-output",
        location: "output.txt",
        after: |s| same_bytes(s, "output.txt", "我的笔记".as_bytes()),
    },
    // --- #12.7: names that break elsewhere ---
    Case {
        name: "an empty slug",
        setup: |s| bad_page(s, "slug: ''"),
        args: &["build"],
        code: "invalid-name",
        location: "content/cases/bad.md:3:7",
        after: |s| assert!(!s.out().join("cases/.html").exists()),
    },
    Case::new(
        "a blank slug",
        |s| bad_page(s, "slug: '   '"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a hidden slug",
        |s| bad_page(s, "slug: .hidden"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a slug that is a Windows device name",
        |s| bad_page(s, "slug: CON"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a lower-case device name with an extension as slug",
        |s| bad_page(s, "slug: aux.backup"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a page file named after a device",
        |s| {
            s.write("content/cases/nul.md", "---\ntitle: 空设备\n---\n");
        },
        &["build"],
        "invalid-name",
        "content/cases/nul.md:1:1",
    ),
    Case::new(
        "an attachment named after a device",
        |s| {
            s.write("content/guides/COM1.pdf", "%PDF-1.4\n");
        },
        &["build"],
        "invalid-name",
        "content/guides/COM1.pdf",
    ),
    Case::new(
        "a section folder named after a device",
        |s| {
            s.write("content/lpt1/_index.md", "---\ntitle: 打印口\n---\n");
        },
        &["build"],
        "invalid-name",
        "content/lpt1/_index.md",
    ),
    Case::new(
        "a hidden old address",
        |s| bad_page(s, "aliases: [.well-known/old.html]"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "an old address named after a device",
        |s| bad_page(s, "aliases: [old/prn.html]"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "a 200-character tag",
        |s| {
            bad_page(
                s,
                &format!("date: 2024-03-01\ntags:\n  - {}", "长".repeat(200)),
            )
        },
        &["build"],
        "invalid-name",
        "content/cases/bad.md:5:3",
    ),
    Case::new(
        "a slug longer than a file name may be",
        |s| bad_page(s, &format!("slug: {}", "z".repeat(251))),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a page file name too long for its .html",
        |s| {
            assert_eq!(long_stem!().len(), 251);
            s.write(
                concat!("content/cases/", long_stem!(), ".md"),
                "---\ntitle: 长名\n---\n",
            );
        },
        &["build"],
        "invalid-name",
        concat!("content/cases/", long_stem!(), ".md:1:1"),
    ),
];

#[test]
fn every_bad_input_fails_cleanly_where_it_is_written() {
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(why) = std::panic::catch_unwind(|| run_case(case)) {
            let why = why
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| why.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("— {}: {why}", case.name));
        }
    }
    let _ = std::fs::remove_dir_all(outside());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

fn run_case(case: &Case) {
    let site = good_site();
    site.build_ok();
    (case.setup)(&site);
    let before = tree(&site.out());

    let out = site.run(case.args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "exit code; stderr:\n{stderr}");
    let found = diagnostics(&out);
    assert!(
        found
            .iter()
            .any(|d| d.code == case.code && d.location == case.location),
        "expected 错误[{}] at {}, got:\n{stderr}",
        case.code,
        case.location
    );
    for d in &found {
        assert!(
            d.message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "message not in Chinese: {d:?}"
        );
    }
    assert_eq!(
        tree(&site.out()),
        before,
        "public/ changed after a failed run"
    );
    (case.after)(&site);
}

/// The other side of the cases above: what must still build, and build safely.
#[test]
fn tags_that_name_devices_or_climb_get_safe_files_inside_their_folder() {
    let site = good_site();
    bad_page(
        &site,
        "date: 2024-03-01\ntags: [CON, aux, \"../../../逃出\", .hidden, 'x.']",
    );
    site.build_ok();
    let tags = site.out().join("tags");
    for file in ["CON_.html", "aux_.html", "-hidden.html", "x-.html"] {
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

    let page = outside().join("allowed.md");
    std::fs::write(&page, "---\ntitle: 允许的站外页\n---\n").unwrap();
    symlink(&page, &site.root().join("content/guides/allowed.md"));
    assert_eq!(site.build().status.code(), Some(1));
    site.write(
        "site.toml",
        "title = \"坏输入\"\n[content]\nallow_symlinks_outside = true\n",
    );
    site.build_ok();
    assert!(site.out().join("guides/allowed.html").is_file());
    let _ = std::fs::remove_file(page);
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
