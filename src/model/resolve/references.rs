//! References between pages: `cites`, `superseded_by` and the site's own `ref`/`refs`
//! fields must name real pages; citations and replacements are recorded both ways, and a
//! page replaced by itself or in a loop gets an error and no replacement.

use std::collections::HashMap;
use std::path::Path;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostics, Severity};
use crate::model::{IdVec, Page, PageId, Pages};
use crate::schema::{FieldType, Kind, Status};

/// `cites`, `superseded_by` and any site-declared `ref`/`refs` field must name real pages.
pub(super) fn resolve_references(
    config: &Config,
    pages: &mut Pages,
    slug_index: &HashMap<String, PageId>,
    diagnostics: &mut Diagnostics,
) {
    let ref_fields = ref_fields(config);
    // Read over the pages as they are (a target's kind and title are its own), then stored:
    // no page's title is copied for the messages a few of them need.
    let mut cites: IdVec<PageId, Vec<PageId>> = IdVec::from_fn(pages.len(), |_| Vec::new());
    let mut replaced_by: IdVec<PageId, Option<PageId>> = IdVec::from_fn(pages.len(), |_| None);
    let mut cited_by: IdVec<PageId, Vec<PageId>> = IdVec::from_fn(pages.len(), |_| Vec::new());
    let mut supersedes: IdVec<PageId, Vec<PageId>> = IdVec::from_fn(pages.len(), |_| Vec::new());
    for (i, page) in pages.iter_enumerated() {
        for &field in &ref_fields {
            let slugs: &[String] = match page.doc.fields.get(field) {
                Some(crate::schema::FieldValue::Text(s)) => std::slice::from_ref(s),
                Some(crate::schema::FieldValue::List(items)) => items,
                _ => continue,
            };
            // Each missing slug is placed at itself; the places are read once a field needs them.
            let mut places = None;
            for (index, slug) in slugs.iter().enumerate() {
                let Some(&target) = slug_index.get(slug.trim()) else {
                    let places =
                        places.get_or_insert_with(|| page.doc.item_places(&config.root, field));
                    diagnostics.push(page.doc.error_at_place(
                        &config.root,
                        places[index],
                        Code::MissingRef,
                        format!("字段 `{field}` 引用的页面 `{slug}` 不存在（按 slug 查找）"),
                    ));
                    continue;
                };
                let target_page = &pages[target];
                match field {
                    "cites" if !cites[i].contains(&target) => {
                        cites[i].push(target);
                        cited_by[target].push(i);
                    }
                    // A policy says “已被《X》修订”: X must be a policy too, not a case or a guide.
                    "superseded_by"
                        if page.kind == Some(Kind::Policy)
                            && target_page.kind != Some(Kind::Policy) =>
                    {
                        let title = &target_page.title;
                        let what = target_page
                            .kind
                            .map_or("没有类型（kind）的页面", Kind::label);
                        diagnostics.push(page.doc.error_at(
                            &config.root,
                            field,
                            Code::MissingRef,
                            format!(
                                "字段 `superseded_by` 应指向替代本文件的另一份政策，而 `{slug}`（《{title}》）是{what}；页面上会显示“已被《{title}》修订/替代”。请填写新政策的 slug"
                            ),
                        ));
                    }
                    "superseded_by" => {
                        if page.status() == Some(Status::Current.label()) {
                            let title = &target_page.title;
                            let mut warning = page.doc.error_at(
                                &config.root,
                                "status",
                                Code::StatusConflict,
                                format!(
                                    "`status` 写的是“现行有效”，而 `superseded_by` 说本文件已被《{title}》替代：页面会同时显示两种说法。请把 status 改为“已修订”或“已废止”，或删除 superseded_by"
                                ),
                            );
                            warning.severity = Severity::Warning;
                            diagnostics.push(warning);
                        }
                        replaced_by[i] = Some(target);
                        supersedes[target].push(i);
                    }
                    _ => {}
                }
            }
        }
    }
    for (page, (cites, replaced_by)) in pages.iter_mut().zip(cites.into_iter().zip(replaced_by)) {
        page.cites = cites;
        page.superseded_by = replaced_by;
    }
    check_replacement_loops(&config.root, pages, &mut supersedes, diagnostics);
    for (page, (by, sup)) in pages.iter_mut().zip(cited_by.into_iter().zip(supersedes)) {
        page.cited_by = by;
        page.supersedes = sup;
    }
}

