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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::model::{IdVec, Page, PageId, Renumbering, Site};
use crate::schema::Date;

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

/// Calls `f` with each key of `page`, in the order `keys` sorts, possibly twice.
fn for_each_key<'a>(page: &'a Page, mut f: impl FnMut(Key<'a>)) {
    for &c in &page.cites {
        f(Key::Cite(c));
    }
    for t in page.doc.list("topics") {
        f(Key::Topic(t.trim()));
    }
    for t in page.doc.list("tags") {
        f(Key::Tag(t.trim()));
    }
}

fn keys(page: &Page) -> Vec<Key<'_>> {
    let mut keys = Vec::new();
    for_each_key(page, |key| keys.push(key));
    keys.sort_by_key(|k| match k {
        Key::Cite(c) => (0, Some(*c), ""),
        Key::Topic(t) => (1, None, *t),
        Key::Tag(t) => (2, None, *t),
    });
    keys.dedup();
    keys
}

/// Every page's related pages, with what a page must score to enter a full list.
#[derive(Debug, Default)]
pub struct Related {
    /// Per page, best first.
    lists: IdVec<PageId, Vec<PageId>>,
    /// Per page, the score of the last of a full list, and 0 for a list with room: a
    /// candidate scoring less than this cannot be on the list, wherever it stands among
    /// equal scores.
    floors: IdVec<PageId, f64>,
    /// Every key's pages, kept so that a preview's edit finds the pages sharing a key with
    /// the edited one without reading every page's keys (two such scans were 40 ms of a
    /// title edit at 100,000 pages).
    holders: Holders,
}

/// Every topic's and tag's holders, in file order, each page once. A cited page's holders are
/// the pages citing it, which resolve keeps as the page's `cited_by`, in file order too.
#[derive(Debug, Default)]
struct Holders {
    topics: NamedHolders,
    tags: NamedHolders,
}

/// A topic's or tag's name → its holders.
type NamedHolders = HashMap<Box<str>, Vec<PageId>>;

impl Holders {
    fn of(site: &Site) -> Holders {
        let mut holders = Holders::default();
        for (id, page) in site.pages.iter_enumerated() {
            for_each_key(page, |key| {
                let Some((map, name)) = holders.named_mut(key) else {
                    return;
                };
                let list = named_list(map, name);
                if list.last() != Some(&id) {
                    list.push(id);
                }
            });
        }
        holders
    }

    fn get<'a>(&'a self, site: &'a Site, key: Key) -> &'a [PageId] {
        let list = match key {
            Key::Cite(c) => return &site.pages[c].cited_by,
            Key::Topic(t) => self.topics.get(t),
            Key::Tag(t) => self.tags.get(t),
        };
        list.map_or(&[], Vec::as_slice)
    }

    /// The map holding a topic's or tag's holders, with its name; `None` for a citation.
    fn named_mut<'k>(&mut self, key: Key<'k>) -> Option<(&mut NamedHolders, &'k str)> {
        match key {
            Key::Cite(_) => None,
            Key::Topic(name) => Some((&mut self.topics, name)),
            Key::Tag(name) => Some((&mut self.tags, name)),
        }
    }

    /// `page`'s keys were `before` and are `after` ([`Ties`] of the same page). Citations are
    /// left to resolve: by now its `reconnect` has made every page's `cited_by` again, or
    /// carried it over when no edited page changed what it cites.
    fn moved(&mut self, page: PageId, before: &Ties, after: &Ties) {
        for key in before.keys() {
            let Some((map, name)) = self.named_mut(key) else {
                continue;
            };
            let Some(list) = map.get_mut(name) else {
                continue;
            };
            if let Ok(at) = list.binary_search(&page) {
                list.remove(at);
            }
            // An empty list would count as a key every page lacks but still weigh.
            if list.is_empty() {
                map.remove(name);
            }
        }
        for key in after.keys() {
            let Some((map, name)) = self.named_mut(key) else {
                continue;
            };
            let list = named_list(map, name);
            if let Err(at) = list.binary_search(&page) {
                list.insert(at, page);
            }
        }
    }
}

/// The list of `name` in `map`, made empty when the name is new (it is copied only then).
fn named_list<'m>(map: &'m mut NamedHolders, name: &str) -> &'m mut Vec<PageId> {
    if !map.contains_key(name) {
        map.insert(name.into(), Vec::new());
    }
    map.get_mut(name).expect("inserted above")
}

impl std::ops::Index<PageId> for Related {
    type Output = [PageId];

