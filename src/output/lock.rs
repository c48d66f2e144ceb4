//! Lock: `build`, `pack` and `serve` of one site run one at a time, and the run holding the
//! lock clears away what killed runs of the site left behind.
//!
//! The lock itself is the operating system's exclusive lock on `.shuyuan/lock.guard` (flock
//! on Unix, LockFileEx on Windows). The system drops it when its holder ends in any way,
//! `kill -9` included, so a lock never outlives its process, and a process id that another
//! program has since been given cannot keep it held. `.shuyuan/lock` names the holder —
//! process id, command, start time — for the message a second run prints (Windows lets no
//! one read a locked file, hence a second file). The holder removes it when it ends
//! normally, on an error, and on Ctrl-C or SIGTERM; found while the guard is free, it tells
//! that the run that wrote it was killed: the new run says so and takes over.
//!
//! Scratch space lives in the site, not in the system's temporary folder, so only the site's
//! own runs ever leave it there: `.shuyuan/tmp/<purpose>-<pid>-<n>`. Each output replaced by
//! renaming has its scratch beside it, `.<name>.staging-<pid>` (and `….old`, the previous
//! output while the new one moves in). Whoever holds the lock knows that every such entry
//! with another process id belongs to a run that is over, and removes it: beside the output
//! it replaces, and beside the default `public/` whatever the command. A staging folder whose
//! in-place commit had begun (it holds the commit's journal) is finished instead.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::output::write::in_place;
use crate::output::write::{DEFAULT_OUTPUT, STATE_DIR, scratch_dir};

const HOLDER_FILE: &str = "lock";
const GUARD_FILE: &str = "lock.guard";
/// How long Ctrl-C waits for writes under way (indexing a large site is one) before it
/// removes this run's scratch regardless; what a write then puts back, the next run removes.
const INTERRUPT_PATIENCE: Duration = Duration::from_secs(5);

/// The run that holds, or held, a site's lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    pub pid: u32,
    /// `build`, `pack` or `serve`.
    pub command: String,
    /// Seconds since 1970 (UTC).
    pub started: u64,
}

impl Holder {
    fn this_process(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            command: command.to_string(),
            started: now(),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "pid={}\ncommand={}\nstarted={}\nstarted_utc={}\n",
            self.pid,
            self.command,
            self.started,
            utc(self.started)
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let field = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            command: field("command")?.to_string(),
            started: field("started")?.parse().ok()?,
        })
    }

    /// `进程 1234（shuyuan build，开始于 2026-12-05 06:30:05）`, in local time.
    pub fn describe(&self) -> String {
        format!(
            "进程 {}（shuyuan {}，开始于 {}）",
            self.pid,
            self.command,
            local(self.started)
        )
    }
}

/// Why a run could not take the lock.
#[derive(Debug)]
pub enum LockError {
    /// Another run holds it; `None` when it has not said who it is.
    Held(Option<Holder>),
    Io {
        path: PathBuf,
        error: io::Error,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held(holder) => {
                let who = holder.as_ref().map_or_else(
                    || "另一个书院进程使用".to_string(),
                    |holder| {
                        let running = elapsed(now().saturating_sub(holder.started));
                        format!("{}使用，它已运行 {running}", holder.describe())
                    },
                );
                write!(
                    f,
                    "这个站点正被{who}。同一站点的 build、pack 和 serve 不能同时运行，请等它结束（预览请在它的窗口按 Ctrl-C 停止）后再试"
                )
            }
            LockError::Io { path, error } => {
                write!(f, "无法锁定站点（{}）：{error}", path.display())
            }
        }
    }
}

impl std::error::Error for LockError {}

/// Held while a run may write the site's output or scratch; released when dropped.
pub struct SiteLock {
    root: PathBuf,
    /// Holds the system's lock while it is open.
    _guard: File,
}

