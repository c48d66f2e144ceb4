//! In-place commit: when the output folder already holds a site of ours, a build moves in only
//! the files that changed and removes the files the site no longer has; the files it would
//! write byte for byte again stay as they are.
//!
//! Swapping in a whole new folder, as a first build does, made every rebuild create and
//! delete one directory entry per output file (about 60,000 at 10,000 pages, most of them the
//! search index's): a fifth of a rebuild's time on Linux, more on Windows, where every new
//! file is also scanned.
//!
//! The staging folder holds the changed files. Before the output is touched, a journal naming
//! the files to remove is written into the staging folder (renamed into place, so it is whole
//! or absent). From then on the commit only goes forward: a run killed half-way leaves the
//! staging folder with its journal, and the next run holding the site lock finishes it
//! ([`finish`], called by [`crate::output::lock`]). A staging folder without a journal was
//! never applied and is simply removed.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::diagnostics::{Code, Diagnostic};

use super::{MARKER, io_error, is_symlink, make_writable, remove_file, remove_tree};

/// The journal's name in the staging folder; its first line says what it is.
pub const JOURNAL: &str = ".shuyuan-commit";
const JOURNAL_HEADER: &str = "shuyuan in-place commit 1";
/// The search index's entry point, which names the files of the rest, and its folder.
const SEARCH_ENTRY: &str = "search/meta.js";
const SEARCH_FOLDER: &str = "search/";
/// How long a step is tried again at most, in all about twice this.
const PATIENCE: Duration = Duration::from_millis(400);

/// Moves the files of `staging` into `target`, which held the previous output, and removes
/// the files of `target` that are neither in `staging` nor in `kept` (the files this build
/// left in place). Returns `false`, having touched nothing, when a kept file is not listed
/// under its exact name: a file system that ignores case found it under another (`Cases/`
/// for `cases/`), or it went during the build. The caller then stages the kept files and
/// swaps the whole folder in.
pub fn commit(staging: &Path, target: &Path, kept: &HashSet<String>) -> Result<bool, Diagnostic> {
    if !begin(staging, target, kept)? {
        return Ok(false);
    }
    finish(staging, target).map_err(|e| {
        Diagnostic::error(
            Code::OutputPartlyUpdated,
            target,
            format!("输出目录只更新了一部分：{e}。下次运行 shuyuan build 时会先把这次更新做完，不能完成时就重新写出全部改动"),
        )
    })?;
    Ok(true)
}

/// Lists what goes and writes the journal: from here on the commit only goes forward.
/// `false` when it cannot be done in place ([`commit`]).
pub(crate) fn begin(
    staging: &Path,
    target: &Path,
    kept: &HashSet<String>,
) -> Result<bool, Diagnostic> {
    let listed = files_under(target).map_err(|e| io_error(target, "读取旧的输出目录", e))?;
    if kept.par_iter().any(|rel| !listed.contains(rel)) {
        return Ok(false);
    }
    let staged = files_under(staging).map_err(|e| io_error(staging, "读取临时目录", e))?;
    let mut obsolete: Vec<&String> = listed
        .par_iter()
        .filter(|rel| !kept.contains(*rel) && !staged.contains(*rel))
        .collect();
    obsolete.par_sort_unstable();
    write_journal(staging, &obsolete).map_err(|e| io_error(staging, "写入", e))?;
    Ok(true)
}

/// Applies the journal of `staging` to `target`: removes the files it names, moves every
/// file of `staging` into place, then removes `staging`. Safe to run again on what a killed
/// run left: files already removed or moved are simply no longer there. Refused unless
/// `target` is still an output of ours and no symlink: since a run was killed, the folder may
/// have been replaced (with someone's documents). An output made read-only (`chmod -R a-w`,
/// files copied from a CD on Windows) is made writable, as replacing it whole would have left
/// a writable one.
pub fn finish(staging: &Path, target: &Path) -> io::Result<()> {
    if !target.join(MARKER).is_file() || is_symlink(target) {
        return Err(io::Error::other(format!(
            "{} 已不是书院的输出目录",
            target.display()
        )));
    }
    match apply(staging, target) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            make_writable(target);
            apply(staging, target)
        }
        other => other,
    }
}

