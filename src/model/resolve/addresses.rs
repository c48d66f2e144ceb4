//! Where each page is written and how it is named: its output path, its slug (written or
//! from its file name, unique across the site) and its old addresses (`aliases`).

use std::collections::HashMap;
use std::path::Path;

use crate::diagnostics::{Code, Diagnostics};
use crate::model::{PageId, Pages};
use crate::source::parse::{Document, Role};

pub(super) fn output_path(doc: &Document, slug_override: Option<&str>) -> String {
    let rel = &doc.rel;
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    match doc.role {
        Role::Section => join("index.html"),
        Role::BundlePage => join("index.html"),
        Role::Page => {
            let stem = rel
                .rsplit('/')
                .next()
                .unwrap_or(rel)
                .trim_end_matches(".md")
                .trim_end_matches(".MD");
            join(&format!(
                "{}.html",
                crate::names::file_safe(slug_override.unwrap_or(stem))
            ))
        }
    }
}

/// Why a written `slug` cannot name a page, or `None`. The name of the page's file is checked
/// with every other output name (see [`crate::output::plan`]).
pub(super) fn slug_problem(slug: &str) -> Option<&'static str> {
    if slug.trim().is_empty() {
        Some(
            "slug 为空，页面会写成没有名字的隐藏文件 .html。请填写一个名字，或删除 slug 字段，用文件名作 slug",
        )
    } else if slug.starts_with('.') {
        Some("以点开头的 slug 会成为隐藏文件，打包和多数服务器都会略去它。请去掉开头的点")
    } else {
        None
    }
}

pub(super) fn default_slug(doc: &Document) -> String {
    let parts: Vec<&str> = doc.rel.split('/').collect();
    match doc.role {
        Role::BundlePage if parts.len() >= 2 => parts[parts.len() - 2].to_string(),
        _ => parts
            .last()
            .unwrap_or(&"")
            .trim_end_matches(".md")
            .to_string(),
    }
}

/// Slug → page, reporting duplicate slugs (two files writing one output path are the output
/// plan's to report, [`crate::output::plan`]).
pub(super) fn index_unique(
    root: &Path,
    pages: &Pages,
    diagnostics: &mut Diagnostics,
) -> HashMap<String, PageId> {
    let mut by_slug: HashMap<String, PageId> = HashMap::with_capacity(pages.len());
    for (id, page) in pages.iter_enumerated() {
        if let Some(&first) = by_slug.get(&page.slug) {
            diagnostics.push(page.doc.error_at(
                root,
                "slug",
                Code::DuplicateSlug,
                format!(
                    "slug `{}` 与 {} 重复；每个页面的 slug（文件名或 slug 字段）在全站必须唯一",
                    page.slug,
                    pages[first].doc.shown_path.display()
                ),
            ));
        } else {
            by_slug.insert(page.slug.clone(), id);
        }
    }
    by_slug
}

/// Old addresses that redirect to a page. Each must stay inside the site; that it replaces
/// no other output file is the output plan's to check ([`crate::output::plan`]).
pub(super) fn check_aliases(
    root: &Path,
    pages: &Pages,
    diagnostics: &mut Diagnostics,
) -> Vec<(String, PageId)> {
    let mut aliases = Vec::new();
    for (id, page) in pages.iter_enumerated() {
        // Each wrong address is placed at itself; the places are read once a page needs them.
        let mut places = None;
        for (index, alias) in page.doc.list("aliases").iter().enumerate() {
            match alias_path(alias) {
                Some(path) => aliases.push((path, id)),
                None => {
                    let places =
                        places.get_or_insert_with(|| page.doc.item_places(root, "aliases"));
                    diagnostics.push(page.doc.error_at_place(
                        root,
                        places[index],
                        Code::FieldType,
                        format!("旧地址 `{alias}` 无效：应是站内的路径，如 cases/old-name.html，不能含 `..`、`\\` 或盘符"),
                    ));
                }
            }
        }
    }
    aliases
}

/// The output file an old address redirects from; `None` when it would leave the site.
fn alias_path(alias: &str) -> Option<String> {
    let trimmed = alias.trim().trim_start_matches('/');
    let escapes = trimmed.contains('\\')
        || trimmed.contains(':')
        || trimmed
            .split('/')
            .any(|segment| segment == ".." || segment == ".");
    if escapes {
        return None;
    }
    Some(if trimmed.ends_with(".html") {
        trimmed.to_string()
    } else if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        format!("{trimmed}/index.html")
    })
}
