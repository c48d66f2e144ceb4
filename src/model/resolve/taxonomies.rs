//! Taxonomies (tags, topics, regions, as `site.toml` names them): each term with its pages,
//! newest first, and a file name no other term's list can collide with.

use std::collections::HashSet;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::model::{NewestFirst, Page, PageId, Pages, Site, TaxonomyIndex, Term};
use crate::schema::FieldValue;

pub(super) fn build_taxonomies(
    config: &Config,
    pages: &Pages,
    newest: &NewestFirst,
) -> Vec<TaxonomyIndex> {
    config
        .taxonomies
        .par_iter()
        .map(|taxonomy| {
            // FxHash: every page's terms are looked up here, again after a preview's edit
            // that changes a page's terms.
            let mut terms: FxHashMap<&str, Vec<PageId>> = FxHashMap::default();
            for (i, page) in pages.iter_enumerated() {
                for value in term_names(page, &taxonomy.name) {
                    let listed = terms.entry(value).or_default();
                    // `tags: [网格, 网格]` lists the page once.
                    if listed.last() != Some(&i) {
                        listed.push(i);
                    }
                }
            }
            // Terms by name: a term's file name depends on the names before it.
            let mut terms: Vec<(&str, Vec<PageId>)> = terms.into_iter().collect();
            terms.sort_unstable_by_key(|&(name, _)| name);
            // The taxonomy's own page is `index.html` in the same folder.
            let mut used_files: HashSet<String> = HashSet::from(["index.html".to_string()]);
            TaxonomyIndex {
                name: taxonomy.name.clone(),
                label: taxonomy.label.clone(),
                terms: terms
                    .into_iter()
                    .map(|(name, mut term_pages)| {
                        term_pages.sort_unstable_by_key(|&id| newest.place[id]);
                        // A term's file is `F.html` and its further list pages are in the folder
                        // `F/`: a name is free when neither is taken (the terms `a` and
                        // `a.html` would otherwise make a file and a folder of one name).
                        // Leading dots would make `.` and `..` folders, or hidden files;
                        // `CON` cannot be a file on Windows (see `names::safe_file_stem`).
                        let mut file = crate::names::safe_file_stem(name);
                        loop {
                            let stem = file.to_lowercase();
                            let with_extension = format!("{stem}.html");
                            if !used_files.contains(&stem) && !used_files.contains(&with_extension)
                            {
                                used_files.insert(stem);
                                used_files.insert(with_extension);
                                break;
                            }
                            file.push('_');
                        }
                        Term {
                            name: name.to_string(),
                            url: format!("{}/{file}.html", taxonomy.name),
                            pages: term_pages,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The terms `page` lists in the taxonomy `name`, as written (trimmed, empty ones left out).
fn term_names<'a>(page: &'a Page, name: &str) -> impl Iterator<Item = &'a str> {
    let values: &[String] = match page.doc.fields.get(name) {
        Some(FieldValue::Text(s)) => std::slice::from_ref(s),
        Some(FieldValue::List(items)) => items,
        _ => &[],
    };
    values.iter().map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// After the front matter of `moved` changed, with the same pages: when none of them
/// changed its terms, only their place in the newest-first order may have moved, so only
/// the term lists holding them are sorted again and the taxonomies are kept (`true`).
/// Otherwise nothing is touched and [`build_taxonomies`] must run.
pub(super) fn keep_terms(site: &mut Site, moved: &[PageId]) -> bool {
    // `build_taxonomies` made them in the order the config names them.
    let same = site
        .config
        .taxonomies
        .iter()
        .zip(&site.taxonomies)
        .all(|(taxonomy, index)| {
            moved.iter().all(|&id| {
                let mut now: Vec<&str> = term_names(&site.pages[id], &taxonomy.name).collect();
                now.sort_unstable();
                now.dedup();
                let mut was: Vec<&str> = index
                    .terms
                    .iter()
                    .filter(|term| term.pages.contains(&id))
                    .map(|term| term.name.as_str())
                    .collect();
                was.sort_unstable();
                now == was
            })
        });
    if !same {
        return false;
    }
    let place = &site.newest.place;
    for term in site.taxonomies.iter_mut().flat_map(|t| &mut t.terms) {
        if term.pages.iter().any(|id| moved.contains(id)) {
            term.pages.sort_unstable_by_key(|&id| place[id]);
        }
    }
    true
}
