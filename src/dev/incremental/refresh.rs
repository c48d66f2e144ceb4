//! Refresh: the one way an in-place update reaches the output, for body edits and
//! restructuring edits alike. Once the site in memory is up to date, the changed pages'
//! cards are made again and every file is fingerprinted again ([`super::fingerprint`]); the
//! files whose fingerprint changed and the pages whose bodies were rendered again are
//! written, with the old addresses and the sitemap's files whose fingerprint changed, and the files
//! the site no longer has are removed. A fingerprint hashes cards and the ties between
//! pages, so when neither moved (a body edit that leaves every card as it was) none can
//! have changed, and only the rewritten pages are written.

use std::collections::HashSet;
use std::path::Path;

use super::fingerprint::{self, Fingerprints};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::PageId;
use crate::model::resolve::Site;
use crate::output::plan::sitemap::Sitemap;
use crate::output::render::{Job, What};
use crate::training::Training;

/// Whether an edit may have changed what ties pages together (order, references, lists,
/// related pages, which pages and files there are).
#[derive(Clone, Copy)]
pub(super) enum Ties<'a> {
    Kept,
    /// With the render jobs of the site as it is now.
    Moved(&'a [Job]),
}

/// The pages `changed` changed (their cards are made again) and the bodies of `rewritten`
/// were rendered again: writes what that changes into `output`, which held the site as
/// `fingerprints` knew it, and brings `fingerprints` up to date. Returns how many files were
/// written; `Err` when a template or a write failed.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_changed(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    fingerprints: &mut Fingerprints,
    changed: &[PageId],
    rewritten: &HashSet<PageId>,
    ties: Ties,
    output: &Path,
) -> Result<usize, Vec<Diagnostic>> {
    let sink = |rel: &str, bytes: &[u8]| crate::output::write::replace_file(output, rel, bytes);
    let cards_changed = fingerprints.new_cards(site, changed);
    let listed;
    let jobs = match ties {
        Ties::Moved(jobs) => jobs,
        Ties::Kept if cards_changed => {
            listed = crate::output::render::jobs(site, training);
            &listed
        }
        Ties::Kept => {
            let pages: Vec<_> = rewritten
                .iter()
                .map(|&id| crate::output::render::page_job(site, id))
                .collect();
            let problems = crate::output::render::render_jobs(site, training, tera, &pages, &sink);
            return if problems.is_empty() {
                Ok(pages.len())
            } else {
                Err(problems)
            };
        }
    };
    let sitemap = Sitemap::of(site, jobs);
    let refreshed = fingerprints.refresh(site, training, jobs, &sitemap);
    let changed = |path: &str| refreshed.changed.contains(path);
    for path in &refreshed.removed {
        crate::output::write::remove_file(output, path).map_err(|e| {
            vec![Diagnostic::error(
                Code::Io,
                output.join(path),
                format!("删除失败：{e}"),
            )]
        })?;
    }
    let dirty: Vec<_> = jobs
        .iter()
        .filter(|job| {
            fingerprint::tracked(job)
                && (matches!(job.what, What::Page(id) if rewritten.contains(&id))
                    || changed(&job.path))
        })
        .cloned()
        .collect();
    let problems = crate::output::render::render_jobs(site, training, tera, &dirty, &sink);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut files = dirty.len();
    for (alias, target) in &site.aliases {
        if changed(alias) {
            let html = crate::output::render::redirect_page(site, alias, *target);
            sink(alias, html.as_bytes()).map_err(|d| vec![d])?;
            files += 1;
        }
    }
    for (k, path) in sitemap.paths.iter().enumerate() {
        if changed(path) {
            sink(path, sitemap.render(k).as_bytes()).map_err(|d| vec![d])?;
            files += 1;
        }
    }
    Ok(files)
}
