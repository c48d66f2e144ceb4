//! The last build's key counts, kept for the next: counting a page's keys is a quarter of a
//! build's work, and a rebuild after one edit would count the same keys of every other page
//! again.
//!
//! `.shuyuan/cache/postings/` holds `pages`, each page's records as [`super::postings::spill`]
//! appends them (its keys and counts, grouped by partition), and `manifest`, a line per page:
//! the keyed hash of what its keys were counted from (title, headings and text:
//! [`counted_from`]), where its records lie in `pages`, their hash taken with the page's length
//! for BM25, and that length. A page whose text hashes as one in the manifest has its records
//! read from there instead of counted, wherever it now stands among the pages; records that do
//! not hash as the manifest says (a file changed) are counted again. The last line closes the
//! manifest with its count and its seal, a keyed hash of the lines before it; a manifest
//! without it, changed, or with an entry past the end of `pages` (a file cut short) is not read
//! at all. Entries may share records (pages of the same text) and leave records unused. The manifest is valid only for the program that wrote
//! it ([`crate::cache::this_program`]) and the same partition count.
//!
//! The new cache is made beside the build's work files (`.shuyuan/tmp/`, cleared by the next
//! run holding the site lock when a run is killed) and moved into place whole once every page
//! is counted. It holds about half as many bytes as the pages' text (183 MB at 10,000 realistic
//! pages), so it is not written anew each time: the new cache's `pages` is the last one's file,
//! linked, with the records of the pages counted again appended to it, and the new manifest
//! points into the old records where they still serve. The last manifest stays valid
//! meanwhile (what is appended lies past its entries), and a page whose records are the same
//! as the last build's at its place, when nothing needs them (a rebuild that patches the last
//! merge), is not even read: a rebuild after one edit neither read nor wrote every page's
//! records. Once the records the last manifest leaves unused pass a quarter of those it uses,
//! the next build writes the file anew; so does one where the file system cannot link a file.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::keys::{PageRecords, page_records, put_uvarint};
use crate::cache::Key;
use crate::search::SearchSection;

mod saving;
pub(super) use saving::Saving;

/// First word of the manifest, before the program and the partition count.
const HEADER: &str = "shuyuan-postings-cache 4";
const MANIFEST: &str = "manifest";
const PAGES: &str = "pages";

/// Held by the index that uses the cache: a preview's full rebuild can start while its
/// background re-index still runs, and the two must not read and replace the cache's files
/// under each other. (The site lock keeps other processes out.)
static IN_USE: Mutex<()> = Mutex::new(());

/// The cache to oneself, unless another index of this process is using it.
pub(super) fn claim() -> Option<MutexGuard<'static, ()>> {
    match IN_USE.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// What a page's keys are counted from, hashed under the site's key: its title, and each
/// section's heading and text (`str` hashes its end too, so no two pages run together the
/// same way).
pub(super) fn counted_from(key: Key, title: &str, sections: &[SearchSection]) -> u128 {
    let mut h = key.hasher();
    title.hash(&mut h);
    sections.len().hash(&mut h);
    for section in sections {
        (&section.heading, &section.text).hash(&mut h);
    }
    crate::cache::finish(&h)
}

/// The hash of a page's stored records and its BM25 length, against a file cut short or
/// changed.
fn check(key: Key, len: u32, bytes: &[u8]) -> u64 {
    let mut h = key.hasher();
    h.write_u32(len);
    h.write(bytes);
    crate::cache::finish(&h) as u64
}

/// The manifest's seal: a keyed hash of its lines before the closing one.
fn seal(key: Key, manifest: &str) -> u64 {
    let mut h = key.hasher();
    h.write(manifest.as_bytes());
    crate::cache::finish(&h) as u64
}

/// Where a page's records lie in `pages`, their hash and the page's BM25 length.
#[derive(Clone, Copy)]
struct Entry {
    offset: u64,
    bytes: u64,
    check: u64,
    len: u32,
}

