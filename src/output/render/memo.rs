//! The render memo: which output file was rendered from which template variables, so that a
//! rebuild leaves a file where it is without filling its templates again when nothing it is
//! made from changed.
//!
//! A file is a function of the templates, Tera's global variables and its own variables
//! (Tera's only functions, `range` and `throw`, read nothing else). The memo, kept under
//! `.shuyuan/cache/`, holds for every file the hash of its own variables and the stamp (length,
//! modification time, and inode or creation time) the file had when this build wrote it or
//! found it, under a key hashing the rest: this program ([`crate::cache::this_program`]: any
//! other binary finds no memo of its own), the templates, the global variables and the output
//! folder. Hashes are keyed by the site's cache key ([`crate::cache::Key`]), so content cannot
//! be made to hash as other content does. A file is left as it is only when its variables
//! hash as before *and* the output still holds it with the stamp it had: a file replaced or
//! edited since, by anyone, is rendered again. The memo is removed before a commit starts
//! and written after it ends, so a commit that stops half-way leaves none.
//!
//! The edition (`site.build_id`) changes with every edit of any page; a global holding it
//! would make every file new after every edit. So it is hashed only into the files whose
//! template may show it ([`edition`]).
//!
//! The search index keeps a memo of the same kind in a file of its own (`index-memo`,
//! [`Memo::open_index`]), keyed only by this program and the output folder: the index hashes,
//! under the same site key, what each of its files is made from, and the memo leaves a file
//! where it is on the same terms. A memo file read under the other's key is not read.
//!
//! A preview keeps its index memo in memory instead ([`Memo::in_memory_index`]): its folders
//! under `.shuyuan/` are never built again, but its background re-index writes the folder it
//! serves again after every edit, and leaves there, unmade and unread, what is made of the
//! same ([`crate::output::indexing::FolderFiles`]).

mod edition;
mod hashing;

use std::collections::HashMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::Serialize;
use siphasher::sip128::SipHasher13;

use self::edition::EditionShown;
use crate::cache::Key;
use crate::output::write::Output;

/// Format of the memo file; its first line, with the key.
const HEADER: &str = "shuyuan-render-memo 3";

/// What the memo needs of the templates: their names and texts, and which of them may show
/// the edition.
#[derive(Debug)]
pub struct TemplateDigest {
    sources: Vec<(String, String)>,
    edition: EditionShown,
}

impl TemplateDigest {
    /// The digest of the templates `sources` (name, text).
    pub fn of<'a>(sources: impl Iterator<Item = (&'a str, &'a str)>) -> TemplateDigest {
        let sources: Vec<(&str, &str)> = sources.collect();
        TemplateDigest {
            edition: EditionShown::of(&sources),
            sources: sources
                .into_iter()
                .map(|(name, text)| (name.to_string(), text.to_string()))
                .collect(),
        }
    }
}

/// Hashes one variable, its name and value, into `h`: every part of the value that can reach
/// the output ([`hashing`]).
pub fn hash_variable<T: Serialize + ?Sized>(h: &mut impl Hasher, name: &str, value: &T) {
    name.hash(h);
    hashing::hash_serialized(h, value);
}

/// A file's length, modification time and identity (inode on Unix, creation time on
/// Windows) as it lies in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    nanos: u128,
    identity: u64,
}

impl Stamp {
    /// The stamp of the regular file at `path` (not through a symlink).
    fn of(path: &Path) -> Option<Stamp> {
        let meta = fs::symlink_metadata(path)
            .ok()
            .filter(fs::Metadata::is_file)?;
        let nanos = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        #[cfg(unix)]
        let identity = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(windows)]
        let identity = std::os::windows::fs::MetadataExt::creation_time(&meta);
        #[cfg(not(any(unix, windows)))]
        let identity = 0;
        Some(Stamp {
            len: meta.len(),
            nanos,
            identity,
        })
    }
}

/// What a memo holds of the files of one output folder: path → the hash of what the file was
/// made from and its stamp.
pub type Remembered = HashMap<String, (u128, Stamp)>;

/// The memo of one build's files in one output folder: its rendered files (`render-memo`)
/// or its search index's (`index-memo`, [`Memo::open_index`]).
pub struct Memo {
    /// Where the memo is kept between builds; `None` for a preview's, kept in memory.
    file: Option<PathBuf>,
    /// The hash of everything the files share: program, output folder, and for rendered
    /// files the templates and globals.
    key: u128,
    cache: Key,
    target: PathBuf,
    edition_shown: EditionShown,
    edition: String,
    /// Output path → the hash of what it was made from (a rendered file's variables) and its
    /// stamp, as the last build left them.
    previous: Remembered,
    /// The same for every file this build wrote or left.
    made: Mutex<Vec<(String, u128, Stamp)>>,
}

