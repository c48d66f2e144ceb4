//! Postings for the static index, built in bounded memory.
//!
//! Holding every key's postings at once grows with the whole site (about 1 GB at 100,000
//! pages), so the keys are cut by hash into partitions that are merged one at a time:
//! 1. [`spill`]: pages are analysed in parallel batches and each page's key counts
//!    ([`super::keys`]; taken from the last build's for a page whose text it counted, and not
//!    even read when they are the same as at the page's place and these files wait:
//!    [`super::reuse`]) are appended, in page order, to its partitions' files (`r<p>` in a work
//!    folder). A rebuild that will likely patch the last merge ([`super::patch`]) leaves these
//!    files for later ([`fill_partition_files`]), needed only should the patch fail.
//! 2. [`encode`]: each partition file is merged into per-key postings and encoded (module docs
//!    of `export`); the result goes to `e<p>`, together with the key's shard hash. A rebuild
//!    patches the last build's `e<p>` instead when it can ([`super::patch::encode`]).
//! 3. [`shards`]: once the total size fixes the shard count (a multiple of the partition
//!    count, so that every shard's keys lie in one partition), each partition's encoded keys
//!    are spread over its shards.
//!
//! Peak memory is one batch of pages (whose sections, when the build keeps the text out of
//! memory, are read only for it: `PageTexts`), a small write buffer per partition and one
//! partition being merged per thread, whatever the site's size.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::hash::{BuildHasherDefault, Hash};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use siphasher::sip128::SipHasher13;

use super::keys::{Count, KeyMap, MixHasher, PageRecords, Postings, page_records, put_uvarint};
use super::patch::{Changes, Written};
use super::reuse::{Cached, Reuse, Saving, Wants};
use super::{Pages, key_hash, level};
use crate::cache::Key;
use crate::search::codec::{posting_count, push_posting, tier};
use crate::search::{SearchDoc, SearchError, SearchSection};

/// Pages analysed per parallel batch: bounds the key counts held before they are spilled.
const BATCH: usize = 128;
/// A partition's buffer is appended to its file before it would outgrow this. Every partition
/// has one (256 at 100,000 pages), so this is kept small: grown by doubling past a 256 KB
/// threshold instead, they held 128 MB, nearly all of a 10,000-page site's postings.
const BUFFER_BYTES: usize = 64 * 1024;
/// The most a page's number and length take in front of its records (two varints).
const RECORD_HEAD_BYTES: usize = 20;

/// Reads work-file records; a truncated or damaged file is a [`SearchError::Corrupt`].
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    #[inline]
    pub fn uvarint(&mut self) -> Result<u64, SearchError> {
        // Nearly every number here (a key's length, a count) takes one byte.
        if let Some(&b) = self.bytes.get(self.at)
            && b < 0x80
        {
            self.at += 1;
            return Ok(u64::from(b));
        }
        self.long_uvarint()
    }

    // Kept out of line, so that the one-byte case above is small enough to inline.
    #[inline(never)]
    fn long_uvarint(&mut self) -> Result<u64, SearchError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or_else(damaged)?;
            self.at += 1;
            // The tenth byte holds the top bit only: more would not fit a `u64`.
            if shift == 63 && b > 1 {
                return Err(damaged());
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(damaged())
    }

    #[inline]
    pub fn slice(&mut self) -> Result<&'a [u8], SearchError> {
        let len = usize::try_from(self.uvarint()?).map_err(|_| damaged())?;
        let end = self.at.checked_add(len).ok_or_else(damaged)?;
        let s = self.bytes.get(self.at..end).ok_or_else(damaged)?;
        self.at += len;
        Ok(s)
    }
}

pub(super) fn damaged() -> SearchError {
    SearchError::Corrupt("a work file of the static index is truncated or damaged".into())
}

/// The work folder and what [`spill`] learnt; the folder goes when this is dropped.
pub(super) struct Spilled {
    dir: PathBuf,
    pub partitions: u32,
    /// Each page's BM25 length, in page order.
    pub lens: Vec<u32>,
    /// The partition files hold every page's records. Until they do, [`encode`] cannot run.
    pub partition_files: bool,
}

