//! The last build's key counts, kept for the next: counting a page's keys is a quarter of a
//! build's work, and a rebuild after one edit would count the same keys of every other page
//! again.
//!
//! `.shuyuan/cache/postings/` holds `pages`, each page's records as [`super::postings::spill`]
//! appends them (its keys and counts, grouped by partition), one after another, and
//! `manifest`, a line per page: the keyed hash of what its keys were counted from (title,
//! headings and text: [`counted_from`]), where its records lie in `pages`, their hash taken
//! with the page's length for BM25, and that length; the last line gives the count. A page
//! whose text hashes as one in the manifest has its records read from there instead of
//! counted, wherever it now stands among the pages; records that do not hash as the manifest
//! says (a file changed) are counted again, and a manifest whose entries do not lie end to
//! end, fill `pages` and close with their count (a file cut short) is not read at all. The
//! manifest is valid only for the program that wrote it ([`crate::cache::this_program`]) and
//! the same partition count.
//!
//! The new cache is written beside the build's work files (`.shuyuan/tmp/`, cleared by the
//! next run holding the site lock when a run is killed) and moved into place whole once every
//! page is counted. It holds about half as many bytes as the pages' text (130 MB at 10,000
//! pages).

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::keys::{PageRecords, page_records, put_uvarint};
use crate::cache::Key;
use crate::search::{SearchError, SearchSection};

/// First word of the manifest, before the program and the partition count.
const HEADER: &str = "shuyuan-postings-cache 3";
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

/// Where a page's records lie in `pages`, their hash and the page's BM25 length.
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