impl Memo {
    /// The memo for a build of the site at `root` into `target` under the site's cache key
    /// `cache`, whose templates are `templates`, whose global variables hash to `globals` (the
    /// edition left out: [`crate::output::render::set_globals`]) and whose edition is
    /// `edition`. `None` when this program cannot be named. What an earlier build with another
    /// key left is not read.
    pub fn open(
        root: &Path,
        target: &Path,
        cache: Key,
        templates: TemplateDigest,
        globals: u128,
        edition: &str,
    ) -> Option<Memo> {
        let target = crate::output::write::canonical(target);
        let mut h = cache.hasher();
        (HEADER, crate::cache::this_program()?, globals).hash(&mut h);
        (&templates.sources, &target).hash(&mut h);
        let mut memo = Memo::read(root, "render-memo", cache, crate::cache::finish(&h), target);
        memo.edition_shown = templates.edition;
        memo.edition = edition.to_string();
        Some(memo)
    }

    /// The memo of the search index's files in a build of the site at `root` into `target`:
    /// what each was made from is hashed by the index itself ([`crate::search::IndexOutput`]),
    /// so only this program and the output folder key it. `None` when this program cannot be
    /// named.
    pub fn open_index(root: &Path, target: &Path, cache: Key) -> Option<Memo> {
        let target = crate::output::write::canonical(target);
        let mut h = cache.hasher();
        (HEADER, "index", crate::cache::this_program()?, &target).hash(&mut h);
        let key = crate::cache::finish(&h);
        Some(Memo::read(root, "index-memo", cache, key, target))
    }

    /// A preview's memo of the search index in `target`, kept in memory: `previous` is what
    /// the last build or re-index into that folder made ([`Memo::into_made`]).
    pub fn in_memory_index(target: &Path, cache: Key, previous: Remembered) -> Memo {
        Memo {
            file: None,
            key: 0,
            cache,
            target: target.to_path_buf(),
            edition_shown: EditionShown::Only(Vec::new()),
            edition: String::new(),
            previous,
            made: Mutex::default(),
        }
    }

    /// Whether this is a preview's memo, kept in memory ([`Memo::in_memory_index`]).
    pub fn in_memory(&self) -> bool {
        self.file.is_none()
    }

    /// The output folder this memo speaks of.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The memo file `name` under the site's cache, read when it was written under `key`.
    fn read(root: &Path, name: &str, cache: Key, key: u128, target: PathBuf) -> Memo {
        let file = crate::cache::dir(&root.join(crate::output::write::STATE_DIR)).join(name);
        let previous = fs::read_to_string(&file)
            .ok()
            .and_then(|text| parse(&text, key))
            .unwrap_or_default();
        Memo {
            file: Some(file),
            key,
            cache,
            target,
            edition_shown: EditionShown::Only(Vec::new()),
            edition: String::new(),
            previous,
            made: Mutex::default(),
        }
    }

    /// A hasher for one file's variables.
    pub fn hasher(&self) -> SipHasher13 {
        self.cache.hasher()
    }

    /// The hash of a file rendered from `template` with variables hashed into `variables`.
    pub fn job_hash(&self, template: &str, variables: SipHasher13) -> u128 {
        let mut h = variables;
        template.hash(&mut h);
        if self.edition_shown.by(template) {
            self.edition.hash(&mut h);
        }
        crate::cache::finish(&h)
    }

    /// What the last build noted `rel` was made from, keeping nothing.
    pub fn made_from_before(&self, rel: &str) -> Option<u128> {
        self.previous.get(rel).map(|&(was, _)| was)
    }

    /// The output's `rel` as it is now, when the last build left a memo: the files it speaks
    /// of are there.
    pub fn previous_file(&self, rel: &str) -> Option<Vec<u8>> {
        if self.previous.is_empty() {
            return None;
        }
        fs::read(self.target.join(rel)).ok()
    }

    /// Whether the last build left no record at all: every file is rendered.
    pub fn remembers_nothing(&self) -> bool {
        self.previous.is_empty()
    }

    /// Whether the last build left a record of `rel`: only then can it be left as it is.
    pub fn knows(&self, rel: &str) -> bool {
        self.previous.contains_key(rel)
    }

    /// Leaves the output's `rel` where it is (`output` keeps it) when it was made from what
    /// hashes to `hash` (a rendered file's variables) and is still as that build left it.
    /// Returns its length when it did.
    pub fn keep_if_unchanged(&self, output: &Output, rel: &str, hash: u128) -> Option<u64> {
        let stamp = self.unchanged(rel, hash)?;
        output.keep_as_is(rel).then(|| {
            self.push(rel, hash, stamp);
            stamp.len
        })
    }

