//! Write: every output file goes into a staging folder beside the output folder; only a
//! build without errors replaces the output, by renaming. A failed build leaves the
//! previous site exactly as it was, and a reader never sees a half-written file. A first
//! build swaps the whole staging folder in; once the output holds a site of ours, only the
//! files that changed go into the staging folder and are moved in ([`in_place`]).
//!
//! The output folder carries a marker file. An existing, non-empty folder without it is
//! never replaced, so a mistyped `--output` cannot delete someone's documents.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::diagnostics::{Code, Diagnostic};

pub mod in_place;
mod location;

pub use location::{
    DEFAULT_OUTPUT, STATE_DIR, canonical, check_output_location, protected_paths, scratch_dir,
};

pub const MARKER: &str = ".shuyuan-output";

/// Held for reading by everything that creates files or folders in a staging folder;
/// an interrupted run takes it for writing before it removes its staging (see
/// [`crate::output::lock`]), so no write still under way puts back what is being removed.
static WRITING: RwLock<()> = RwLock::new(());

/// Set while an in-place commit moves files into an output: an interrupt then leaves the
/// commit to the next run instead of removing its staging folder under it.
static COMMITTING: AtomicBool = AtomicBool::new(false);
/// Set by an interrupt that gave up waiting for the writers: no commit starts after it.
static ABANDONED: AtomicBool = AtomicBool::new(false);

/// For an interrupt that gave up waiting for the writers: stops any commit from starting and
/// says whether none is under way, in which case the staging folders may go. Each side sets
/// its flag before reading the other's, so one of them always sees the other.
pub fn abandon_commits() -> bool {
    ABANDONED.store(true, Ordering::SeqCst);
    !COMMITTING.load(Ordering::SeqCst)
}

/// Runs `commit` flagged as committing, unless an interrupt abandoned commits (`None`).
fn committing<T>(commit: impl FnOnce() -> T) -> Option<T> {
    COMMITTING.store(true, Ordering::SeqCst);
    let done = (!ABANDONED.load(Ordering::SeqCst)).then(commit);
    COMMITTING.store(false, Ordering::SeqCst);
    done
}

/// Lets the caller write into a staging folder until the guard is dropped.
pub fn writing() -> RwLockReadGuard<'static, ()> {
    WRITING.read().unwrap_or_else(PoisonError::into_inner)
}

/// Stops every write into staging folders for good, once those under way are done, or
/// after `patience` at the latest (`None`: something is still writing). Tries rather than
/// waits, so that writers taking the lock again inside a write never deadlock.
pub fn stop_writing(patience: Duration) -> Option<RwLockWriteGuard<'static, ()>> {
    let deadline = Instant::now() + patience;
    loop {
        match WRITING.try_write() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        }
    }
}

/// The staging folder that receives a build's files.
pub struct Output {
    staging: PathBuf,
    target: PathBuf,
    /// Whether `target` held an output of ours when the build began: a first build has no
    /// previous files to compare with, and skips asking for each.
    previous: bool,
    /// The files `target` already holds as this build makes them, left where they are.
    kept: Mutex<HashSet<String>>,
    /// Files this build made, and of those the ones written (not kept): [`Output::counts`].
    produced: AtomicUsize,
    written: AtomicUsize,
    /// Folders of the staging folder already made: a page's folder is made once, not asked
    /// for again (a failed `mkdir` and a `stat`) by every file written into it.
    made: Mutex<HashSet<PathBuf>>,
}

fn io_error(path: &Path, action: &str, e: io::Error) -> Diagnostic {
    Diagnostic::error(Code::Io, path, format!("{action}失败：{e}"))
}

impl Output {
    /// Prepares an empty staging folder next to `target`.
    pub fn begin(target: &Path) -> Result<Output, Diagnostic> {
        let _writing = writing();
        check_replaceable(target)?;
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(|e| io_error(parent, "创建目录", e))?;
        let name = target
            .file_name()
            .map_or_else(|| "public".into(), |n| n.to_string_lossy().to_string());
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        // Left by an earlier process that had this id; others' are cleared under the site lock.
        // One whose in-place commit had begun is finished first (see `in_place`). Should that
        // fail, the staging goes anyway: this build compares every file with what it makes and
        // writes whatever differs.
        if in_place::begun(&staging) {
            let _ = committing(|| in_place::finish(&staging, target));
        }
        remove_owned_dir(&staging)?;
        fs::create_dir_all(&staging).map_err(|e| io_error(&staging, "创建临时目录", e))?;
        fs::write(staging.join(MARKER), b"built by shuyuan\n")
            .map_err(|e| io_error(&staging, "写入", e))?;
        Ok(Output {
            staging,
            target: target.to_path_buf(),
            previous: target.join(MARKER).is_file(),
            kept: Mutex::default(),
            produced: AtomicUsize::new(0),
            written: AtomicUsize::new(0),
            made: Mutex::default(),
        })
    }