/// What an index takes from the cache: the site's key, and the last build's key counts when
/// they are there.
pub(super) struct Reuse {
    key: Key,
    previous: Option<Previous>,
}

/// A page's text hashed ([`counted_from`]) and where the new cache finds its records: what
/// [`Saving::put`] keeps of it.
pub(super) struct Cached {
    /// [`counted_from`].
    pub(super) hash: u128,
    /// Terms in the page's headings and text: its length for BM25.
    pub(super) len: u32,
    records: Place,
    /// The last build had these records, and this BM25 length, at the same place.
    pub(super) as_last: bool,
}

/// What an index does with the records of a page that the last cache holds.
#[derive(Clone, Copy)]
pub(super) struct Wants {
    /// The new cache appends to the last one's file ([`Saving::appending`]) and points at
    /// them there.
    pub(super) appending: bool,
    /// Only the pages found changed need them: the partition files wait
    /// ([`super::postings::Caching::partition_files_later`]).
    pub(super) changed_only: bool,
}

/// Where a page's records go in the new cache.
enum Place {
    /// Written to it, as they are stored.
    Written(Stored),
    /// Already in the last cache's file, which the new one appends to ([`Saving::appending`]).
    InFile(Entry),
}

impl Place {
    fn check(&self) -> u64 {
        match self {
            Place::Written(stored) => stored.check,
            Place::InFile(entry) => entry.check,
        }
    }
}

impl Reuse {
    /// The cache in the folder `cache` under the site's `key`, for `partitions` partitions.
    pub(super) fn open(cache: &Path, key: Key, partitions: u32) -> Reuse {
        Reuse {
            key,
            previous: Previous::open(cache, key, partitions),
        }
    }

    /// The records of page `d` (in index order), of title `title` and text `sections`: read
    /// from the last build's when it counted this text and has them whole, else counted.
    /// `None` when the last build had the same records at the same place and `wants` says
    /// nothing will read them.
    pub(super) fn count(
        &self,
        d: usize,
        title: &str,
        sections: &[SearchSection],
        partitions: u32,
        wants: Wants,
    ) -> (Option<PageRecords>, Cached) {
        let hash = counted_from(self.key, title, sections);
        let last_here = |check| {
            (self.previous.as_ref())
                .and_then(|previous| previous.order.get(d))
                .is_some_and(|entry: &Entry| entry.check == check)
        };
        let found =
            (self.previous.as_ref()).and_then(|previous| Some((previous, previous.entry(hash)?)));
        if let Some((_, entry)) = found
            && wants.appending
            && wants.changed_only
            && last_here(entry.check)
        {
            let cached = Cached {
                hash,
                len: entry.len,
                records: Place::InFile(*entry),
                as_last: true,
            };
            return (None, cached);
        }
        let (page, records) = found
            .and_then(|(previous, entry)| {
                let (page, stored) = previous.read(self.key, entry)?;
                let records = match wants.appending {
                    true => Place::InFile(*entry),
                    false => Place::Written(stored),
                };
                Some((page, records))
            })
            .unwrap_or_else(|| {
                let page = page_records(title, sections, partitions);
                let stored = Stored::of(self.key, &page);
                (page, Place::Written(stored))
            });
        let cached = Cached {
            hash,
            len: page.len,
            as_last: last_here(records.check()),
            records,
        };
        (Some(page), cached)
    }

    /// How many pages the last build indexed, if its counts are here.
    pub(super) fn last_count(&self) -> Option<usize> {
        Some(self.previous.as_ref()?.order.len())
    }

    /// The records the last build had for page `d`, when they are whole.
    pub(super) fn last_records(&self, d: usize) -> Option<PageRecords> {
        let previous = self.previous.as_ref()?;
        let (page, _) = previous.read(self.key, previous.order.get(d)?)?;
        Some(page)
    }

    /// The last build's merged postings ([`super::patch`]), when they were made from the
    /// same pages' records as the manifest lists, with BM25's average length `average`.
    pub(super) fn last_merge(&self, average: u64) -> Option<super::patch::LastMerge> {
        let previous = self.previous.as_ref()?;
        super::patch::LastMerge::open(&previous.dir, previous.digest, average, previous.partitions)
    }

