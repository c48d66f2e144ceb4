//! Watch: notices saves under `content/`, `themes/`, `templates/`, `static/` and to
//! `site.toml`, and turns notify's events into [`Changes`] for the serve loop.
//!
//! The system's own notifications (inotify, FSEvents, ReadDirectoryChangesW) are used
//! where they work; `--poll`, or a native watcher that fails to start (inotify limits,
//! some network drives), switches to notify's `PollWatcher`, which compares timestamps
//! and contents every half second. Either way an event is reported once it is 40 ms old, with
//! every other event that has come due by then (notify's debouncer looks every 10 ms, a quarter
//! of the wait): the write, rename and metadata events of one save, a few milliseconds apart,
//! mostly come as one change. When they fall on both sides of a look, a second rebuild follows
//! the first at once, and the page shows the second.
//!
//! The site root itself is watched non-recursively: that sees `site.toml` even when an
//! editor replaces the file rather than writing into it, and sees a watched folder that
//! is created (or deleted and created again) while the server runs, which is then
//! watched too. Scratch files that editors write beside the real one are ignored, so
//! typing in Vim or Emacs does not reload the page between saves.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify_debouncer_full::notify::event::{MetadataKind, ModifyKind};
use notify_debouncer_full::notify::{
    self, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode,
};
use notify_debouncer_full::{
    DebounceEventHandler, DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer,
    new_debouncer_opt,
};

/// The folders under the site root whose files go into the build.
const WATCHED_DIRS: [&str; 4] = ["content", "themes", "templates", "static"];
const CONFIG_FILE: &str = crate::config::CONFIG_FILE;
/// Long enough to take one save as one change (an editor's write, rename and metadata events
/// arrive within a few milliseconds), short enough not to be most of the wait for a reload: a
/// save is reported 40–50 ms after it (50–62.5 ms with the 50 ms this was, a third of a title
/// edit's 200 ms budget at 100,000 pages). A shorter look than notify's would split more saves.
const DEBOUNCE: Duration = Duration::from_millis(40);
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The sources changed in one or more debounced batches, relative to the site root.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub paths: BTreeSet<PathBuf>,
    /// The watcher lost track (an overflowing event queue, an error): anything may have changed.
    pub rescan: bool,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan
    }

    pub fn merge(&mut self, other: Changes) {
        self.paths.extend(other.paths);
        self.rescan |= other.rescan;
    }

    /// A short Chinese note naming what changed, for the rebuild summary line.
    pub fn describe(&self) -> String {
        let mut paths = self.paths.iter();
        match (paths.next(), self.paths.len()) {
            (Some(first), 1) => first.display().to_string(),
            (Some(first), n) => format!("{} 等 {n} 个文件", first.display()),
            (None, _) => "全部文件".to_string(),
        }
    }
}

enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

impl Inner {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            Inner::Native(debouncer) => debouncer.watch(path, mode),
            Inner::Poll(debouncer) => debouncer.watch(path, mode),
        }
    }
}

pub struct Watcher {
    /// Canonical, like the paths in the events.
    root: PathBuf,
    inner: Inner,
}

impl Watcher {
    /// Starts watching `root`; every debounced batch of events goes to `handler`, to be
    /// turned into [`Changes`] by [`Watcher::changes`] on the serve loop's thread.
    pub fn start<H>(root: &Path, poll: bool, handler: H) -> Result<Watcher, notify::Error>
    where
        H: DebounceEventHandler + Clone,
    {
        if !poll {
            let native = new_debouncer(DEBOUNCE, None, handler.clone())
                .map(Inner::Native)
                .and_then(|inner| Watcher::watching(root, inner));
            match native {
                Ok(watcher) => return Ok(watcher),
                Err(e) => {
                    eprintln!("提示：系统的文件变动通知不可用（{e}），改为每 0.5 秒检查一次文件")
                }
            }
        }
        // PollWatcher keeps timestamps only to the second, so a second save within the same
        // second would go unseen; comparing contents catches it, at the cost of reading
        // the watched files on every poll.
        let config = notify::Config::default()
            .with_poll_interval(POLL_INTERVAL)
            .with_compare_contents(true);
        let inner = new_debouncer_opt(DEBOUNCE, None, handler, NoCache, config).map(Inner::Poll)?;
        Watcher::watching(root, inner)
    }

    fn watching(root: &Path, mut inner: Inner) -> Result<Watcher, notify::Error> {
        inner.watch(root, RecursiveMode::NonRecursive)?;
        for dir in WATCHED_DIRS
            .map(|d| root.join(d))
            .iter()
            .filter(|d| d.is_dir())
        {
            inner.watch(dir, RecursiveMode::Recursive)?;
        }
        Ok(Watcher {
            root: root.to_path_buf(),
            inner,
        })
    }

