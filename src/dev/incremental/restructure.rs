//! Restructure: edits that change how pages tie together — a page's front matter (title,
//! date, weight, tags, status, references, old addresses …) or headings, a new page, a
//! removed one. Such an edit can move pages in their lists, change other pages'
//! neighbours, references and related pages, create or empty a term page, and change the
//! text of links to a page.
//!
//! Removed pages leave the site and added ones take their place in file order (the page
//! numbers the paths and the glossary hold move with them); edited and added pages are
//! built as resolve builds them; the ties between pages are recomputed over the whole site
//! (cheap: no body is touched); the bodies that link to a page whose title or headings
//! changed are rendered and filled in again. Then every output file whose
//! [`fingerprint`] changed is rendered again, and the files the site no longer has (a
//! removed page, a term nobody uses now, a list page too many, an old address) are removed.
//!
//! Kept on the full path: a new slug (it moves the page and changes what links, references
//! and path steps find); a page turning draft; a changed title or heading that a section
//! introduction, a learning path or the glossary links to (those bodies are not kept); a
//! page added in a folder without a section, or one a path step might name; a removed page
//! that something still names or whose section it empties; and any error, so that the
//! editor sees exactly a full build's diagnostics.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::links::LinkKey;
use super::{Changes, Session, fingerprint};
use crate::diagnostics::Diagnostics;
use crate::model::resolve::{Page, Site};
use crate::output::render::What;
use crate::source::markdown::Rendered;
use crate::source::parse::{Document, Role};