fn apply(staging: &Path, target: &Path) -> io::Result<()> {
    let obsolete = read_journal(staging)?;
    // The search index's old files go last: readers who still have the old `meta.js` keep
    // finding them until the new one is in place. Nothing else stands in the way of a new file
    // there, whose folders have fixed names; any other old file may (a page whose file became
    // a folder), so those go first.
    let (index, others): (Vec<&String>, Vec<&String>) = obsolete
        .iter()
        .partition(|rel| rel.starts_with(SEARCH_FOLDER));
    let mut folders = Folders::new(target);
    for rel in others {
        folders.remove(rel)?;
    }
    // `search/meta.js` last: a reader who has the new one finds every file it names in place.
    let mut staged: Vec<String> = files_under(staging)?.into_iter().collect();
    staged.sort_by_key(|rel| rel == SEARCH_ENTRY);
    for rel in &staged {
        folders.move_in(&staging.join(rel), rel)?;
    }
    for rel in index {
        folders.remove(rel)?;
    }
    remove_tree(staging)
}

/// The names of the files the journal says to remove.
fn read_journal(staging: &Path) -> io::Result<Vec<String>> {
    let journal = fs::read_to_string(staging.join(JOURNAL))?;
    let mut lines = journal.lines();
    if lines.next() != Some(JOURNAL_HEADER) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a journal of this program",
        ));
    }
    let mut obsolete = Vec::new();
    for line in lines {
        let rel: String = serde_json::from_str(line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if is_plain_relative(&rel) {
            obsolete.push(rel);
        }
    }
    Ok(obsolete)
}

/// The output's folders as a commit finds them, each looked at once.
struct Folders<'a> {
    target: &'a Path,
    /// Folders found to be real folders, not symlinks (which would lead the commit out of the
    /// output), and every folder above them up to the output too. Only those are kept: a
    /// symlink the commit removes may become a real folder later on.
    real: HashSet<PathBuf>,
    /// Folder → the names it holds. On a file system that ignores case, `A.html` opens
    /// `a.html`: a journal run again after its files moved in must not remove a new file under
    /// an old file's name.
    names: HashMap<PathBuf, HashSet<OsString>>,
}

impl<'a> Folders<'a> {
    fn new(target: &'a Path) -> Folders<'a> {
        Folders {
            target,
            real: HashSet::new(),
            names: HashMap::new(),
        }
    }

    fn is_real(&mut self, folder: &Path) -> bool {
        if folder == self.target || self.real.contains(folder) {
            return true;
        }
        let real = folder.starts_with(self.target)
            && fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir())
            && folder.parent().is_some_and(|parent| self.is_real(parent));
        if real {
            self.real.insert(folder.to_path_buf());
        }
        real
    }

    /// Removes the old file `rel`, if it is there under exactly that name, and the folders
    /// this empties.
    fn remove(&mut self, rel: &str) -> io::Result<()> {
        let path = self.target.join(rel);
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(());
        };
        if !self.is_real(folder) {
            return Ok(());
        }
        if !self.names.contains_key(folder) {
            let listed = match fs::read_dir(folder) {
                Ok(entries) => entries
                    .map(|entry| entry.map(|e| e.file_name()))
                    .collect::<io::Result<_>>()?,
                // Gone with the files removed before it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => HashSet::new(),
                Err(e) => return Err(e),
            };
            self.names.insert(folder.to_path_buf(), listed);
        }
        if !self.names[folder].contains(name) {
            return Ok(());
        }
        patiently(|| remove_file(self.target, rel))
    }

    /// Moves the staged file `from` to `rel` in the output.
    fn move_in(&mut self, from: &Path, rel: &str) -> io::Result<()> {
        let to = self.target.join(rel);
        if let Some(folder) = to.parent() {
            // The nearest folder that exists is checked before any folder is made in it.
            let existing = folder
                .ancestors()
                .find(|f| fs::symlink_metadata(f).is_ok())
                .unwrap_or(self.target);
            if !self.is_real(existing) {
                return Err(io::Error::other(format!(
                    "{} 不是输出里的文件夹（符号链接或文件）",
                    existing.display()
                )));
            }
            fs::create_dir_all(folder)?;
        }
        // An empty folder left where the file goes (a folder's files went, the folder stayed).
        if fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir(&to)?;
        }
        patiently(|| fs::rename(from, &to))
    }
}

