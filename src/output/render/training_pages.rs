//! The template variables of the training pages — the learning paths and their index,
//! handouts, the glossary, the changes page — and what pages and every template show of the
//! training material (`page.paths`, `page.related`, `training`), as typed structs.
//!
//! The data comes complete from [`crate::training::Training`]; this module only arranges
//! it for the theme (links encoded, reading times, hours as editors write them, the
//! glossary's letter groups, the changes page's months).

use serde::Serialize;

use super::Vars;
use super::contexts::{Contexts, Link, MetaRow, SummaryValue, reading_minutes};
use crate::model::{PageId, encode_path};
use crate::output::plan::{CHANGES_URL, section_handout_url};
use crate::training::paths::LearningPath;
use crate::training::{CHANGES_MAX, Training, View};

/// `training` in every template: where the site-wide training pages are.
#[derive(Serialize)]
pub(super) struct Globals<'a> {
    paths_url: Option<&'static str>,
    paths_title: &'a str,
    paths: Vec<PathLink<'a>>,
    glossary_url: Option<&'static str>,
    changes_url: &'static str,
}

/// A learning path as every page's navigation lists it.
#[derive(Serialize)]
struct PathLink<'a> {
    title: &'a str,
    url: String,
    summary: Option<&'a str>,
    count: usize,
    hours: Option<String>,
}

/// `page.paths`: where a page sits in one learning path.
#[derive(Serialize)]
pub(super) struct Membership<'a> {
    slug: &'a str,
    title: &'a str,
    url: String,
    position: usize,
    total: usize,
    note: Option<&'a str>,
    prev: Option<Link<'a>>,
    next: Option<Link<'a>>,
}

/// A path as listed on the paths index; the path page adds its steps and introduction.
#[derive(Serialize)]
struct PathSummary<'a> {
    slug: &'a str,
    title: &'a str,
    url: String,
    summary: Option<&'a str>,
    audience: &'a [String],
    hours: Option<String>,
    count: usize,
    reading_minutes: usize,
    handout_url: Option<String>,
    /// For the progress script, which counts the steps ticked in this browser.
    steps_json: String,
}

/// `paths` on the paths index.
#[derive(Serialize)]
struct PathsIndex<'a> {
    title: &'a str,
    url: &'static str,
    intro_html: &'a str,
    items: Vec<PathSummary<'a>>,
}

/// `path` on a path's page.
#[derive(Serialize)]
struct PathPage<'a> {
    #[serde(flatten)]
    summary: PathSummary<'a>,
    intro_html: &'a str,
    steps: Vec<PathStep<'a>>,
}

#[derive(Serialize)]
struct PathStep<'a> {
    #[serde(flatten)]
    page: SummaryValue<'a>,
    number: usize,
    note: Option<&'a str>,
    reading_minutes: usize,
    char_count: usize,
}

/// `handout`: a section's pages or a path's steps as one printable document.
#[derive(Serialize)]
struct Handout<'a> {
    title: &'a str,
    kind_label: &'static str,
    intro_html: &'a str,
    source: Link<'a>,
    audience: &'a [String],
    hours: Option<String>,
    #[serde(flatten)]
    contents: HandoutContents<'a>,
}

/// The parts of a handout common to sections and paths.
#[derive(Serialize)]
struct HandoutContents<'a> {
    url: String,
    /// The date on the cover: the day of the build.
    date: String,
    count: usize,
    char_count: usize,
    reading_minutes: usize,
    chapters: Chapters<'a>,
}

/// A handout's chapters. A template reads each with its `content`, the page's body re-homed
/// in the handout; the render memo's hash ([`super::memo`], which serializes as not
/// human-readable) gets what the bodies are made from instead, so that a rebuild that keeps
/// the handout re-homes no body: the addresses of the handout's pages once, then each
/// chapter with what its body is made from. Never `#[serde(flatten)]` it: serde's flattening
/// serializer says it is human-readable, whatever serializer is under it.
struct Chapters<'a> {
    handout: HandoutBodies<'a>,
    list: Vec<Chapter<'a>>,
}