    /// Makes the folder that will hold `path`, unless this build already made it.
    fn make_parent(&self, path: &Path) -> Result<(), Diagnostic> {
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if !made.contains(parent) {
            fs::create_dir_all(parent).map_err(|e| io_error(parent, "创建目录", e))?;
            made.insert(parent.to_path_buf());
        }
        Ok(())
    }

    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Whether this build has already written `rel` (kept or staged): where two folders
    /// provide a file, the first one written wins.
    pub fn has(&self, rel: &str) -> bool {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(rel)
            || self.staging.join(rel).exists()
    }

    /// How many files this build made, and how many of them it wrote (the rest the previous
    /// output held already).
    pub fn counts(&self) -> (usize, usize) {
        (
            self.produced.load(Ordering::Relaxed),
            self.written.load(Ordering::Relaxed),
        )
    }

    /// The previous output's `rel` stays: this build makes it as it is.
    fn keep(&self, rel: &str) {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(rel.to_string());
    }

    /// Leaves the previous output's `rel` as it is, made by this build without being written:
    /// for a file the caller knows to be what it would make (the render and index memos). Returns
    /// whether there was a previous output of ours to leave it in.
    pub fn keep_as_is(&self, rel: &str) -> bool {
        if !self.previous {
            return false;
        }
        self.produced.fetch_add(1, Ordering::Relaxed);
        self.keep(rel);
        true
    }

    /// Where this build's `rel` lies until the commit: the previous output's file when it
    /// is kept, else the staging folder's.
    pub fn placed(&self, rel: &str) -> PathBuf {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(rel);
        if kept {
            self.target.join(rel)
        } else {
            self.staging.join(rel)
        }
    }

    /// Writes one file, `rel` being its path relative to the site root with `/` separators.
    ///
    /// A file the previous output already holds byte for byte is left where it is instead:
    /// an unchanged file keeps its modification time (so copying the site to a server with
    /// rsync or robocopy sends only what changed) and a rebuild writes only what changed.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        let _writing = writing();
        self.produced.fetch_add(1, Ordering::Relaxed);
        let previous = self.target.join(rel);
        if self.previous && holds(&previous, bytes) {
            self.keep(rel);
            return Ok(());
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        let path = self.staging.join(rel);
        self.make_parent(&path)?;
        write_new(&path, bytes).map_err(|e| io_error(&previous, "写入", e))
    }