/// Runs `step` again a few times when it fails: on Windows a file another program has open
/// (a virus scanner, a web server) refuses to be replaced or removed for a moment.
fn patiently(mut step: impl FnMut() -> io::Result<()>) -> io::Result<()> {
    let mut wait = Duration::from_millis(50);
    loop {
        match step() {
            Err(e) if e.kind() != io::ErrorKind::NotFound && wait <= PATIENCE => {
                std::thread::sleep(wait);
                wait *= 2;
            }
            other => return other,
        }
    }
}

/// Whether `staging` holds a journal, that is, a commit that began and must be finished.
pub fn begun(staging: &Path) -> bool {
    staging.join(JOURNAL).is_file()
}

fn write_journal(staging: &Path, obsolete: &[&String]) -> io::Result<()> {
    let mut text = String::from(JOURNAL_HEADER);
    text.push('\n');
    for rel in obsolete {
        text.push_str(&serde_json::to_string(rel).map_err(io::Error::other)?);
        text.push('\n');
    }
    let partial = staging.join(format!("{JOURNAL}.partial"));
    // Flushed through the handle that wrote it: Windows refuses to flush a read-only one.
    let mut file = fs::File::create(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&partial, staging.join(JOURNAL))
}

/// Every file under `dir` (symlinks included, not followed), relative with `/` separators,
/// leaving out the output marker and the journal at its top.
fn files_under(dir: &Path) -> io::Result<HashSet<String>> {
    let mut files: HashSet<String> = files_in(dir, "", 1)?.into_iter().collect();
    for ours in [MARKER, JOURNAL] {
        files.remove(ours);
    }
    Ok(files)
}

/// Folders this deep or less are read side by side (the output of a 10,000-page site holds
/// 60,000 files: reading them was half of a rebuild's commit); deeper ones one by one, as
/// `walkdir` does, with no recursion that an output nested thousands deep could overflow.
const PARALLEL_DEPTH: usize = 3;

/// The files under `dir`, which lies at `depth` under the folder listed, as `/`-separated
/// paths from there with `rel` in front. A symlink counts as a file and is not followed.
fn files_in(dir: &Path, rel: &str, depth: usize) -> io::Result<Vec<String>> {
    let named = |name: &std::ffi::OsStr| {
        let name = name.to_string_lossy();
        if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        }
    };
    if depth > PARALLEL_DEPTH {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).min_depth(1) {
            let entry = entry?;
            if !entry.file_type().is_dir() {
                let inner = crate::source::load::relative_slash_path(dir, entry.path());
                files.push(format!("{rel}/{inner}"));
            }
        }
        return Ok(files);
    }
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let rel = named(&entry.file_name());
        if entry.file_type()?.is_dir() {
            folders.push((entry.path(), rel));
        } else {
            files.push(rel);
        }
    }
    let nested = folders
        .into_par_iter()
        .map(|(path, rel)| files_in(&path, &rel, depth + 1))
        .collect::<io::Result<Vec<Vec<String>>>>()?;
    files.extend(nested.into_iter().flatten());
    Ok(files)
}