    /// Whether the cache keeps the last build's merged postings: a rebuild will likely patch
    /// them.
    pub(super) fn has_merge(&self) -> bool {
        (self.previous.as_ref()).is_some_and(|previous| {
            super::patch::LastMerge::made_from(&previous.dir, previous.digest)
        })
    }
}

/// The cache as the last build left it, if this program made it with as many partitions.
struct Previous {
    dir: PathBuf,
    pages: File,
    /// The manifest's entries, in the last build's page order.
    order: Vec<Entry>,
    /// Where in `order` the page whose text hashes so is.
    by_text: HashMap<u128, usize>,
    /// [`Digest`] of `order`'s checks.
    digest: u64,
    partitions: u32,
    /// The length of `pages`, and how many of its bytes `order` uses.
    size: u64,
    used: u64,
}

impl Previous {
    fn open(cache: &Path, key: Key, partitions: u32) -> Option<Previous> {
        let text = std::fs::read_to_string(cache.join(MANIFEST)).ok()?;
        let pages = File::open(cache.join(PAGES)).ok()?;
        let size = pages.metadata().ok()?.len();
        // The last line closes the entries with their count and the seal of all that comes
        // before it: a page left unread is taken at its entry's word (its length weighs every
        // key of the page), so a manifest cut short or changed is refused whole, as is one
        // with an entry past the end of a file cut short.
        let body = &text[..text.strip_suffix('\n')?.rfind('\n')? + 1];
        let closing = format!("{:016x}", seal(key, body));
        let mut lines = text.lines();
        if lines.next()? != header(partitions)? {
            return None;
        }
        let (mut order, mut by_text) = (Vec::new(), HashMap::new());
        let mut digest = Digest::new(key);
        // Bytes used, each record once: pages of the same text share one.
        let (mut used, mut shared) = (0u64, HashSet::new());
        for line in lines {
            if let Some(end) = line.strip_prefix("end ") {
                let whole = end.split_once(' ') == Some((&order.len().to_string(), &closing));
                return whole.then(|| Previous {
                    dir: cache.to_path_buf(),
                    pages,
                    order,
                    by_text,
                    digest: digest.finish(),
                    partitions,
                    size,
                    used,
                });
            }
            let mut fields = crate::cache::Fields::of(line);
            let hash: u128 = fields.hex()?;
            let entry = Entry {
                offset: fields.decimal()?,
                bytes: fields.decimal()?,
                check: fields.hex()?,
                len: fields.decimal()?,
            };
            if entry.offset.checked_add(entry.bytes)? > size {
                return None;
            }
            if shared.insert(entry.offset) {
                used = used.saturating_add(entry.bytes);
            }
            digest.add(entry.check);
            // Two pages of the same text: either's records will do.
            by_text.entry(hash).or_insert(order.len());
            order.push(entry);
        }
        None
    }

    /// The entry of the page whose text hashes to `hash`.
    fn entry(&self, hash: u128) -> Option<&Entry> {
        Some(&self.order[*self.by_text.get(&hash)?])
    }

    /// `entry`'s records, when they hash as it says.
    fn read(&self, key: Key, entry: &Entry) -> Option<(PageRecords, Stored)> {
        let mut stored = vec![0; usize::try_from(entry.bytes).ok()?];
        crate::cache::read_at(&self.pages, entry.offset, &mut stored).ok()?;
        if check(key, entry.len, &stored) != entry.check {
            return None;
        }
        let page = parse(&stored, entry.len, self.partitions)?;
        Some((
            page,
            Stored {
                bytes: stored,
                check: entry.check,
            },
        ))
    }
}

/// A keyed hash of every page's [`check`] in page order: names the records a merge of the
/// postings was made from.
struct Digest(siphasher::sip128::SipHasher13);