/// The fields that name other pages.
fn ref_fields(config: &Config) -> Vec<&str> {
    let custom = config
        .schema
        .custom_fields()
        .filter(|(_, spec)| matches!(spec.ty, FieldType::Ref | FieldType::Refs))
        .map(|(name, _)| name);
    ["cites", "superseded_by"]
        .into_iter()
        .chain(custom)
        .collect()
}

/// A page edited in place in a preview, `edited` as it was and `page` as built again: when
/// the two name the same pages in the same fields and are of the same kind (which decides
/// whether a replacement is allowed), every page's references are what they were, so `page`
/// takes `edited`'s and this returns `true`.
pub fn carry_references(config: &Config, edited: &Page, page: &mut Page) -> bool {
    let same = edited.kind == page.kind
        && ref_fields(config)
            .into_iter()
            .all(|field| edited.doc.fields.get(field) == page.doc.fields.get(field));
    if same {
        page.cites.clone_from(&edited.cites);
        page.cited_by.clone_from(&edited.cited_by);
        page.supersedes.clone_from(&edited.supersedes);
        page.superseded_by = edited.superseded_by;
    }
    same
}

/// A chain of `superseded_by` must end at a page nobody replaced: a page replaced by itself,
/// or by a page that is in turn replaced by it (A → B → A), names no newer document. Every
/// page of such a loop gets an error at its field and no replacement.
fn check_replacement_loops(
    root: &Path,
    pages: &mut Pages,
    supersedes: &mut IdVec<PageId, Vec<PageId>>,
    diagnostics: &mut Diagnostics,
) {
    const UNSEEN: u8 = 0;
    const ON_WALK: u8 = 1;
    const DONE: u8 = 2;
    let mut state: IdVec<PageId, u8> = IdVec::from_fn(pages.len(), |_| UNSEEN);
    let mut loops = Vec::new();
    for start in pages.ids() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| state[i] == UNSEEN) {
            state[i] = ON_WALK;
            walk.push(i);
            at = pages[i].superseded_by;
        }
        if let Some(i) = at.filter(|&i| state[i] == ON_WALK)
            && let Some(from) = walk.iter().position(|&p| p == i)
        {
            loops.push(walk[from..].to_vec());
        }
        for i in walk {
            state[i] = DONE;
        }
    }
    for members in loops {
        for (k, &i) in members.iter().enumerate() {
            let message = if members.len() == 1 {
                format!(
                    "字段 `superseded_by` 指向本页自身（`{}`）：一份文件不能被自己替代，请填写替代本文件的新文件的 slug，或删除该字段",
                    pages[i].slug
                )
            } else {
                // The loop as seen from this page, back to it.
                let chain: Vec<String> = (0..=members.len())
                    .map(|step| format!("《{}》", pages[members[(k + step) % members.len()]].title))
                    .collect();
                format!(
                    "字段 `superseded_by` 形成循环：{}。替代关系应从旧文件指向新文件，不能绕回本页，请检查这几份文件的 `superseded_by`",
                    chain.join(" → ")
                )
            };
            diagnostics.push(pages[i].doc.error_at(
                root,
                "superseded_by",
                Code::SupersededLoop,
                message,
            ));
        }
        for &i in &members {
            if let Some(newer) = pages[i].superseded_by.take() {
                supersedes[newer].retain(|&older| older != i);
            }
        }
    }
}
