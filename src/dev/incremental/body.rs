//! Body edits: pages whose front matter and headings are unchanged. Nothing that ties pages
//! together moves, so each page is rendered again with the lists that show its summary.

use std::path::Path;

use super::{Edit, Session, fingerprint};
use crate::diagnostics::Diagnostics;

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
    let mut filled = crate::model::resolve::relink(site, &bodies);
    for body in &mut filled {
        diagnostics.extend(std::mem::take(&mut body.problems));
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }

    let mut files = 0;
    for (edit, filled) in edits.into_iter().zip(filled) {
        let Edit {
            index,
            doc,
            rendered,
        } = edit;
        session.links.page_rendered(&doc.rel, &rendered);
        let page = &mut session.site.pages[index];
        let summary_before = page.summary.take();
        page.doc = doc;
        page.take_text(rendered.sections, &rendered.first_paragraph, &filled.titles);
        let listed_changed = page.summary != summary_before;
        page.html = filled.html;
        page.toc = rendered.toc;
        if let Some(cards) = &mut session.cards {
            cards[index] = fingerprint::card(page);
        }
        session.training.page_edited(&mut session.site, index);
        let sink = |rel: &str, bytes: &[u8]| crate::output::write::replace_file(output, rel, bytes);
        files += crate::output::render::render_page_and_lists(
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
        let text = std::mem::take(&mut session.site.pages[index].text);
        if let Some(doc) = session.search_docs.get_mut(index) {
            *doc = crate::output::indexing::search_doc(
                &session.site,
                &session.site.pages[index],
                text,
            );
        }
    }
    Ok(files)
}
