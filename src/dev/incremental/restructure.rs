//! Restructure: edits that change how pages tie together — a page's front matter (title,
//! date, weight, tags, status, references, old addresses …) or headings, a new page, a
//! removed one. Such an edit can move pages in their lists, change other pages'
//! neighbours, references and related pages, create or empty a term page, and change the
//! text of links to a page.
//!
//! Removed pages leave the site and added ones take their place in file order
//! ([`crate::model::IdVec::replace_pages`]: every page id the session holds moves through the
//! [`crate::model::Renumbering`] it returns); edited and added pages are built as resolve
//! builds them; the ties between pages are recomputed over the whole site (cheap: no body is
//! touched); the bodies that link to a page whose title or headings changed are rendered and
//! filled in again. Then [`super::refresh`] renders every output file whose fingerprint
//! changed and removes the files the site no longer has (a removed page, a term nobody uses
//! now, a list page too many, an old address).
//!
//! Kept on the full path: a new slug (it moves the page and changes what links, references
//! and path steps find); a page turning draft; a changed title or heading that a section
//! introduction, a learning path or the glossary links to (those bodies are not kept); a
//! page added in a folder without a section, or one a path step might name; a removed page
//! that something still names or whose section it empties; and any error, so that the
//! editor sees exactly a full build's diagnostics.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::fingerprint::Fingerprints;
use super::links::LinkKey;
use super::{Changes, Session};
use crate::diagnostics::Diagnostics;
use crate::model::resolve::{Page, Site};
use crate::model::{PageId, Pages, SectionId, TaxonomyIndex};
use crate::source::markdown::Rendered;
use crate::source::parse::{Document, Role};