impl SiteLock {
    /// Takes the lock of the site at `root` for `command`, or says who holds it. Returns the
    /// notes to show: a stale lock taken over, scratch of killed runs removed.
    pub fn acquire(root: &Path, command: &str) -> Result<(SiteLock, Vec<String>), LockError> {
        let dir = root.join(STATE_DIR);
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |error| LockError::Io { path, error }
        };
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let guard_path = dir.join(GUARD_FILE);
        let guard = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&guard_path)
            .map_err(io_error(&guard_path))?;
        let mut notes = Vec::new();
        match guard.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held(read_holder_patiently(root)));
            }
            // Some network drives cannot lock files: the run goes on, the editor warned.
            Err(TryLockError::Error(e)) => notes.push(format!(
                "无法锁定 {}（{e}），所在的磁盘可能不支持文件锁：请勿同时对这个站点运行 build、pack 或 serve",
                guard_path.display()
            )),
        }
        let holder_path = dir.join(HOLDER_FILE);
        if let Some(stale) = read_holder(&holder_path) {
            notes.push(format!(
                "上次运行——{}——没有正常结束，它留下的锁已失效，由本次运行接管",
                stale.describe()
            ));
        }
        // Written whole, then renamed: a second run never reads half of it.
        let fresh = dir.join(format!("{HOLDER_FILE}.new-{}", std::process::id()));
        fs::write(&fresh, Holder::this_process(command).to_text())
            .and_then(|()| fs::rename(&fresh, &holder_path))
            .map_err(io_error(&holder_path))?;
        let lock = SiteLock {
            root: root.to_path_buf(),
            _guard: guard,
        };
        let other_run = |pid| pid != std::process::id();
        notes.extend(clear_scratch(root, &other_run));
        // A build killed while writing `public/` may be followed by one with another
        // `--output`, or by a pack or a preview: its staging would stay for good.
        notes.extend(clear_beside(&root.join(DEFAULT_OUTPUT), &other_run));
        Ok((lock, notes))
    }

    /// Removes what killed runs left beside `target` (an output folder or a zip this run
    /// replaces): their staging folders, and a previous output they had moved aside, which
    /// goes back in place if the new one never arrived. Returns notes on what was done.
    pub fn clear_beside(&self, target: &Path) -> Vec<String> {
        clear_beside(target, &|pid| pid != std::process::id())
    }

    /// On Ctrl-C or SIGTERM (or the terminal closing): removes this run's scratch and its
    /// staging beside each of `targets`, putting a previous output it had moved aside back,
    /// releases the lock and ends the process with code 130.
    pub fn release_on_interrupt(&self, targets: Vec<PathBuf>) -> Result<(), ctrlc::Error> {
        let root = self.root.clone();
        ctrlc::set_handler(move || {
            // Held until the process ends: nothing is written into what is being removed.
            let stopped = crate::output::write::stop_writing(INTERRUPT_PATIENCE);
            let this_run = |pid| pid == std::process::id();
            clear_scratch(&root, &this_run);
            // Still committing after the wait: files are moving into the output. The staging
            // stays for the next run, which finishes the commit if it had begun. Otherwise no
            // commit will start (`abandon_commits`) and the staging goes.
            if stopped.is_none() && !crate::output::write::abandon_commits() {
                let _ = fs::remove_file(root.join(STATE_DIR).join(HOLDER_FILE));
                eprintln!("已中断：输出目录正在更新，下次运行 shuyuan build 时会把它整理好");
                std::process::exit(130);
            }
            for target in &targets {
                clear_beside(target, &this_run);
            }
            let _ = fs::remove_file(root.join(STATE_DIR).join(HOLDER_FILE));
            eprintln!("已中断：临时文件已清理，原有输出保持不变");
            std::process::exit(130);
        })
    }
}

impl Drop for SiteLock {
    /// The holder's note goes before the guard is unlocked (when the file closes), so a run
    /// that takes the lock next never mistakes it for a stale one.
    fn drop(&mut self) {
        let _ = fs::remove_file(self.root.join(STATE_DIR).join(HOLDER_FILE));
    }
}

/// A new, not yet created, work folder `<root>/.shuyuan/tmp/<purpose>-<pid>-<n>`, unique in
/// this process.
pub fn work_folder(root: &Path, purpose: &str) -> PathBuf {
    static FOLDERS: AtomicU64 = AtomicU64::new(0);
    let n = FOLDERS.fetch_add(1, Ordering::Relaxed);
    scratch_dir(root).join(format!("{purpose}-{}-{n}", std::process::id()))
}

