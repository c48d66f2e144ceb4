//! Failure modes of what editors write (#12.2, #12.6, #12.8, #12.9 and the settings of
//! #12's "config paths stay inside the site root"): bodies too deep or too dense to build,
//! front matter typed wrong, links to nothing, training files and settings that name
//! nothing. Each one fails at its position and leaves the previous output as it was.

use super::harness::*;
use crate::common::TestSite;

/// A page `content/cases/{name}.md` holding exactly `text`.
fn page(site: &TestSite, name: &str, text: &str) {
    site.write(&format!("content/cases/{name}.md"), text);
}

/// A policy page `content/cases/{name}.md` whose fourth line is `field` (after its title,
/// kind and issuer).
fn policy(site: &TestSite, name: &str, field: &str) {
    page(
        site,
        name,
        &format!("---\ntitle: {name}文件\nkind: policy\nissuer: 某机关\n{field}\n---\n\n正文。\n"),
    );
}

/// `site.toml` with the good site's title and then `rest`.
fn config(site: &TestSite, rest: &str) {
    site.write("site.toml", &format!("title = \"坏输入\"\n{rest}"));
}

pub const CASES: &[Case] = &[
    // --- #12.2 and #12.6: bodies too deep or too dense to build in bounded resources ---
    Case::new(
        "12,000 nested blockquotes",
        |s| {
            page(
                s,
                "deep",
                &format!("---\ntitle: 深\n---\n\n{} 引文\n", ">".repeat(12_000)),
            )
        },
        &["build"],
        "nesting-too-deep",
        "content/cases/deep.md:5:65",
    ),
    Case::new(
        "a list nested a hundred levels by indentation",
        |s| {
            let levels: String = (0..100)
                .map(|level| format!("{}- 第{level}层\n", "  ".repeat(level)))
                .collect();
            page(s, "list", &format!("---\ntitle: 列表\n---\n{levels}"));
        },
        &["check"],
        "nesting-too-deep",
        "content/cases/list.md:68:129",
    ),
    Case::new(
        "a page with more Markdown marks than a page can be built from",
        |s| {
            // Two marks in every four bytes: the 1,000,001st is the first star of the
            // 500,001st emphasis.
            page(
                s,
                "dense",
                &format!("---\ntitle: 密\n---\n{}\n", "*a* ".repeat(600_000)),
            )
        },
        &["build"],
        "markup-too-dense",
        "content/cases/dense.md:4:2000001",
    ),
    Case::new(
        "a page larger than 8 MB",
        |s| {
            let body = "社区议事。".repeat(8 * 1024 * 1024 / 15 + 1);
            page(s, "big", &format!("---\ntitle: 大\n---\n{body}"));
        },
        &["build"],
        "file-too-large",
        "content/cases/big.md",
    ),
    #[cfg(unix)]
    Case::new(
        "a folder symlinked into itself",
        |s| {
            symlink(
                &s.root().join("content/guides"),
                &s.root().join("content/guides/loop"),
            )
        },
        &["build"],
        "symlink-loop",
        "content/guides/loop",
    ),
    Case::new(
        "a page saved in GBK",
        |s| {
            let (gbk, _, _) = encoding_rs::GBK.encode("---\ntitle: 社区治理\n---\n正文");
            s.write_bytes("content/cases/gbk.md", &gbk);
        },
        &["build"],
        "not-utf8",
        "content/cases/gbk.md",
    ),
    // --- #12.8 and #12.9: front matter typed wrong ---
    Case::new(
        "front matter that is never closed",
        |s| page(s, "open", "---\ntitle: 未闭合\n\n正文\n"),
        &["build"],
        "front-matter-unclosed",
        "content/cases/open.md:1:1",
    ),
    Case::new(
        "front matter that is a list, not fields",
        |s| page(s, "list-front", "---\n- 标题\n- 日期\n---\n"),
        &["build"],
        "front-matter-not-mapping",
        "content/cases/list-front.md:2:1",
    ),
    Case::new(
        "front matter that is one line of text, not fields",
        |s| page(s, "text-front", "---\n社区议事会的做法\n---\n\n正文。\n"),
        &["check"],
        "front-matter-not-mapping",
        "content/cases/text-front.md:2:1",
    ),
    Case::new(
        "a full-width colon after a key",
        |s| bad_page(s, "region：江北区"),
        &["build"],
        "front-matter-syntax",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a list bracket never closed",
        |s| bad_page(s, "tags: [网格, 停车\ndate: 2024-01-02"),
        &["build"],
        "front-matter-syntax",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a title that is a list",
        |s| page(s, "title-list", "---\ntitle: [甲, 乙]\n---\n"),
        &["build"],
        "field-type",
        "content/cases/title-list.md:2:8",
    ),
    Case::new(
        "a date that does not exist",
        |s| bad_page(s, "date: 2024-02-30"),
        &["build"],
        "invalid-date",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a number field given words",
        |s| bad_page(s, "weight: 很重"),
        &["build"],
        "field-type",
        "content/cases/bad.md:3:9",
    ),
    Case::new(
        "a kind that does not exist",
        |s| bad_page(s, "kind: news"),
        &["build"],
        "unknown-kind",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a policy status outside the list",
        |s| policy(s, "zhuangtai", "status: 作废"),
        &["build"],
        "invalid-enum",
        "content/cases/zhuangtai.md:5:9",
    ),
    Case::new(
        "a required field left empty",
        |s| {
            config(s, "[schema.kinds.policy]\nrequired = [\"issuer\"]\n");
            page(
                s,
                "blank",
                "---\ntitle: 空发文机关\nkind: policy\nissuer: \"\"\n---\n",
            )
        },
        &["build"],
        "missing-field",
        "content/cases/blank.md:4:9",
    ),
    Case::new(
        "two pages with one slug",
        |s| {
            s.write("content/guides/a.md", "---\ntitle: 同名指南\n---\n");
        },
        &["build"],
        "duplicate-slug",
        "content/guides/a.md:1:1",
    ),
    // --- #12.8: references that name nothing or go round ---
    Case::new(
        "a policy replaced by itself",
        |s| policy(s, "ziji", "superseded_by: ziji"),
        &["build"],
        "superseded-loop",
        "content/cases/ziji.md:5:16",
    ),
    Case::new(
        "two policies replacing each other",
        |s| {
            policy(s, "jia", "superseded_by: yi");
            policy(s, "yi", "superseded_by: jia");
        },
        &["build"],
        "superseded-loop",
        "content/cases/jia.md:5:16",
    ),
    Case::new(
        "a policy replaced by a case, which would read “已被《甲案例》修订”",
        |s| policy(s, "anli", "superseded_by: a"),
        &["build"],
        "missing-ref",
        "content/cases/anli.md:5:16",
    ),
    Case::new(
        "a policy replaced by a page that does not exist",
        |s| policy(s, "bei", "superseded_by: nowhere"),
        &["build"],
        "missing-ref",
        "content/cases/bei.md:5:16",
    ),
    // --- Links ---
    Case::new(
        "a link to a page that does not exist",
        |s| page(s, "links", "---\ntitle: 链接\n---\n\n见[缺失](none.md)。\n"),
        &["build"],
        "broken-link",
        "content/cases/links.md:5:2",
    ),
    Case::new(
        "a link to a heading that does not exist",
        |s| {
            page(
                s,
                "anchor",
                "---\ntitle: 锚点\n---\n\n见[甲案例](a.md#第九条)。\n",
            )
        },
        &["build"],
        "broken-anchor",
        "content/cases/anchor.md:5:2",
    ),
    Case::new(
        "a wiki link to a slug no page has",
        |s| {
            page(
                s,
                "wiki",
                "---\ntitle: 维基\n---\n\n依据[[no-such-page]]办理。\n",
            )
        },
        &["build"],
        "broken-link",
        "content/cases/wiki.md:5:3",
    ),
    Case::new(
        "an image that is not there",
        |s| page(s, "image", "---\ntitle: 图片\n---\n\n![示意图](pic.png)\n"),
        &["build"],
        "broken-link",
        "content/cases/image.md:5:1",
    ),
    // --- Training files ---
    Case::new(
        "a learning path step naming no page",
        |s| {
            s.write(
                "content/paths/rumen.md",
                "---\ntitle: 入门\nsteps:\n  - a\n  - no-such-page\n---\n",
            );
        },
        &["build"],
        "missing-ref",
        "content/paths/rumen.md:5:5",
    ),
    Case::new(
        "a learning path without steps",
        |s| {
            s.write("content/paths/rumen.md", "---\ntitle: 入门\n---\n");
        },
        &["build"],
        "missing-field",
        "content/paths/rumen.md:1:1",
    ),
    Case::new(
        "a glossary term defined twice",
        |s| {
            s.write(
                "content/_glossary.md",
                "---\nterms:\n  - term: 两委\n    definition: 甲。\n  - term: 两委\n    definition: 乙。\n---\n",
            );
        },
        &["build"],
        "duplicate-term",
        "content/_glossary.md:5:5",
    ),
    Case::new(
        "a synonyms line without =",
        |s| {
            s.write(
                "content/_synonyms.md",
                "低保 = 最低生活保障\n业委会：业主委员会\n",
            );
        },
        &["build"],
        "synonyms",
        "content/_synonyms.md:2:1",
    ),
    // --- Settings and templates ---
    Case::new(
        "a theme that does not exist",
        |s| config(s, "theme = \"nosuch\"\n"),
        &["build"],
        "config-invalid",
        "site.toml:2:1",
    ),
    Case::new(
        "an old index_dir setting that climbs out of the site",
        |s| config(s, "[search]\nindex_dir = \"../../x\"\n"),
        &["build"],
        "config-invalid",
        "site.toml:3:1",
    ),
    Case::new(
        "an old index_dir setting with an absolute path",
        |s| config(s, "[search]\nindex_dir = \"/tmp/shuyuan-index\"\n"),
        &["check"],
        "config-invalid",
        "site.toml:3:1",
    ),
    Case::new(
        "an output folder set in site.toml, which only --output may choose",
        |s| config(s, "output_dir = \"../x\"\n"),
        &["build"],
        "config-syntax",
        "site.toml:2:1",
    ),
    Case::new(
        "site.toml that is not TOML",
        |s| {
            s.write("site.toml", "title = \"坏输入\ntheme = default\n");
        },
        &["build"],
        "config-syntax",
        "site.toml:1:13",
    ),
    Case::new(
        "a template with a syntax error",
        |s| {
            s.write(
                "templates/page.html",
                "{% extends \"base.html\" %}\n{% block content %}{{ page.title }\n",
            );
        },
        &["build"],
        "template-syntax",
        "templates/page.html:2:34",
    ),
    Case::new(
        "a template that loads a script from the internet",
        |s| {
            s.write(
                "templates/page.html",
                "{% extends \"base.html\" %}\n{% block content %}<script src=\"https://cdn.example.com/x.js\"></script>{% endblock %}\n",
            );
        },
        &["build"],
        "external-asset",
        "templates/page.html:2:28",
    ),
];