/// Applies the changes; returns how many files were written, or `None` when only a full
/// build can apply them. After `None` the session takes no further edits.
pub(super) fn apply(session: &mut Session, changes: Changes, output: &Path) -> Option<usize> {
    let Changes {
        edited,
        added,
        mut removed,
    } = changes;
    let site = &session.site;
    // Titles and headings that other bodies show.
    let mut shown_keys = Vec::new();
    for edit in &edited {
        let old = &site.pages[edit.index];
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
                .page_index(rel)
                .is_some_and(|i| !removed.contains(&i))
        })
        .map(str::to_string)
        .collect();
    let added = new_pages(session, added)?;

    let cards = session
        .cards
        .get_or_insert_with(|| fingerprint::cards(&session.site));
    let before = {
        let jobs = crate::output::render::jobs(&session.site, &session.training);
        fingerprint::outputs(&session.site, &session.training, cards, &jobs)
    };
    let redirects_before = redirects(&session.site);
    let term_urls_before = term_urls(&session.site);
    // Their handouts lose a chapter.
    let shrunk_sections: Vec<usize> = removed.iter().map(|&i| site.pages[i].section).collect();

    // With the same pages before and after, only the related lists near the edit can change.
    let same_pages = added.is_empty() && removed.is_empty();
    let mut ties: Vec<crate::training::related::Ties> = if same_pages {
        edited
            .iter()
            .map(|edit| crate::training::related::ties(&site.pages[edit.index]))
            .collect()
    } else {
        Vec::new()
    };

    // From here on the session is changed; if the edit gives up, a full build must follow.
    session.unsound = true;
    removed.sort_unstable();
    for &index in removed.iter().rev() {
        remove_page(session, index)?;
    }
    let mut bodies: Vec<(String, Rendered)> = Vec::new();
    for (page, rendered) in added {
        session.links.page_rendered(&page.doc.rel, &rendered);
        bodies.push((page.doc.rel.clone(), rendered));
        insert_page(session, page);
    }
    let mut changed_rels: Vec<String> = bodies.iter().map(|(rel, _)| rel.clone()).collect();
    let mut diagnostics = Diagnostics::default();
    for edit in edited {
        let rel = edit.doc.rel.clone();
        let index = session.page_index(&rel)?;
        let rendered = edit.rendered;
        session.links.page_rendered(&rel, &rendered);
        let site = &session.site;
        let page = crate::model::resolve::new_page(
            &site.config,
            &site.sections,
            site.pages[index].section,
            edit.doc,
            &rendered,
            &mut diagnostics,
        );
        session.site.pages[index] = page;
        changed_rels.push(rel.clone());
        bodies.push((rel, rendered));
    }
    // Their summaries and search text may show the changed titles too.
    for rel in linking {
        let page = &session.site.pages[session.page_index(&rel)?];
        let rendered =
            crate::source::markdown::render(page.doc.body(), &page.doc.rel, &session.markdown);
        changed_rels.push(rel.clone());
        bodies.push((rel, rendered));
    }
    crate::model::resolve::reconnect(&mut session.site, &mut diagnostics);
    let mut rewritten = fill_links(session, bodies, &mut diagnostics)?;
    let changed: Vec<usize> = changed_rels
        .iter()
        .map(|rel| session.page_index(rel))
        .collect::<Option<_>>()?;
    rewritten.extend(&changed);

    let (site, training) = (&session.site, &mut session.training);
    if same_pages {
        ties.extend(
            changed
                .iter()
                .map(|&i| crate::training::related::ties(&site.pages[i])),
        );
        training.reconnect(site, Some((&changed, &ties)));
    } else {
        training.reconnect(site, None);
    }
    let theme = crate::source::theme::ThemeFiles::for_site(&site.config.root, &site.config);
    crate::output::plan::check(site, training, &theme, &mut diagnostics);
    if diagnostics.has_errors() || !same_term_urls(&term_urls_before, site) {
        return None;
    }
    let cards = session.cards.as_mut()?;
    for &i in &changed {
        cards[i] = fingerprint::card(&site.pages[i]);
    }
    let jobs = crate::output::render::jobs(site, training);
    let after = fingerprint::outputs(site, training, cards, &jobs);

    let sink = |rel: &str, bytes: &[u8]| crate::output::write::replace_file(output, rel, bytes);
    let redirects_after = redirects(site);
    let gone = before
        .keys()
        .filter(|path| !after.contains_key(*path))
        .chain(
            redirects_before
                .keys()
                .filter(|alias| !redirects_after.contains_key(*alias)),
        );
    for path in gone {
        crate::output::write::remove_file(output, path).ok()?;
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
    if !crate::output::render::render_jobs(site, training, &session.tera, &dirty, &sink).is_empty()
    {
        return None;
    }
    for (alias, target) in &site.aliases {
        if redirects_before.get(alias) != redirects_after.get(alias) {
            let html = crate::output::render::redirect_page(site, alias, *target);
            sink(alias, html.as_bytes()).ok()?;
            files += 1;
        }
    }
    sink(
        "sitemap.xml",
        crate::output::render::sitemap(site, training).as_bytes(),
    )
    .ok()?;
    files += 1;

    for &i in &changed {
        let text = std::mem::take(&mut session.site.pages[i].text);
        if let Some(doc) = session.search_docs.get_mut(i) {
            *doc = crate::output::indexing::search_doc(&session.site, &session.site.pages[i], text);
        }
    }
    for i in rewritten {
        session.views_stale(i);
    }
    for section in shrunk_sections {
        // Any page of the section brings its handout up to date.
        let first = session.site.sections[section].pages.first().copied();
        session.views_stale(first?);
    }
    session.unsound = false;
    Some(files)
}

fn is_draft(session: &Session, doc: &Document) -> bool {
    doc.flag("draft") && !session.options.include_drafts
}

/// Whether the pages can go in place: nothing links to them, and each section keeps a page
/// (an empty section loses its handout, or the section itself goes).
fn removable(session: &Session, removed: &[usize]) -> bool {
    let site = &session.site;
    let keys: Vec<LinkKey> = removed
        .iter()
        .flat_map(|&i| LinkKey::of(&site.pages[i]))
        .collect();
    let removed_rels: HashSet<&str> = removed
        .iter()
        .map(|&i| site.pages[i].doc.rel.as_str())
        .collect();
    let mut left: HashMap<usize, usize> = HashMap::new();
    for &i in removed {
        let section = site.pages[i].section;
        *left
            .entry(section)
            .or_insert(site.sections[section].pages.len()) -= 1;
    }
    // Links from drafts left out of the build are not checked.
    !session.links.shown_elsewhere(&keys)
        && session
            .links
            .linking_to(&keys)
            .all(|rel| removed_rels.contains(rel) || session.page_index(rel).is_none())
        && left.values().all(|&n| n > 0)
}

