//! Related pages (相关内容): for every page, up to [`MAX_RELATED`] others that share its
//! citations, topics and tags, the rarer shared keys counting for more.
//!
//! An inverted index from each key — a cited page, a topic, a tag — to the pages carrying
//! it is built once. A page's candidates are the pages on its own keys' postings, so the
//! work follows the postings touched rather than the square of the page count. A key that
//! very many pages carry says little about any two of them, and its posting list is capped
//! at the most recent [`MAX_POSTINGS`] pages so one popular topic cannot make the pass
//! quadratic on a large site.
//!
//! Pages the page already links to in its own lists (the policies it cites, the pages
//! citing it, the documents it replaces or is replaced by) are left out: related pages are
//! for what the reader has not been shown yet.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::model::{IdVec, Page, PageId, Site};

pub const MAX_RELATED: usize = 5;
pub const MAX_POSTINGS: usize = 200;

/// Sharing a cited policy says most about two pages, a topic less, a tag least.
const WEIGHT_CITE: f64 = 3.0;
const WEIGHT_TOPIC: f64 = 2.0;
const WEIGHT_TAG: f64 = 1.0;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Cite(PageId),
    Topic(&'a str),
    Tag(&'a str),
}

impl Key<'_> {
    fn weight(self) -> f64 {
        match self {
            Key::Cite(_) => WEIGHT_CITE,
            Key::Topic(_) => WEIGHT_TOPIC,
            Key::Tag(_) => WEIGHT_TAG,
        }
    }
}

fn keys(page: &Page) -> Vec<Key<'_>> {
    let mut keys: Vec<Key> = page.cites.iter().map(|&c| Key::Cite(c)).collect();
    keys.extend(page.doc.list("topics").iter().map(|t| Key::Topic(t.trim())));
    keys.extend(page.doc.list("tags").iter().map(|t| Key::Tag(t.trim())));
    keys.sort_by_key(|k| match k {
        Key::Cite(c) => (0, Some(*c), ""),
        Key::Topic(t) => (1, None, *t),
        Key::Tag(t) => (2, None, *t),
    });
    keys.dedup();
    keys
}

/// For every page, its related pages, best first.
pub fn related(site: &Site) -> IdVec<PageId, Vec<PageId>> {
    let all: Vec<PageId> = site.pages.ids().collect();
    ranked(site, &all).into()
}

/// What a page brings to other pages' related lists: its keys, and the pages it shows
/// already (which their lists leave out of theirs). Taken before and after a preview edit.
pub struct Ties {
    cites: Vec<PageId>,
    topics: Vec<String>,
    tags: Vec<String>,
    shown: Vec<PageId>,
}

pub fn ties(page: &Page) -> Ties {
    let texts = |field: &str| page.doc.list(field).iter().map(|t| t.trim().to_string());
    Ties {
        cites: page.cites.clone(),
        topics: texts("topics").collect(),
        tags: texts("tags").collect(),
        shown: page
            .cites
            .iter()
            .chain(&page.supersedes)
            .chain(&page.superseded_by)
            .copied()
            .collect(),
    }
}

/// After pages with ties `changed` (as they were and as they are) were edited in place, with
/// the same pages in the site: recomputes the lists that can differ — those of pages sharing
/// a key with them (the candidates, weights and the cap of a key's postings change only
/// there) and of the pages they show or showed. The rest stay as they are.
pub fn update(
    site: &Site,
    related: &mut IdVec<PageId, Vec<PageId>>,
    edited: &[PageId],
    changed: &[Ties],
) {
    let cites: HashSet<PageId> = changed
        .iter()
        .flat_map(|t| t.cites.iter().copied())
        .collect();
    let topics: HashSet<&str> = changed
        .iter()
        .flat_map(|t| &t.topics)
        .map(String::as_str)
        .collect();
    let tags: HashSet<&str> = changed
        .iter()
        .flat_map(|t| &t.tags)
        .map(String::as_str)
        .collect();
    let mut touched: Vec<PageId> = site
        .pages
        .iter_enumerated()
        .filter(|(_, page)| {
            keys(page).iter().any(|key| match key {
                Key::Cite(c) => cites.contains(c),
                Key::Topic(t) => topics.contains(t),
                Key::Tag(t) => tags.contains(t),
            })
        })
        .map(|(i, _)| i)
        .chain(edited.iter().copied())
        .chain(changed.iter().flat_map(|t| t.shown.iter().copied()))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    for (i, list) in touched.iter().zip(ranked(site, &touched)) {
        related[*i] = list;
    }
}

