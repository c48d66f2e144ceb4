//! Failure modes of #12.3 and #12.4: nothing the content makes may replace a theme file or
//! another producer's file, and no setting, symlink or destination may lead out of the site.

use std::path::Path;

use super::harness::*;

pub const CASES: &[Case] = &[
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
        "an old address in capitals needs the theme's stylesheet as a folder on Windows",
        |s| bad_page(s, "aliases: [STATIC/style.css]"),
        &["build"],
        "duplicate-output",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "an attachment folder in capitals inside the search index's folder",
        |s| {
            s.write("content/Search/meta.js", "window.x = 1;\n");
        },
        &["build"],
        "duplicate-output",
        "content/Search/meta.js",
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
    Case::new(
        "content/ itself is a symlink to a folder outside the site",
        |s| {
            let real = outside().join("content-elsewhere");
            std::fs::rename(s.root().join("content"), &real).unwrap();
            std::fs::write(real.join("passwd.txt"), "站外的文件").unwrap();
            symlink(&real, &s.root().join("content"));
        },
        &["build"],
        "symlink-outside",
        "content",
    ),
    #[cfg(unix)]
    Case::new(
        "the site's static/ is a symlink to a folder outside the site",
        |s| {
            let real = outside().join("static-elsewhere");
            std::fs::create_dir_all(&real).unwrap();
            std::fs::write(real.join("passwd.txt"), "站外的文件").unwrap();
            symlink(&real, &s.root().join("static"));
        },
        &["build"],
        "symlink-outside",
        "static",
    ),
    #[cfg(unix)]
    Case::new(
        "the theme's templates/ is a symlink to a folder outside the site",
        |s| {
            let real = outside().join("templates-elsewhere");
            std::fs::rename(s.root().join("themes/default/templates"), &real).unwrap();
            symlink(&real, &s.root().join("themes/default/templates"));
        },
        &["check"],
        "symlink-outside",
        "themes/default/templates",
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
];
