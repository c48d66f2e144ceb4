//! The theme's templates: the site's `templates/` over the theme's, file by file, loaded
//! into Tera with every syntax error reported at its file, the templates every theme must
//! have, and the check that no template or static file pulls anything from another host.

use std::path::{Path, PathBuf};

use super::memo::TemplateDigest;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::theme::ThemeFiles;

/// The templates every theme has.
const TEMPLATES: [&str; 13] = [
    "base.html",
    "index.html",
    "section.html",
    "page.html",
    "taxonomy.html",
    "term.html",
    "search.html",
    "404.html",
    "paths.html",
    "path.html",
    "handout.html",
    "glossary.html",
    "changes.html",
];

/// Loads templates (site overrides first) into Tera, reporting syntax errors by file, with
/// their digest for the render memo.
pub fn load_templates(
    root: &Path,
    files: &ThemeFiles,
    diagnostics: &mut Diagnostics,
) -> Option<(tera::Tera, TemplateDigest)> {
    let mut sources: Vec<(String, String, PathBuf)> = files
        .embedded_files("templates")
        .filter(|(name, _)| name.ends_with(".html") || name.ends_with(".xml"))
        .map(|(name, bytes)| {
            (
                name.to_string(),
                String::from_utf8_lossy(bytes).into_owned(),
                files.template_path(name),
            )
        })
        .collect();
    for dir in files.template_dirs.iter().rev() {
        let entries = walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten();
        for entry in entries.filter(|e| e.file_type().is_file()) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "html" && e != "xml") {
                continue;
            }
            let name = crate::source::load::relative_slash_path(dir, path);
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    sources.retain(|(n, _, _)| n != &name);
                    sources.push((name, text, path.to_path_buf()));
                }
                Err(e) => diagnostics.push(Diagnostic::error(
                    Code::Io,
                    shown(root, path),
                    format!("无法读取模板：{e}"),
                )),
            }
        }
    }
    let missing: Vec<&str> = TEMPLATES
        .into_iter()
        .filter(|required| !sources.iter().any(|(n, _, _)| n == required))
        .collect();
    match files.template_dirs.get(1) {
        // An empty theme folder, or one whose templates folder is misnamed: one error for
        // the folder, not one per template.
        Some(theme_templates) if missing.len() == TEMPLATES.len() => {
            diagnostics.push(Diagnostic::error(
                Code::TemplateSyntax,
                shown(root, theme_templates),
                format!(
                    "主题没有模板：这个文件夹不存在或是空的，{} 个模板（base.html、page.html 等）一个也找不到。\
                     请放入完整的主题；用默认主题时，也可以删去整个主题文件夹，改用程序内置的一份",
                    TEMPLATES.len()
                ),
            ));
        }
        _ => {
            for required in missing {
                diagnostics.push(Diagnostic::error(
                    Code::TemplateSyntax,
                    shown(root, &files.template_path(required)),
                    format!("主题缺少模板 {required}"),
                ));
            }
        }
    }
    for (_, text, path) in &sources {
        check_no_outside_assets(root, path, text, diagnostics);
    }
    let mut tera = tera::Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, t, _)| (n.as_str(), t.as_str())))
    {
        let report = error_chain(&e);
        let source = sources.iter().find(|(n, _, _)| report.contains(n.as_str()));
        let path = source.map_or_else(|| files.template_path(""), |(_, _, p)| p.clone());
        // Tera's report is its message, then ` --> name:line:column` and the line quoted: the
        // position goes where every diagnostic has it, the message stays as a detail.
        let detail = report.lines().next().unwrap_or_default();
        let mut d = Diagnostic::error(
            Code::TemplateSyntax,
            shown(root, &path),
            format!(
                "模板语法错误：请检查这里的 {{{{ }}}}、{{% %}} 是否成对、拼写是否正确（模板库原文：{detail}）"
            ),
        );
        let position = report.lines().find_map(|l| {
            let (_, at) = l.trim().strip_prefix("--> ")?.split_once(':')?;
            let (line, column) = at.split_once(':')?;
            Some((line.parse().ok()?, column.parse().ok()?))
        });
        if let (Some((_, text, _)), Some((line, column))) = (source, position) {
            d = d.at(text, line, column);
        }
        diagnostics.push(d);
        return None;
    }
    let digest = TemplateDigest::of(sources.iter().map(|(n, t, _)| (n.as_str(), t.as_str())));
    Some((tera, digest))
}

fn shown(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(&format!("\n{s}"));
        source = s.source();
    }
    message
}

/// Theme and static files must not pull anything from another host: readers are offline
/// and intranet hosts have no internet. Content may still link out with plain links.
pub fn check_no_outside_assets(
    root: &Path,
    path: &Path,
    text: &str,
    diagnostics: &mut Diagnostics,
) {
    const PATTERNS: [&str; 8] = [
        "src=\"http",
        "src='http",
        "src=\"//",
        "href=\"//",
        "url(http",
        "url(\"http",
        "url('http",
        "@import \"http",
    ];
    let link_rel_assets = ["stylesheet", "icon", "preload", "manifest", "modulepreload"];
    for (number, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let external_link_tag = lower.contains("<link")
            && lower.contains("href=\"http")
            && link_rel_assets.iter().any(|r| lower.contains(r));
        let hit = PATTERNS
            .iter()
            .find_map(|p| lower.find(p))
            .or(external_link_tag.then_some(0))
            .or_else(|| {
                lower
                    .find("import(\"http")
                    .or_else(|| lower.find("fetch(\"http"))
            });
        if let Some(col) = hit {
            diagnostics.push(
                Diagnostic::error(
                    Code::ExternalAsset,
                    shown(root, path),
                    "主题文件引用了外部网络资源；站点必须在离线和内网环境下使用，请把该资源放入 static/ 目录并用相对路径引用",
                )
                .at(text, number + 1, line[..col.min(line.len())].chars().count() + 1),
            );
        }
    }
}
