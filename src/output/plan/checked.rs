//! A plan checked without problems, kept by a preview: after an edit, only the paths the
//! plan did not hold before are checked, against all it holds, instead of the whole plan.
//!
//! Every problem [`super::check`] finds lies in one path (a name) or between two (the same
//! path, the same but for case, or a file where the other needs a folder). So when each path
//! was checked against every path before it, once, when it first appeared, and the plan now
//! holds no path twice, the plan is clean. Paths that left the plan stay in the record: they
//! can only make an edit fall back to the full check (which then records the plan anew),
//! never let a problem through. The files an edit cannot change (static files, attachments)
//! are recorded once: a preview takes only pages in place, anything else is a full build.

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Job, fold_case};
use crate::model::Site;
use crate::source::theme::ThemeFiles;

/// When a path was last seen in the plan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// The files an in-place edit cannot change (the theme's and the site's static files,
    /// attachments, the index's folder, the output marker): a render job, an old address or
    /// a part of the sitemap that lands on one is a clash.
    Fixed,
    /// In the plan of this edit (see [`CheckedPaths::admit`]).
    Edit(u32),
}

/// The paths of every plan found clean since the last full check.
pub struct CheckedPaths {
    paths: FxHashMap<Box<str>, Seen>,
    /// The case-folded form of each path that case folding changes; the others are their
    /// own folded form, in `paths`.
    folded: FxHashSet<Box<str>>,
    /// Every folder the paths need, case-folded.
    folders: FxHashSet<Box<str>>,
    edit: u32,
}

impl CheckedPaths {
    /// The plan of `site`, whose render jobs are `jobs`, which [`super::check`] found clean.
    pub fn of(site: &Site, jobs: &[Job], theme: &ThemeFiles) -> CheckedPaths {
        let statics = super::static_files(theme);
        let mut checked = CheckedPaths {
            paths: FxHashMap::default(),
            folded: FxHashSet::default(),
            folders: FxHashSet::default(),
            edit: 0,
        };
        let sitemap = super::sitemap::paths(site, jobs);
        for path in edited_paths(site, jobs, &sitemap) {
            checked.record(path, Seen::Edit(0));
        }
        for (path, _) in super::entries(site, jobs, &statics, &sitemap) {
            if !checked.paths.contains_key(path) {
                checked.record(path, Seen::Fixed);
            }
        }
        checked
    }

    /// Whether the plan of `site` after an in-place edit, with render jobs `jobs`, is
    /// clean as far as its new paths tell: `true` when no path is there twice and each new
    /// one has a good name and meets no other path, and then the new paths are recorded.
    /// `false` asks for the full check, which names the problem, if there is one; the record,
    /// which may hold some of the new paths by then, is to be made anew
    /// ([`CheckedPaths::of`]) once the plan is found clean.
    pub fn admit(&mut self, site: &Site, jobs: &[Job]) -> bool {
        self.edit += 1;
        let edit = Seen::Edit(self.edit);
        let sitemap = super::sitemap::paths(site, jobs);
        for path in edited_paths(site, jobs, &sitemap) {
            match self.paths.get_mut(path) {
                Some(seen) if *seen == edit || *seen == Seen::Fixed => return false,
                Some(seen) => *seen = edit,
                None => {
                    if !self.fits(path) {
                        return false;
                    }
                    self.record(path, edit);
                }
            }
        }
        true
    }

    /// Whether `path`, new to the plan, has a good name along its length and meets no path
    /// recorded: none the same but for case, none a file where it needs a folder, and none
    /// needing a folder where it is a file.
    fn fits(&self, path: &str) -> bool {
        let named = |f: &str| self.paths.contains_key(f) || self.folded.contains(f);
        let folded = fold_case(path);
        if named(&folded) || self.folders.contains(&*folded) {
            return false;
        }
        let folder_is_a_file = folded
            .match_indices('/')
            .any(|(end, _)| named(&folded[..end]));
        let bad_name = path
            .split('/')
            .any(|name| crate::names::problem(name).is_some());
        !folder_is_a_file && !bad_name
    }

    fn record(&mut self, path: &str, seen: Seen) {
        let folded = fold_case(path);
        for (end, _) in folded.match_indices('/') {
            if !self.folders.contains(&folded[..end]) {
                self.folders.insert(folded[..end].into());
            }
        }
        if let Cow::Owned(folded) = folded {
            self.folded.insert(folded.into());
        }
        self.paths.insert(path.into(), seen);
    }
}

/// The paths an in-place edit can change: the render jobs', the old addresses' and the
/// sitemap's (a part comes or goes with the pages).
fn edited_paths<'a>(
    site: &'a Site,
    jobs: &'a [Job],
    sitemap: &'a [String],
) -> impl Iterator<Item = &'a str> {
    let jobs = jobs.iter().map(|job| job.path.as_str());
    let aliases = site.aliases.iter().map(|(path, _)| path.as_str());
    jobs.chain(aliases)
        .chain(sitemap.iter().map(String::as_str))
}
