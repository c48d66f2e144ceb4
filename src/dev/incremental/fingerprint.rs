//! Fingerprints: for every output file the session renders itself, a hash of what it shows
//! of other pages, so that after any edit only the files whose fingerprint changed are
//! rendered again.
//!
//! A page's *card* hashes everything those files show about it — title, address, kind,
//! summary, dates and every front-matter field (status, tags, the panel); its reading
//! length is shown only by the training views the catch-up renders. A file's fingerprint
//! hashes the cards it shows, in order: a list page its slice of the list, the home page
//! the newest pages, a page its neighbours, references and related pages, an old address
//! the page it sends readers to, a file of the sitemap its pages' addresses and dates. What a file
//! shows of itself alone (a page's body and headings) is not in it: the edit knows which
//! bodies it rendered again and renders those pages anyway. The training views that
//! [`super::Session::catch_up`] renders are left out; the changes page is in.

use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use crate::model::resolve::{Page, Site};
use crate::model::{IdVec, PageId, Renumbering, SectionId};
use crate::output::plan::sitemap::Sitemap;
use crate::output::render::{DEFAULT_PER_PAGE, Job, What, list_slice, recent_pages};
use crate::training::{Training, View};

/// What the output shows as last rendered: a card per page and a fingerprint per file.
pub struct Fingerprints {
    cards: IdVec<PageId, u64>,
    /// Output path → fingerprint, for every tracked job, every old address and every file
    /// of the sitemap.
    files: FxHashMap<String, u64>,
}

impl Fingerprints {
    /// The fingerprints of the site as it is.
    pub fn new(site: &Site, training: &Training) -> Fingerprints {
        Fingerprints::with_jobs(site, training, &crate::output::render::jobs(site, training))
    }

    /// The fingerprints of the site as it is, whose render jobs are `jobs`.
    pub fn with_jobs(site: &Site, training: &Training, jobs: &[Job]) -> Fingerprints {
        let cards: IdVec<PageId, u64> = site
            .pages
            .as_slice()
            .par_iter()
            .map(card)
            .collect::<Vec<_>>()
            .into();
        let sitemap = Sitemap::of(site, jobs);
        let files = outputs(site, training, &cards, jobs, &sitemap)
            .into_iter()
            .map(|(path, fingerprint)| (path.to_string(), fingerprint))
            .collect();
        Fingerprints { cards, files }
    }

    /// Pages were removed and added: the cards move with their pages. An added page's card
    /// is made with the other changed pages' ([`Self::refresh`]).
    pub fn renumber(&mut self, renumbering: &Renumbering) {
        self.cards = renumbering.per_page(std::mem::take(&mut self.cards), || 0);
    }

    /// Makes the cards of the pages `changed` again; returns whether one differs.
    pub fn new_cards(&mut self, site: &Site, changed: &[PageId]) -> bool {
        let mut differs = false;
        for &id in changed {
            let card = card(&site.pages[id]);
            differs |= std::mem::replace(&mut self.cards[id], card) != card;
        }
        differs
    }

    /// The output plan is now `jobs` and `sitemap`: makes every file's fingerprint again from
    /// the cards and the site, and returns what differs from the files as they were. The
    /// fingerprints are compared in place: at 100,000 pages, making a new map of every path
    /// and comparing the two took 100–230 ms of a title edit, comparing in place takes 40–60 ms.
    pub fn refresh<'a>(
        &mut self,
        site: &'a Site,
        training: &Training,
        jobs: &'a [Job],
        sitemap: &'a Sitemap,
    ) -> Refreshed<'a> {
        let fresh = outputs(site, training, &self.cards, jobs, sitemap);
        let files = &self.files;
        let changed: FxHashSet<&str> = fresh
            .par_iter()
            .filter(|&&(path, fingerprint)| files.get(path) != Some(&fingerprint))
            .map(|&(path, _)| path)
            .collect();
        for &(path, fingerprint) in fresh.iter().filter(|(path, _)| changed.contains(path)) {
            self.files.insert(path.to_string(), fingerprint);
        }
        // Every path is one file of the plan, so the map holds another only when one went.
        let mut removed = Vec::new();
        if self.files.len() != fresh.len() {
            let kept: FxHashSet<&str> = fresh.iter().map(|&(path, _)| path).collect();
            self.files.retain(|path, _| {
                let keep = kept.contains(path.as_str());
                if !keep {
                    removed.push(path.clone());
                }
                keep
            });
        }
        Refreshed { changed, removed }
    }
}

/// What [`Fingerprints::refresh`] found: the files whose fingerprint changed or that are new,
/// and the files the plan no longer has.
pub struct Refreshed<'a> {
    pub changed: FxHashSet<&'a str>,
    pub removed: Vec<String>,
}

/// What other files show of `page`. Made only for the edited pages, of their text fields;
/// the files' fingerprints, made for every file after each edit, hash mostly these cards
/// and lengths, with [`FxHasher`]: each of its steps is a bijection of its state for a
/// fixed input, so one card or length that changed always changes the fingerprint.
fn card(page: &Page) -> u64 {
    let mut h = DefaultHasher::new();
    (&page.url, &page.title, &page.summary).hash(&mut h);
    (page.kind, page.date, page.updated, &page.doc.fields).hash(&mut h);
    h.finish()
}

