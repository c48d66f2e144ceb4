//! A rebuild's postings patched from the last build's merge instead of merged again.
//!
//! Merging every partition's records into per-key postings is a fifth of a rebuild after one
//! edit, though nearly every key's postings come out as before. A key's encoded postings depend
//! only on which pages hold it, at what place, with what count, and on each of those pages'
//! BM25 length ratio (its length over the average, quantised: [`super::average_length`]). So
//! when the pages are as many as last time, BM25's average is the same and few pages have other
//! records or another length than the last build had at their place (the key-count cache's
//! manifest says so page by page: [`super::reuse`]), the last build's merged partitions are
//! taken as they are, and only the keys those pages held or now hold are decoded, lose the
//! changed pages' old postings, gain their new ones and are encoded again. What comes out is
//! what merging every record would give, byte for byte in every shard; a test builds both.
//!
//! The merge is kept in `.shuyuan/cache/postings/merged/`: one file per partition, as
//! [`super::postings::encode`] writes it, and a manifest giving the hash of the pages' records
//! it was made from (in page order), the average, and each file's length and hash, checked
//! before a file is used. Anything that does not match, or a missing file, means a full merge.

use std::hash::Hasher as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::keys::{Count, KeyMap, PageRecords, put_uvarint};
use super::postings::{Encoded, Reader, Spilled, append, damaged, remove_files};
use super::reuse::{Cached, Reuse};
use super::{key_hash, level};
use crate::search::SearchError;
use crate::search::codec::{decode_postings, push_posting};

const HEADER: &str = "shuyuan-merged-postings 1";
const FOLDER: &str = "merged";
/// Patching beats merging only while few pages changed: past an eighth of them (and eight), or this many
/// bytes of their records held twice (last build's and this one's), the postings are merged.
const MAX_CHANGED_BYTES: usize = 64 << 20;

/// One partition's merged file: its length and hash.
#[derive(Clone, Copy, Default)]
pub(super) struct Written {
    pub bytes: u64,
    pub check: u64,
}

impl Written {
    /// A file's length and hash, against a file changed or cut short. Not keyed: it is only
    /// ever compared with what the manifest says of the same file, and eight bytes at a time
    /// is several times faster over every partition.
    pub(super) fn of(bytes: &[u8]) -> Written {
        let mut h = rustc_hash::FxHasher::default();
        h.write(bytes);
        Written {
            bytes: bytes.len() as u64,
            check: h.finish(),
        }
    }
}

/// The last build's merged postings, as the cache keeps them.
pub(super) struct LastMerge {
    dir: PathBuf,
    files: Vec<Written>,
}

impl LastMerge {
    /// The merge kept in the cache folder `cache`, when it was made from the pages whose
    /// records hash to `digest`, with BM25's average length `average`, in `partitions`
    /// partitions.
    pub(super) fn open(
        cache: &Path,
        digest: u64,
        average: u64,
        partitions: u32,
    ) -> Option<LastMerge> {
        let dir = cache.join(FOLDER);
        let text = std::fs::read_to_string(dir.join("manifest")).ok()?;
        let mut lines = text.lines();
        if lines.next()? != header(digest, average, partitions) {
            return None;
        }
        lines.next()?.strip_prefix("made by ")?;
        let mut files = Vec::with_capacity(partitions as usize);
        for line in lines {
            if line == "end" {
                return (files.len() == partitions as usize).then_some(LastMerge { dir, files });
            }
            let (bytes, check) = line.split_once(' ')?;
            files.push(Written {
                bytes: bytes.parse().ok()?,
                check: u64::from_str_radix(check, 16).ok()?,
            });
        }
        None
    }

    /// Whether the cache folder `cache` keeps a merge made from the pages whose records hash
    /// to `digest` (with whatever average): a rebuild will likely patch it.
    pub(super) fn made_from(cache: &Path, digest: u64) -> bool {
        let manifest = cache.join(FOLDER).join("manifest");
        std::fs::read_to_string(manifest).is_ok_and(|text| {
            let first = text.lines().next().unwrap_or_default();
            first.starts_with(&format!("{HEADER} {digest:016x} "))
        })
    }

