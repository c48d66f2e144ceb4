//! Body edits: pages whose front matter and headings are unchanged. Nothing that ties pages
//! together moves, so each body is filled in and taken in again, and [`super::refresh`]
//! writes the pages and whatever shows what changed of them (a summary taken from the
//! first paragraph).

use std::collections::HashSet;
use std::path::Path;

use super::fingerprint::Fingerprints;
use super::refresh::Ties;
use super::{Edit, Session};
use crate::diagnostics::Diagnostics;

/// Applies the edits; returns how many files were written and the warnings the edited
/// bodies' links gave. `Err` is a broken link (then nothing changed) or a template or write
/// error (then the preview's next build is a full one, [`crate::dev::serve`]).
pub(super) fn apply(
    session: &mut Session,
    edits: Vec<Edit>,
    output: &Path,
) -> Result<(usize, Diagnostics), Diagnostics> {
    let site = &session.site;
    let bodies: Vec<_> = edits
        .iter()
        .map(|edit| {
            (
                site.pages[edit.page].url.as_str(),
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

    let mut fingerprints = session
        .fingerprints
        .take()
        .unwrap_or_else(|| Fingerprints::new(&session.site, &session.training));
    let mut edited = Vec::with_capacity(edits.len());
    for (edit, filled) in edits.into_iter().zip(filled) {
        let Edit {
            page: id,
            doc,
            mut rendered,
        } = edit;
        session.links.page_rendered(&doc.rel, &rendered);
        let page = &mut session.site.pages[id];
        page.doc = doc;
        super::take_body_text(
            session.texts.as_deref(),
            page,
            &mut rendered,
            &filled.titles,
        );
        page.html = filled.html;
        page.toc = rendered.toc;
        session.training.page_edited(&mut session.site, id);
        session.views_stale(id);
        let text = std::mem::take(&mut session.site.pages[id].text);
        if let Some(doc) = session.search_docs.get_mut(id) {
            *doc = std::sync::Arc::new(crate::output::indexing::search_doc(
                &session.site,
                &session.site.pages[id],
                text,
            ));
        }
        edited.push(id);
    }
    let rewritten: HashSet<_> = edited.iter().copied().collect();
    let files = super::refresh::write_changed(
        &session.site,
        &session.training,
        &session.tera,
        &mut fingerprints,
        &edited,
        &rewritten,
        Ties::Kept,
        output,
    )
    .map_err(|problems| {
        let mut d = Diagnostics::default();
        d.extend(problems);
        d
    })?;
    session.fingerprints = Some(fingerprints);
    Ok((files, diagnostics))
}
