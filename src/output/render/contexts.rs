//! The template variables of the site's own files — the home page, section and status
//! lists, pages, taxonomy and term pages — and of every template (`site`, `nav`,
//! `taxonomies` …), as typed `Serialize` structs built from the [`Site`] as each file is
//! rendered. The names and shapes are the theme's contract, documented in
//! `themes/default/README.md`.

use std::sync::OnceLock;

use serde::Serialize;
use siphasher::sip128::SipHasher13;

use super::Vars;
use super::training_pages::{self, Membership};
use crate::model::{IdVec, Page, PageId, Section, SectionId, Site, encode_path};
use crate::output::plan::{DEFAULT_PER_PAGE, What, list_slice, per_page, recent_pages};
use crate::output::plan::{section_handout_url, section_page_url};
use crate::schema::{Kind, Status};
use crate::source::markdown::TocEntry;
use crate::training::Training;

/// A section page shows at most this many characters of its introduction before its list;
/// the rest folds behind “展开说明”, so the list starts on the first screen.
const INTRO_LEAD_CHARS: usize = 120;

/// Chinese readers take in roughly 300–500 characters a minute; 400 is the middle.
pub(super) fn reading_minutes(chars: usize) -> usize {
    chars.div_ceil(400).max(1)
}

fn kind_fields(kind: Option<Kind>) -> (&'static str, &'static str) {
    kind.map_or(("page", "文章"), |k| (k.as_str(), k.label()))
}

/// The badge class of a page's status; `None` (`other` in the theme) for one the site
/// declared itself.
fn status_class(status: Option<&str>) -> Option<&'static str> {
    status.and_then(Status::from_label).map(Status::class)
}

/// `status_classes` in every template: each built-in status with its badge class, as JSON,
/// for the browser's search results, which show statuses as the index holds them.
fn status_classes_json() -> String {
    let classes: serde_json::Map<String, serde_json::Value> = Status::ALL
        .iter()
        .map(|status| (status.label().to_string(), status.class().into()))
        .collect();
    serde_json::Value::Object(classes).to_string()
}

/// A link as templates get it: `{ title, url }`.
#[derive(Serialize)]
pub(super) struct Link<'a> {
    title: &'a str,
    url: String,
}

/// A tag, topic or region: `{ name, url }`.
#[derive(Serialize)]
struct TermLink<'a> {
    name: &'a str,
    url: Option<String>,
}

/// A page as lists show it.
#[derive(Serialize)]
struct Summary<'a> {
    title: &'a str,
    url: String,
    kind: &'static str,
    kind_label: &'static str,
    date: Option<String>,
    summary: Option<&'a str>,
    status: Option<&'a str>,
    status_class: Option<&'static str>,
    tags: Vec<TermLink<'a>>,
    region: Option<&'a str>,
}

/// One row of a page's information panel.
#[derive(Serialize)]
pub(super) struct MetaRow<'a> {
    label: &'a str,
    value: String,
    url: Option<String>,
}

/// `site` in every template.
#[derive(Serialize)]
struct SiteVars<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    build_id: &'a str,
}

/// A top-level section in `nav`.
#[derive(Serialize)]
struct NavItem<'a> {
    title: &'a str,
    url: String,
    dir: &'a str,
}

/// A taxonomy in `taxonomies`, and as a term page names it.
#[derive(Serialize)]
struct TaxonomyLink<'a> {
    name: &'a str,
    label: &'a str,
    url: String,
}

#[derive(Serialize)]
struct SearchVars {
    enabled: bool,
}

/// A term with the number of its pages, as the home page and taxonomy pages list it.
#[derive(Serialize)]
struct TermCount<'a> {
    name: &'a str,
    url: String,
    count: usize,
}

/// `page` on a page.
#[derive(Serialize)]
struct PageVars<'a> {
    title: &'a str,
    url: String,
    slug: &'a str,
    kind: &'static str,
    kind_label: &'static str,
    summary: Option<&'a str>,
    date: Option<String>,
    updated: Option<String>,
    content: &'a str,
    toc: &'a [TocEntry],
    breadcrumbs: Vec<Link<'a>>,
    meta: Vec<MetaRow<'a>>,
    tags: Vec<TermLink<'a>>,
    topics: Vec<TermLink<'a>>,
    region: Option<TermLink<'a>>,
    status: Option<&'a str>,
    status_class: Option<&'static str>,
    superseded_by: Option<Link<'a>>,
    supersedes: Vec<Link<'a>>,
    cites: Vec<Cited<'a>>,
    cited_by: Vec<Citing<'a>>,
    prev: Option<Link<'a>>,
    next: Option<Link<'a>>,
    reading_minutes: usize,
    char_count: usize,
    paths: Vec<Membership<'a>>,
    related: Vec<SummaryValue<'a>>,
}

