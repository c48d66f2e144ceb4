//! Body edits: pages whose front matter and headings are unchanged. Nothing that ties pages
//! together moves, so each page is rendered again with the lists that show its summary.

use std::path::Path;

use super::{Edit, Session, fingerprint};
use crate::diagnostics::Diagnostics;
use crate::resolve::excerpt;

/// Applies the edits; returns how many files were written. `Err` (a broken link, a template
/// error) leaves the session and the output as they were.
pub(super) fn apply(
    session: &mut Session,
    edits: Vec<Edit>,
    output: &Path,
) -> Result<usize, Diagnostics> {
    let site = &session.site;
    let bodies: Vec<_> = edits
        .iter()
        .map(|edit| {
            (
                site.pages[edit.index].url.as_str(),
                &edit.doc,
                &edit.rendered,
            )
        })
        .collect();
    let mut diagnostics = Diagnostics::default();
    let mut filled = Vec::with_capacity(edits.len());
    for (html, problems) in crate::resolve::relink(site, &bodies) {
        diagnostics.extend(problems);
        filled.push(html);
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }

    let mut files = 0;
    for (edit, html) in edits.into_iter().zip(filled) {
        let Edit {
            index,
            doc,
            rendered,
        } = edit;
        session.links.page_rendered(&doc.rel, &rendered);
        let summary = doc.text("summary").map(str::to_string).or_else(|| {
            (!rendered.first_paragraph.is_empty()).then(|| excerpt(&rendered.first_paragraph, 120))
        });
        let page = &mut session.site.pages[index];
        let listed_changed = page.summary != summary;
        page.summary = summary;
        page.html = html;
        page.toc = rendered.toc;
        page.char_count = rendered.char_count;
        page.doc = doc;
        if let Some(cards) = &mut session.cards {
            cards[index] = fingerprint::card(page);
        }
        session.training.page_edited(&mut session.site, index);
        let sink = |rel: &str, bytes: &[u8]| crate::write::replace_file(output, rel, bytes);
        files += crate::render::render_page_and_lists(
            &session.site,
            &session.training,
            &session.tera,
            index,
            listed_changed,
            &sink,
        )
        .map_err(|problems| {
            let mut d = Diagnostics::default();
            d.extend(problems);
            d
        })?;
        session.views_stale(index);
        if let Some(doc) = session.search_docs.get_mut(index) {
            *doc = crate::build::search_doc(
                &session.site,
                &session.site.pages[index],
                rendered.sections,
            );
        }
    }
    Ok(files)
}