    /// Copies a file into the output at `rel`, with the source's modification time. When the
    /// previous output holds a file of the same length and modification time (what rsync
    /// compares), it is that copy: it stays where it is, so it keeps its time and
    /// attachments are not copied again on every build.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<(), Diagnostic> {
        let _writing = writing();
        self.produced.fetch_add(1, Ordering::Relaxed);
        let source = fs::metadata(from).map_err(|e| io_error(from, "读取", e))?;
        let previous = self.target.join(rel);
        if self.previous && same_file_stamp(&source, &previous) {
            self.keep(rel);
            return Ok(());
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        let path = self.staging.join(rel);
        self.make_parent(&path)?;
        unlink_if_present(&path).map_err(|e| io_error(&path, "写入", e))?;
        fs::copy(from, &path).map_err(|e| io_error(from, "复制", e))?;
        if let Ok(modified) = source.modified() {
            // Best effort: a file system without settable times still gets a correct copy.
            let _ = fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(modified));
        }
        Ok(())
    }

    /// Copies every file under `dir` into `rel_base`, keeping existing files (so the first
    /// folder copied wins: pass overrides first).
    pub fn copy_tree(&self, dir: &Path, rel_base: &str) -> Result<(), Diagnostic> {
        if !dir.is_dir() {
            return Ok(());
        }
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry =
                entry.map_err(|e| Diagnostic::error(Code::Io, dir, format!("无法读取：{e}")))?;
            if !entry.file_type().is_file() || entry.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let rel = crate::source::load::relative_slash_path(dir, entry.path());
            let rel = format!("{rel_base}/{rel}");
            if !self.has(&rel) {
                self.copy(entry.path(), &rel)?;
            }
        }
        Ok(())
    }

    /// Puts the new output in place. Over a previous output, only the changed files move in
    /// ([`in_place::commit`]). Otherwise the staging folder is swapped in for the output
    /// folder: a previous output is moved aside first and removed last; should it resist
    /// removal, a warning names it (the next run holding the site lock tries again).
    pub fn commit(self) -> Result<Option<Diagnostic>, Diagnostic> {
        let _writing = writing();
        let kept = std::mem::take(&mut *self.kept.lock().unwrap_or_else(PoisonError::into_inner));
        // The build took a while: the folder may have been replaced meanwhile.
        if let Err(refused) = check_replaceable(&self.target) {
            let _ = remove_tree(&self.staging);
            return Err(refused);
        }
        if self.previous {
            let Some(committed) =
                committing(|| in_place::commit(&self.staging, &self.target, &kept))
            else {
                return Err(Diagnostic::error(
                    Code::Io,
                    &self.target,
                    "已中断，输出保持原样",
                ));
            };
            match committed {
                Ok(true) => return Ok(None),
                Ok(false) => {}
                Err(failed) => {
                    if !in_place::begun(&self.staging) {
                        let _ = remove_tree(&self.staging);
                    }
                    return Err(failed);
                }
            }
            if let Err(failed) = self.stage_kept(&kept) {
                let _ = remove_tree(&self.staging);
                return Err(failed);
            }
        }
        let old = self.staging.with_file_name(format!(
            "{}.old",
            self.staging
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        ));
        let had_previous = self.target.exists();
        if had_previous && let Err(e) = fs::rename(&self.target, &old) {
            // Nothing was swapped: the staging folder would otherwise stay behind until the
            // next run.
            let _ = remove_tree(&self.staging);
            return Err(io_error(&self.target, "替换旧的输出目录", e));
        }
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if had_previous {
                let _ = fs::rename(&old, &self.target);
            }
            let _ = remove_tree(&self.staging);
            return Err(io_error(&self.target, "写入输出目录", e));
        }
        if had_previous && let Err(e) = remove_tree(&old) {
            return Ok(Some(Diagnostic::warning(
                Code::Io,
                &old,
                format!("新的输出已就位，但无法删除换下的旧输出目录：{e}"),
            )));
        }
        Ok(None)
    }

    /// Puts the files this build left in the previous output into the staging folder too,
    /// so that it can be swapped in whole: hard-linked, or copied where links cannot be made.
    fn stage_kept(&self, kept: &HashSet<String>) -> Result<(), Diagnostic> {
        for rel in kept {
            let (from, to) = (self.target.join(rel), self.staging.join(rel));
            self.make_parent(&to)?;
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(|e| {
                    io_error(
                        &from,
                        "读取旧的输出（它在构建期间被改动了，输出保持原样；请重新构建）",
                        e,
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Throws the staging folder away; the output folder is untouched.
    pub fn abandon(self) {
        let _ = remove_tree(&self.staging);
    }
}

/// The search index goes through [`Output::write`] too: a rebuild that changed a few pages
/// leaves most of its files as they are.
impl crate::search::IndexOutput for Output {
    fn dir(&self) -> &Path {
        &self.staging
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        Output::write(self, rel, bytes).map_err(|d| io::Error::other(d.message))
    }
}

/// Replaces one file of a folder that is being served: written beside it, then renamed over
/// it, so a reader gets either the old file or the new one, never half of one.
pub fn replace_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    let path = dir.join(rel);
    // A new old address may name a folder the site did not have.
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).map_err(|e| io_error(folder, "创建文件夹", e))?;
    }
    let temp = path.with_file_name(format!(
        ".{}.shuyuan-new",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    fs::write(&temp, bytes).map_err(|e| io_error(&path, "写入", e))?;
    fs::rename(&temp, &path).map_err(|e| io_error(&path, "写入", e))
}

/// Writes a file the staging folder does not hold yet. Should it already be there, it may be
/// a hard link into the previous output: it is replaced, never written through.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let create = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    let mut file = match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(path)?;
            create()?
        }
        other => other?,
    };
    file.write_all(bytes)
}

/// Whether `previous` is a regular file of the source's length and modification time.
fn same_file_stamp(source: &fs::Metadata, previous: &Path) -> bool {
    let Ok(old) = fs::symlink_metadata(previous) else {
        return false;
    };
    old.is_file()
        && old.len() == source.len()
        && matches!((old.modified(), source.modified()), (Ok(a), Ok(b)) if a == b)
}

fn unlink_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether the file at `path` holds exactly `bytes` (the length is checked first, so a
/// changed file is usually told apart without reading it).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    // Not through a symlink: a file kept must be the output's own.
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && fs::read(path).is_ok_and(|old| old == bytes)
}