    /// Puts `files` (each partition's merged file and what it is checked by) into the folder
    /// `saving` of the cache being written, with what they were merged from. Best effort: a
    /// merge that cannot be kept is left out whole.
    pub(super) fn save(
        saving: &Path,
        digest: u64,
        average: u64,
        partitions: u32,
        encoded: &Encoded,
        files: &[(PathBuf, Written)],
    ) {
        let dir = saving.join(FOLDER);
        let saved = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let mut manifest = header(digest, average, partitions);
            // How it was made, for whoever wonders why a rebuild took the time it took.
            match encoded.patched {
                Some(pages) => manifest.push_str(&format!("\nmade by patching {pages} pages\n")),
                None => manifest.push_str("\nmade by merging\n"),
            }
            for (part, (path, written)) in files.iter().enumerate() {
                std::fs::rename(path, dir.join(part.to_string()))?;
                manifest.push_str(&format!("{} {:016x}\n", written.bytes, written.check));
            }
            manifest.push_str("end\n");
            std::fs::write(dir.join("manifest"), manifest)
        })();
        if saved.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    /// Partition `part`'s merged file, when it is whole.
    fn read(&self, part: u32) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.dir.join(part.to_string())).ok()?;
        let expected = self.files.get(part as usize)?;
        let found = Written::of(&bytes);
        (found.bytes == expected.bytes && found.check == expected.check).then_some(bytes)
    }
}

fn header(digest: u64, average: u64, partitions: u32) -> String {
    format!("{HEADER} {digest:016x} {average} {partitions}")
}

/// The pages whose records or length differ from what the last build had at their place.
pub(super) struct Changes {
    pages: Vec<Changed>,
    bytes: usize,
    max_pages: usize,
    /// False once patching is out of the question: no merge is kept, the page count changed,
    /// too many pages did, or a changed page's last records are not whole.
    usable: bool,
}

struct Changed {
    page: u32,
    last: PageRecords,
    now: PageRecords,
}

impl Changes {
    /// For `count` pages, compared with the last build's in `reuse`; nothing is held when
    /// there is no merge to patch.
    pub(super) fn new(reuse: &Reuse, count: usize) -> Changes {
        Changes {
            pages: Vec::new(),
            bytes: 0,
            max_pages: (count / 8).max(8),
            usable: reuse.last_count() == Some(count) && reuse.has_merge(),
        }
    }

    /// Notes page `d` (pages come in order), whose records are `now`.
    pub(super) fn note(&mut self, d: usize, now: &PageRecords, cached: &Cached, reuse: &Reuse) {
        if !self.usable || cached.as_last {
            return;
        }
        let last = reuse.last_records(d);
        let bytes = self.bytes + now.records.len() + last.as_ref().map_or(0, |l| l.records.len());
        match last {
            Some(last) if self.pages.len() < self.max_pages && bytes <= MAX_CHANGED_BYTES => {
                self.bytes = bytes;
                self.pages.push(Changed {
                    page: d as u32,
                    last,
                    now: PageRecords {
                        len: now.len,
                        records: now.records.clone(),
                        parts: now.parts.clone(),
                    },
                });
            }
            _ => {
                self.usable = false;
                self.pages = Vec::new();
            }
        }
    }

    pub(super) fn usable(&self) -> bool {
        self.usable
    }
}

/// Each key's records in `page`'s group for partition `part`.
fn records_in(page: &PageRecords, part: u32) -> &[u8] {
    match page.parts.binary_search_by_key(&part, |(p, _)| *p) {
        Ok(i) => &page.records[page.parts[i].1.clone()],
        Err(_) => &[],
    }
}