/// Applies the changes; returns how many files were written and the warnings tying the
/// pages together gave, or `None` when only a full build can apply them. After `None` the
/// session takes no further edits.
pub(super) fn apply(
    session: &mut Session,
    changes: Changes,
    output: &Path,
) -> Option<(usize, Diagnostics)> {
    let Changes {
        edited,
        added,
        removed,
        ..
    } = changes;
    let site = &session.site;
    // Titles and headings that other bodies show.
    let mut shown_keys = Vec::new();
    for edit in &edited {
        let old = &site.pages[edit.page];
        if edit.doc.text("slug") != old.doc.text("slug") || is_draft(session, &edit.doc) {
            return None;
        }
        let title = edit.doc.text("title").unwrap_or(&old.slug);
        if title != old.title
            || edit.rendered.toc != old.toc
            || edit.rendered.anchors != old.anchors
        {
            shown_keys.extend(LinkKey::of(old));
        }
    }
    if session.links.shown_elsewhere(&shown_keys) || !removable(session, &removed) {
        return None;
    }
    let edited_rels: HashSet<&str> = edited.iter().map(|edit| edit.doc.rel.as_str()).collect();
    // Drafts left out of the build have links too, but no output.
    let linking: Vec<String> = session
        .links
        .linking_to(&shown_keys)
        .filter(|rel| !edited_rels.contains(rel))
        .filter(|rel| {
            session
                .site
                .pages
                .by_file(rel)
                .is_some_and(|id| !removed.contains(&id))
        })
        .map(str::to_string)
        .collect();
    let added = new_pages(session, added)?;

    let mut fingerprints = session
        .fingerprints
        .take()
        .unwrap_or_else(|| Fingerprints::new(&session.site, &session.training));
    // Their handouts lose a chapter.
    let shrunk_sections: Vec<SectionId> =
        removed.iter().map(|&id| site.pages[id].section).collect();

    // With the same pages before and after, only the related lists near the edit can change.
    let same_pages = added.is_empty() && removed.is_empty();
    // Their front matter changed; no slug did (that takes the full path).
    let moved: Vec<PageId> = edited.iter().map(|edit| edit.page).collect();
    let mut ties: Vec<crate::training::related::Ties> = if same_pages {
        edited
            .iter()
            .map(|edit| crate::training::related::ties(site, edit.page))
            .collect()
    } else {
        Vec::new()
    };

    // From here on the session is changed; if the edit gives up, a full build must follow.
    session.unsound = true;
    let mut bodies: Vec<(String, Rendered)> = Vec::new();
    let mut added_pages = Vec::with_capacity(added.len());
    for (page, rendered) in added {
        session.links.page_rendered(&page.doc.rel, &rendered);
        bodies.push((page.doc.rel.clone(), rendered));
        added_pages.push(page);
    }
    for &id in &removed {
        session.links.forget(&session.site.pages[id].doc.rel);
    }
    // With the same pages, every id stays: nothing per page needs moving.
    let renumbering = (!same_pages).then(|| {
        let renumbering = session.site.pages.replace_pages(&removed, added_pages);
        session.renumber(&renumbering);
        fingerprints.renumber(&renumbering);
        renumbering
    });
    let mut changed_rels: Vec<String> = bodies.iter().map(|(rel, _)| rel.clone()).collect();
    let mut diagnostics = Diagnostics::default();
    let mut references_kept = true;
    for edit in edited {
        let rel = edit.doc.rel.clone();
        let id = match &renumbering {
            Some(renumbering) => renumbering.new_id(edit.page)?,
            None => edit.page,
        };
        let rendered = edit.rendered;
        session.links.page_rendered(&rel, &rendered);
        let site = &session.site;
        let mut page = crate::model::resolve::new_page(
            &site.config,
            &site.sections,
            site.pages[id].section,
            edit.doc,
            &rendered,
            &mut diagnostics,
        );
        references_kept &=
            crate::model::resolve::carry_references(&site.config, &site.pages[id], &mut page);
        session.site.pages[id] = page;
        changed_rels.push(rel.clone());
        bodies.push((rel, rendered));
    }
    // Their summaries and search text may show the changed titles too.
    for rel in linking {
        let page = &session.site.pages[session.site.pages.by_file(&rel)?];
        let rendered =
            crate::source::markdown::render(page.doc.body(), &page.doc.rel, &session.markdown);
        changed_rels.push(rel.clone());
        bodies.push((rel, rendered));
    }
    let in_place = same_pages.then_some(crate::model::resolve::InPlace {
        pages: &moved,
        references_kept,
    });
    let taxonomies_before =
        crate::model::resolve::reconnect(&mut session.site, in_place, &mut diagnostics);
    let mut rewritten = fill_links(session, bodies, &mut diagnostics)?;
    let changed: Vec<PageId> = changed_rels
        .iter()
        .map(|rel| session.site.pages.by_file(rel))
        .collect::<Option<_>>()?;
    rewritten.extend(&changed);

    let (site, training) = (&session.site, &mut session.training);
    if same_pages {
        ties.extend(
            changed
                .iter()
                .map(|&id| crate::training::related::ties(site, id)),
        );
        training.reconnect(site, Some((&changed, &ties)));
    } else {
        training.reconnect(site, None);
    }
    // The plans checked so far had no problem: only paths new to them are checked.
    let jobs = crate::output::render::jobs(site, training);
    if !session.checked_plan.admit(site, &jobs) {
        let theme = crate::source::theme::ThemeFiles::for_site(&site.config.root, &site.config);
        crate::output::plan::check(site, &jobs, &theme, &mut diagnostics);
        if !diagnostics.has_errors() {
            session.checked_plan = crate::output::plan::CheckedPaths::of(site, &jobs, &theme);
        }
    }
    let moved_terms = taxonomies_before
        .as_ref()
        .is_some_and(|before| !same_term_urls(before, site));
    if diagnostics.has_errors() || moved_terms {
        return None;
    }
    let files = super::refresh::write_changed(
        site,
        training,
        &session.tera,
        &mut fingerprints,
        &changed,
        &rewritten,
        super::refresh::Ties::Moved(&jobs),
        output,
    )
    .ok()?;
    session.fingerprints = Some(fingerprints);

    for &id in &changed {
        let text = std::mem::take(&mut session.site.pages[id].text);
        if let Some(doc) = session.search_docs.get_mut(id) {
            *doc = std::sync::Arc::new(crate::output::indexing::search_doc(
                &session.site,
                &session.site.pages[id],
                text,
            ));
        }
    }
    for id in rewritten {
        session.views_stale(id);
    }
    for section in shrunk_sections {
        // Any page of the section brings its handout up to date.
        let first = session.site.sections[section].pages.first().copied();
        session.views_stale(first?);
    }
    session.unsound = false;
    Some((files, diagnostics))
}

fn is_draft(session: &Session, doc: &Document) -> bool {
    doc.flag("draft") && !session.options.include_drafts
}