/// A policy the page cites, with its status badge.
#[derive(Serialize)]
struct Cited<'a> {
    title: &'a str,
    url: String,
    status: Option<&'a str>,
    status_class: Option<&'static str>,
}

/// A page that cites this one.
#[derive(Serialize)]
struct Citing<'a> {
    title: &'a str,
    url: String,
    kind_label: &'static str,
}

/// `home` on the home page.
#[derive(Serialize)]
struct HomeVars<'a> {
    title: &'a str,
    content: &'a str,
}

/// A section card on the home page, or a subsection in a section's list.
#[derive(Serialize)]
struct SectionCard<'a> {
    title: &'a str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    intro_html: Option<&'a str>,
    count: usize,
}

/// `section` on a section's list page or one of its status views.
#[derive(Serialize)]
struct SectionVars<'a> {
    title: &'a str,
    url: String,
    content: &'a str,
    intro_lead: &'a str,
    intro_more: &'a str,
    kind: &'static str,
    kind_label: &'static str,
    breadcrumbs: Vec<Link<'a>>,
    subsections: Vec<SectionCard<'a>>,
    pages: Vec<SummaryValue<'a>>,
    count: usize,
    handout_url: Option<String>,
    status: Option<&'a str>,
    statuses: Vec<StatusLink<'a>>,
}

/// One of a section's status views, as its lists link them.
#[derive(Serialize)]
struct StatusLink<'a> {
    status: &'a str,
    status_class: Option<&'static str>,
    url: String,
    count: usize,
    current: bool,
}

/// `taxonomy` on a taxonomy's page.
#[derive(Serialize)]
struct TaxonomyVars<'a> {
    name: &'a str,
    label: &'a str,
    terms: Vec<TermCount<'a>>,
}

/// `term` on a term's list page.
#[derive(Serialize)]
struct TermVars<'a> {
    name: &'a str,
    url: String,
    count: usize,
    pages: Vec<SummaryValue<'a>>,
}

/// The `paginator` every list template gets.
#[derive(Serialize)]
struct Paginator {
    current: usize,
    total: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    pages: Vec<PaginatorPage>,
}

#[derive(Serialize)]
struct PaginatorPage {
    number: usize,
    url: String,
    current: bool,
}

/// Page `number` of `total`, `url(k)` the address of page `k`.
fn paginator(number: usize, total: usize, url: impl Fn(usize) -> String) -> Paginator {
    Paginator {
        current: number,
        total,
        prev_url: (number > 1).then(|| url(number - 1)),
        next_url: (number < total).then(|| url(number + 1)),
        pages: (1..=total)
            .map(|k| PaginatorPage {
                number: k,
                url: url(k),
                current: k == number,
            })
            .collect(),
    }
}

/// Puts what every page shares (site, navigation, taxonomies, where the training pages
/// are) into `global`, and hashes them into `hash`, the edition `build_id` left out (the
/// render memo hashes it only into the files that may show it).
pub(super) fn insert_globals(
    site: &Site,
    training: &Training,
    build_id: &str,
    global: &mut tera::Context,
    mut hash: Option<&mut siphasher::sip128::SipHasher13>,
) {
    // Hashed from the typed values, as a file's own variables are (`Vars::insert`): a Tera
    // value's `Serialize` would not tell a text marked safe from another.
    fn insert<T: Serialize + ?Sized>(
        global: &mut tera::Context,
        hash: &mut Option<&mut siphasher::sip128::SipHasher13>,
        name: &'static str,
        value: &T,
    ) {
        if let Some(h) = hash.as_deref_mut() {
            super::memo::hash_variable(h, name, value);
        }
        global.insert(name, value);
    }
    let root = &site.sections[SectionId::ROOT];
    let mut nav: Vec<&Section> = root
        .subsections
        .iter()
        .map(|&i| &site.sections[i])
        .collect();
    nav.sort_by_key(|s| s.weight);
    let config = &site.config;
    let site_vars = SiteVars {
        title: &config.title,
        description: &config.description,
        language: &config.language,
        build_id: "",
    };
    insert(global, &mut hash, "site", &site_vars);
    let nav: Vec<NavItem> = nav
        .iter()
        .map(|s| NavItem {
            title: &s.title,
            url: encode_path(&s.url),
            dir: &s.dir,
        })
        .collect();
    insert(global, &mut hash, "nav", &nav);
    let taxonomies: Vec<TaxonomyLink> = site
        .taxonomies
        .iter()
        .map(|t| TaxonomyLink {
            name: &t.name,
            label: &t.label,
            url: format!("{}/index.html", t.name),
        })
        .collect();
    insert(global, &mut hash, "taxonomies", &taxonomies);
    let search = SearchVars {
        enabled: config.search_enabled,
    };
    insert(global, &mut hash, "search", &search);
    insert(global, &mut hash, "status_classes", &status_classes_json());
    insert(
        global,
        &mut hash,
        "training",
        &training_pages::globals(training),
    );
    global.insert(
        "site",
        &SiteVars {
            build_id,
            ..site_vars
        },
    );
}