/// Removes a file of a live folder that the site no longer has, and the folders this
/// leaves empty: a preview must leave nothing a full build would not write.
pub fn remove_file(dir: &Path, rel: &str) -> io::Result<()> {
    let path = dir.join(rel);
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    let mut folder = path.parent();
    while let Some(current) = folder.filter(|f| *f != dir && f.starts_with(dir)) {
        // Fails, as it should, while the folder still holds something.
        if fs::remove_dir(current).is_err() {
            break;
        }
        folder = current.parent();
    }
    Ok(())
}

/// Removes a file or a folder tree that we made. A folder that refuses because folders in it
/// are read-only (`chmod -R a-w`, or files copied from a CD on Windows) is made writable and
/// removed again, so a read-only output never stays behind as litter.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    match removed {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            make_writable(path);
            if fs::symlink_metadata(path)?.is_dir() {
                fs::remove_dir_all(path)
            } else {
                fs::remove_file(path)
            }
        }
        other => other,
    }
}

/// What removing needs: on Unix, writable folders; on Windows, files without the read-only
/// attribute. Best effort: whatever still refuses is reported by the removal that follows.
fn make_writable(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    let mut permissions = meta.permissions();
    #[cfg(unix)]
    if meta.is_dir() {
        use std::os::unix::fs::PermissionsExt as _;
        permissions.set_mode(permissions.mode() | 0o700);
        let _ = fs::set_permissions(path, permissions);
    }
    #[cfg(windows)]
    if permissions.readonly() {
        permissions.set_readonly(false);
        let _ = fs::set_permissions(path, permissions);
    }
    #[cfg(not(any(unix, windows)))]
    let _ = permissions;
    // The folder is made readable before its entries are listed.
    if meta.is_dir() {
        for entry in fs::read_dir(path).into_iter().flatten().flatten() {
            make_writable(&entry.path());
        }
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `folder` is ours to replace or delete: it carries the marker, or it is empty.
fn is_ours(folder: &Path) -> bool {
    folder.join(MARKER).is_file()
        || fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_none())
}

/// Refuses an output location a build must not replace: a symlink (replacing it with a
/// folder would lose the link, and writing through it would write elsewhere), a file, a file
/// system's root ([`is_volume_root`]), or a folder that holds files and no marker (someone
/// else's documents).
fn check_replaceable(target: &Path) -> Result<(), Diagnostic> {
    let Ok(metadata) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    let refuse = |message: String| Err(Diagnostic::error(Code::UnsafeOutput, target, message));
    if metadata.file_type().is_symlink() {
        let points_to =
            fs::read_link(target).map_or_else(|_| "?".into(), |p| p.display().to_string());
        return refuse(format!(
            "输出目录是一个符号链接（指向 {points_to}）。为免丢失这个链接或它指向的文件，构建已停止，什么也没有改动。\
             请用 --output 指定一个真实的文件夹，或自行删除这个链接后重新构建"
        ));
    }
    if !metadata.is_dir() {
        return refuse(
            "输出位置已有一个同名文件，构建不会覆盖它。请换一个 --output 目录，或先自行移走这个文件".to_string(),
        );
    }
    if is_volume_root(target) {
        let example = target.join("培训资料");
        return refuse(format!(
            "输出目录是一个磁盘、分区或U盘的根目录（挂载点）：构建要把整个输出目录换成新的，而根目录无法被替换。\
             请在其中新建一个文件夹作为输出，例如 --output {}",
            example.display()
        ));
    }
    if !is_ours(target) {
        return refuse(format!(
            "输出目录已存在且不是书院生成的站点（没有 {MARKER} 标记），为避免误删其中的文件，构建已停止。\
             请换一个 --output 目录，或先自行清空它"
        ));
    }
    Ok(())
}

/// Whether `folder` is the root of a file system: `/` or `E:\\` (no parent), or on Unix a
/// mount point such as a USB stick's `/media/u盘` (on another device than its parent). The
/// swap renames the output folder, and a file system's root cannot be renamed.
fn is_volume_root(folder: &Path) -> bool {
    let Ok(folder) = fs::canonicalize(folder) else {
        return false;
    };
    let Some(parent) = folder.parent() else {
        return true;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(inner), Ok(outer)) = (fs::metadata(&folder), fs::metadata(parent)) {
            return inner.dev() != outer.dev();
        }
    }
    false
}