/// Whether the pages can go in place: nothing links to them, no path step or glossary `see`
/// names them, and each section keeps a page (an empty section loses its handout, or the
/// section itself goes).
fn removable(session: &Session, removed: &[PageId]) -> bool {
    let site = &session.site;
    let keys: Vec<LinkKey> = removed
        .iter()
        .flat_map(|&i| LinkKey::of(&site.pages[i]))
        .collect();
    let removed_rels: HashSet<&str> = removed
        .iter()
        .map(|&i| site.pages[i].doc.rel.as_str())
        .collect();
    let mut left: HashMap<SectionId, usize> = HashMap::new();
    for &i in removed {
        let section = site.pages[i].section;
        *left
            .entry(section)
            .or_insert(site.sections[section].pages.len()) -= 1;
    }
    // Links from drafts left out of the build are not checked.
    removed.iter().all(|&id| session.training.can_remove(id))
        && !session.links.shown_elsewhere(&keys)
        && session
            .links
            .linking_to(&keys)
            .all(|rel| removed_rels.contains(rel) || session.site.pages.by_file(rel).is_none())
        && left.values().all(|&n| n > 0)
}

/// The added pages, built as resolve builds them, or `None` when one needs a full build:
/// a draft, a bundle, a folder without a section, a page a path step might name.
fn new_pages(session: &Session, added: Vec<(Document, Rendered)>) -> Option<Vec<(Page, Rendered)>> {
    let site = &session.site;
    let mut pages = Pages::with_capacity(added.len());
    let mut bodies = Vec::with_capacity(added.len());
    for (doc, rendered) in added {
        if doc.role != Role::Page || is_draft(session, &doc) {
            return None;
        }
        let section = crate::model::resolve::existing_section(&site.sections, &doc)?;
        let mut diagnostics = Diagnostics::default();
        let page = crate::model::resolve::new_page(
            &site.config,
            &site.sections,
            section,
            doc,
            &rendered,
            &mut diagnostics,
        );
        if diagnostics.has_errors() {
            return None;
        }
        pages.push(page);
        bodies.push(rendered);
    }
    let lookup = crate::training::paths::PageLookup::new(&pages);
    let named = session
        .training
        .paths
        .step_targets
        .iter()
        .any(|target| lookup.find(target).is_some());
    (!named).then(|| pages.into_iter().zip(bodies).collect())
}

/// Fills in the links of `bodies` (page file, rendered body), takes in their plain text and
/// marks their glossary terms. Returns the pages whose HTML changed, or `None` when a link
/// is now broken.
fn fill_links(
    session: &mut Session,
    bodies: Vec<(String, Rendered)>,
    diagnostics: &mut Diagnostics,
) -> Option<HashSet<PageId>> {
    let ids: Vec<PageId> = bodies
        .iter()
        .map(|(rel, _)| session.site.pages.by_file(rel))
        .collect::<Option<_>>()?;
    let site = &session.site;
    let to_fill: Vec<_> = ids
        .iter()
        .zip(&bodies)
        .map(|(&id, (_, rendered))| (site.pages[id].url.as_str(), &site.pages[id].doc, rendered))
        .collect();
    let filled = crate::model::resolve::relink(site, &to_fill);
    let mut rewritten = HashSet::new();
    for ((id, filled), (_, mut rendered)) in ids.into_iter().zip(filled).zip(bodies) {
        diagnostics.extend(filled.problems);
        let page = &mut session.site.pages[id];
        super::take_body_text(
            session.texts.as_deref(),
            page,
            &mut rendered,
            &filled.titles,
        );
        let old = std::mem::replace(&mut page.html, filled.html);
        session.training.page_edited(&mut session.site, id);
        if session.site.pages[id].html != old {
            rewritten.insert(id);
        }
    }
    (!diagnostics.has_errors()).then_some(rewritten)
}

/// Whether every term that is still used kept its page. A new term can take a name that
/// differs from an old one only in case, and then the later one's file name changes:
/// every page showing it would change.
fn same_term_urls(before: &[TaxonomyIndex], site: &Site) -> bool {
    let urls: HashMap<(&str, &str), &str> = before
        .iter()
        .flat_map(|taxonomy| {
            taxonomy.terms.iter().map(|term| {
                (
                    (taxonomy.name.as_str(), term.name.as_str()),
                    term.url.as_str(),
                )
            })
        })
        .collect();
    site.taxonomies.iter().all(|taxonomy| {
        taxonomy.terms.iter().all(|term| {
            urls.get(&(taxonomy.name.as_str(), term.name.as_str()))
                .is_none_or(|&url| url == term.url)
        })
    })
}