    /// [`Memo::keep_if_unchanged`] for a folder written in place, where a file left alone
    /// stays without being handed over.
    pub fn keep_in_place(&self, rel: &str, hash: u128) -> Option<u64> {
        let stamp = self.unchanged(rel, hash)?;
        self.push(rel, hash, stamp);
        Some(stamp.len)
    }

    /// The stamp of the target's `rel` when the last build made it from what hashes to `hash`
    /// and it is still as that build left it.
    fn unchanged(&self, rel: &str, hash: u128) -> Option<Stamp> {
        let &(was, stamp) = self.previous.get(rel)?;
        (was == hash && Stamp::of(&self.target.join(rel)) == Some(stamp)).then_some(stamp)
    }

    /// This build has just written `rel` into `output` from what hashes to `hash`: its
    /// stamp now is the one it will have in place (a rename keeps it on Unix; where it does
    /// not, the file is only rendered once more).
    pub fn record(&self, output: &Output, rel: &str, hash: u128) {
        self.record_at(&output.placed(rel), rel, hash);
    }

    /// This build has just put `rel`, made from what hashes to `hash`, at `path`, from where
    /// a rename (which keeps the stamp) takes it to its place, or which is its place.
    pub fn record_at(&self, path: &Path, rel: &str, hash: u128) {
        if let Some(stamp) = Stamp::of(path) {
            self.push(rel, hash, stamp);
        }
    }

    fn push(&self, rel: &str, hash: u128, stamp: Stamp) {
        self.made
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((rel.to_string(), hash, stamp));
    }

    /// Removes the memo of the last build: called before the commit starts, so that a commit
    /// that stops half-way leaves no memo to trust.
    pub fn forget(&self) {
        if let Some(file) = &self.file {
            let _ = fs::remove_file(file);
        }
    }

    /// What this build made or left, for the next build into the same folder: a preview's
    /// memo in memory once its files are in place.
    pub fn into_made(self) -> Remembered {
        self.into_parts().1
    }

    /// What the last build made, as this memo was given it, and what this build made or left.
    pub fn into_parts(self) -> (Remembered, Remembered) {
        let made = self
            .made
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .map(|(rel, hash, stamp)| (rel, (hash, stamp)))
            .collect();
        (self.previous, made)
    }

    /// Writes what this build made, once its output is in place. Best effort: a memo that
    /// cannot be written only makes the next build render everything.
    pub fn save(self) {
        let Some(file) = self.file else {
            return;
        };
        let made = self
            .made
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let lines: Vec<String> = made
            .par_iter()
            .map(|(rel, hash, s)| {
                format!(
                    "{hash:032x}\t{}\t{}\t{}\t{rel}\n",
                    s.len, s.nanos, s.identity
                )
            })
            .collect();
        let mut text = format!("{HEADER} {:032x}\n", self.key);
        text.extend(lines);
        let partial = file.with_extension("partial");
        let written = file
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::write(&partial, &text))
            .and_then(|()| fs::rename(&partial, &file));
        if written.is_err() {
            let _ = fs::remove_file(&partial);
        }
    }
}

/// The entries of a memo file written under `key`; `None` for another key or a damaged file.
/// Read in parallel: a 10,000-page site's index memo has 48,000 lines.
fn parse(text: &str, key: u128) -> Option<Remembered> {
    let (header, lines) = text.split_once('\n')?;
    if header != format!("{HEADER} {key:032x}") {
        return None;
    }
    lines
        .par_lines()
        .map(|line| {
            let mut fields = line.splitn(5, '\t');
            let hash = u128::from_str_radix(fields.next()?, 16).ok()?;
            let len = fields.next()?.parse().ok()?;
            let nanos = fields.next()?.parse().ok()?;
            let identity = fields.next()?.parse().ok()?;
            let rel = fields.next()?.to_string();
            let stamp = Stamp {
                len,
                nanos,
                identity,
            };
            Some((rel, (hash, stamp)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_of_another_key_or_a_damaged_one_is_not_read() {
        let text = format!(
            "{HEADER} {:032x}\n{:032x}\t3\t4\t5\ta/b.html\n",
            7u128, 255u128
        );
        let read = parse(&text, 7).expect("same key");
        let stamp = Stamp {
            len: 3,
            nanos: 4,
            identity: 5,
        };
        assert_eq!(read.get("a/b.html"), Some(&(255, stamp)));
        assert!(parse(&text, 8).is_none());
        assert!(parse(&text.replace("\t4\t", "\tx\t"), 7).is_none());
    }
}
