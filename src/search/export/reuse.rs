//! The last build's key counts, kept for the next: counting a page's keys is a quarter of a
//! build's work, and a rebuild after one edit counts the same keys of every other page again.
//!
//! After a build's index is written, its partition work files (each page's keys and counts,
//! [`super::postings`]) go to `.shuyuan/cache/postings/` instead of being removed, with a
//! manifest naming, for each page in the order they hold them, a hash of what its keys were
//! counted from (title, headings and text: [`counted_from`]) and its length for BM25. The next
//! build takes a page's records from there when its text hashes the same, the partition count
//! is the same and the manifest was written by this very program ([`crate::cache::this_program`]);
//! every other page is counted as before. The files are read once, front to back, so only the
//! pages whose place in the list keeps the order of the last build are taken; the rest, a
//! page renamed across others, are counted again.
//!
//! The cache holds about half as many bytes as the pages' text (130 MB at 10,000 pages), once.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rustc_hash::FxHasher;

use crate::search::{SearchError, SearchSection};

/// First line of the manifest, before the program and the partition count.
const HEADER: &str = "shuyuan-postings-cache 1";
const MANIFEST: &str = "manifest";

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

/// What a page's keys are counted from, hashed: its title, and each section's heading and
/// text, with their lengths so that no two different pages run together the same way.
pub(super) fn counted_from(title: &str, sections: &[SearchSection]) -> u64 {
    let mut h = FxHasher::default();
    title.hash(&mut h);
    sections.len().hash(&mut h);
    for section in sections {
        (&section.heading, &section.text).hash(&mut h);
    }
    h.finish()
}

/// The cache as the last build left it, if this program made it with as many partitions.
pub(super) struct Previous {
    dir: PathBuf,
    /// [`counted_from`] hash → the page's number in the cache's files and its length.
    pages: HashMap<u64, (u32, u32)>,
    partitions: u32,
}

impl Previous {
    pub(super) fn open(cache: &Path, partitions: u32) -> Option<Previous> {
        let text = std::fs::read_to_string(cache.join(MANIFEST)).ok()?;
        let mut lines = text.lines();
        if lines.next()? != header(partitions)? {
            return None;
        }
        let mut pages = HashMap::new();
        for (number, line) in (0u32..).zip(lines) {
            let (hash, len) = line.split_once(' ')?;
            let hash = u64::from_str_radix(hash, 16).ok()?;
            // Two pages of the same text: either's records will do.
            pages.insert(hash, (number, len.parse().ok()?));
        }
        Some(Previous {
            dir: cache.to_path_buf(),
            pages,
            partitions,
        })
    }

    /// The number and length in the cache of the page whose text hashes to `hash`.
    pub(super) fn page(&self, hash: u64) -> Option<(u32, u32)> {
        self.pages.get(&hash).copied()
    }

    /// A reader for each partition's file.
    pub(super) fn readers(&self) -> Result<Vec<Records>, SearchError> {
        (0..self.partitions)
            .map(|part| {
                let path = self.dir.join(format!("r{part}"));
                let file = match File::open(&path) {
                    Ok(file) => Some(BufReader::with_capacity(64 * 1024, file)),
                    // No page had a key in this partition.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(SearchError::io(&path)(e)),
                };
                Ok(Records {
                    path,
                    file,
                    next: None,
                })
            })
            .collect()
    }
}

fn header(partitions: u32) -> Option<String> {
    Some(format!(
        "{HEADER} {} {partitions}",
        crate::cache::this_program()?
    ))
}

/// One partition file of the cache, read front to back: records `(page, length, bytes)` in
/// ascending page order.
pub(super) struct Records {
    path: PathBuf,
    file: Option<BufReader<File>>,
    /// The page and length of the record whose bytes come next.
    next: Option<(u64, usize)>,
}