/// A journal line names a file under the output, never one above it or elsewhere.
fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Writes the files `files` lists, `(folder, path in it, text)`, making their folders: the
/// outputs and staging folders the tests of a commit start from.
#[cfg(test)]
pub(crate) fn put_files(files: &[(&Path, &str, &str)]) {
    for (folder, rel, text) in files {
        let path = folder.join(rel);
        fs::create_dir_all(path.parent().expect("a file has a folder")).unwrap();
        fs::write(path, text).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir` with its text.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = files_under(dir)
            .unwrap()
            .into_iter()
            .map(|rel| {
                let text = fs::read_to_string(dir.join(&rel)).unwrap();
                (rel, text)
            })
            .collect();
        files.sort();
        files
    }

    /// A previous output and the staging folder of a build that changed `b.html`, made `old`
    /// a file where it was a folder, added `new/d.html` and no longer has `c.html`.
    fn outputs(dir: &Path) -> (PathBuf, PathBuf, HashSet<String>) {
        let (target, staging) = (dir.join("public"), dir.join(".public.staging-1"));
        put_files(&[
            (&target, MARKER, ""),
            (&target, "a.html", "不变"),
            (&target, "b.html", "旧"),
            (&target, "c.html", "删去"),
            (&target, "old/x.html", "旧文件夹"),
            (&staging, MARKER, ""),
            (&staging, "b.html", "新"),
            (&staging, "old", "现在是文件"),
            (&staging, "new/d.html", "新页"),
        ]);
        (target, staging, HashSet::from(["a.html".to_string()]))
    }

    fn expected() -> Vec<(String, String)> {
        [
            ("a.html", "不变"),
            ("b.html", "新"),
            ("new/d.html", "新页"),
            ("old", "现在是文件"),
        ]
        .map(|(rel, text)| (rel.to_string(), text.to_string()))
        .to_vec()
    }

    #[test]
    fn the_listing_names_every_file_at_every_depth_but_our_own_at_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let deep = "a/b/c/d/e/f.html";
        let files = [
            MARKER,
            JOURNAL,
            "index.html",
            "a/x.html",
            "a/b/y.html",
            "a/b/c/z.html",
            "a/b/c/d/w.html",
            deep,
            // Named like the marker and the journal, but not at the top: files of the site.
            "a/.shuyuan-output",
            "a/b/c/d/.shuyuan-commit",
        ];
        put_files(&files.map(|rel| (dir.path(), rel, "")));
        fs::create_dir_all(dir.path().join("a/b/empty/folder")).unwrap();
        let mut listed: Vec<String> = files_under(dir.path()).unwrap().into_iter().collect();
        listed.sort();
        let mut expected: Vec<String> = files[2..].iter().map(|rel| rel.to_string()).collect();
        expected.sort();
        assert_eq!(listed, expected);
    }

    #[cfg(unix)]
    #[test]
    fn only_what_changed_moves_in_and_what_the_site_lost_goes() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (target, staging, kept) = outputs(dir.path());
        let inode = |rel: &str| fs::metadata(target.join(rel)).unwrap().ino();
        let kept_inode = inode("a.html");
        assert!(commit(&staging, &target, &kept).unwrap());
        assert_eq!(tree(&target), expected());
        assert_eq!(inode("a.html"), kept_inode, "an unchanged file stays put");
        assert!(target.join(MARKER).is_file());
        assert!(!staging.exists());
    }

    #[test]
    fn a_commit_cut_short_after_its_journal_is_finished_by_running_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let (target, staging, kept) = outputs(dir.path());
        assert!(begin(&staging, &target, &kept).unwrap());
        assert!(begun(&staging));
        // Killed after removing one file and moving one in.
        fs::remove_file(target.join("c.html")).unwrap();
        fs::rename(staging.join("b.html"), target.join("b.html")).unwrap();
        finish(&staging, &target).unwrap();
        assert_eq!(tree(&target), expected());
        assert!(!staging.exists());
    }

    #[test]
    fn a_kept_file_not_listed_under_its_name_leaves_the_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let (target, staging, kept) = outputs(dir.path());
        // As a file system that ignores case shows it.
        fs::rename(target.join("a.html"), target.join("A.html")).unwrap();
        let before = tree(&target);
        assert!(!commit(&staging, &target, &kept).unwrap());
        assert_eq!(tree(&target), before);
        assert!(!begun(&staging));
    }

    #[test]
    fn a_journal_names_only_files_under_the_output() {
        assert!(is_plain_relative("cases/a.html"));
        for rel in ["", "../site.toml", "/etc/passwd", "a/../../b"] {
            assert!(!is_plain_relative(rel), "{rel}");
        }
    }
}