type HandoutBodies<'a> = crate::training::handout::Handout<'a>;

impl Serialize for Chapters<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeTuple};
        if serializer.is_human_readable() {
            let mut seq = serializer.serialize_seq(Some(self.list.len()))?;
            for chapter in &self.list {
                seq.serialize_element(&WithBody {
                    chapter,
                    content: self.handout.body(chapter.number),
                })?;
            }
            seq.end()
        } else {
            let made_from: Vec<_> = (self.list.iter())
                .map(|chapter| (chapter, self.handout.body_made_from(chapter.number)))
                .collect();
            let mut tuple = serializer.serialize_tuple(2)?;
            tuple.serialize_element(self.handout.addresses())?;
            tuple.serialize_element(&made_from)?;
            tuple.end()
        }
    }
}

#[derive(Serialize)]
struct Chapter<'a> {
    #[serde(flatten)]
    page: SummaryValue<'a>,
    number: usize,
    id: String,
    updated: Option<String>,
    meta: Vec<MetaRow<'a>>,
    note: Option<&'a str>,
}

/// A chapter as a template reads it.
#[derive(Serialize)]
struct WithBody<'c, 'a> {
    #[serde(flatten)]
    chapter: &'c Chapter<'a>,
    content: String,
}

/// `glossary` on the glossary page.
#[derive(Serialize)]
struct GlossaryPage<'a, 't> {
    title: &'a str,
    url: &'static str,
    intro_html: &'a str,
    terms: &'t [GlossaryTerm<'a>],
    groups: Vec<LetterGroup<'a, 't>>,
}

#[derive(Serialize)]
struct GlossaryTerm<'a> {
    term: &'a str,
    id: &'a str,
    definition: &'a str,
    aliases: &'a [String],
    see: Option<Link<'a>>,
    count: usize,
    pages: Vec<Link<'a>>,
}

/// The terms under one index letter.
#[derive(Serialize)]
struct LetterGroup<'a, 't> {
    letter: String,
    terms: &'t [GlossaryTerm<'a>],
}

/// `changes` on the changes page.
#[derive(Serialize)]
struct ChangesPage<'a> {
    title: &'static str,
    url: &'static str,
    count: usize,
    limit: usize,
    months: Vec<Month<'a>>,
}

#[derive(Serialize)]
struct Month<'a> {
    label: String,
    id: String,
    items: Vec<Change<'a>>,
}

#[derive(Serialize)]
struct Change<'a> {
    #[serde(flatten)]
    page: SummaryValue<'a>,
    change: &'static str,
    change_class: &'static str,
    section: &'a str,
}