impl Drop for Spilled {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Spilled {
    pub(super) fn file(&self, prefix: char, part: u32) -> PathBuf {
        self.dir.join(format!("{prefix}{part}"))
    }
}

/// Appends `bytes` to the work file `path`.
pub(super) fn append(path: &Path, bytes: &[u8]) -> Result<(), SearchError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(SearchError::io(path))
}

fn read(path: &Path) -> Result<Vec<u8>, SearchError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        // A partition no page had a key in was never written.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(SearchError::io(path)(e)),
    }
}

/// What [`spill`] does with the key-count cache: the last build's counts to take records from,
/// the cache being written, and the pages found changed since.
pub(super) struct Caching<'a> {
    pub reuse: &'a Reuse,
    pub saving: Option<&'a mut Saving>,
    pub changes: &'a mut Changes,
    /// The partition files are left unwritten: the last merge will likely be patched, and
    /// should it not be, they are written from the new cache ([`Spilled::partition_files`]).
    pub partition_files_later: bool,
}

/// Phase 1: analyses every page and appends its keys to the partition files in `dir`. The
/// sections of one batch of pages are held at a time, and read once: `also` makes what else
/// the index needs of a page's text while it is there (given its number and, with `cache`,
/// its text's keyed hash, [`super::reuse::counted_from`]), handed to `take` in page order. With
/// `cache`, a page whose text the last build counted has its records read from there, every
/// page's records go to the new cache, and the pages whose records differ from those the last
/// build had at their place are noted.
pub(super) fn spill<T: Send>(
    pages: &Pages,
    dir: PathBuf,
    partitions: u32,
    mut cache: Option<Caching>,
    also: impl Fn(usize, &SearchDoc, &[SearchSection], Option<u128>) -> T + Sync,
    mut take: impl FnMut(T) -> Result<(), SearchError>,
) -> Result<Spilled, SearchError> {
    std::fs::create_dir_all(&dir).map_err(SearchError::io(&dir))?;
    let count = pages.docs.len();
    let mut spilled = Spilled {
        dir,
        partitions,
        lens: Vec::with_capacity(count),
        partition_files: !cache
            .as_ref()
            .is_some_and(|cache| cache.partition_files_later),
    };
    let mut files = PartitionFiles::new(&spilled);
    let wants = Wants {
        appending: (cache.as_ref())
            .and_then(|cache| cache.saving.as_deref())
            .is_some_and(Saving::appending),
        changed_only: !spilled.partition_files,
    };
    for start in (0..count).step_by(BATCH) {
        let batch: Vec<(Option<PageRecords>, u32, Option<Cached>, T)> = (start
            ..count.min(start + BATCH))
            .into_par_iter()
            .map(|d| {
                let (doc, sections) = (pages.docs[d], pages.sections(d)?);
                let (page, len, cached) = match &cache {
                    Some(cache) => {
                        let (page, cached) = cache
                            .reuse
                            .count(d, &doc.title, &sections, partitions, wants);
                        (page, cached.len, Some(cached))
                    }
                    None => {
                        let page = page_records(&doc.title, &sections, partitions);
                        let len = page.len;
                        (Some(page), len, None)
                    }
                };
                let text_hash = cached.as_ref().map(|cached| cached.hash);
                Ok((page, len, cached, also(d, doc, &sections, text_hash)))
            })
            .collect::<Result<_, SearchError>>()?;
        for (d, (page, len, cached, also)) in (start..).zip(batch) {
            spilled.lens.push(len);
            take(also)?;
            if let (Some(cache), Some(cached)) = (cache.as_mut(), &cached) {
                if let Some(saving) = cache.saving.as_deref_mut() {
                    saving.put(cached);
                }
                // A page left unread has the last build's records at its place: unchanged.
                if let Some(page) = &page {
                    cache.changes.note(d, page, cached, cache.reuse);
                }
            }
            if spilled.partition_files {
                let page = page
                    .as_ref()
                    .expect("records go unread only while the files wait");
                files.put(&spilled, d, page)?;
            }
        }
    }
    files.finish(&spilled)?;
    Ok(spilled)
}

