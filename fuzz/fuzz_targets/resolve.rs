//! The link resolver: a fuzzed page beside a fixed one is parsed, rendered and resolved as a
//! build does (slugs, wiki and relative links, anchors, references, taxonomies, aliases);
//! every outcome is a site or diagnostics, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use shuyuan::config::Config;
use shuyuan::diagnostics::Diagnostics;
use shuyuan::model::resolve::{ResolveInput, resolve};
use shuyuan::schema::Schema;
use shuyuan::source::load::SourceFile;
use shuyuan::source::markdown::{options, render};

const TARGET: &str = "---\ntitle: 目标\nslug: mubiao\ntags: [网格]\n---\n## 第一条\n\n## 第一条\n\n正文[[mubiao#第一条-1]]。\n";

fuzz_target!(|text: &str| {
    let root = Path::new("/site");
    let Ok(config) = Config::from_toml(root, "title = \"测试\"\n") else {
        return;
    };
    let mut diagnostics = Diagnostics::default();
    let files = [
        ("cases/_index.md", "---\ntitle: 案例\nkind: case\n---\n"),
        ("cases/mubiao.md", TARGET),
        ("cases/sub/fuzzed.md", text),
    ]
    .map(|(rel, text)| SourceFile {
        rel: rel.to_string(),
        path: PathBuf::from("/site/content").join(rel),
        text: text.to_string(),
    });
    let schema = Schema::builtin();
    let documents =
        shuyuan::source::parse::parse_all(root, files.into(), &schema, &mut diagnostics);
    let markdown = options(false);
    let documents = documents
        .into_iter()
        .map(|doc| {
            let rendered = render(doc.body(), &doc.rel, &markdown);
            (doc, rendered)
        })
        .collect();
    let input = ResolveInput {
        documents,
        assets: Vec::new(),
        include_drafts: true,
        extra_bodies: Vec::new(),
    };
    let site = resolve(config, input, &mut diagnostics);
    for diagnostic in diagnostics.iter() {
        let _ = diagnostic.to_string();
    }
    assert!(!site.pages.is_empty() || diagnostics.has_errors());
});