/// The related pages of each page in `wanted`, best first.
fn ranked(site: &Site, wanted: &[PageId]) -> Vec<Vec<PageId>> {
    let pages = &site.pages;
    let page_keys: IdVec<PageId, Vec<Key>> = pages.iter().map(keys).collect();
    let mut postings: HashMap<Key, Vec<PageId>> = HashMap::new();
    for (i, keys) in page_keys.iter_enumerated() {
        for &key in keys {
            postings.entry(key).or_default().push(i);
        }
    }
    let total = pages.len() as f64;
    // (inverse document frequency × weight, capped posting list)
    let index: HashMap<Key, (f64, Vec<PageId>)> = postings
        .into_iter()
        .map(|(key, mut list)| {
            let weight = key.weight() * (1.0 + total / list.len() as f64).ln();
            if list.len() > MAX_POSTINGS {
                list.sort_by(|&a, &b| pages[b].sort_date().cmp(&pages[a].sort_date()));
                list.truncate(MAX_POSTINGS);
            }
            (key, (weight, list))
        })
        .collect();
    // Equal scores are common (pages sharing one tag), so ties are broken by a page's place
    // in one order of the whole site — newest first, then by title, then by file — worked out
    // once rather than by comparing dates and titles inside every page's ranking.
    let mut by_date: Vec<PageId> = pages.ids().collect();
    by_date.sort_unstable_by(|&a, &b| {
        pages[b]
            .sort_date()
            .cmp(&pages[a].sort_date())
            .then_with(|| pages[a].title.cmp(&pages[b].title))
            .then(a.cmp(&b))
    });
    let mut place: IdVec<PageId, usize> = IdVec::from_fn(pages.len(), |_| 0);
    for (rank, &i) in by_date.iter().enumerate() {
        place[i] = rank;
    }
    // Scores live in one dense buffer per worker thread; only the entries a page touched
    // are read back and cleared, so each page costs what its postings cost.
    wanted
        .par_iter()
        .map_init(
            || {
                (
                    IdVec::<PageId, f64>::from_fn(pages.len(), |_| 0.0),
                    Vec::new(),
                )
            },
            |(scores, touched), &i| {
                let (page, keys) = (&pages[i], &page_keys[i]);
                let shown = |j: PageId| {
                    j == i
                        || page.cites.contains(&j)
                        || page.cited_by.contains(&j)
                        || page.supersedes.contains(&j)
                        || page.superseded_by == Some(j)
                };
                for key in keys {
                    let Some((weight, list)) = index.get(key) else {
                        continue;
                    };
                    for &j in list {
                        if scores[j] == 0.0 {
                            touched.push(j);
                        }
                        scores[j] += weight;
                    }
                }
                let mut ranked: Vec<(PageId, f64)> = touched
                    .drain(..)
                    .map(|j| (j, std::mem::take(&mut scores[j])))
                    .filter(|&(j, _)| !shown(j))
                    .collect();
                let order = |a: &(PageId, f64), b: &(PageId, f64)| {
                    b.1.total_cmp(&a.1).then(place[a.0].cmp(&place[b.0]))
                };
                if ranked.len() > MAX_RELATED {
                    ranked.select_nth_unstable_by(MAX_RELATED, order);
                    ranked.truncate(MAX_RELATED);
                }
                ranked.sort_by(order);
                // Not `into_iter`: collecting in place would keep the candidates' allocation
                // for every page of the site.
                ranked.iter().map(|&(j, _)| j).collect()
            },
        )
        .collect()
}