/// Writes the partition files [`spill`] left for later ([`Caching::partition_files_later`]):
/// from the new cache, `saving`, or, when it could not be written, by counting every page
/// again.
pub(super) fn fill_partition_files(
    spilled: &mut Spilled,
    saving: Option<&mut Saving>,
    pages: &Pages,
) -> Result<(), SearchError> {
    let mut files = PartitionFiles::new(spilled);
    let read_back =
        saving.and_then(|saving| saving.read_back(|d, page| files.put(spilled, d, &page)));
    match read_back {
        Some(read) => read?,
        None => {
            files = PartitionFiles::new(spilled);
            remove_files(spilled, 'r')?;
            let count = pages.docs.len();
            for start in (0..count).step_by(BATCH) {
                let batch: Vec<PageRecords> = (start..count.min(start + BATCH))
                    .into_par_iter()
                    .map(|d| {
                        let sections = pages.sections(d)?;
                        Ok(page_records(
                            &pages.docs[d].title,
                            &sections,
                            spilled.partitions,
                        ))
                    })
                    .collect::<Result<_, SearchError>>()?;
                for (d, page) in (start..).zip(batch) {
                    files.put(spilled, d, &page)?;
                }
            }
        }
    }
    files.finish(spilled)?;
    spilled.partition_files = true;
    Ok(())
}

/// Removes the files `spilled` has with prefix `prefix`.
pub(super) fn remove_files(spilled: &Spilled, prefix: char) -> Result<(), SearchError> {
    for part in 0..spilled.partitions {
        let path = spilled.file(prefix, part);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(SearchError::io(&path)(e));
        }
    }
    Ok(())
}

/// Appends pages' records to the partition files, through a buffer per partition.
pub(super) struct PartitionFiles {
    buffers: Vec<Vec<u8>>,
}

impl PartitionFiles {
    pub(super) fn new(spilled: &Spilled) -> PartitionFiles {
        PartitionFiles {
            buffers: vec![Vec::new(); spilled.partitions as usize],
        }
    }

    /// Appends page `d`'s records.
    pub(super) fn put(
        &mut self,
        spilled: &Spilled,
        d: usize,
        page: &PageRecords,
    ) -> Result<(), SearchError> {
        for (part, range) in &page.parts {
            let buffer = &mut self.buffers[*part as usize];
            if buffer.len() + RECORD_HEAD_BYTES + range.len() > BUFFER_BYTES && !buffer.is_empty() {
                append(&spilled.file('r', *part), buffer)?;
                buffer.clear();
            }
            // Allocated once at its full size, so that it never doubles; only a page with
            // more than that for one partition makes it larger.
            buffer.reserve_exact(BUFFER_BYTES.saturating_sub(buffer.len()));
            put_uvarint(buffer, d as u64);
            put_uvarint(buffer, range.len() as u64);
            buffer.extend_from_slice(&page.records[range.clone()]);
        }
        Ok(())
    }

    pub(super) fn finish(self, spilled: &Spilled) -> Result<(), SearchError> {
        for (part, buffer) in self.buffers.iter().enumerate() {
            if !buffer.is_empty() {
                append(&spilled.file('r', part as u32), buffer)?;
            }
        }
        Ok(())
    }
}

/// Totals of [`encode`]: bytes the keys will take in shards, and how many keys there are; with
/// each partition's file as the cache checks it, when it keeps them.
#[derive(Default)]
pub(super) struct Encoded {
    pub bytes: usize,
    pub keys: usize,
    pub files: Vec<Written>,
    /// Made by patching the last build's merge for this many changed pages ([`super::patch`]).
    pub patched: Option<usize>,
}

impl Encoded {
    /// The totals of partitions' `(bytes, keys, file)` in partition order; `keep`: the files
    /// are kept.
    pub(super) fn from_parts(parts: Vec<(usize, usize, Written)>, keep: bool) -> Encoded {
        let mut encoded = Encoded::default();
        for (bytes, keys, file) in parts {
            encoded.bytes += bytes;
            encoded.keys += keys;
            if keep {
                encoded.files.push(file);
            }
        }
        encoded
    }
}