    fn index(&self, page: PageId) -> &[PageId] {
        &self.lists[page]
    }
}

impl Related {
    /// Pages were removed and added (a preview): the lists move with their pages, without
    /// the removed ones. [`related`] follows, and makes the holders again: an added page's
    /// keys are not among them.
    pub fn renumber(&mut self, renumbering: &Renumbering) {
        self.holders = Holders::default();
        self.lists = renumbering
            .per_page(std::mem::take(&mut self.lists), Vec::new)
            .iter()
            .map(|list| {
                list.iter()
                    .filter_map(|&id| renumbering.new_id(id))
                    .collect()
            })
            .collect();
        self.floors = renumbering.per_page(std::mem::take(&mut self.floors), || 0.0);
    }

    fn set(&mut self, pages: &[PageId], ranked: Vec<(Vec<PageId>, f64)>) {
        for (&page, (list, floor)) in pages.iter().zip(ranked) {
            self.lists[page] = list;
            self.floors[page] = floor;
        }
    }
}

/// For every page, its related pages, best first.
pub fn related(site: &Site) -> Related {
    let all: Vec<PageId> = site.pages.ids().collect();
    let holders = Holders::of(site);
    let (lists, floors): (Vec<_>, Vec<_>) = ranked(site, &holders, &all).into_iter().unzip();
    Related {
        lists: lists.into(),
        floors: floors.into(),
        holders,
    }
}

/// What a page brings to other pages' related lists: its keys, and the pages it shows
/// already (which their lists leave out of theirs). Taken before and after a preview edit.
pub struct Ties {
    page: PageId,
    cites: Vec<PageId>,
    topics: Vec<String>,
    tags: Vec<String>,
    shown: Vec<PageId>,
    /// What orders equal scores and caps a key's postings ([`Site::newest`]).
    date: Option<Date>,
    title: String,
}

impl Ties {
    fn keys(&self) -> impl Iterator<Item = Key<'_>> {
        let cites = self.cites.iter().map(|&c| Key::Cite(c));
        let topics = self.topics.iter().map(|t| Key::Topic(t));
        cites
            .chain(topics)
            .chain(self.tags.iter().map(|t| Key::Tag(t)))
    }
}

pub fn ties(site: &Site, id: PageId) -> Ties {
    let page = &site.pages[id];
    let texts = |field: &str| page.doc.list(field).iter().map(|t| t.trim().to_string());
    Ties {
        page: id,
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
        date: page.sort_date(),
        title: page.title.clone(),
    }
}

/// After pages with ties `changed` (as they were and as they are) were edited in place, with
/// the same pages in the site: recomputes the lists that can differ, and keeps the rest.
///
/// An edited page's own list and those of the pages it shows or showed, when its keys or
/// what it shows changed. A key a page gained or lost weighs differently, and so does one
/// over the cap whose newest pages it entered or left with a new date: every page holding
/// such a key is ranked again. Any other key weighs the same and lists the same pages, so a
/// page holding only such keys scores the edited page as before, and its list moves only when
/// a new title or date moved the page among equal scores: only a list whose floor the page
/// reaches ([`entered_by`]).
pub fn update(site: &Site, related: &mut Related, changed: &[Ties]) {
    let mut by_page: HashMap<PageId, Vec<&Ties>> = HashMap::new();
    for ties in changed {
        by_page.entry(ties.page).or_default().push(ties);
    }
    let mut wanted = Vec::new();
    let mut reordered = Vec::new();
    for ties in by_page.values() {
        // A page with only its ties as they are kept its front matter (its body was filled in
        // again for a title it links to).
        let [before, .., after] = ties.as_slice() else {
            continue;
        };
        let page = before.page;
        related.holders.moved(page, before, after);
        let same_keys = before.keys().all(|k| after.keys().any(|a| a == k))
            && after.keys().all(|k| before.keys().any(|b| b == k));
        if !same_keys || before.shown != after.shown {
            wanted.push(page);
            wanted.extend(before.shown.iter().chain(&after.shown).copied());
        }
        let holders = &related.holders;
        let reweighed = after.keys().chain(before.keys()).filter(|&key| {
            let kept = before.keys().any(|k| k == key) && after.keys().any(|k| k == key);
            !kept
                || before.date != after.date && {
                    let list = holders.get(site, key);
                    in_cap(site, list, page, before.date) != in_cap(site, list, page, after.date)
                }
        });
        wanted.extend(reweighed.flat_map(|key| holders.get(site, key).iter().copied()));
        if before.title != after.title || before.date != after.date {
            reordered.push(page);
        }
    }
    wanted.extend(entered_by(site, related, &reordered));
    wanted.sort_unstable();
    wanted.dedup();
    let lists = ranked(site, &related.holders, &wanted);
    related.set(&wanted, lists);
}