/// Builds template variables.
pub(super) struct Contexts<'a> {
    pub(super) site: &'a Site,
    pub(super) training: &'a Training,
    /// Each page's [`Summary`] as a template value, made the first time a file shows it,
    /// when a build renders every file (`None` otherwise: see `render_each`). A page is listed by its
    /// section and status view, each of its terms, the pages it is related to, its handout
    /// and its paths: made anew for each, the summaries and their Tera values were 2.6 % of
    /// a clean 10k build's instructions. Tera shares a value put into a context (a map is
    /// reference-counted) instead of copying it; a path step, chapter or change, which
    /// flattens the summary into its own map, copies its entries, which are cheap to clone.
    summaries: Option<IdVec<PageId, OnceLock<tera::Value>>>,
    /// Each page's summary digest, made the first time a file's variables are hashed, and the
    /// memo's keyed hasher it is made with (`None` without a memo). Keyed, since a page's
    /// content is hostile: an unkeyed digest could be made to collide, and the memo would
    /// leave a file listing a changed page as it was.
    digests: Option<(SipHasher13, IdVec<PageId, OnceLock<u128>>)>,
}

/// A page as lists show it ([`Contexts::summary`]), made when it is serialized. Tera reads its
/// [`Summary`] as a Tera value (the one made for the render when summaries are shared). The
/// render memo, which serializes as not human-readable ([`super::memo`]), reads the page's
/// summary digest instead ([`Contexts::summary_digest`]): a rebuild hashes the variables of
/// every file, and made and hashed the summary of every page each file lists, a tenth of a
/// 10k rebuild's instructions.
pub(super) struct SummaryValue<'c> {
    contexts: &'c Contexts<'c>,
    page: PageId,
}

impl Serialize for SummaryValue<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return self.contexts.summary_value(self.page).serialize(serializer);
        }
        match self.contexts.summary_digest(self.page) {
            Some(digest) => serializer.serialize_u128(digest),
            None => self.contexts.make_summary(self.page).serialize(serializer),
        }
    }
}

impl<'a> Contexts<'a> {
    /// The variables of the files of `site` about to be rendered; `share_summaries` when
    /// their summaries are to be kept for one another ([`Contexts::summaries`]); with the
    /// keyed hasher of the render memo, when there is one, for the summaries' digests.
    pub(super) fn new(
        site: &'a Site,
        training: &'a Training,
        share_summaries: bool,
        memo_hasher: Option<SipHasher13>,
    ) -> Self {
        let pages = site.pages.len();
        Contexts {
            site,
            training,
            summaries: share_summaries.then(|| IdVec::from_fn(pages, |_| OnceLock::new())),
            digests: memo_hasher.map(|h| (h, IdVec::from_fn(pages, |_| OnceLock::new()))),
        }
    }

    pub(super) fn link(&self, title: &'a str, url: &str) -> Link<'a> {
        Link {
            title,
            url: encode_path(url),
        }
    }

    fn page_link(&self, index: PageId) -> Link<'a> {
        let page = &self.site.pages[index];
        self.link(&page.title, &page.url)
    }