/// Phase 2: merges each partition into per-key postings and encodes them, with `len_norm[page]`
/// BM25's length ratio; with `keep`, each file's hash for the cache.
pub(super) fn encode(
    spilled: &Spilled,
    len_norm: &[f64],
    keep: bool,
) -> Result<Encoded, SearchError> {
    let parts = (0..spilled.partitions)
        .into_par_iter()
        .map(|part| {
            let raw_path = spilled.file('r', part);
            let raw = read(&raw_path)?;
            let (keys, postings) = merged(&raw)?;
            let mut out = Vec::new();
            let mut bytes = 0;
            for (&key, list) in keys.iter().zip(postings.lists()) {
                let encoded = encode_postings(list, len_norm);
                bytes += key.len() + encoded.len() + 2;
                let hash = std::str::from_utf8(key)
                    .map(key_hash)
                    .map_err(|_| damaged())?;
                put_uvarint(&mut out, u64::from(hash));
                put_uvarint(&mut out, key.len() as u64);
                out.extend_from_slice(key);
                put_uvarint(&mut out, encoded.len() as u64);
                out.extend_from_slice(encoded.as_bytes());
            }
            drop(postings);
            let _ = std::fs::remove_file(&raw_path);
            let written = keep.then(|| Written::of(&out));
            append(&spilled.file('e', part), &out)?;
            Ok((bytes, keys.len(), written.unwrap_or_default()))
        })
        .collect::<Result<Vec<_>, SearchError>>()?;
    Ok(Encoded::from_parts(parts, keep))
}

/// Every key's postings, keys numbered `0..keys`, one after another.
struct Grouped {
    postings: Postings,
    /// Where key `n`'s postings end.
    ends: Vec<usize>,
}

impl Grouped {
    /// Each key's postings in number order.
    fn lists(&self) -> impl Iterator<Item = &[(u32, Count)]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.postings[start..end])
    }
}

/// A partition's records (`raw`, in page order) merged: its distinct keys, numbered as first
/// met, and each one's postings.
///
/// The keys stay bytes (they were written from strings; each is checked once when encoded).
/// The records are read twice: first to number their keys, then to put each posting at its
/// key's next place, which keeps every key's pages ascending. A growing list per key cost an
/// allocation and a copy at every doubling.
fn merged(raw: &[u8]) -> Result<(Vec<&[u8]>, Grouped), SearchError> {
    let mut numbers = KeyNumbers::with_capacity(raw.len() / 64);
    let mut keys: Vec<&[u8]> = Vec::with_capacity(raw.len() / 64);
    let mut numbered: Vec<u32> = Vec::with_capacity(raw.len() / 8);
    let mut ends: Vec<usize> = Vec::with_capacity(raw.len() / 64);
    for_each_record(raw, |key, _, _| {
        let number = numbers.number(key, || {
            keys.push(key);
            ends.push(0);
            keys.len() as u32 - 1
        });
        ends[number as usize] += 1;
        numbered.push(number);
    })?;
    drop(numbers);
    let mut total = 0;
    for end in &mut ends {
        total += *end;
        *end = total;
    }
    let mut next: Vec<usize> = std::iter::once(0).chain(ends.iter().copied()).collect();
    let mut postings = vec![(0, 0); numbered.len()];
    let mut numbered = numbered.into_iter();
    for_each_record(raw, |_, page, count| {
        let number = numbered.next().expect("the same records as the first read");
        let at = &mut next[number as usize];
        postings[*at] = (page, count);
        *at += 1;
    })?;
    Ok((keys, Grouped { postings, ends }))
}

/// The number of each key met, the keys of at most [`PACKED_KEY_BYTES`] bytes (nearly all:
/// a Han bigram takes six, its gram seven) packed into one number, so that finding one costs
/// a multiply and an integer compare instead of hashing and comparing bytes.
struct KeyNumbers<'a> {
    packed: HashMap<u128, u32, BuildHasherDefault<MixHasher>>,
    long: KeyMap<&'a [u8], u32>,
}

/// The longest key [`KeyNumbers`] packs: its bytes, then its length in the top byte.
const PACKED_KEY_BYTES: usize = 15;

impl<'a> KeyNumbers<'a> {
    fn with_capacity(keys: usize) -> KeyNumbers<'a> {
        KeyNumbers {
            packed: HashMap::with_capacity_and_hasher(keys, Default::default()),
            long: KeyMap::default(),
        }
    }

    /// `key`'s number, `new` giving it one when it is met first.
    fn number(&mut self, key: &'a [u8], new: impl FnOnce() -> u32) -> u32 {
        if key.len() <= PACKED_KEY_BYTES {
            let mut bytes = [0u8; 16];
            bytes[..key.len()].copy_from_slice(key);
            bytes[PACKED_KEY_BYTES] = key.len() as u8;
            *self
                .packed
                .entry(u128::from_le_bytes(bytes))
                .or_insert_with(new)
        } else {
            *self.long.entry(key).or_insert_with(new)
        }
    }
}