/// A page's text hashed ([`counted_from`]) and its records as the cache stores them: what
/// [`Saving::put`] keeps of it.
pub(super) struct Cached {
    /// [`counted_from`].
    pub(super) hash: u128,
    stored: Stored,
    /// The last build had these records, and this BM25 length, at the same place.
    pub(super) as_last: bool,
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
    pub(super) fn count(
        &self,
        d: usize,
        title: &str,
        sections: &[SearchSection],
        partitions: u32,
    ) -> (PageRecords, Cached) {
        let hash = counted_from(self.key, title, sections);
        let (page, stored) = self
            .previous
            .as_ref()
            .and_then(|previous| previous.records(self.key, hash))
            .unwrap_or_else(|| {
                let page = page_records(title, sections, partitions);
                let stored = Stored::of(self.key, &page);
                (page, stored)
            });
        let as_last = self
            .previous
            .as_ref()
            .and_then(|previous| previous.order.get(d))
            .is_some_and(|entry| entry.check == stored.check);
        let cached = Cached {
            hash,
            stored,
            as_last,
        };
        (page, cached)
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
}

impl Previous {
    fn open(cache: &Path, key: Key, partitions: u32) -> Option<Previous> {
        let text = std::fs::read_to_string(cache.join(MANIFEST)).ok()?;
        let pages = File::open(cache.join(PAGES)).ok()?;
        let size = pages.metadata().ok()?.len();
        let mut lines = text.lines();
        if lines.next()? != header(partitions)? {
            return None;
        }
        // Entries lie end to end and fill the file, which the last line closes with their
        // count: a manifest or file cut short or changed in its numbers is refused whole.
        let (mut order, mut by_text) = (Vec::new(), HashMap::new());
        let mut digest = Digest::new(key);
        let mut end = 0u64;
        for line in lines {
            if let Some(total) = line.strip_prefix("end ") {
                let whole = total.parse() == Ok(order.len()) && end == size;
                return whole.then(|| Previous {
                    dir: cache.to_path_buf(),
                    pages,
                    order,
                    by_text,
                    digest: digest.finish(),
                    partitions,
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
            if entry.offset != end {
                return None;
            }
            end = end.checked_add(entry.bytes)?;
            digest.add(entry.check);
            // Two pages of the same text: either's records will do.
            by_text.entry(hash).or_insert(order.len());
            order.push(entry);
        }
        None
    }

    /// The records of the page whose text hashes to `hash` under `key`, when the cache has
    /// them whole, and as they are stored.
    fn records(&self, key: Key, hash: u128) -> Option<(PageRecords, Stored)> {
        self.read(key, &self.order[*self.by_text.get(&hash)?])
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

/// The cache the current build writes, beside its work files, moved into place by [`Self::save`];
/// dropped unsaved, it is removed.
pub(super) struct Saving {
    dir: PathBuf,
    partitions: u32,
    pages: Option<BufWriter<File>>,
    offset: u64,
    manifest: String,
    digest: Digest,
    /// Each page's stored bytes and BM25 length, to read them back ([`Self::read_back`]).
    sizes: Vec<(usize, u32)>,
}

impl Saving {
    /// A new cache in the folder `dir` (emptied first) for `partitions` partitions, under the
    /// site's `key`.
    pub(super) fn create(dir: PathBuf, key: Key, partitions: u32) -> Option<Saving> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        let pages = File::create_new(dir.join(PAGES)).ok()?;
        let mut manifest = header(partitions)?;
        manifest.push('\n');
        Some(Saving {
            dir,
            partitions,
            pages: Some(BufWriter::with_capacity(1 << 20, pages)),
            offset: 0,
            manifest,
            digest: Digest::new(key),
            sizes: Vec::new(),
        })
    }

    /// Adds the next page, of BM25 length `len`, as [`Reuse::count`] gave it. A cache that
    /// cannot be written is dropped; the build goes on without it.
    pub(super) fn put(&mut self, len: u32, cached: &Cached) {
        let Cached { hash, stored, .. } = cached;
        let Some(pages) = &mut self.pages else { return };
        if pages.write_all(&stored.bytes).is_err() {
            self.pages = None;
            return;
        }
        self.manifest.push_str(&format!(
            "{hash:032x} {} {} {:016x} {len}\n",
            self.offset,
            stored.bytes.len(),
            stored.check
        ));
        self.offset += stored.bytes.len() as u64;
        self.digest.add(stored.check);
        self.sizes.push((stored.bytes.len(), len));
    }

    /// Hands `each` every page put here, in order, read back from the cache's file; `None`
    /// when the cache could not be written whole.
    pub(super) fn read_back(
        &mut self,
        mut each: impl FnMut(usize, PageRecords) -> Result<(), SearchError>,
    ) -> Option<Result<(), SearchError>> {
        self.pages.as_mut()?.flush().ok()?;
        let mut file = std::io::BufReader::new(File::open(self.dir.join(PAGES)).ok()?);
        let mut stored = Vec::new();
        for (d, &(bytes, len)) in self.sizes.iter().enumerate() {
            stored.resize(bytes, 0);
            file.read_exact(&mut stored).ok()?;
            let page = parse(&stored, len, self.partitions)?;
            if let Err(e) = each(d, page) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// Keeps the postings merged from the pages put here (`encoded`): each partition's file in
    /// `files` (moved into the cache) with what [`super::patch::LastMerge`] checks it by, merged
    /// with BM25's average length `average`. Best effort, like the rest of the cache.
    pub(super) fn keep_merge(
        &mut self,
        average: u64,
        encoded: &super::postings::Encoded,
        files: &[(PathBuf, super::patch::Written)],
    ) {
        if self.pages.is_some() {
            super::patch::LastMerge::save(
                &self.dir,
                self.digest.finish(),
                average,
                self.partitions,
                encoded,
                files,
            );
        }
    }

    /// Makes this the cache in the folder `cache`, replacing the last one. Best effort: a
    /// cache that cannot be saved is left out, and the next build counts every page.
    pub(super) fn save(mut self, cache: &Path) {
        let Some(pages) = self.pages.take() else {
            return;
        };
        let count = self.manifest.lines().count() - 1;
        self.manifest.push_str(&format!("end {count}\n"));
        let saved = (|| -> std::io::Result<()> {
            pages.into_inner().map_err(|e| e.into_error())?;
            std::fs::write(self.dir.join(MANIFEST), &self.manifest)?;
            match std::fs::remove_dir_all(cache) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            std::fs::rename(&self.dir, cache)
        })();
        if saved.is_err() {
            let _ = std::fs::remove_dir_all(cache);
        }
    }
}

impl Drop for Saving {
    fn drop(&mut self) {
        self.pages = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(len: u32, parts: &[(u32, &[u8])]) -> PageRecords {
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

    #[test]
    fn pages_are_found_by_their_text_in_any_order_and_only_whole() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let cache = dir.path().join("cache");
        let (a, b) = (page(3, &[(0, b"ab"), (2, b"cde")]), page(5, &[(1, b"x")]));
        let cached = |hash, page: &PageRecords| Cached {
            hash,
            stored: Stored::of(key, page),
            as_last: false,
        };
        let mut saving = Saving::create(dir.path().join("new"), key, 4).unwrap();
        saving.put(a.len, &cached(10, &a));
        saving.put(b.len, &cached(11, &b));
        saving.save(&cache);
        assert!(!dir.path().join("new").exists());
        assert!(
            Previous::open(&cache, key, 8).is_none(),
            "another partition count"
        );
        let previous = Previous::open(&cache, key, 4).unwrap();
        let (found, _) = previous.records(key, 11).unwrap();
        assert_eq!(
            (found.len, found.records, found.parts),
            (5, b"x".to_vec(), vec![(1, 0..1)])
        );
        let (found, _) = previous.records(key, 10).unwrap();
        assert_eq!(found.parts, vec![(0, 0..2), (2, 2..5)]);
        assert!(previous.records(key, 12).is_none());
        drop(previous);

        // A byte changed in the records: that page is counted again; so is every page of a
        // file cut short.
        let path = cache.join(PAGES);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let previous = Previous::open(&cache, key, 4).unwrap();
        assert!(previous.records(key, 11).is_none());
        assert!(previous.records(key, 10).is_some());
        drop(previous);
        std::fs::write(&path, &bytes[..2]).unwrap();
        assert!(Previous::open(&cache, key, 4).is_none());
        // Another key reads nothing of it.
        let other = Key::of(tempfile::tempdir().unwrap().path()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let previous = Previous::open(&cache, key, 4).unwrap();
        assert!(previous.records(other, 10).is_none());
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