    pub fn is_polling(&self) -> bool {
        matches!(self.inner, Inner::Poll(_))
    }

    /// The changes in one batch that matter to the build; starts watching folders that
    /// appeared.
    pub fn changes(&mut self, batch: DebounceEventResult) -> Changes {
        let mut changes = Changes::default();
        let events = match batch {
            Ok(events) => events,
            Err(errors) => {
                for error in errors {
                    eprintln!("提示：监视文件时出错：{error}");
                }
                // Events may have been lost with the error: rebuild rather than miss a save.
                changes.rescan = true;
                return changes;
            }
        };
        for event in events {
            // Reading a file is not changing it; the build itself reads every source.
            if matches!(
                event.kind,
                EventKind::Access(_)
                    | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))
            ) {
                continue;
            }
            changes.rescan |= event.need_rescan();
            for path in &event.paths {
                if self.is_watched_dir(path) && path.is_dir() {
                    // Created, or deleted and created again: its old watch is gone.
                    if let Err(e) = self.inner.watch(path, RecursiveMode::Recursive) {
                        eprintln!("提示：无法监视 {}：{e}", path.display());
                    }
                }
                if let Some(rel) = source_path(&self.root, path) {
                    changes.paths.insert(rel);
                }
            }
        }
        changes
    }

    fn is_watched_dir(&self, path: &Path) -> bool {
        path.parent() == Some(self.root.as_path())
            && path
                .file_name()
                .is_some_and(|name| WATCHED_DIRS.iter().any(|d| OsStr::new(d) == name))
    }
}

/// `path` relative to the site root, when a change to it can change the built site.
fn source_path(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(root).ok()?;
    let mut components = rel.components();
    let Some(Component::Normal(first)) = components.next() else {
        return None;
    };
    let is_config = first == CONFIG_FILE && components.next().is_none();
    if !is_config && !WATCHED_DIRS.iter().any(|d| OsStr::new(d) == first) {
        return None;
    }
    // The build skips hidden files and folders; editors' scratch files are not content.
    let hidden = rel
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
    let name = rel.file_name()?.to_string_lossy();
    (!hidden && !is_editor_scratch(&name)).then(|| rel.to_path_buf())
}

/// Backup, swap and autosave files that editors write next to the file being edited.
fn is_editor_scratch(name: &str) -> bool {
    name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913" // Vim's "can I write here" probe
        || [".swp", ".swx", ".tmp", "___jb_tmp___", "___jb_old___"].iter().any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_of_the_build_count() {
        let root = Path::new("/site");
        let rel = |p: &str| source_path(root, &root.join(p));
        assert_eq!(
            rel("content/cases/a.md"),
            Some(PathBuf::from("content/cases/a.md"))
        );
        assert_eq!(rel("content"), Some(PathBuf::from("content")));
        assert_eq!(
            rel("themes/default/templates/page.html"),
            Some(PathBuf::from("themes/default/templates/page.html"))
        );
        assert_eq!(
            rel("templates/page.html"),
            Some(PathBuf::from("templates/page.html"))
        );
        assert_eq!(
            rel("static/logo.png"),
            Some(PathBuf::from("static/logo.png"))
        );
        assert_eq!(rel("site.toml"), Some(PathBuf::from("site.toml")));
        for ignored in [
            "public/index.html",
            ".shuyuan/index/meta.json",
            "README.md",
            "site.toml~",
            "content/.obsidian/workspace.json",
            "content/cases/.a.md.swp",
            "content/cases/a.md~",
            "content/cases/#a.md#",
            "content/cases/4913",
            "content/cases/a.md___jb_tmp___",
        ] {
            assert_eq!(rel(ignored), None, "{ignored}");
        }
        assert_eq!(
            source_path(root, Path::new("/elsewhere/content/a.md")),
            None
        );
    }

    #[test]
    fn changes_merge_and_describe_themselves() {
        let mut changes = Changes::default();
        assert!(changes.is_empty());
        changes.merge(Changes {
            paths: [PathBuf::from("content/b.md")].into(),
            rescan: false,
        });
        assert_eq!(changes.describe(), "content/b.md");
        changes.merge(Changes {
            paths: [PathBuf::from("content/a.md")].into(),
            rescan: false,
        });
        assert_eq!(changes.describe(), "content/a.md 等 2 个文件");
        assert_eq!(
            Changes {
                paths: BTreeSet::new(),
                rescan: true
            }
            .describe(),
            "全部文件"
        );
    }
}