/// Reads who holds the lock; the holder may be a moment away from writing it.
fn read_holder_patiently(root: &Path) -> Option<Holder> {
    let path = root.join(STATE_DIR).join(HOLDER_FILE);
    for _ in 0..20 {
        if let Some(holder) = read_holder(&path) {
            return Some(holder);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn read_holder(path: &Path) -> Option<Holder> {
    Holder::parse(&fs::read_to_string(path).ok()?)
}

/// Removes the scratch folders of the runs `whose` picks; returns a note for each.
fn clear_scratch(root: &Path, whose: &dyn Fn(u32) -> bool) -> Vec<String> {
    let mut notes = Vec::new();
    let mut remove = |path: PathBuf, pid: u32| match crate::output::write::remove_tree(&path) {
        Ok(()) => notes.push(format!(
            "已删除进程 {pid} 中断时留下的临时文件 {}",
            path.display()
        )),
        Err(e) => notes.push(format!("无法删除临时文件 {}：{e}", path.display())),
    };
    for (path, name) in entries(&scratch_dir(root)) {
        // `<purpose>-<pid>-<n>`
        let mut parts = name.splitn(3, '-');
        let (Some(purpose), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let (true, Ok(pid)) = (purpose.bytes().all(|b| b.is_ascii_lowercase()), pid.parse())
            && whose(pid)
        {
            remove(path, pid);
        }
    }
    // Versions with a tantivy index staged it here.
    for (path, name) in entries(&root.join(STATE_DIR)) {
        if let Some(Ok(pid)) = name.strip_prefix(".index.staging-").map(str::parse)
            && whose(pid)
        {
            remove(path, pid);
        }
    }
    notes
}

fn clear_beside(target: &Path, whose: &dyn Fn(u32) -> bool) -> Vec<String> {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return Vec::new();
    };
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = format!(".{name}.staging-");
    let mut notes = Vec::new();
    for (path, entry) in entries(parent) {
        let Some(rest) = entry.strip_prefix(&prefix) else {
            continue;
        };
        let (pid, moved_aside) = match rest.strip_suffix(".old") {
            Some(pid) => (pid, true),
            None => (rest, false),
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if !whose(pid) || !made_by_us(&path) {
            continue;
        }
        if moved_aside && fs::symlink_metadata(target).is_err() {
            match fs::rename(&path, target) {
                Ok(()) => notes.push(format!(
                    "进程 {pid} 在替换 {} 时中断，已把原来的内容放回",
                    target.display()
                )),
                Err(e) => notes.push(format!(
                    "进程 {pid} 在替换 {} 时中断，原来的内容在 {}，但无法放回：{e}",
                    target.display(),
                    path.display()
                )),
            }
            continue;
        }
        // An in-place commit that began only goes forward: the output already lacks some of
        // its old files.
        if !moved_aside && in_place::begun(&path) {
            match in_place::finish(&path, target) {
                Ok(()) => notes.push(format!(
                    "进程 {pid} 在更新 {} 时中断，已把这次更新做完",
                    target.display()
                )),
                Err(e) => {
                    // Left, it could be finished later over a newer output. Dropped, the
                    // output keeps part of that update until a build, which compares every
                    // file with what it makes, writes whatever differs.
                    let _ = crate::output::write::remove_tree(&path);
                    notes.push(format!(
                        "进程 {pid} 在更新 {} 时中断，这次更新无法做完（{e}），已放弃；请重新构建",
                        target.display()
                    ));
                }
            }
            continue;
        }
        match crate::output::write::remove_tree(&path) {
            Ok(()) => notes.push(format!("已删除进程 {pid} 中断时留下的 {}", path.display())),
            Err(e) => notes.push(format!("无法删除 {}：{e}", path.display())),
        }
    }
    notes
}

/// A staging entry is ours if it is a file that is empty or starts as every zip does (a
/// pack being written), or a real folder that carries the output marker or is still empty;
/// never a symlink. An output may lie outside the site (`--output`), so whatever else
/// happens to carry a staging name there is left alone.
fn made_by_us(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => {
            let mut start = [0u8; 2];
            let read = File::open(path).and_then(|mut f| f.read(&mut start));
            matches!(read, Ok(0)) || (matches!(read, Ok(2)) && &start == b"PK")
        }
        Ok(meta) if meta.is_dir() => {
            path.join(crate::output::write::MARKER).is_file()
                || fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
        }
        _ => false,
    }
}

/// The entries of `dir` with their names (none if it cannot be read).
fn entries(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flatten()
        .map(|e| (e.path(), e.file_name().to_string_lossy().to_string()))
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-12-04 22:30:05` in UTC, for the note file (the same on every machine).
fn utc(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `2026-12-05 06:30:05` in the machine's local time, for the reader of a message.
fn local(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn elapsed(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} 秒"),
        60..3600 => format!("{} 分 {} 秒", secs / 60, secs % 60),
        _ => format!("{} 小时 {} 分", secs / 3600, secs / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::write::MARKER;

    /// An output folder and the staging folder a killed run (process 7) left beside it.
    fn beside_output(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("public"), dir.join(".public.staging-7"))
    }

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder_until_the_first_is_dropped() {
        let site = tempfile::tempdir().unwrap();
        let (first, notes) = SiteLock::acquire(site.path(), "build").unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        match SiteLock::acquire(site.path(), "pack") {
            Err(LockError::Held(Some(holder))) => {
                assert_eq!(holder.pid, std::process::id());
                assert_eq!(holder.command, "build");
            }
            other => panic!("{:?}", other.map(|(_, notes)| notes)),
        }
        drop(first);
        assert!(!site.path().join(".shuyuan/lock").exists());
        let (_again, notes) = SiteLock::acquire(site.path(), "serve").unwrap();
        assert!(notes.is_empty(), "a lock released is not stale: {notes:?}");
    }

    #[test]
    fn a_commit_killed_after_its_journal_is_finished_by_the_next_holder() {
        let dir = tempfile::tempdir().unwrap();
        let (target, staging) = beside_output(dir.path());
        in_place::put_files(&[
            (&target, MARKER, ""),
            (&target, "a.html", "不变"),
            (&target, "gone.html", "删去的页"),
            (&staging, MARKER, ""),
            (&staging, "cases/b.html", "新页"),
        ]);
        let kept = std::collections::HashSet::from(["a.html".to_string()]);
        assert!(in_place::begin(&staging, &target, &kept).unwrap());

        let notes = clear_beside(&target, &|pid| pid == 7);
        assert!(notes[0].contains("已把这次更新做完"), "{notes:?}");
        assert!(!staging.exists());
        assert!(!target.join("gone.html").exists());
        assert_eq!(fs::read_to_string(target.join("a.html")).unwrap(), "不变");
        assert_eq!(
            fs::read_to_string(target.join("cases/b.html")).unwrap(),
            "新页"
        );
    }

    #[test]
    fn a_killed_commit_is_never_applied_to_a_folder_that_is_no_longer_ours() {
        let dir = tempfile::tempdir().unwrap();
        let (target, staging) = beside_output(dir.path());
        in_place::put_files(&[
            (&target, MARKER, ""),
            (&target, "gone.html", "删去的页"),
            (&staging, MARKER, ""),
            (&staging, "new.html", "新页"),
        ]);
        let kept = std::collections::HashSet::new();
        assert!(in_place::begin(&staging, &target, &kept).unwrap());
        // Since then, someone put their own documents where the output was.
        fs::remove_dir_all(&target).unwrap();
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("gone.html"), "别人的文件").unwrap();

        clear_beside(&target, &|pid| pid == 7);
        assert_eq!(
            fs::read_to_string(target.join("gone.html")).unwrap(),
            "别人的文件"
        );
        assert!(!target.join("new.html").exists());
        assert!(!staging.exists(), "the dropped commit's staging goes");
    }

    #[test]
    fn a_killed_commit_that_cannot_be_finished_is_dropped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let (target, staging) = beside_output(dir.path());
        // The staged file's place is a folder that still holds a file.
        in_place::put_files(&[
            (&target, MARKER, ""),
            (&target, "x.html/keep.txt", ""),
            (&staging, MARKER, ""),
            (&staging, "x.html", ""),
        ]);
        let kept = std::collections::HashSet::from(["x.html/keep.txt".to_string()]);
        assert!(in_place::begin(&staging, &target, &kept).unwrap());

        let notes = clear_beside(&target, &|pid| pid == 7);
        assert!(notes[0].contains("已放弃"), "{notes:?}");
        assert!(
            !staging.exists(),
            "never finished later over a newer output"
        );
        assert!(target.join("x.html/keep.txt").is_file());
    }

    #[test]
    fn the_holder_note_reads_back() {
        let holder = Holder {
            pid: 42,
            command: "serve".into(),
            started: 86_400 * 365 + 3_725,
        };
        assert_eq!(Holder::parse(&holder.to_text()), Some(holder.clone()));
        assert!(holder.to_text().contains("started_utc=1971-01-01 01:02:05"));
        assert_eq!(Holder::parse("pid=x\n"), None);
        assert_eq!(elapsed(3_725), "1 小时 2 分");
    }
}