impl Digest {
    fn new(key: Key) -> Digest {
        Digest(key.hasher())
    }

    fn add(&mut self, check: u64) {
        self.0.write_u64(check);
    }

    fn finish(&self) -> u64 {
        crate::cache::finish(&self.0) as u64
    }
}

fn header(partitions: u32) -> Option<String> {
    Some(format!(
        "{HEADER} {} {partitions}",
        crate::cache::this_program()?
    ))
}

/// A page's records as the cache stores them ([`stored`]), with their hash.
struct Stored {
    bytes: Vec<u8>,
    check: u64,
}

impl Stored {
    fn of(key: Key, page: &PageRecords) -> Stored {
        let bytes = stored(page);
        Stored {
            check: check(key, page.len, &bytes),
            bytes,
        }
    }
}

/// A page's stored records: the partition count, then each partition with the length of its
/// records, then the records.
fn stored(page: &PageRecords) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.records.len() + 4 * page.parts.len() + 4);
    put_uvarint(&mut out, page.parts.len() as u64);
    for (part, range) in &page.parts {
        put_uvarint(&mut out, u64::from(*part));
        put_uvarint(&mut out, range.len() as u64);
    }
    for (_, range) in &page.parts {
        out.extend_from_slice(&page.records[range.clone()]);
    }
    out
}