/// Calls `each` with every record of `raw` (key, page, count), in order.
fn for_each_record<'a>(
    raw: &'a [u8],
    mut each: impl FnMut(&'a [u8], u32, Count),
) -> Result<(), SearchError> {
    let mut reader = Reader { bytes: raw, at: 0 };
    while !reader.done() {
        let page = reader.uvarint()? as u32;
        let mut block = Reader {
            bytes: reader.slice()?,
            at: 0,
        };
        while !block.done() {
            let key = block.slice()?;
            each(key, page, block.uvarint()? as Count);
        }
    }
    Ok(())
}

/// Encodes one key's postings (pages ascending; see the module docs of `export`).
fn encode_postings(list: &[(u32, Count)], len_norm: &[f64]) -> String {
    let mut out = String::with_capacity(list.len() * 2);
    let mut next = 0u64;
    for &(page, count) in list {
        push_posting(
            &mut out,
            &mut next,
            page,
            level(count, len_norm[page as usize]) as u8,
        );
    }
    out
}

/// Writes shard `k`: what it is made from hashed (under the site's key, when there is one),
/// and a function that makes its text. Returns the bytes of the file, written or kept.
pub(super) type WriteShard<'a> =
    &'a (dyn Fn(usize, Option<u128>, MakeText) -> Result<u64, SearchError> + Sync);
/// Writes the heavy postings `j` of shard `k` in the same way.
pub(super) type WriteHeavy<'a> =
    &'a (dyn Fn(usize, usize, Option<u128>, MakeText) -> Result<u64, SearchError> + Sync);
/// Makes the text of an index file, when it is to be written.
pub(super) type MakeText<'a> = &'a dyn Fn() -> Result<String, SearchError>;

/// Phase 3: hands `write_shard` every shard `k < shard_count` (keys in byte order,
/// `"KEY POSTINGS KEY POSTINGS …"`), and `write_heavy` the postings longer than
/// `heavy_bytes`, whose value in the shard is then the stub `~j.df` (the export module docs);
/// `shard_count` is a multiple of the partition count. Each file comes with the hash of what
/// it is made from under `key`, so that a file an earlier build made of the same can be left
/// as it is without being made ([`crate::search::IndexOutput::keep_made_from`]). Returns the
/// bytes written or kept.
pub(super) fn shards(
    spilled: &Spilled,
    shard_count: usize,
    heavy_bytes: usize,
    key: Option<Key>,
    write_shard: WriteShard,
    write_heavy: WriteHeavy,
) -> Result<u64, SearchError> {
    let partitions = spilled.partitions as usize;
    debug_assert_eq!(shard_count % partitions, 0);
    let made_from = |hash: &dyn Fn(&mut SipHasher13)| {
        key.map(|key| {
            let mut h = key.hasher();
            hash(&mut h);
            crate::cache::finish(&h)
        })
    };
    (0..spilled.partitions)
        .into_par_iter()
        .map(|part| {
            let encoded = read(&spilled.file('e', part))?;
            let mut reader = Reader {
                bytes: &encoded,
                at: 0,
            };
            // Shard `part + j * partitions` collects into `local[j]`.
            let mut local: Vec<Vec<(&[u8], &[u8])>> = vec![Vec::new(); shard_count / partitions];
            while !reader.done() {
                let hash = reader.uvarint()? as usize;
                let key = reader.slice()?;
                let post = reader.slice()?;
                local[(hash % shard_count) / partitions].push((key, post));
            }
            let mut bytes = 0;
            for (j, mut entries) in local.into_iter().enumerate() {
                let k = part as usize + j * partitions;
                // Keys are distinct: this is their byte order.
                entries.sort_unstable();
                let shard = made_from(&|h| (heavy_bytes, &entries).hash(h));
                bytes += write_shard(k, shard, &|| shard_text(&entries, heavy_bytes))?;
                let heavy = entries.iter().filter(|(_, post)| post.len() > heavy_bytes);
                for (j, &(_, post)) in heavy.enumerate() {
                    bytes += write_heavy(k, j, made_from(&|h| post.hash(h)), &|| {
                        Ok(tier(
                            simdutf8::basic::from_utf8(post).map_err(|_| damaged())?,
                        ))
                    })?;
                }
            }
            Ok(bytes)
        })
        .sum()
}