/// Whether `page`, dated `date`, is among the pages `holders` of a key lists: all of them,
/// or the newest [`MAX_POSTINGS`] (by date, then in file order, as [`ranked`] caps them).
fn in_cap(site: &Site, holders: &[PageId], page: PageId, date: Option<Date>) -> bool {
    holders.len() <= MAX_POSTINGS
        || holders
            .iter()
            .filter(|&&q| {
                let d = site.pages[q].sort_date();
                d > date || (d == date && q < page)
            })
            .count()
            < MAX_POSTINGS
}

/// The pages whose lists can change when `moved` changed only their place among equal scores
/// (a new title, or a new date that kept them in or out of each capped list): only a list for
/// which the page scores at least the list's floor can change (and the moved pages' own).
fn entered_by(site: &Site, related: &Related, moved: &[PageId]) -> Vec<PageId> {
    let pages = &site.pages;
    let total = pages.len() as f64;
    let mut wanted: Vec<PageId> = moved.to_vec();
    for &page in moved {
        let date = pages[page].sort_date();
        let mut scores: HashMap<PageId, f64> = HashMap::new();
        for key in keys(&pages[page]) {
            let holders = related.holders.get(site, key);
            // A key held by more than the cap lists only its newest pages; scores come
            // through that list.
            if !in_cap(site, holders, page, date) {
                continue;
            }
            let weight = key.weight() * (1.0 + total / holders.len() as f64).ln();
            for &q in holders {
                *scores.entry(q).or_default() += weight;
            }
        }
        // Sums in another order than the ranking's may differ in the last bits: a margin
        // keeps every list at its floor in.
        wanted.extend(
            scores
                .into_iter()
                .filter(|&(q, score)| score >= related.floors[q] * (1.0 - 1e-9))
                .map(|(q, _)| q),
        );
    }
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// The related pages of each page in `wanted`, best first, with the list's floor
/// ([`Related::floors`]).
fn ranked(site: &Site, holders: &Holders, wanted: &[PageId]) -> Vec<(Vec<PageId>, f64)> {
    let pages = &site.pages;
    let page_keys: Vec<Vec<Key>> = wanted.iter().map(|&i| keys(&pages[i])).collect();
    let needed: HashSet<Key> = page_keys.iter().flatten().copied().collect();
    let total = pages.len() as f64;
    // (inverse document frequency × weight, capped posting list)
    // A list under the cap is read where it is; only a capped one is copied.
    let index: HashMap<Key, (f64, Cow<[PageId]>)> = needed
        .into_iter()
        .map(|key| {
            let list = holders.get(site, key);
            let weight = key.weight() * (1.0 + total / list.len() as f64).ln();
            if list.len() <= MAX_POSTINGS {
                return (key, (weight, Cow::Borrowed(list)));
            }
            // The newest, then the first in file order: the 200 a stable sort by date keeps.
            let mut list = list.to_vec();
            list.select_nth_unstable_by(MAX_POSTINGS - 1, |&a, &b| {
                (pages[b].sort_date(), a).cmp(&(pages[a].sort_date(), b))
            });
            list.truncate(MAX_POSTINGS);
            (key, (weight, Cow::Owned(list)))
        })
        .collect();
    // Equal scores are common (pages sharing one tag), so ties are broken by a page's place
    // in the site's newest-first order, worked out once by resolve rather than by comparing
    // dates and titles inside every page's ranking.
    let place = &site.newest.place;
    // Scores live in one dense buffer per worker thread; only the entries a page touched
    // are read back and cleared, so each page costs what its postings cost.
    wanted
        .par_iter()
        .zip(&page_keys)
        .map_init(
            || {
                (
                    IdVec::<PageId, f64>::from_fn(pages.len(), |_| 0.0),
                    Vec::new(),
                )
            },
            |(scores, touched), (&i, keys)| {
                let page = &pages[i];
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
                    for &j in list.iter() {
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
                let floor = match ranked.last() {
                    Some(&(_, score)) if ranked.len() == MAX_RELATED => score,
                    _ => 0.0,
                };
                // Not `into_iter`: collecting in place would keep the candidates' allocation
                // for every page of the site.
                (ranked.iter().map(|&(j, _)| j).collect(), floor)
            },
        )
        .collect()
}