/// [`stored`] read back; `None` unless it is whole and its partitions are in order and below
/// `partitions`.
fn parse(bytes: &[u8], len: u32, partitions: u32) -> Option<PageRecords> {
    let mut at = 0;
    let mut number = || {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(at)?;
            at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    };
    let count = number()?;
    let mut parts = Vec::new();
    let mut end = 0usize;
    for _ in 0..count {
        let part = u32::try_from(number()?).ok()?;
        let bytes = usize::try_from(number()?).ok()?;
        if part >= partitions || parts.last().is_some_and(|(p, _)| *p >= part) {
            return None;
        }
        parts.push((part, end..end.checked_add(bytes)?));
        end += bytes;
    }
    let records = bytes.get(at..)?;
    (records.len() == end).then(|| PageRecords {
        len,
        records: records.to_vec(),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn page(len: u32, parts: &[(u32, &[u8])]) -> PageRecords {
        let mut records = Vec::new();
        let mut ranges = Vec::new();
        for (part, bytes) in parts {
            let from = records.len();
            records.extend_from_slice(bytes);
            ranges.push((*part, from..records.len()));
        }
        PageRecords {
            len,
            records,
            parts: ranges,
        }
    }

    /// Page records counted anew, for [`Saving::put`].
    pub(super) fn written(key: Key, hash: u128, page: &PageRecords) -> Cached {
        Cached {
            hash,
            len: page.len,
            records: Place::Written(Stored::of(key, page)),
            as_last: false,
        }
    }

    pub(super) fn records(
        previous: &Previous,
        key: Key,
        hash: u128,
    ) -> Option<(PageRecords, Stored)> {
        previous.read(key, previous.entry(hash)?)
    }

    #[test]
    fn pages_are_found_by_their_text_in_any_order_and_only_whole() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let cache = dir.path().join("cache");
        let (a, b) = (page(3, &[(0, b"ab"), (2, b"cde")]), page(5, &[(1, b"x")]));
        let none = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &none).unwrap();
        saving.put(&written(key, 10, &a));
        saving.put(&written(key, 11, &b));
        saving.save(&cache);
        assert!(!dir.path().join("new").exists());
        assert!(
            Previous::open(&cache, key, 8).is_none(),
            "another partition count"
        );
        let previous = Previous::open(&cache, key, 4).unwrap();
        let (found, _) = records(&previous, key, 11).unwrap();
        assert_eq!(
            (found.len, found.records, found.parts),
            (5, b"x".to_vec(), vec![(1, 0..1)])
        );
        let (found, _) = records(&previous, key, 10).unwrap();
        assert_eq!(found.parts, vec![(0, 0..2), (2, 2..5)]);
        assert!(records(&previous, key, 12).is_none());
        drop(previous);

        // A number changed in the manifest: nothing of it is read.
        let manifest = std::fs::read_to_string(cache.join(MANIFEST)).unwrap();
        let changed = manifest.replacen(" 5\n", " 6\n", 1);
        assert_ne!(changed, manifest);
        std::fs::write(cache.join(MANIFEST), changed).unwrap();
        assert!(Previous::open(&cache, key, 4).is_none());
        std::fs::write(cache.join(MANIFEST), manifest).unwrap();

        // A byte changed in the records: that page is counted again; so is every page of a
        // file cut short.
        let path = cache.join(PAGES);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let previous = Previous::open(&cache, key, 4).unwrap();
        assert!(records(&previous, key, 11).is_none());
        assert!(records(&previous, key, 10).is_some());
        drop(previous);
        std::fs::write(&path, &bytes[..2]).unwrap();
        assert!(Previous::open(&cache, key, 4).is_none());
        // Another key reads nothing of it.
        let other = Key::of(tempfile::tempdir().unwrap().path()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let previous = Previous::open(&cache, key, 4).unwrap();
        assert!(records(&previous, other, 10).is_none());
    }

    #[test]
    fn records_the_last_build_had_at_the_place_go_unread_only_when_nothing_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let cache = dir.path().join("cache");
        let texts = ["居民委员会换届选举", "电动车停放充电管理"].map(|text| {
            vec![SearchSection {
                anchor: String::new(),
                heading: String::new(),
                text: text.to_string(),
            }]
        });
        // Page `d` with the text of page `t`.
        let count = |reuse: &Reuse, d: usize, t: usize, appending, changed_only| {
            let wants = Wants {
                appending,
                changed_only,
            };
            reuse.count(d, "标题", &texts[t], 4, wants)
        };
        let fields = |page: PageRecords| (page.len, page.records, page.parts);
        let counted = |t: usize| fields(page_records("标题", &texts[t], 4));
        let none = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &none).unwrap();
        for d in 0..2 {
            let (page, cached) = count(&none, d, d, false, false);
            assert_eq!(fields(page.unwrap()), counted(d));
            saving.put(&cached);
        }
        saving.save(&cache);
        // Every record spoiled on disk: a page whose records are read is counted again.
        let path = cache.join(PAGES);
        let spoiled: Vec<u8> = std::fs::read(&path)
            .unwrap()
            .iter()
            .map(|b| b ^ 1)
            .collect();
        std::fs::write(&path, spoiled).unwrap();
        let reuse = Reuse::open(&cache, key, 4);
        let (page, cached) = count(&reuse, 0, 0, true, true);
        assert!(
            page.is_none() && cached.as_last,
            "the same text at the same place"
        );
        assert!(matches!(cached.records, Place::InFile(_)));
        assert_eq!(cached.len, counted(0).0, "the length its entry gives");
        // At another place, when the partition files need them, or when the new cache is a
        // file of its own, they are read (and found spoiled, and counted again).
        for (d, t, appending, changed_only) in
            [(0, 1, true, true), (0, 0, true, false), (0, 0, false, true)]
        {
            let (page, cached) = count(&reuse, d, t, appending, changed_only);
            assert_eq!(fields(page.unwrap()), counted(t));
            assert!(matches!(cached.records, Place::Written(_)));
            assert_eq!(cached.as_last, d == t);
        }
    }

    #[test]
    fn stored_records_that_are_not_whole_are_refused() {
        let whole = stored(&page(1, &[(0, b"ab"), (3, b"c")]));
        assert!(parse(&whole, 1, 4).is_some());
        assert!(parse(&whole, 1, 3).is_none(), "a partition past the count");
        assert!(parse(&whole[..whole.len() - 1], 1, 4).is_none());
        assert!(parse(&[0xff; 12], 1, 4).is_none());
        assert!(
            parse(&[2, 1, 1, 0, 1, b'a', b'b'], 1, 4).is_none(),
            "out of order"
        );
    }
}