impl Records {
    /// Appends to `out` the records of page `page` in this partition (nothing when it has
    /// none); records of earlier pages are passed over. Pages are asked for in ascending order.
    pub(super) fn take(&mut self, page: u32, out: &mut Vec<u8>) -> Result<(), SearchError> {
        let page = u64::from(page);
        loop {
            let Some(file) = &mut self.file else {
                return Ok(());
            };
            let (at, len) = match self.next {
                Some(next) => next,
                None => {
                    if file
                        .fill_buf()
                        .map_err(SearchError::io(&self.path))?
                        .is_empty()
                    {
                        self.file = None;
                        return Ok(());
                    }
                    let at = uvarint(file, &self.path)?;
                    let len = uvarint(file, &self.path)? as usize;
                    self.next = Some((at, len));
                    (at, len)
                }
            };
            if at > page {
                return Ok(());
            }
            self.next = None;
            if at == page {
                let from = out.len();
                out.resize(from + len, 0);
                return file
                    .read_exact(&mut out[from..])
                    .map_err(SearchError::io(&self.path));
            }
            std::io::copy(&mut file.by_ref().take(len as u64), &mut std::io::sink())
                .map_err(SearchError::io(&self.path))?;
        }
    }
}

fn uvarint(file: &mut impl Read, path: &Path) -> Result<u64, SearchError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let mut byte = [0u8];
        file.read_exact(&mut byte).map_err(SearchError::io(path))?;
        v |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] < 0x80 {
            return Ok(v);
        }
    }
    Err(SearchError::Corrupt(format!(
        "{} is damaged",
        path.display()
    )))
}

/// The folder a build's partition files are moved into as it is done with them: beside the
/// cache, emptied first.
pub(super) fn staging(cache: &Path) -> Option<PathBuf> {
    let staging = cache.with_extension("new");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).ok()?;
    Some(staging)
}

/// Makes the files in `staging`, written with `partitions` partitions, the cache: with a
/// manifest of each page's [`counted_from`] hash and length, in page order. Best effort: a
/// cache that cannot be saved is removed, and the next build counts every page.
pub(super) fn save(cache: &Path, staging: &Path, partitions: u32, hashes: &[u64], lens: &[u32]) {
    let saved = (|| -> std::io::Result<()> {
        let header = header(partitions).ok_or(std::io::ErrorKind::NotFound)?;
        let mut text = header;
        text.push('\n');
        for (hash, len) in hashes.iter().zip(lens) {
            text.push_str(&format!("{hash:016x} {len}\n"));
        }
        File::create(staging.join(MANIFEST))?.write_all(text.as_bytes())?;
        remove_dir(cache)?;
        std::fs::rename(staging, cache)
    })();
    if saved.is_err() {
        let _ = remove_dir(staging);
        let _ = remove_dir(cache);
    }
}

fn remove_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(page: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in [page, bytes.len() as u64] {
            let mut v = n;
            while v >= 0x80 {
                out.push((v as u8) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn a_page_s_records_are_found_past_the_pages_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join("new");
        std::fs::create_dir(&staging).unwrap();
        let long = vec![7u8; 300];
        let file = [record(0, b"a"), record(2, &long), record(200, b"c")].concat();
        std::fs::write(staging.join("r0"), file).unwrap();
        let cache = dir.path().join("cache");
        save(&cache, &staging, 2, &[10, 11, 12], &[1, 2, 3]);
        assert!(
            Previous::open(&cache, 3).is_none(),
            "another partition count"
        );
        let previous = Previous::open(&cache, 2).expect("made by this program");
        assert_eq!(previous.page(11), Some((1, 2)));
        assert_eq!(previous.page(99), None);
        let mut readers = previous.readers().unwrap();
        let mut out = Vec::new();
        readers[0].take(1, &mut out).unwrap();
        assert!(out.is_empty(), "page 1 has no records");
        readers[0].take(2, &mut out).unwrap();
        assert_eq!(out, long);
        readers[1].take(2, &mut out).unwrap();
        assert_eq!(out, long, "partition 1 has no file");
        readers[0].take(200, &mut out).unwrap();
        assert_eq!(&out[300..], b"c");
        readers[0].take(201, &mut out).unwrap();
        assert_eq!(out.len(), 301, "past the end");
    }
}
