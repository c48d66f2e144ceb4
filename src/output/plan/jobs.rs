//! The plan's HTML files: every file render fills from a template — home, section and
//! status lists, pages, taxonomy and term pages, the training pages, search and 404 — as a
//! [`Job`] naming its output path, its template and what it shows ([`What`]). Also how lists
//! are split into pages, since that decides how many files a list writes, and the training
//! pages a preview re-renders once the editor pauses.
//!
//! Render reads these jobs and builds their variables; the collision check
//! ([`super::check`]) and the preview's fingerprints read the same list.

use std::cmp::Reverse;

use crate::model::{PageId, Section, SectionId, Site, Term};
use crate::schema::Date;
use crate::training::{Training, View};

/// The page listing recent additions and updates (最近更新).
pub const CHANGES_URL: &str = "changes.html";

/// One file to render. Its variables are built only when it is rendered, so a large site
/// never holds every page's context (and a second copy of its HTML) at once.
#[derive(Clone)]
pub struct Job {
    pub path: String,
    pub template: &'static str,
    pub what: What,
}

#[derive(Clone)]
pub enum What {
    Home,
    /// Section, list page number (1-based), number of list pages.
    Section(SectionId, usize, usize),
    /// Section, status view in it, list page number, number of list pages.
    Status(SectionId, usize, usize, usize),
    Training(View),
    Page(PageId),
    Taxonomy(usize),
    /// Taxonomy, term, list page number, number of list pages.
    Term(usize, usize, usize, usize),
    Plain,
}

/// What a generated file is, in the reader's words, for collision messages.
pub(crate) fn describe(template: &str) -> &'static str {
    match template {
        "index.html" => "首页",
        "section.html" => "栏目列表页",
        "taxonomy.html" | "term.html" => "分类页",
        "search.html" => "搜索页",
        "404.html" => "404 页",
        "paths.html" => "学习路径索引页",
        "path.html" => "学习路径页",
        "handout.html" => "讲义",
        "glossary.html" => "术语表",
        _ => "最近更新页",
    }
}

/// Every HTML file of the site but the old addresses' redirects.
pub fn jobs(site: &Site, training: &Training) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(site.pages.len() + site.sections.len() + 16);
    jobs.push(Job {
        path: "index.html".into(),
        template: "index.html",
        what: What::Home,
    });
    for (index, section) in site.sections.iter_enumerated().skip(1) {
        let total = list_pages(section, section.pages.len());
        for number in 1..=total {
            jobs.push(Job {
                path: section_page_url(section, number),
                template: "section.html",
                what: What::Section(index, number, total),
            });
        }
        for (v, view) in training.statuses[index].iter().enumerate() {
            let total = list_pages(section, view.pages.len());
            for number in 1..=total {
                jobs.push(Job {
                    path: view.page_url(number),
                    template: "section.html",
                    what: What::Status(index, v, number, total),
                });
            }
        }
    }
    jobs.extend(site.pages.ids().map(|id| page_job(site, id)));
    for (t, taxonomy) in site.taxonomies.iter().enumerate() {
        jobs.push(Job {
            path: format!("{}/index.html", taxonomy.name),
            template: "taxonomy.html",
            what: What::Taxonomy(t),
        });
        for (i, term) in taxonomy.terms.iter().enumerate() {
            let total = term_list_pages(term);
            for number in 1..=total {
                jobs.push(Job {
                    path: term.page_url(number),
                    template: "term.html",
                    what: What::Term(t, i, number, total),
                });
            }
        }
    }
    jobs.extend(training_jobs(site, training));
    jobs.push(Job {
        path: "search.html".into(),
        template: "search.html",
        what: What::Plain,
    });
    jobs.push(Job {
        path: "404.html".into(),
        template: "404.html",
        what: What::Plain,
    });
    jobs
}

/// The file of page `id`.
pub fn page_job(site: &Site, id: PageId) -> Job {
    Job {
        path: site.pages[id].url.clone(),
        template: "page.html",
        what: What::Page(id),
    }
}

