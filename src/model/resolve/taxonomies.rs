//! Taxonomies (tags, topics, regions, as `site.toml` names them): each term with its pages,
//! newest first, and a file name no other term's list can collide with.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::config::Config;
use crate::model::{NewestFirst, PageId, Pages, TaxonomyIndex, Term};

pub(super) fn build_taxonomies(
    config: &Config,
    pages: &Pages,
    newest: &NewestFirst,
) -> Vec<TaxonomyIndex> {
    config
        .taxonomies
        .par_iter()
        .map(|taxonomy| {
            let mut terms: HashMap<&str, Vec<PageId>> = HashMap::new();
            for (i, page) in pages.iter_enumerated() {
                let values: Vec<&str> = match page.doc.fields.get(&taxonomy.name) {
                    Some(crate::schema::FieldValue::Text(s)) => vec![s.as_str()],
                    Some(crate::schema::FieldValue::List(items)) => {
                        items.iter().map(String::as_str).collect()
                    }
                    _ => continue,
                };
                for value in values {
                    let value = value.trim();
                    if value.is_empty() {
                        continue;
                    }
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