/// Phase 2 of [`super::postings`] for a rebuild: each partition of `last` with the `changes`
/// applied, written where [`super::postings::encode`] writes it.
pub(super) fn encode(
    spilled: &Spilled,
    len_norm: &[f64],
    last: &LastMerge,
    changes: &Changes,
    keep: bool,
) -> Result<Option<Encoded>, SearchError> {
    let changed: Vec<u32> = changes.pages.iter().map(|c| c.page).collect();
    let parts = (0..spilled.partitions)
        .into_par_iter()
        .map(|part| {
            let Some(old) = last.read(part) else {
                return Ok(None);
            };
            let mut patched = Patched::default();
            // A kept file that reads wrong though its hash matched (edited by hand): merged
            // again, like one that does not match.
            if patch(part, &old, changes, &changed, len_norm, &mut patched).is_err() {
                return Ok(None);
            }
            let written = keep.then(|| Written::of(&patched.out));
            append(&spilled.file('e', part), &patched.out)?;
            Ok(Some((
                patched.bytes,
                patched.keys,
                written.unwrap_or_default(),
            )))
        })
        .collect::<Result<Option<Vec<_>>, SearchError>>()?;
    match parts {
        Some(parts) => Ok(Some(Encoded {
            patched: Some(changes.pages.len()),
            ..Encoded::from_parts(parts, keep)
        })),
        // A file of the last merge missing or changed: every partition is merged again.
        None => {
            remove_files(spilled, 'e')?;
            Ok(None)
        }
    }
}

/// A key's postings as pages (ascending) and levels.
type Levels = Vec<(u32, u8)>;

#[derive(Default)]
struct Patched {
    out: Vec<u8>,
    bytes: usize,
    keys: usize,
}

impl Patched {
    /// Appends a key's entry, as [`super::postings::encode`] writes it.
    fn push(&mut self, hash: u32, key: &[u8], postings: &[u8]) {
        put_uvarint(&mut self.out, u64::from(hash));
        put_uvarint(&mut self.out, key.len() as u64);
        self.out.extend_from_slice(key);
        put_uvarint(&mut self.out, postings.len() as u64);
        self.out.extend_from_slice(postings);
        self.count(key, postings);
    }

    fn count(&mut self, key: &[u8], postings: &[u8]) {
        self.bytes += key.len() + postings.len() + 2;
        self.keys += 1;
    }
}

/// Partition `part`'s merged entries `old` with `changes` applied (`changed`: their pages,
/// ascending), into `patched`.
fn patch(
    part: u32,
    old: &[u8],
    changes: &Changes,
    changed: &[u32],
    len_norm: &[f64],
    patched: &mut Patched,
) -> Result<(), SearchError> {
    // Every key a changed page held or holds, with the changed pages' new postings.
    let mut touched: KeyMap<&[u8], Levels> = KeyMap::default();
    for change in &changes.pages {
        let mut last = Reader {
            bytes: records_in(&change.last, part),
            at: 0,
        };
        while !last.done() {
            touched.entry(last.slice()?).or_default();
            last.uvarint()?;
        }
        let mut now = Reader {
            bytes: records_in(&change.now, part),
            at: 0,
        };
        while !now.done() {
            let key = now.slice()?;
            let count = now.uvarint()? as Count;
            let level = level(count, len_norm[change.page as usize]) as u8;
            touched.entry(key).or_default().push((change.page, level));
        }
    }
    patched.out.reserve(old.len() + old.len() / 64);
    // Most entries are copied: a bitmap of the touched keys' hashes skips the lookup for them.
    // Above the bits that pick the partition (at most 256 of them).
    let bit = |hash: u32| (hash >> 8) as usize & 0xffff;
    let mut maybe = vec![0u64; 1 << 10];
    for key in touched.keys() {
        let b = bit(std::str::from_utf8(key)
            .map(key_hash)
            .map_err(|_| damaged())?);
        maybe[b / 64] |= 1 << (b % 64);
    }
    let mut reader = Reader { bytes: old, at: 0 };
    while !reader.done() {
        let start = reader.at;
        let hash = u32::try_from(reader.uvarint()?).map_err(|_| damaged())?;
        let key = reader.slice()?;
        let postings = reader.slice()?;
        let b = bit(hash);
        let now = if maybe[b / 64] & (1 << (b % 64)) != 0 {
            touched.remove(key)
        } else {
            None
        };
        match now {
            None => {
                patched.out.extend_from_slice(&old[start..reader.at]);
                patched.count(key, postings);
            }
            Some(now) => {
                let text = simdutf8::basic::from_utf8(postings).map_err(|_| damaged())?;
                let encoded = merged(text, changed, &now).ok_or_else(damaged)?;
                if !encoded.is_empty() {
                    patched.push(hash, key, encoded.as_bytes());
                }
            }
        }
    }
    // Keys no page held before.
    let mut new: Vec<(&[u8], Levels)> =
        touched.into_iter().filter(|(_, p)| !p.is_empty()).collect();
    new.sort_unstable();
    for (key, postings) in new {
        let hash = std::str::from_utf8(key)
            .map(key_hash)
            .map_err(|_| damaged())?;
        let encoded = merged("", &[], &postings).ok_or_else(damaged)?;
        patched.push(hash, key, encoded.as_bytes());
    }
    Ok(())
}