/// The added pages, built as resolve builds them, or `None` when one needs a full build:
/// a draft, a bundle, a folder without a section, a page a path step might name.
fn new_pages(session: &Session, added: Vec<(Document, Rendered)>) -> Option<Vec<(Page, Rendered)>> {
    let site = &session.site;
    let mut pages = Vec::with_capacity(added.len());
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
        let lookup = crate::training::paths::PageLookup::new(std::slice::from_ref(&page));
        let named = session
            .training
            .paths
            .step_targets
            .iter()
            .any(|target| lookup.find(target).is_some());
        if named || diagnostics.has_errors() {
            return None;
        }
        pages.push((page, rendered));
    }
    Some(pages)
}

fn remove_page(session: &mut Session, index: usize) -> Option<()> {
    if !session.training.page_removed(index) {
        return None;
    }
    let page = session.site.pages.remove(index);
    session.links.forget(&page.doc.rel);
    if session.site.config.search_enabled {
        session.search_docs.remove(index);
    }
    session.cards.as_mut()?.remove(index);
    session.stale_views.retain(|&i| i != index);
    for i in &mut session.stale_views {
        if *i > index {
            *i -= 1;
        }
    }
    Some(())
}

fn insert_page(session: &mut Session, page: Page) {
    let rel = page.doc.rel.as_str();
    let index = session
        .site
        .pages
        .binary_search_by(|other| other.doc.rel.as_str().cmp(rel))
        .unwrap_or_else(|at| at);
    session.site.pages.insert(index, page);
    session.training.page_inserted(index);
    if session.site.config.search_enabled {
        // Made with the other changed pages' search documents.
        session.search_docs.insert(index, Default::default());
    }
    if let Some(cards) = &mut session.cards {
        // Made with the other changed pages' cards.
        cards.insert(index, 0);
    }
    for i in &mut session.stale_views {
        if *i >= index {
            *i += 1;
        }
    }
}

/// Fills in the links of `bodies` (page file, rendered body), takes in their plain text and
/// marks their glossary terms. Returns the pages whose HTML changed, or `None` when a link
/// is now broken.
fn fill_links(
    session: &mut Session,
    bodies: Vec<(String, Rendered)>,
    diagnostics: &mut Diagnostics,
) -> Option<HashSet<usize>> {
    let indices: Vec<usize> = bodies
        .iter()
        .map(|(rel, _)| session.page_index(rel))
        .collect::<Option<_>>()?;
    let site = &session.site;
    let to_fill: Vec<_> = indices
        .iter()
        .zip(&bodies)
        .map(|(&i, (_, rendered))| (site.pages[i].url.as_str(), &site.pages[i].doc, rendered))
        .collect();
    let filled = crate::model::resolve::relink(site, &to_fill);
    let mut rewritten = HashSet::new();
    for ((i, filled), (_, rendered)) in indices.into_iter().zip(filled).zip(bodies) {
        diagnostics.extend(filled.problems);
        let page = &mut session.site.pages[i];
        page.take_text(rendered.sections, &rendered.first_paragraph, &filled.titles);
        let old = std::mem::replace(&mut page.html, filled.html);
        session.training.page_edited(&mut session.site, i);
        if session.site.pages[i].html != old {
            rewritten.insert(i);
        }
    }
    (!diagnostics.has_errors()).then_some(rewritten)
}

/// Old address → (page address, page title): what its redirect file shows.
fn redirects(site: &Site) -> HashMap<String, (String, String)> {
    site.aliases
        .iter()
        .map(|(alias, target)| {
            let page = &site.pages[*target];
            (alias.clone(), (page.url.clone(), page.title.clone()))
        })
        .collect()
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