/// The training stage's pages: the paths index, each path with its handout, each section's
/// handout, the glossary and the changes page.
pub fn training_jobs(site: &Site, training: &Training) -> Vec<Job> {
    let job = |path: String, template, view| Job {
        path,
        template,
        what: What::Training(view),
    };
    let mut jobs = Vec::new();
    if !training.paths.list.is_empty() {
        jobs.push(job(
            crate::training::paths::INDEX_URL.to_string(),
            "paths.html",
            View::PathsIndex,
        ));
    }
    for (i, path) in training.paths.list.iter().enumerate() {
        jobs.push(job(path.url.clone(), "path.html", View::Path(i)));
        if !path.steps.is_empty() {
            jobs.push(job(
                path.handout_url.clone(),
                "handout.html",
                View::PathHandout(i),
            ));
        }
    }
    for index in site.sections.ids() {
        if let Some(url) = section_handout_url(site, index) {
            jobs.push(job(url, "handout.html", View::SectionHandout(index)));
        }
    }
    if training.glossary.is_some() {
        jobs.push(job(
            crate::training::glossary::URL.to_string(),
            "glossary.html",
            View::Glossary,
        ));
    }
    jobs.push(job(CHANGES_URL.to_string(), "changes.html", View::Changes));
    jobs
}

/// The training pages that show page `index`'s body, reading time or glossary terms:
/// its section's handout, the paths it is in (their pages, handouts and the index), the
/// glossary and the changes page.
pub fn training_jobs_showing(site: &Site, training: &Training, index: PageId) -> Vec<Job> {
    let page = &site.pages[index];
    let memberships = &training.paths.memberships[index];
    training_jobs(site, training)
        .into_iter()
        .filter(|job| {
            let What::Training(view) = job.what else {
                return false;
            };
            match view {
                View::SectionHandout(s) => s == page.section,
                View::Path(p) | View::PathHandout(p) => {
                    memberships.iter().any(|&(member, _)| member == p)
                }
                View::PathsIndex => !memberships.is_empty(),
                View::Glossary => true,
                View::Changes => training.changes.contains(&index),
            }
        })
        .collect()
}

/// How many of the newest pages the home page lists.
const RECENT_ON_HOME: usize = 10;

/// The pages the home page lists, newest first.
///
/// Selects them in one pass instead of sorting every page: the preview asks after each front
/// matter edit, and at 100,000 pages the sort took 9–15 ms of it (the selection 1.5–2.5 ms).
/// Equal dates keep file order, as the stable sort did.
pub fn recent_pages(site: &Site) -> Vec<PageId> {
    let mut newest: Vec<(Reverse<Option<Date>>, PageId)> = site
        .pages
        .ids()
        .map(|id| (Reverse(site.pages[id].sort_date()), id))
        .collect();
    if newest.len() > RECENT_ON_HOME {
        newest.select_nth_unstable(RECENT_ON_HOME);
        newest.truncate(RECENT_ON_HOME);
    }
    newest.sort_unstable();
    newest.into_iter().map(|(_, id)| id).collect()
}

/// A section's handout, when it has pages of its own. The home page has none: it would be
/// the whole site.
pub fn section_handout_url(site: &Site, index: SectionId) -> Option<String> {
    let section = &site.sections[index];
    (index != SectionId::ROOT && !section.pages.is_empty()).then(|| {
        let folder = section
            .url
            .strip_suffix("index.html")
            .unwrap_or(&section.url);
        format!("{folder}handout.html")
    })
}

/// List page `number` of a section: the first is its `index.html`, the rest `index-N.html`.
pub fn section_page_url(section: &Section, number: usize) -> String {
    if number == 1 {
        section.url.clone()
    } else {
        section
            .url
            .replace("index.html", &format!("index-{number}.html"))
    }
}

/// Long lists are split even when the section does not ask for it: a list of thousands of
/// links is slow to open on the old machines many readers have.
pub const DEFAULT_PER_PAGE: usize = 50;

pub fn per_page(section: &Section) -> usize {
    section.paginate.unwrap_or(DEFAULT_PER_PAGE).max(1)
}

fn list_pages(section: &Section, items: usize) -> usize {
    items.div_ceil(per_page(section)).max(1)
}

/// A term's list is split like a section's, [`DEFAULT_PER_PAGE`] to a page.
fn term_list_pages(term: &Term) -> usize {
    term.pages.len().div_ceil(DEFAULT_PER_PAGE).max(1)
}

/// The items on list page `number` (from 1), `per_page` to a page.
pub fn list_slice(items: &[PageId], number: usize, per_page: usize) -> &[PageId] {
    let start = (number - 1).saturating_mul(per_page).min(items.len());
    let end = start.saturating_add(per_page).min(items.len());
    &items[start..end]
}