    fn term(&self, taxonomy: &str, name: &'a str) -> TermLink<'a> {
        TermLink {
            name,
            url: self.site.term_url(taxonomy, name).map(encode_path),
        }
    }

    fn terms(&self, page: &'a Page, taxonomy: &str) -> Vec<TermLink<'a>> {
        page.doc
            .list(taxonomy)
            .iter()
            .map(|t| self.term(taxonomy, t))
            .collect()
    }

    pub(super) fn summary(&self, page: PageId) -> SummaryValue<'_> {
        SummaryValue {
            contexts: self,
            page,
        }
    }

    /// `page`'s [`Summary`] as a Tera value.
    fn summary_value(&self, page: PageId) -> tera::Value {
        let make = || tera::Value::from_serializable(&self.make_summary(page));
        match &self.summaries {
            Some(summaries) => summaries[page].get_or_init(make).clone(),
            None => make(),
        }
    }

    /// The keyed hash of `page`'s [`Summary`], when there is a memo to hash for.
    fn summary_digest(&self, page: PageId) -> Option<u128> {
        let (hasher, digests) = self.digests.as_ref()?;
        Some(*digests[page].get_or_init(|| {
            let mut h = *hasher;
            super::memo::hash_variable(&mut h, "summary", &self.make_summary(page));
            crate::cache::finish(&h)
        }))
    }

    fn make_summary(&self, index: PageId) -> Summary<'a> {
        let page = &self.site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        Summary {
            title: &page.title,
            url: encode_path(&page.url),
            kind,
            kind_label,
            date: page.sort_date().map(|d| d.to_string()),
            summary: page.summary.as_deref(),
            status: page.status(),
            status_class: status_class(page.status()),
            tags: self.terms(page, "tags"),
            region: page.doc.text("region"),
        }
    }

