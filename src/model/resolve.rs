//! Resolve: turns parsed and rendered documents into the [`Site`] ([`crate::model`]) —
//! sections, pages with their output URLs, resolved links and references, citations both
//! ways, ordering, prev/next and taxonomies.
//!
//! This is the one place that knows every page at once, so it owns the checks that need
//! the whole site: duplicate slugs, broken links and anchors, references to missing pages,
//! fields a kind requires. All lookups go through hash maps built once, so the stage stays
//! linear in the number of pages and links. Its parts: [`addresses`] (output paths, slugs,
//! old addresses), [`sections`] (sections and order), [`links`], [`references`] and
//! [`taxonomies`].

mod addresses;
mod links;
mod references;
mod sections;
mod taxonomies;

use std::collections::{HashMap, HashSet};

pub use links::{Filled, relink};
// The build and the preview name the model's types from here.
pub use crate::model::{Page, Site};

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{PageId, Pages, SectionId, Sections};
use crate::source::load::Asset;
use crate::source::markdown::{Rendered, StoredText, TextSection};
use crate::source::parse::{Document, Role};
use addresses::{check_aliases, default_slug, index_unique, output_path, slug_problem};
use links::LinkTargets;
pub use references::carry_references;
use references::resolve_references;
use sections::{
    build_sections, inherited_kind, nearest_section, newest_first, order_sections, page_dir,
    section_index_files,
};
use taxonomies::{build_taxonomies, move_terms};

pub struct ResolveInput {
    pub documents: Vec<(Document, Rendered)>,
    pub assets: Vec<Asset>,
    pub include_drafts: bool,
    /// Bodies of files that are not pages (learning paths, the glossary): (output URL,
    /// document, rendered body). Their links are resolved and checked like a page's.
    pub extra_bodies: Vec<(String, Document, Rendered)>,
}

pub fn resolve(config: Config, input: ResolveInput, diagnostics: &mut Diagnostics) -> Site {
    let mut section_docs = Vec::new();
    let mut page_docs = Vec::new();
    for (doc, rendered) in input.documents {
        match doc.role {
            Role::Section => section_docs.push((doc, rendered)),
            _ if doc.flag("draft") && !input.include_drafts => {}
            _ => page_docs.push((doc, rendered)),
        }
    }
    page_docs.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));

    let (mut sections, section_intros) = build_sections(&config, section_docs, &page_docs);
    let section_by_dir: HashMap<String, SectionId> = sections
        .iter_enumerated()
        .map(|(id, s)| (s.dir.clone(), id))
        .collect();

    // Pages: identity, kind, output path.
    let mut pages = Pages::with_capacity(page_docs.len());
    let mut rendered_bodies = Vec::with_capacity(page_docs.len());
    for (doc, rendered) in page_docs {
        let section = nearest_section(&page_dir(&doc), &section_by_dir);
        pages.push(new_page(
            &config,
            &sections,
            section,
            doc,
            &rendered,
            diagnostics,
        ));
        rendered_bodies.push(rendered);
    }

    let slug_index = index_unique(&config.root, &pages, diagnostics);
    let asset_set: HashSet<&str> = input.assets.iter().map(|a| a.rel.as_str()).collect();
    let section_by_index_rel = section_index_files(&sections);

    // Links in bodies.
    let extra_links: HashMap<String, String> = input
        .extra_bodies
        .iter()
        .map(|(url, doc, _)| (doc.rel.clone(), url.clone()))
        .collect();
    let targets = LinkTargets {
        root: &config.root,
        pages: &pages,
        sections: &sections,
        section_by_index_rel: &section_by_index_rel,
        slug_index: &slug_index,
        assets: &asset_set,
        extra: &extra_links,
    };
    type Text = (Vec<TextSection>, Option<StoredText>, String);
    let resolved: Vec<(Filled, Text)> = {
        use rayon::prelude::*;
        // Consumed item by item, so each body's placeholder HTML is freed once it is filled.
        pages
            .as_slice()
            .par_iter()
            .zip(rendered_bodies.into_par_iter())
            .map(|(page, rendered)| {
                let filled = targets.fill_links(&page.url, &page.doc, &rendered);
                let text = (
                    rendered.sections,
                    rendered.stored_text,
                    rendered.first_paragraph,
                );
                (filled, text)
            })
            .collect()
    };
    let intros: Vec<(SectionId, Filled)> = section_intros
        .iter()
        .map(|(i, doc, rendered)| (*i, targets.fill_links(&sections[*i].url, doc, rendered)))
        .collect();
    // Top-level intros also appear on the home page, one folder higher.
    let home_intros: Vec<(SectionId, String)> = section_intros
        .iter()
        .filter(|(i, _, _)| sections[*i].parent == Some(SectionId::ROOT))
        .map(|(i, doc, rendered)| (*i, targets.fill_links("index.html", doc, rendered).html))
        .collect();
    let extra_html = input
        .extra_bodies
        .iter()
        .map(|(url, doc, rendered)| {
            let filled = targets.fill_links(url, doc, rendered);
            diagnostics.extend(filled.problems);
            filled.html
        })
        .collect();
    for (page, (filled, (sections, stored, first_paragraph))) in pages.iter_mut().zip(resolved) {
        match stored {
            Some(stored) => page.take_stored_text(stored, &first_paragraph, &filled.titles),
            None => page.take_text(sections, &first_paragraph, &filled.titles),
        }
        page.html = filled.html;
        diagnostics.extend(filled.problems);
    }
    for (i, filled) in intros {
        sections[i].html = filled.html;
        diagnostics.extend(filled.problems);
    }
    for (i, html) in home_intros {
        sections[i].home_html = html;
    }

    resolve_references(&config, &mut pages, &slug_index, diagnostics);
    let newest = newest_first(&pages);
    order_sections(&mut sections, &mut pages, &newest);
    let taxonomies = build_taxonomies(&config, &pages, &newest);
    let aliases = check_aliases(&config.root, &pages, diagnostics);

    Site {
        config,
        pages,
        sections,
        taxonomies,
        assets: input.assets,
        aliases,
        extra_html,
        extra_links,
        synonyms: Vec::new(),
        newest,
        slugs: slug_index,
    }
}