/// `6` for 6.0, `1.5` for 1.5: hours as editors write them.
fn hours_text(hours: f64) -> String {
    let text = format!("{hours:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(super) fn globals(training: &Training) -> Globals<'_> {
    Globals {
        paths_url: (!training.paths.list.is_empty()).then_some(crate::training::paths::INDEX_URL),
        paths_title: &training.paths.title,
        paths: training
            .paths
            .list
            .iter()
            .map(|path| PathLink {
                title: &path.title,
                url: encode_path(&path.url),
                summary: path.summary.as_deref(),
                count: path.steps.len(),
                hours: path.hours.map(hours_text),
            })
            .collect(),
        glossary_url: training
            .glossary
            .as_ref()
            .map(|_| crate::training::glossary::URL),
        changes_url: CHANGES_URL,
    }
}

impl<'a> Contexts<'a> {
    /// `page.paths`: the learning paths page `index` belongs to.
    pub(super) fn memberships(&self, index: PageId) -> Vec<Membership<'a>> {
        let site = self.site;
        let step_link = |path: &LearningPath, s: usize| {
            let page = &site.pages[path.steps[s].page];
            self.link(&page.title, &page.url)
        };
        let list = &self.training.paths.list;
        self.training.paths.memberships[index]
            .iter()
            .map(|&(p, s)| {
                let path = &list[p];
                Membership {
                    slug: &path.slug,
                    title: &path.title,
                    url: encode_path(&path.url),
                    position: s + 1,
                    total: path.steps.len(),
                    note: path.steps[s].note.as_deref(),
                    prev: (s > 0).then(|| step_link(path, s - 1)),
                    next: (s + 1 < path.steps.len()).then(|| step_link(path, s + 1)),
                }
            })
            .collect()
    }

    /// `page.related`: the pages related to page `index`, best first.
    pub(super) fn related(&self, index: PageId) -> Vec<SummaryValue<'_>> {
        self.training.related[index]
            .iter()
            .map(|&j| self.summary(j))
            .collect()
    }

    /// Puts the variables of training page `view` into `context`.
    pub(super) fn fill_training(&self, view: View, context: &mut Vars<'_>) {
        let site = self.site;
        let training = self.training;
        match view {
            View::PathsIndex => context.insert(
                "paths",
                &PathsIndex {
                    title: &training.paths.title,
                    url: crate::training::paths::INDEX_URL,
                    intro_html: &training.paths.intro_html,
                    items: (0..training.paths.list.len())
                        .map(|i| self.path_summary(i))
                        .collect(),
                },
            ),
            View::Path(i) => {
                let path = &training.paths.list[i];
                let steps = path
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(s, step)| {
                        let page = &site.pages[step.page];
                        PathStep {
                            page: self.summary(step.page),
                            number: s + 1,
                            note: step.note.as_deref(),
                            reading_minutes: reading_minutes(page.char_count),
                            char_count: page.char_count,
                        }
                    })
                    .collect();
                let page = PathPage {
                    summary: self.path_summary(i),
                    intro_html: &path.intro_html,
                    steps,
                };
                context.insert("path", &page);
                context.insert(
                    "paths_index",
                    &self.link(&training.paths.title, crate::training::paths::INDEX_URL),
                );
            }
            View::PathHandout(i) => {
                let path = &training.paths.list[i];
                let pages: Vec<PageId> = path.steps.iter().map(|s| s.page).collect();
                let notes: Vec<Option<&str>> =
                    path.steps.iter().map(|s| s.note.as_deref()).collect();
                let handout = Handout {
                    title: &path.title,
                    kind_label: "学习路径",
                    intro_html: &path.intro_html,
                    source: self.link(&path.title, &path.url),
                    audience: &path.audience,
                    hours: path.hours.map(hours_text),
                    contents: self.handout(&pages, &notes, &path.handout_url),
                };
                context.insert("handout", &handout);
            }
            View::SectionHandout(index) => {
                let section = &site.sections[index];
                let url = section_handout_url(site, index).unwrap_or_default();
                let handout = Handout {
                    title: &section.title,
                    kind_label: "栏目",
                    intro_html: &section.html,
                    source: self.link(&section.title, &section.url),
                    audience: &[],
                    hours: None,
                    contents: self.handout(&section.pages, &[], &url),
                };
                context.insert("handout", &handout);
            }
            View::Glossary => self.fill_glossary(context),
            View::Changes => context.insert("changes", &self.changes()),
        }
    }

    fn path_summary(&self, i: usize) -> PathSummary<'a> {
        let site = self.site;
        let path = &self.training.paths.list[i];
        let step_urls: Vec<String> = path
            .steps
            .iter()
            .map(|s| encode_path(&site.pages[s.page].url))
            .collect();
        PathSummary {
            slug: &path.slug,
            title: &path.title,
            url: encode_path(&path.url),
            summary: path.summary.as_deref(),
            audience: &path.audience,
            hours: path.hours.map(hours_text),
            count: path.steps.len(),
            reading_minutes: path
                .steps
                .iter()
                .map(|s| reading_minutes(site.pages[s.page].char_count))
                .sum(),
            handout_url: (!path.steps.is_empty()).then(|| encode_path(&path.handout_url)),
            steps_json: serde_json::to_string(&step_urls).unwrap_or_default(),
        }
    }

    /// The chapters of a handout of `pages` and their totals; `notes` may be shorter than
    /// `pages` (sections have none).
    fn handout<'p>(
        &'p self,
        pages: &'p [PageId],
        notes: &[Option<&'p str>],
        url: &str,
    ) -> HandoutContents<'p>
    where
        'a: 'p,
    {
        let site = self.site;
        let handout = HandoutBodies::new(site, pages, url);
        let list: Vec<Chapter> = handout
            .chapters()
            .map(|chapter| {
                let page = &site.pages[chapter.page];
                Chapter {
                    page: self.summary(chapter.page),
                    number: chapter.number,
                    id: chapter.id,
                    updated: page.updated.map(|d| d.to_string()),
                    meta: self.meta_rows(page),
                    note: notes.get(chapter.number - 1).copied().flatten(),
                }
            })
            .collect();
        HandoutContents {
            url: encode_path(url),
            date: self.training.built.to_string(),
            count: list.len(),
            char_count: pages.iter().map(|&p| site.pages[p].char_count).sum(),
            reading_minutes: pages
                .iter()
                .map(|&p| reading_minutes(site.pages[p].char_count))
                .sum(),
            chapters: Chapters { handout, list },
        }
    }

    fn fill_glossary(&self, context: &mut Vars<'_>) {
        /// The glossary page names a few pages per term; the rest are a count.
        const PAGES_SHOWN: usize = 6;
        let site = self.site;
        let Some(glossary) = &self.training.glossary else {
            return;
        };
        let page_link = |p: PageId| self.link(&site.pages[p].title, &site.pages[p].url);
        let terms: Vec<GlossaryTerm> = glossary
            .terms
            .iter()
            .map(|term| GlossaryTerm {
                term: &term.term,
                id: &term.id,
                definition: &term.definition,
                aliases: &term.aliases,
                see: term.see.map(page_link),
                count: term.pages.len(),
                pages: term
                    .pages
                    .iter()
                    .take(PAGES_SHOWN)
                    .map(|&p| page_link(p))
                    .collect(),
            })
            .collect();
        // Terms come in pinyin order, so each letter's terms are one run.
        let letter = |term: &GlossaryTerm| crate::training::glossary::index_letter(term.term);
        let groups = terms
            .chunk_by(|a, b| letter(a) == letter(b))
            .map(|run| LetterGroup {
                letter: letter(&run[0]).to_string(),
                terms: run,
            })
            .collect();
        context.insert(
            "glossary",
            &GlossaryPage {
                title: &glossary.title,
                url: crate::training::glossary::URL,
                intro_html: &glossary.intro_html,
                terms: &terms,
                groups,
            },
        );
    }

    fn changes(&self) -> ChangesPage<'_> {
        let site = self.site;
        let mut months: Vec<Month> = Vec::new();
        let mut current: Option<(u16, u8)> = None;
        for &i in &self.training.changes {
            let page = &site.pages[i];
            let Some(date) = page.sort_date() else {
                continue;
            };
            if current != Some((date.year, date.month)) {
                current = Some((date.year, date.month));
                months.push(Month {
                    label: format!("{} 年 {} 月", date.year, date.month),
                    id: format!("m{:04}-{:02}", date.year, date.month),
                    items: Vec::new(),
                });
            }
            let updated = page.updated.is_some() && page.updated != page.date;
            // The summary's date is the page's latest, the one it is listed under.
            let change = Change {
                page: self.summary(i),
                change: if updated { "更新" } else { "新增" },
                change_class: if updated { "updated" } else { "added" },
                section: &site.sections[page.section].title,
            };
            if let Some(month) = months.last_mut() {
                month.items.push(change);
            }
        }
        ChangesPage {
            title: "最近更新",
            url: CHANGES_URL,
            count: self.training.changes.len(),
            limit: CHANGES_MAX,
            months,
        }
    }
}