    fn breadcrumbs(&self, mut section: SectionId, include_self: bool) -> Vec<Link<'a>> {
        let mut crumbs = Vec::new();
        if include_self {
            let s = &self.site.sections[section];
            crumbs.push(self.link(&s.title, &s.url));
        }
        while let Some(parent) = self.site.sections[section].parent {
            let s = &self.site.sections[parent];
            crumbs.push(self.link(
                if parent == SectionId::ROOT {
                    "首页"
                } else {
                    &s.title
                },
                &s.url,
            ));
            section = parent;
        }
        crumbs.reverse();
        crumbs
    }

    pub(super) fn meta_rows(&self, page: &'a Page) -> Vec<MetaRow<'a>> {
        self.site
            .panel(page)
            .into_iter()
            .map(|row| MetaRow {
                label: row.label,
                value: row.value.display(),
                url: row
                    .value
                    .as_text()
                    .and_then(|v| self.site.term_url(row.name, v))
                    .map(encode_path),
            })
            .collect()
    }

    /// Puts the variables of the file `what` into `context`.
    pub(super) fn fill(&self, what: &What, context: &mut Vars<'_>) {
        let site = self.site;
        match *what {
            What::Training(view) => self.fill_training(view, context),
            What::Plain => {}
            What::Home => self.fill_home(context),
            What::Section(index, number, total) => {
                self.fill_section(index, None, number, total, context);
            }
            What::Status(index, view, number, total) => {
                self.fill_section(index, Some(view), number, total, context);
            }
            What::Page(index) => context.insert("page", &self.page(index)),
            What::Taxonomy(t) => {
                let taxonomy = &site.taxonomies[t];
                let vars = TaxonomyVars {
                    name: &taxonomy.name,
                    label: &taxonomy.label,
                    terms: taxonomy
                        .terms
                        .iter()
                        .map(|t| TermCount {
                            name: &t.name,
                            url: encode_path(&t.url),
                            count: t.pages.len(),
                        })
                        .collect(),
                };
                context.insert("taxonomy", &vars);
            }
            What::Term(t, i, number, total) => {
                let taxonomy = &site.taxonomies[t];
                let term = &taxonomy.terms[i];
                let shown = list_slice(&term.pages, number, DEFAULT_PER_PAGE);
                let link = TaxonomyLink {
                    name: &taxonomy.name,
                    label: &taxonomy.label,
                    url: format!("{}/index.html", taxonomy.name),
                };
                let vars = TermVars {
                    name: &term.name,
                    url: encode_path(&term.url),
                    count: term.pages.len(),
                    pages: shown.iter().map(|&i| self.summary(i)).collect(),
                };
                context.insert("taxonomy", &link);
                context.insert("term", &vars);
                context.insert(
                    "paginator",
                    &paginator(number, total, |k| encode_path(&term.page_url(k))),
                );
            }
        }
    }

    fn page(&self, index: PageId) -> PageVars<'_> {
        let site = self.site;
        let page = &site.pages[index];
        let (kind, kind_label) = kind_fields(page.kind);
        PageVars {
            title: &page.title,
            url: encode_path(&page.url),
            slug: &page.slug,
            kind,
            kind_label,
            summary: page.summary.as_deref(),
            date: page.date.map(|d| d.to_string()),
            updated: page.updated.map(|d| d.to_string()),
            content: &page.html,
            toc: &page.toc,
            breadcrumbs: self.breadcrumbs(page.section, page.section != SectionId::ROOT),
            meta: self.meta_rows(page),
            tags: self.terms(page, "tags"),
            topics: self.terms(page, "topics"),
            region: page.doc.text("region").map(|r| self.term("region", r)),
            status: page.status(),
            status_class: status_class(page.status()),
            superseded_by: page.superseded_by.map(|i| self.page_link(i)),
            supersedes: page.supersedes.iter().map(|&i| self.page_link(i)).collect(),
            cites: page
                .cites
                .iter()
                .map(|&i| {
                    let cited = &site.pages[i];
                    Cited {
                        title: &cited.title,
                        url: encode_path(&cited.url),
                        status: cited.status(),
                        status_class: status_class(cited.status()),
                    }
                })
                .collect(),
            cited_by: page
                .cited_by
                .iter()
                .map(|&i| {
                    let citing = &site.pages[i];
                    Citing {
                        title: &citing.title,
                        url: encode_path(&citing.url),
                        kind_label: kind_fields(citing.kind).1,
                    }
                })
                .collect(),
            prev: page.prev.map(|i| self.page_link(i)),
            next: page.next.map(|i| self.page_link(i)),
            reading_minutes: reading_minutes(page.char_count),
            char_count: page.char_count,
            paths: self.memberships(index),
            related: self.related(index),
        }
    }

    fn fill_home(&self, context: &mut Vars<'_>) {
        let site = self.site;
        let root = &site.sections[SectionId::ROOT];
        let sections: Vec<SectionCard> = root
            .subsections
            .iter()
            .map(|&i| {
                let s = &site.sections[i];
                SectionCard {
                    title: &s.title,
                    url: encode_path(&s.url),
                    intro_html: Some(&s.home_html),
                    count: s.total_pages,
                }
            })
            .collect();
        let topics: Vec<TermCount> = site
            .taxonomies
            .iter()
            .find(|t| t.name == "topics")
            .map(|t| {
                t.terms
                    .iter()
                    .map(|term| TermCount {
                        name: &term.name,
                        url: encode_path(&term.url),
                        count: term.pages.len(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let recent: Vec<SummaryValue> = recent_pages(site)
            .into_iter()
            .map(|i| self.summary(i))
            .collect();
        context.insert(
            "home",
            &HomeVars {
                title: &root.title,
                content: &root.html,
            },
        );
        context.insert("sections", &sections);
        context.insert("recent", &recent);
        context.insert("topics", &topics);
    }

    /// A section's list, or with `status` one of its status views (the same list cut down
    /// to the pages with one status).
    fn fill_section(
        &self,
        index: SectionId,
        status: Option<usize>,
        number: usize,
        total: usize,
        context: &mut Vars,
    ) {
        let site = self.site;
        let section = &site.sections[index];
        let views = &self.training.statuses[index];
        let items = status.map_or(&section.pages, |v| &views[v].pages);
        let shown = list_slice(items, number, per_page(section));
        let (kind, kind_label) = kind_fields(section.kind);
        let url = |k: usize| {
            encode_path(
                &status.map_or_else(|| section_page_url(section, k), |v| views[v].page_url(k)),
            )
        };
        let (intro_lead, intro_more) = crate::html::split_lead(&section.html, INTRO_LEAD_CHARS);
        let vars = SectionVars {
            title: &section.title,
            url: encode_path(&section.url),
            content: &section.html,
            intro_lead,
            intro_more,
            kind,
            kind_label,
            breadcrumbs: self.breadcrumbs(index, status.is_some()),
            subsections: section
                .subsections
                .iter()
                .map(|&s| {
                    let sub = &site.sections[s];
                    SectionCard {
                        title: &sub.title,
                        url: encode_path(&sub.url),
                        intro_html: None,
                        count: sub.total_pages,
                    }
                })
                .collect(),
            pages: shown.iter().map(|&i| self.summary(i)).collect(),
            count: section.pages.len(),
            handout_url: section_handout_url(site, index).map(|u| encode_path(&u)),
            status: status.map(|v| views[v].status.as_str()),
            statuses: views
                .iter()
                .enumerate()
                .map(|(v, view)| StatusLink {
                    status: &view.status,
                    status_class: view.known.map(Status::class),
                    url: encode_path(&view.page_url(1)),
                    count: view.pages.len(),
                    current: status == Some(v),
                })
                .collect(),
        };
        context.insert("section", &vars);
        context.insert("paginator", &paginator(number, total, url));
    }
}