/// The text of a shard holding `entries` (key, postings) in byte order, heavy postings as
/// their stubs.
fn shard_text(entries: &[(&[u8], &[u8])], heavy_bytes: usize) -> Result<String, SearchError> {
    let text = |bytes| simdutf8::basic::from_utf8(bytes).map_err(|_| damaged());
    let mut data = String::new();
    let mut heavy = 0;
    for &(key, post) in entries {
        if !data.is_empty() {
            data.push(' ');
        }
        data.push_str(text(key)?);
        data.push(' ');
        if post.len() > heavy_bytes {
            data.push_str(&format!("~{heavy}.{}", posting_count(post)));
            heavy += 1;
        } else {
            data.push_str(text(post)?);
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page and the keys it holds, with their counts.
    type Held<'a> = (u32, Vec<(&'a [u8], Count)>);

    /// Pages' records as a partition file holds them: the page, then its block of keys with
    /// their counts.
    fn partition_file(pages: &[Held]) -> Vec<u8> {
        let mut raw = Vec::new();
        for (page, records) in pages {
            let mut block = Vec::new();
            for (key, count) in records {
                put_uvarint(&mut block, key.len() as u64);
                block.extend_from_slice(key);
                put_uvarint(&mut block, u64::from(*count));
            }
            put_uvarint(&mut raw, u64::from(*page));
            put_uvarint(&mut raw, block.len() as u64);
            raw.extend_from_slice(&block);
        }
        raw
    }

    #[test]
    fn the_reader_reads_back_what_put_uvarint_wrote() {
        let numbers = [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let mut bytes = Vec::new();
        for &n in &numbers {
            put_uvarint(&mut bytes, n);
        }
        let mut reader = Reader {
            bytes: &bytes,
            at: 0,
        };
        for &n in &numbers {
            assert_eq!(reader.uvarint().unwrap(), n);
        }
        assert!(reader.done());
        // Cut inside a number of one byte (nothing left) and of several.
        assert!(Reader { bytes: &[], at: 0 }.uvarint().is_err());
        assert!(
            Reader {
                bytes: &bytes[..bytes.len() - 1],
                at: bytes.len() - 3
            }
            .uvarint()
            .is_err()
        );
        // Past 64 bits.
        let too_long = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(
            Reader {
                bytes: &too_long,
                at: 0
            }
            .uvarint()
            .is_err()
        );
    }

    #[test]
    fn every_key_gets_its_own_postings_in_page_order() {
        // Packed and unpacked lengths on both sides of the bound, keys that differ only in
        // their length (a trailing zero byte), and one key's prefix of another.
        let keys: Vec<Vec<u8>> = vec![
            b"a".to_vec(),
            b"a\0".to_vec(),
            "电动".as_bytes().to_vec(),
            "*电动".as_bytes().to_vec(),
            vec![b'x'; PACKED_KEY_BYTES - 1],
            vec![b'x'; PACKED_KEY_BYTES],
            vec![b'x'; PACKED_KEY_BYTES + 1],
            "居民委员会组织法".as_bytes().to_vec(),
        ];
        let mut random = crate::search::seeded(11);
        let pages: Vec<Held> = (0..40)
            .map(|page| {
                let mut held = Vec::new();
                for key in &keys {
                    if random(3) > 0 {
                        held.push((key.as_slice(), random(50) as Count));
                    }
                }
                (page * 3, held)
            })
            .collect();
        let raw = partition_file(&pages);
        let (numbered, grouped) = merged(&raw).expect("well-formed records");
        let got: std::collections::BTreeMap<&[u8], &[(u32, Count)]> =
            numbered.iter().copied().zip(grouped.lists()).collect();
        assert_eq!(got.len(), numbered.len(), "no key numbered twice");
        let mut want: std::collections::BTreeMap<&[u8], Postings> = Default::default();
        for (page, records) in &pages {
            for &(key, count) in records {
                want.entry(key).or_default().push((*page, count));
            }
        }
        let want: std::collections::BTreeMap<&[u8], &[(u32, Count)]> = want
            .iter()
            .map(|(&key, list)| (key, list.as_slice()))
            .collect();
        assert_eq!(got, want);
    }
}
