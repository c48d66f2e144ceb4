//! Rebuild: runs the ordinary build into a private folder, one fresh folder per build.
//!
//! `serve` never writes `public/`: that stays the editor's last real build. Each build
//! goes to `.shuyuan/tmp/serve-<pid>-<k>/<n>/` in the site through the same staging and swap as
//! `shuyuan build`, so what is served equals what `build` writes. A new folder per build
//! (rather than swapping one folder in place) means the server switches from one
//! complete build to the next in a single pointer change, with no moment where the
//! folder is missing; the previous build is kept for requests still reading from it.
//!
//! Saved pages — body or front-matter edits, new and removed pages — are applied in place
//! to the current folder by the build's [`Session`] (see [`crate::dev::incremental`]): only the
//! files showing what changed are rendered again, and the search indexes follow in the
//! background. Everything else — and any edit after a failed build — rebuilds the whole
//! site into a new folder.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

use crate::build::{BuildOptions, BuildReport, build_retained};
use crate::dev::incremental::{Session, Update};
use crate::diagnostics::Diagnostics;

/// Builds kept on disk: the current one, and the one before for requests still in flight.
const KEPT_BUILDS: usize = 2;

/// A successful build and where it landed.
pub struct Built {
    pub output: PathBuf,
    pub report: BuildReport,
    /// Applied in place to the previous folder rather than built anew.
    pub in_place: bool,
}

pub struct Builder {
    root: PathBuf,
    drafts: bool,
    /// Holds one folder per build; removed when the builder is dropped.
    work: PathBuf,
    count: u64,
    kept: VecDeque<PathBuf>,
    /// The last good full build, kept for in-place updates.
    session: Option<Session>,
    /// Whether the last outcome was a failure: then only a full build can say it is fixed.
    failed: bool,
    /// An in-place update left the search indexes behind.
    reindex_pending: bool,
}

impl Builder {
    pub fn new(root: &Path, drafts: bool) -> io::Result<Builder> {
        // Process id and a counter: unique among builders in one process (the tests make
        // several). A killed server's folder is cleared by the next run that takes the lock.
        let work = crate::output::lock::work_folder(root, "serve");
        // Left over only by an earlier process that had the same id and was killed; deleted
        // only if it carries our marker, as every folder we create does.
        crate::output::write::remove_owned_dir(&work).map_err(|d| io::Error::other(d.message))?;
        std::fs::create_dir_all(&work)?;
        std::fs::write(work.join(crate::output::write::MARKER), b"shuyuan serve\n")?;
        // Canonical, so the server's "is this file inside the output" check compares like
        // with like (the site may lie behind a symlink).
        let work = std::fs::canonicalize(&work)?;
        Ok(Builder {
            root: root.to_path_buf(),
            drafts,
            work,
            count: 0,
            kept: VecDeque::new(),
            session: None,
            failed: false,
            reindex_pending: false,
        })
    }

    /// Builds the whole site into a new folder. On failure nothing on disk changes and
    /// the last good build stays as it was.
    pub fn rebuild(&mut self) -> Result<Built, Diagnostics> {
        self.count += 1;
        let output = self.work.join(self.count.to_string());
        let options = BuildOptions {
            output: output.clone(),
            include_drafts: self.drafts,
            ..BuildOptions::new(&self.root)
        };
        let (report, session) = match build_retained(&options, &|_| {}) {
            Ok((report, retained)) => (report, Session::new(retained)),
            Err(diagnostics) => {
                self.failed = true;
                return Err(diagnostics);
            }
        };
        self.failed = false;
        // The new session's build already indexed everything.
        self.reindex_pending = false;
        self.session = Some(session);
        self.kept.push_back(output.clone());
        while self.kept.len() > KEPT_BUILDS {
            if let Some(old) = self.kept.pop_front() {
                // A file still open for a slow download can make this fail on Windows;
                // the folder then goes when the server stops.
                let _ = crate::output::write::remove_owned_dir(&old);
            }
        }
        Ok(Built {
            output,
            report,
            in_place: false,
        })
    }
}

impl Builder {
    /// Whether in-place updates left handouts or search behind.
    pub fn has_pending_work(&self) -> bool {
        self.reindex_pending
    }

    /// Brings handouts, paths, the glossary and (in the background) the search indexes up to
    /// date after in-place updates.
    pub fn catch_up(&mut self) {
        if let (true, Some(session), Some(output)) = (
            self.reindex_pending,
            self.session.as_mut(),
            self.kept.back(),
        ) {
            if let Err(diagnostics) = session.catch_up(output) {
                for diagnostic in diagnostics.iter() {
                    eprintln!("{diagnostic}\n");
                }
            }
            session.reindex_in_background(output);
        }
        self.reindex_pending = false;
    }

    /// Applies `changed` in place when the session can, otherwise rebuilds everything.
    pub fn update(&mut self, changed: &[PathBuf], rescan: bool) -> Result<Built, Diagnostics> {
        let current = self.kept.back().cloned();
        let (Some(session), Some(output), false, false) =
            (self.session.as_mut(), current, rescan, self.failed)
        else {
            return self.rebuild();
        };
        match session.update(changed, &output) {
            Ok(Update::Applied {
                files,
                elapsed,
                warnings,
            }) => {
                self.reindex_pending = true;
                let report = BuildReport {
                    pages: session.pages(),
                    files,
                    written: files,
                    elapsed,
                    diagnostics: warnings,
                };
                Ok(Built {
                    output,
                    report,
                    in_place: true,
                })
            }
            Ok(Update::NeedsFullBuild) => self.rebuild(),
            Err(diagnostics) => {
                self.failed = true;
                Err(diagnostics)
            }
        }
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        let _ = crate::output::write::remove_owned_dir(&self.work);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_two_builds_and_cleans_up() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("content")).unwrap();
        std::fs::write(
            site.path().join("content/a.md"),
            "---\ntitle: 甲\n---\n正文\n",
        )
        .unwrap();
        let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        for entry in walkdir::WalkDir::new(&theme) {
            let entry = entry.unwrap();
            let target = site
                .path()
                .join("themes/default")
                .join(entry.path().strip_prefix(&theme).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(target).unwrap();
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }

        let mut builder = Builder::new(site.path(), false).unwrap();
        let work = builder.work.clone();
        let first = builder.rebuild().unwrap().output;
        let second = builder.rebuild().unwrap().output;
        assert!(first.join("a.html").is_file() && second.join("a.html").is_file());
        let third = builder.rebuild().unwrap();
        assert_eq!(third.report.pages, 1);
        assert!(!first.exists(), "the oldest build is removed");
        assert!(
            second.exists(),
            "the previous build stays for requests in flight"
        );

        std::fs::write(site.path().join("content/a.md"), "---\ntitle: [\n---\n").unwrap();
        assert!(builder.rebuild().is_err());
        assert!(
            third.output.join("a.html").is_file(),
            "a failed build changes nothing"
        );
        assert!(
            !site.path().join("public").exists(),
            "serve never writes public/"
        );

        drop(builder);
        assert!(!work.exists());
    }
}
