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
            let mut used_files = UsedFiles::new();
            TaxonomyIndex {
                name: taxonomy.name.clone(),
                label: taxonomy.label.clone(),
                terms: terms
                    .into_iter()
                    .map(|(name, mut term_pages)| {
                        term_pages.sort_unstable_by_key(|&id| newest.place[id]);
                        Term {
                            name: name.to_string(),
                            url: term_url(&taxonomy.name, &used_files.claim(name)),
                            pages: term_pages,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn term_url(taxonomy: &str, file: &str) -> String {
    format!("{taxonomy}/{file}.html")
}

/// The file names a taxonomy's terms took, in name order: a term's file is `F.html` and its
/// further list pages are in the folder `F/`, so a name is free when neither is taken (the
/// terms `a` and `a.html` would otherwise make a file and a folder of one name), compared
/// as Windows compares them. Leading dots would make `.` and `..` folders, or hidden files;
/// `CON` cannot be a file on Windows (see [`crate::names::safe_file_stem`]).
struct UsedFiles(HashSet<String>);

impl UsedFiles {
    fn new() -> UsedFiles {
        // The taxonomy's own page is `index.html` in the same folder.
        UsedFiles(HashSet::from(["index.html".to_string()]))
    }

    /// The file a term named `name` gets after the terms before it: the word made safe,
    /// with `_` added until it is free.
    fn claim(&mut self, name: &str) -> String {
        let mut file = crate::names::safe_file_stem(name);
        while !self.free(&file) {
            file.push('_');
        }
        let stem = file.to_lowercase();
        self.0.insert(format!("{stem}.html"));
        self.0.insert(stem);
        file
    }

    fn free(&self, file: &str) -> bool {
        let stem = file.to_lowercase();
        !self.0.contains(&stem) && !self.0.contains(&format!("{stem}.html"))
    }
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

/// After the front matter of `moved` changed, with the same pages: moves each of them out
/// of the term lists it left and into those it joined, in its place in the newest-first
/// order, and sorts again the other lists holding it (its date or title may have moved it).
/// A term nobody uses any more goes, a new one comes at its place by name. Done in place only
/// when no other term's file name can change: a new term's own name must be free, and a
/// term may go only when no file name took a `_` to avoid another. Returns `false` and
/// touches nothing otherwise, and then [`build_taxonomies`] must run.
pub(super) fn move_terms(site: &mut Site, moved: &[PageId]) -> bool {
    let Site {
        config,
        pages,
        taxonomies,
        newest,
        ..
    } = site;
    // `build_taxonomies` made them in the order the config names them.
    let mut changes = Vec::new();
    for (taxonomy, index) in config.taxonomies.iter().zip(taxonomies.iter()) {
        let mut gained: Vec<(&str, PageId)> = Vec::new();
        let mut lost: Vec<(usize, PageId)> = Vec::new();
        for &id in moved {
            let mut now: Vec<&str> = term_names(&pages[id], &taxonomy.name).collect();
            now.sort_unstable();
            now.dedup();
            for (t, term) in index.terms.iter().enumerate() {
                if term.pages.contains(&id) && now.binary_search(&term.name.as_str()).is_err() {
                    lost.push((t, id));
                }
            }
            for name in now {
                let held = index
                    .terms
                    .binary_search_by(|term| term.name.as_str().cmp(name))
                    .is_ok_and(|t| index.terms[t].pages.contains(&id));
                if !held {
                    gained.push((name, id));
                }
            }
        }
        changes.push((gained, lost));
    }
    if !changes
        .iter()
        .zip(taxonomies.iter())
        .all(|((gained, lost), index)| can_move_in_place(index, gained, lost))
    {
        return false;
    }
    let place = &newest.place;
    for (index, (gained, lost)) in taxonomies.iter_mut().zip(changes) {
        for term in &mut index.terms {
            if term.pages.iter().any(|id| moved.contains(id)) {
                term.pages.sort_unstable_by_key(|&id| place[id]);
            }
        }
        for (t, id) in lost {
            index.terms[t].pages.retain(|&q| q != id);
        }
        // Indices into the terms hold until the empty ones go, last.
        index.terms.retain(|term| !term.pages.is_empty());
        for (name, id) in gained {
            let at = match index
                .terms
                .binary_search_by(|term| term.name.as_str().cmp(name))
            {
                Ok(at) => at,
                Err(at) => {
                    let url = term_url(&index.name, &crate::names::safe_file_stem(name));
                    index.terms.insert(
                        at,
                        Term {
                            name: name.to_string(),
                            url,
                            pages: Vec::new(),
                        },
                    );
                    at
                }
            };
            let list = &mut index.terms[at].pages;
            let to = list.partition_point(|&q| place[q] < place[id]);
            list.insert(to, id);
        }
    }
    true
}

/// Whether the terms of `index` can take the pages `gained` (term name, page) and lose
/// `lost` (term, page) with every other term keeping its file name ([`UsedFiles`]).
fn can_move_in_place(
    index: &TaxonomyIndex,
    gained: &[(&str, PageId)],
    lost: &[(usize, PageId)],
) -> bool {
    let emptied = index.terms.iter().enumerate().any(|(t, term)| {
        term.pages
            .iter()
            .all(|id| lost.iter().any(|&(l, page)| l == t && page == *id))
    });
    let new_names: Vec<&str> = gained
        .iter()
        .map(|&(name, _)| name)
        .filter(|name| {
            index
                .terms
                .binary_search_by(|term| term.name.as_str().cmp(name))
                .is_err()
        })
        .collect();
    if !emptied && new_names.is_empty() {
        return true;
    }
    // Every term's file as the terms' names give it, each once, with none taking a `_`.
    let mut used = UsedFiles::new();
    for term in &index.terms {
        let natural = crate::names::safe_file_stem(&term.name);
        if term.url != term_url(&index.name, &natural) || !used.free(&natural) {
            return false;
        }
        used.claim(&term.name);
    }
    let mut new_names = new_names;
    new_names.sort_unstable();
    new_names.dedup();
    new_names.into_iter().all(|name| {
        let natural = crate::names::safe_file_stem(name);
        used.free(&natural) && used.claim(name) == natural
    })
}
