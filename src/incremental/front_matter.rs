//! Front-matter and heading edits of existing pages: a new title, date, weight, tag,
//! status, reference or heading can move the page in its lists, change other pages'
//! neighbours, references and related pages, create or empty a term page, and change the
//! text of links to it.
//!
//! The edited pages are rebuilt as resolve builds them, the ties between pages are
//! recomputed over the whole site (cheap: no body is touched), and the bodies that link to
//! an edited page whose title or headings changed are rendered and filled in again. Then
//! every output file whose [`fingerprint`] changed is rendered again, and the files the
//! site no longer has (a term nobody uses now, an old address dropped) are removed.
//!
//! Kept on the full path: a new slug (it moves the page and changes what links, references
//! and path steps find), a page turning draft (it leaves the site), a changed title or
//! heading that a section introduction, a learning path or the glossary links to (those
//! bodies are not kept), and any error, so that the editor sees exactly a full build's
//! diagnostics.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::links::LinkKey;
use super::{Edit, Session, fingerprint};
use crate::diagnostics::Diagnostics;
use crate::render::What;
use crate::resolve::Site;

/// Applies the edits; returns how many files were written, or `None` when only a full
/// build can apply them. After `None` the session takes no further edits.
pub(super) fn apply(session: &mut Session, edits: Vec<Edit>, output: &Path) -> Option<usize> {
    let site = &session.site;
    let mut shown_keys = Vec::new();
    for edit in &edits {
        let old = &site.pages[edit.index];
        if edit.doc.text("slug") != old.doc.text("slug") || edit.doc.flag("draft") {
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
    if session.links.shown_elsewhere(&shown_keys) {
        return None;
    }
    let edited: HashSet<usize> = edits.iter().map(|edit| edit.index).collect();
    let linking: Vec<usize> = session
        .links
        .linking_to(&shown_keys)
        .filter_map(|rel| session.page_index(rel))
        .filter(|i| !edited.contains(i))
        .collect();

    let cards = session
        .cards
        .get_or_insert_with(|| fingerprint::cards(&session.site));
    let before = {
        let jobs = crate::render::jobs(&session.site, &session.training);
        fingerprint::outputs(&session.site, &session.training, cards, &jobs)
    };
    let aliases_before = session.site.aliases.clone();
    let term_urls_before = term_urls(&session.site);

    // From here on the session is changed; if the edit gives up, a full build must follow.
    session.unsound = true;
    let mut rewritten = rebuild_pages(session, edits, &linking)?;
    rewritten.extend(&edited);
    let (site, training) = (&session.site, &mut session.training);
    training.front_matter_edited(site);
    let mut diagnostics = Diagnostics::default();
    crate::render::check_outputs(site, training, &mut diagnostics);
    if diagnostics.has_errors() || !same_term_urls(&term_urls_before, site) {
        return None;
    }
    let cards = session.cards.as_mut()?;
    for &i in &edited {
        cards[i] = fingerprint::card(&site.pages[i]);
    }
    let jobs = crate::render::jobs(site, training);
    let after = fingerprint::outputs(site, training, cards, &jobs);

    let sink = |rel: &str, bytes: &[u8]| crate::write::replace_file(output, rel, bytes);
    let gone = before
        .keys()
        .filter(|path| !after.contains_key(*path))
        .map(String::as_str)
        .chain(
            aliases_before
                .iter()
                .filter(|old| !site.aliases.iter().any(|(alias, _)| *alias == old.0))
                .map(|(alias, _)| alias.as_str()),
        );
    for path in gone {
        crate::write::remove_file(output, path).ok()?;
    }
    let dirty: Vec<_> = jobs
        .into_iter()
        .filter(|job| {
            fingerprint::tracked(job)
                && match job.what {
                    What::Home => true,
                    What::Page(i) if rewritten.contains(&i) => true,
                    _ => before.get(&job.path) != after.get(&job.path),
                }
        })
        .collect();
    let mut files = dirty.len();
    if !crate::render::render_jobs(site, training, &session.tera, &dirty, &sink).is_empty() {
        return None;
    }
    for (alias, target) in &site.aliases {
        if edited.contains(target) || !aliases_before.contains(&(alias.clone(), *target)) {
            let html = crate::render::redirect_page(site, alias, *target);
            sink(alias, html.as_bytes()).ok()?;
            files += 1;
        }
    }
    sink(
        "sitemap.xml",
        crate::render::sitemap(site, training).as_bytes(),
    )
    .ok()?;
    files += 1;

    for &i in &edited {
        let text = std::mem::take(&mut session.site.pages[i].text);
        if let Some(doc) = session.search_docs.get_mut(i) {
            *doc = crate::build::search_doc(&session.site, &session.site.pages[i], text);
        }
    }
    for i in rewritten {
        session.views_stale(i);
    }
    session.unsound = false;
    Some(files)
}

/// Rebuilds the edited pages, reconnects the site, and fills in again the links of the
/// edited pages and of the pages in `linking`. Returns the pages of `linking` whose HTML
/// changed, or `None` when the site now has errors.
fn rebuild_pages(
    session: &mut Session,
    edits: Vec<Edit>,
    linking: &[usize],
) -> Option<HashSet<usize>> {
    let mut diagnostics = Diagnostics::default();
    let mut bodies = Vec::with_capacity(edits.len() + linking.len());
    for edit in edits {
        let Edit {
            index,
            doc,
            mut rendered,
        } = edit;
        session.links.page_rendered(&doc.rel, &rendered);
        let site = &session.site;
        let section = site.pages[index].section;
        let page = crate::resolve::new_page(
            &site.config,
            &site.sections,
            section,
            doc,
            &mut rendered,
            &mut diagnostics,
        );
        session.site.pages[index] = page;
        bodies.push((index, rendered));
    }
    for &i in linking {
        let page = &session.site.pages[i];
        let rendered = crate::markdown::render(page.doc.body(), &page.doc.rel, &session.markdown);
        bodies.push((i, rendered));
    }
    crate::resolve::reconnect(&mut session.site, &mut diagnostics);

    let site = &session.site;
    let to_fill: Vec<_> = bodies
        .iter()
        .map(|(i, rendered)| (site.pages[*i].url.as_str(), &site.pages[*i].doc, rendered))
        .collect();
    let filled = crate::resolve::relink(site, &to_fill);
    let mut rewritten = HashSet::new();
    for ((i, _), (html, problems)) in bodies.iter().zip(filled) {
        diagnostics.extend(problems);
        let old = std::mem::replace(&mut session.site.pages[*i].html, html);
        session.training.page_edited(&mut session.site, *i);
        if session.site.pages[*i].html != old {
            rewritten.insert(*i);
        }
    }
    (!diagnostics.has_errors()).then_some(rewritten)
}

/// (taxonomy, term) → term page, for every term.
fn term_urls(site: &Site) -> HashMap<(String, String), String> {
    site.taxonomies
        .iter()
        .flat_map(|taxonomy| {
            taxonomy
                .terms
                .iter()
                .map(|term| ((taxonomy.name.clone(), term.name.clone()), term.url.clone()))
        })
        .collect()
}

/// Whether every term that is still used kept its page. A new term can take a name that
/// differs from an old one only in case, and then the later one's file name changes:
/// every page showing it would change.
fn same_term_urls(before: &HashMap<(String, String), String>, site: &Site) -> bool {
    site.taxonomies.iter().all(|taxonomy| {
        taxonomy.terms.iter().all(|term| {
            before
                .get(&(taxonomy.name.clone(), term.name.clone()))
                .is_none_or(|url| *url == term.url)
        })
    })
}