/// The plain posting list `old` without the pages `changed` (ascending), with `now` (pages
/// ascending, each among `changed`) in their place; `None` when the pages would not come out
/// ascending (a list that does not decode as ours).
fn merged(old: &str, changed: &[u32], now: &[(u32, u8)]) -> Option<String> {
    let old = decode_postings(old);
    let mut out = String::with_capacity(old.pages.len() * 2 + now.len() * 2);
    let mut next = 0u64;
    let mut push = |out: &mut String, page: u32, level: u8| {
        (u64::from(page) >= next).then(|| push_posting(out, &mut next, page, level))
    };
    let mut now = now.iter().peekable();
    for (&page, &level) in old.pages.iter().zip(&old.levels) {
        while let Some(&&(p, l)) = now.peek().filter(|(p, _)| *p < page) {
            push(&mut out, p, l)?;
            now.next();
        }
        if changed.binary_search(&page).is_err() {
            push(&mut out, page, level)?;
        }
    }
    for &(p, l) in now {
        push(&mut out, p, l)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::codec::plain;

    #[test]
    fn changed_pages_leave_and_come_back_in_page_order() {
        let old = plain(&[(0, 3), (2, 1), (5, 7), (9, 2)]);
        // Page 2 has another level, page 4 now holds the key, page 9 no longer does.
        let now = merged(&old, &[2, 4, 9], &[(2, 5), (4, 1)]);
        assert_eq!(now.unwrap(), plain(&[(0, 3), (2, 5), (4, 1), (5, 7)]));
        assert_eq!(merged(&old, &[0, 2, 5, 9], &[]).unwrap(), "");
        assert_eq!(merged("", &[], &[(7, 4)]).unwrap(), plain(&[(7, 4)]));
        // A changed page after every old one.
        assert_eq!(
            merged(&old, &[12], &[(12, 16)]).unwrap(),
            plain(&[(0, 3), (2, 1), (5, 7), (9, 2), (12, 16)])
        );
        // Pages that do not come out ascending: not ours.
        assert!(merged(&old, &[], &[(2, 1)]).is_none());
    }

    #[test]
    fn a_kept_merge_is_read_only_for_what_it_was_made_from_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let saving = dir.path().join("saving");
        let files: Vec<(PathBuf, Written)> = [b"abc".as_slice(), b"de"]
            .iter()
            .enumerate()
            .map(|(n, bytes)| {
                let path = dir.path().join(format!("e{n}"));
                std::fs::write(&path, bytes).unwrap();
                (path, Written::of(bytes))
            })
            .collect();
        let encoded = Encoded {
            patched: Some(1),
            ..Encoded::default()
        };
        LastMerge::save(&saving, 7, 1808, 2, &encoded, &files);
        let last = LastMerge::open(&saving, 7, 1808, 2).unwrap();
        assert_eq!(last.read(0).unwrap(), b"abc");
        assert_eq!(last.read(1).unwrap(), b"de");
        assert!(
            LastMerge::open(&saving, 8, 1808, 2).is_none(),
            "other pages"
        );
        assert!(
            LastMerge::open(&saving, 7, 1792, 2).is_none(),
            "other average"
        );
        assert!(LastMerge::open(&saving, 7, 1808, 4).is_none());
        std::fs::write(saving.join("merged/1"), b"dx").unwrap();
        assert!(last.read(1).is_none(), "a file changed");
        let manifest = saving.join("merged/manifest");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("\nmade by patching 1 pages\n"), "{text}");
        std::fs::write(&manifest, text.replace("\nend\n", "\n")).unwrap();
        assert!(LastMerge::open(&saving, 7, 1808, 2).is_none(), "cut short");
    }
}