/// Whether the session renders `job` itself after an edit (the catch-up renders the rest).
pub fn tracked(job: &Job) -> bool {
    !matches!(job.what, What::Training(view) if !matches!(view, View::Changes))
}

/// Output path and fingerprint, for every tracked job, every old address and every file of
/// the sitemap.
fn outputs<'a>(
    site: &'a Site,
    training: &Training,
    cards: &IdVec<PageId, u64>,
    jobs: &'a [Job],
    sitemap: &'a Sitemap,
) -> Vec<(&'a str, u64)> {
    // The search and 404 pages name what the root holds (a new root page or alias adds a name).
    let top_names = crate::output::not_found::top_names(site);
    let depth = crate::output::not_found::depth(site);
    let mut files: Vec<(&str, u64)> = jobs
        .par_iter()
        .filter(|job| tracked(job))
        .map(|job| {
            let shows = Shows {
                site,
                training,
                cards,
                top_names: &top_names,
                depth,
            };
            (job.path.as_str(), shows.fingerprint(&job.what))
        })
        .collect();
    for (alias, target) in &site.aliases {
        files.push((alias.as_str(), cards[*target]));
    }
    let parts = (0..sitemap.paths.len()).into_par_iter();
    files.par_extend(parts.map(|k| (sitemap.paths[k].as_str(), sitemap.fingerprint(k))));
    files
}

struct Shows<'a> {
    site: &'a Site,
    training: &'a Training,
    cards: &'a IdVec<PageId, u64>,
    top_names: &'a [String],
    depth: usize,
}

impl Shows<'_> {
    fn pages(&self, h: &mut FxHasher, pages: &[PageId]) {
        pages.len().hash(h);
        for &id in pages {
            self.cards[id].hash(h);
        }
    }

    fn fingerprint(&self, what: &What) -> u64 {
        let (site, training, cards) = (self.site, self.training, self.cards);
        let mut h = FxHasher::default();
        std::mem::discriminant(what).hash(&mut h);
        match *what {
            What::Training(View::Changes) => self.pages(&mut h, &training.changes),
            What::Training(_) => {}
            What::Plain => (self.top_names, self.depth).hash(&mut h),
            What::Home => {
                self.pages(&mut h, &recent_pages(site));
                let root = &site.sections[SectionId::ROOT];
                (&root.title, &root.html).hash(&mut h);
                for &s in &root.subsections {
                    let section = &site.sections[s];
                    (&section.title, &section.url, &section.home_html).hash(&mut h);
                    section.total_pages.hash(&mut h);
                }
                for taxonomy in site.taxonomies.iter().filter(|t| t.name == "topics") {
                    for term in &taxonomy.terms {
                        (&term.name, &term.url, term.pages.len()).hash(&mut h);
                    }
                }
            }
            What::Section(s, number, total) | What::Status(s, _, number, total) => {
                let section = &site.sections[s];
                let views = &training.statuses[s];
                let items = match *what {
                    What::Status(_, v, _, _) => {
                        views[v].status.hash(&mut h);
                        &views[v].pages
                    }
                    _ => &section.pages,
                };
                (number, total).hash(&mut h);
                let per_page = crate::output::render::per_page(section);
                self.pages(&mut h, list_slice(items, number, per_page));
                for view in views {
                    (&view.status, view.pages.len()).hash(&mut h);
                }
                section.pages.len().hash(&mut h);
                for &sub in &section.subsections {
                    site.sections[sub].total_pages.hash(&mut h);
                }
            }
            What::Page(id) => {
                let page = &site.pages[id];
                cards[id].hash(&mut h);
                for neighbour in [page.prev, page.next, page.superseded_by] {
                    neighbour.map(|n| cards[n]).hash(&mut h);
                }
                self.pages(&mut h, &page.cites);
                self.pages(&mut h, &page.cited_by);
                self.pages(&mut h, &page.supersedes);
                self.pages(&mut h, &training.related[id]);
                for &(p, s) in &training.paths.memberships[id] {
                    let steps = &training.paths.list[p].steps;
                    (p, s, steps.len()).hash(&mut h);
                    let before = s.checked_sub(1).map(|b| cards[steps[b].page]);
                    let after = steps.get(s + 1).map(|a| cards[a.page]);
                    (before, after).hash(&mut h);
                }
            }
            What::Taxonomy(t) => {
                for term in &site.taxonomies[t].terms {
                    (&term.name, &term.url, term.pages.len()).hash(&mut h);
                }
            }
            What::Term(t, i, number, total) => {
                let term = &site.taxonomies[t].terms[i];
                (&term.name, &term.url, number, total, term.pages.len()).hash(&mut h);
                self.pages(&mut h, list_slice(&term.pages, number, DEFAULT_PER_PAGE));
            }
        }
        h.finish()
    }
}