/// Deletes `folder` if it is ours ([`is_ours`]); a missing folder is fine, anything else is
/// refused, so nothing we did not write is ever deleted.
pub fn remove_owned_dir(folder: &Path) -> Result<(), Diagnostic> {
    match fs::symlink_metadata(folder) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() && is_ours(folder) => {
            remove_tree(folder).map_err(|e| io_error(folder, "删除旧的临时目录", e))
        }
        Ok(_) => Err(Diagnostic::error(
            Code::UnsafeOutput,
            folder,
            format!(
                "这里已有一个不是书院生成的文件或文件夹（没有 {MARKER} 标记），为免误删，构建已停止。请自行移走它后重试"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_a_file_removes_the_folders_it_empties_and_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        replace_file(out, "a/b/old.html", b"x").unwrap();
        replace_file(out, "a/keep.html", b"x").unwrap();
        remove_file(out, "a/b/old.html").unwrap();
        assert!(!out.join("a/b").exists(), "the emptied folder goes");
        assert!(
            out.join("a/keep.html").is_file(),
            "a folder still in use stays"
        );
        remove_file(out, "a/keep.html").unwrap();
        assert!(!out.join("a").exists());
        assert!(out.is_dir(), "the output folder itself stays");
        remove_file(out, "never/was.html").unwrap();
    }

    #[test]
    fn only_our_folders_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join(".public.staging-1");
        fs::create_dir_all(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let refused = remove_owned_dir(&foreign).unwrap_err();
        assert_eq!(refused.code, Code::UnsafeOutput);
        assert!(
            foreign.join("notes.txt").is_file(),
            "a folder without the marker stays"
        );

        let ours = dir.path().join("ours");
        fs::create_dir_all(ours.join("a")).unwrap();
        fs::write(ours.join(MARKER), "").unwrap();
        remove_owned_dir(&ours).unwrap();
        assert!(!ours.exists());
        let empty = dir.path().join("empty");
        fs::create_dir_all(&empty).unwrap();
        remove_owned_dir(&empty).unwrap();
        remove_owned_dir(&dir.path().join("never")).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_output_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir_all(&real).unwrap();
        fs::write(real.join(MARKER), "").unwrap();
        let link = dir.path().join("public");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(Output::begin(&link).is_err());
        assert!(remove_owned_dir(&link).is_err());
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(real.join(MARKER).is_file());
    }

    #[test]
    fn a_folder_taken_over_during_the_build_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let output = Output::begin(&target).unwrap();
        output.write("index.html", b"new").unwrap();
        let staging = output.staging().to_path_buf();
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("report.docx"), "someone's").unwrap();
        assert_eq!(output.commit().unwrap_err().code, Code::UnsafeOutput);
        assert_eq!(
            fs::read_to_string(target.join("report.docx")).unwrap(),
            "someone's"
        );
        assert!(!target.join("index.html").exists());
        assert!(!staging.exists(), "the staging folder is cleaned up");
    }

    #[test]
    fn a_kept_file_gone_during_the_build_fails_the_commit_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        in_place::put_files(&[
            (&target, MARKER, ""),
            (&target, "a.html", "不变"),
            (&target, "b.html", "旧"),
        ]);
        let output = Output::begin(&target).unwrap();
        output.write("a.html", "不变".as_bytes()).unwrap();
        output.write("b.html", "新".as_bytes()).unwrap();
        assert!(output.has("a.html") && output.has("b.html") && !output.has("c.html"));
        let staging = output.staging().to_path_buf();
        assert!(
            !staging.join("a.html").exists(),
            "an unchanged file is not written"
        );
        fs::remove_file(target.join("a.html")).unwrap();

        let failed = output.commit().unwrap_err();
        assert!(failed.message.contains("重新构建"), "{}", failed.message);
        assert_eq!(fs::read_to_string(target.join("b.html")).unwrap(), "旧");
        assert!(!staging.exists(), "the staging folder is cleaned up");
    }

    /// A killed run whose process id this run has now: its begun commit is finished, not
    /// thrown away with its staging folder.
    #[test]
    fn a_begun_commit_left_under_this_process_id_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let staging = dir
            .path()
            .join(format!(".public.staging-{}", std::process::id()));
        in_place::put_files(&[
            (&target, MARKER, ""),
            (&target, "gone.html", "删去的页"),
            (&staging, MARKER, ""),
            (&staging, "new.html", "新页"),
        ]);
        assert!(in_place::begin(&staging, &target, &HashSet::new()).unwrap());

        let output = Output::begin(&target).unwrap();
        assert_eq!(fs::read_to_string(target.join("new.html")).unwrap(), "新页");
        assert!(!target.join("gone.html").exists());
        assert!(!in_place::begun(output.staging()), "a fresh staging folder");
        output.abandon();
    }
}
