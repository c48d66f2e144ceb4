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

mod edition;

use std::collections::HashMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use siphasher::sip128::SipHasher13;
use tera::Value;
use tera::value::ValueKind;

use self::edition::EditionShown;
use crate::cache::Key;
use crate::output::write::Output;

/// Format of the memo file; its first line, with the key.
const HEADER: &str = "shuyuan-render-memo 2";

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
/// the output, including whether a text is marked safe (printed without escaping).
pub fn hash_variable(h: &mut impl Hasher, name: &str, value: &Value) {
    name.hash(h);
    hash_value(h, value);
}

fn hash_value(h: &mut impl Hasher, value: &Value) {
    let kind = value.kind();
    kind.hash(h);
    match kind {
        ValueKind::Undefined | ValueKind::None => {}
        ValueKind::Bool => value.as_bool().hash(h),
        ValueKind::String => (value.as_str(), value.is_safe()).hash(h),
        ValueKind::Bytes => value.as_bytes().hash(h),
        ValueKind::Array => {
            let items = value.as_array().unwrap_or_default();
            items.len().hash(h);
            for item in items {
                hash_value(h, item);
            }
        }
        ValueKind::Map => {
            let Some(map) = value.as_map() else { return };
            map.len().hash(h);
            for (key, item) in map {
                key.hash(h);
                hash_value(h, item);
            }
        }
        _ => match value.as_number() {
            Some(tera::Number::Integer(n)) => n.hash(h),
            Some(tera::Number::Float(f)) => f.to_bits().hash(h),
            // A kind this code does not know: its printed form stands for it.
            _ => format!("{value:?}").hash(h),
        },
    }
}

/// A file's length, modification time and identity (inode on Unix, creation time on
/// Windows) as it lies in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
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

/// The memo of one build into one output folder.
pub struct Memo {
    file: PathBuf,
    /// The hash of everything the files share: program, templates, globals, output folder.
    key: u128,
    cache: Key,
    target: PathBuf,
    edition_shown: EditionShown,
    edition: String,
    /// Output path → variables' hash and stamp, as the last build left them.
    previous: HashMap<String, (u128, Stamp)>,
    /// Output path → variables' hash and stamp, for every file this build wrote or left.
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
        let key = crate::cache::finish(&h);
        let file =
            crate::cache::dir(&root.join(crate::output::write::STATE_DIR)).join("render-memo");
        let previous = fs::read_to_string(&file)
            .ok()
            .and_then(|text| parse(&text, key))
            .unwrap_or_default();
        Some(Memo {
            file,
            key,
            cache,
            target,
            edition_shown: templates.edition,
            edition: edition.to_string(),
            previous,
            made: Mutex::default(),
        })
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

    /// Leaves the output's `rel` where it is (`output` keeps it) when it was rendered from
    /// variables hashing to `hash` and is still as that build left it. Returns whether it did.
    pub fn keep_if_unchanged(&self, output: &Output, rel: &str, hash: u128) -> bool {
        let Some(&(was, stamp)) = self.previous.get(rel) else {
            return false;
        };
        let kept = was == hash
            && Stamp::of(&self.target.join(rel)) == Some(stamp)
            && output.keep_as_is(rel);
        if kept {
            self.push(rel, hash, stamp);
        }
        kept
    }

    /// This build has just written `rel` into `output` from variables hashing to `hash`: its
    /// stamp now is the one it will have in place (a rename keeps it on Unix; where it does
    /// not, the file is only rendered once more).
    pub fn record(&self, output: &Output, rel: &str, hash: u128) {
        if let Some(stamp) = Stamp::of(&output.placed(rel)) {
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
        let _ = fs::remove_file(&self.file);
    }

    /// Writes what this build made, once its output is in place. Best effort: a memo that
    /// cannot be written only makes the next build render everything.
    pub fn save(self) {
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
        let partial = self.file.with_extension("partial");
        let written = self
            .file
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::write(&partial, &text))
            .and_then(|()| fs::rename(&partial, &self.file));
        if written.is_err() {
            let _ = fs::remove_file(&partial);
        }
    }
}

/// The entries of a memo file written under `key`; `None` for another key or a damaged file.
fn parse(text: &str, key: u128) -> Option<HashMap<String, (u128, Stamp)>> {
    let mut lines = text.lines();
    if lines.next()? != format!("{HEADER} {key:032x}") {
        return None;
    }
    lines
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
    fn a_value_hashes_every_part_that_reaches_the_output() {
        let key = Key::of(tempfile::tempdir().unwrap().path()).unwrap();
        let hash = |value: &Value| {
            let mut h = key.hasher();
            hash_value(&mut h, value);
            crate::cache::finish(&h)
        };
        let text = Value::from("<b>");
        assert_ne!(hash(&text), hash(&Value::safe_string("<b>")));
        assert_ne!(hash(&Value::from(1u64)), hash(&Value::from(2u64)));
        assert_ne!(hash(&Value::from(1u64)), hash(&Value::from("1")));
        let list = |items: &[&str]| Value::from_serializable(&items);
        assert_ne!(hash(&list(&["a", "b"])), hash(&list(&["ab"])));
        let map = |k: &str, v: &str| Value::from_serializable(&HashMap::from([(k, v)]));
        assert_ne!(hash(&map("a", "b")), hash(&map("b", "a")));
        assert_eq!(hash(&map("a", "b")), hash(&map("a", "b")));
    }

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