/// A page of `section` from its document and rendered body, links not yet filled in: its
/// `html` and `text` are empty and its summary is only the front matter's until
/// [`Page::take_text`]. Reports fields the page's kind requires but it lacks.
pub(crate) fn new_page(
    config: &Config,
    sections: &Sections,
    section: SectionId,
    doc: Document,
    rendered: &Rendered,
    diagnostics: &mut Diagnostics,
) -> Page {
    let kind = doc.kind.or_else(|| inherited_kind(sections, section));
    let written_slug = doc.text("slug").filter(|slug| {
        let problem = slug_problem(slug);
        if let Some(why) = problem {
            diagnostics.push(doc.error_at(
                &config.root,
                "slug",
                Code::InvalidName,
                format!("slug `{slug}` 不能用：{why}"),
            ));
        }
        problem.is_none()
    });
    let slug = written_slug.map_or_else(|| default_slug(&doc), str::to_string);
    let url = output_path(&doc, written_slug);
    for field in config.schema.required(kind) {
        let kind_note = kind.map_or(String::new(), |k| format!("（{}）", k.label()));
        let written = doc.positions.contains_key(field);
        let blank = match doc.fields.get(field) {
            Some(value) => value.is_blank(),
            // A declared field's value was refused with its own error already; an undeclared
            // one is dropped only when it is empty (`doc_number:`).
            None => written && config.schema.field(field).is_none(),
        };
        if !written {
            diagnostics.push(
                Diagnostic::error(
                    Code::MissingField,
                    &doc.shown_path,
                    format!("缺少必填字段 `{field}`{kind_note}"),
                )
                .at(&doc.source_text(&config.root), 1, 1),
            );
        } else if blank {
            // Written but left empty (`issuer: ""`): pointed at where the editor fills it in.
            diagnostics.push(doc.error_at(
                &config.root,
                field,
                Code::MissingField,
                format!("必填字段 `{field}`{kind_note}没有填写内容"),
            ));
        }
    }
    let title = doc.text("title").unwrap_or(&slug).to_string();
    let summary = doc.text("summary").map(str::to_string);
    Page {
        slug,
        url,
        kind,
        section,
        title,
        summary,
        date: doc.date("date"),
        updated: doc.date("updated"),
        html: String::new(),
        toc: rendered.toc.clone(),
        anchors: rendered.anchors.clone(),
        text: Vec::new(),
        stored_text: None,
        char_count: 0,
        cites: Vec::new(),
        cited_by: Vec::new(),
        superseded_by: None,
        supersedes: Vec::new(),
        prev: None,
        next: None,
        doc,
    }
}

/// The section of a page added in a preview: the one of its folder, or `None` when the
/// folder has none yet (only a full build makes sections).
pub(crate) fn existing_section(sections: &Sections, doc: &Document) -> Option<SectionId> {
    let dir = page_dir(doc);
    sections
        .iter_enumerated()
        .find(|(_, section)| section.dir == dir)
        .map(|(id, _)| id)
}

/// A preview's edit that kept every page in place ([`reconnect`]).
#[derive(Clone, Copy)]
pub struct InPlace<'a> {
    /// The pages whose front matter changed.
    pub pages: &'a [PageId],
    /// Whether each of them took its references as they were ([`carry_references`]).
    pub references_kept: bool,
}

/// Recomputes what ties pages to one another — unique slugs and output paths, references
/// both ways, section order and prev/next, taxonomies, aliases — after pages changed, came
/// or went in a preview ([`crate::dev::incremental`]), exactly as [`resolve`] computes them.
/// Bodies and links are left alone.
///
/// `edited` is set when no page came or went and no slug changed: then the slugs stand, the
/// newest-first order moves only the edited pages, the edited pages move between the term
/// lists in place unless another term's file name could change ([`move_terms`]), and when
/// each took its old references ([`carry_references`]) no page's references are looked up
/// again. Returns the taxonomies as they were when they were made again, or `None` when every
/// term kept its file.
pub fn reconnect(
    site: &mut Site,
    edited: Option<InPlace>,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<crate::model::TaxonomyIndex>> {
    for section in &mut site.sections {
        section.pages.clear();
    }
    if edited.is_none() {
        site.slugs = index_unique(&site.config.root, &site.pages, diagnostics);
    }
    if !edited.is_some_and(|edit| edit.references_kept) {
        resolve_references(&site.config, &mut site.pages, &site.slugs, diagnostics);
    }
    let edited = edited.map(|edit| edit.pages);
    match edited {
        Some(moved) => site.newest.reorder(&site.pages, moved),
        None => site.newest = newest_first(&site.pages),
    }
    for page in &mut site.pages {
        page.prev = None;
        page.next = None;
    }
    order_sections(&mut site.sections, &mut site.pages, &site.newest);
    site.aliases = check_aliases(&site.config.root, &site.pages, diagnostics);
    if let Some(moved) = edited
        && move_terms(site, moved)
    {
        return None;
    }
    let taxonomies = build_taxonomies(&site.config, &site.pages, &site.newest);
    Some(std::mem::replace(&mut site.taxonomies, taxonomies))
}
