//! Fingerprints: for every output file, a hash of what it shows of other pages, so that
//! after a front-matter edit only the files whose fingerprint changed are rendered again.
//!
//! A page's *card* hashes everything any file shows about it — title, address, kind,
//! summary, dates, reading length and every front-matter field (status, tags, the panel).
//! A file's fingerprint hashes the cards it shows, in order: a list page its slice of the
//! list, a page its neighbours, references and related pages. What a file shows of itself
//! alone (a page's body and headings) is not in it: the edit knows which pages it changed
//! and renders those anyway. The training views that [`super::Session::catch_up`] renders
//! are left out; the changes page is in.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;

use crate::model::resolve::{Page, Site};
use crate::output::render::{DEFAULT_PER_PAGE, Job, What, list_slice};
use crate::training::{Training, View};

/// What other files show of `page`.
pub fn card(page: &Page) -> u64 {
    let mut h = DefaultHasher::new();
    (&page.url, &page.title, &page.summary, page.char_count).hash(&mut h);
    // Fields hold floats, so they are hashed as they print.
    format!(
        "{:?}{:?}{:?}{:?}",
        page.kind, page.date, page.updated, page.doc.fields
    )
    .hash(&mut h);
    h.finish()
}

pub fn cards(site: &Site) -> Vec<u64> {
    site.pages.par_iter().map(card).collect()
}

/// Whether the session renders `job` itself after an edit (the catch-up renders the rest).
pub fn tracked(job: &Job) -> bool {
    !matches!(job.what, What::Training(view) if !matches!(view, View::Changes))
}

/// Output path → fingerprint, for every tracked file.
pub fn outputs(
    site: &Site,
    training: &Training,
    cards: &[u64],
    jobs: &[Job],
) -> HashMap<String, u64> {
    jobs.par_iter()
        .filter(|job| tracked(job))
        .map(|job| {
            (
                job.path.clone(),
                fingerprint(site, training, cards, &job.what),
            )
        })
        .collect()
}

fn fingerprint(site: &Site, training: &Training, cards: &[u64], what: &What) -> u64 {
    let mut h = DefaultHasher::new();
    let shown = |h: &mut DefaultHasher, pages: &[usize]| {
        pages.len().hash(h);
        for &i in pages {
            cards[i].hash(h);
        }
    };
    std::mem::discriminant(what).hash(&mut h);
    match *what {
        What::Training(View::Changes) => shown(&mut h, &training.changes),
        // The home page lists the newest pages of the whole site: cheaper to render than to
        // work out, so it is always rendered (see `super::restructure`).
        What::Home | What::Training(_) => {}
        // The 404 page names what the root holds (a new root page or alias adds a name).
        What::Plain => crate::output::not_found::top_names(site).hash(&mut h),
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
            shown(&mut h, list_slice(items, number, per_page));
            for view in views {
                (&view.status, view.pages.len()).hash(&mut h);
            }
            section.pages.len().hash(&mut h);
            for &sub in &section.subsections {
                site.sections[sub].total_pages.hash(&mut h);
            }
        }
        What::Page(i) => {
            let page = &site.pages[i];
            cards[i].hash(&mut h);
            for neighbour in [page.prev, page.next, page.superseded_by] {
                neighbour.map(|n| cards[n]).hash(&mut h);
            }
            shown(&mut h, &page.cites);
            shown(&mut h, &page.cited_by);
            shown(&mut h, &page.supersedes);
            shown(&mut h, &training.related[i]);
            for &(p, s) in &training.paths.memberships[i] {
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
            shown(&mut h, list_slice(&term.pages, number, DEFAULT_PER_PAGE));
        }
    }
    h.finish()
}
