//! The key-count cache a build writes ([`Saving`]): appended to the last cache's file, linked,
//! or in a file of its own, and moved into place whole once every page is counted.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Cached, Digest, Entry, MANIFEST, PAGES, Place, Reuse, check, header, parse, seal};
use crate::cache::Key;
use crate::search::SearchError;
use crate::search::export::keys::PageRecords;
use crate::search::export::{patch, postings};

/// A new cache appends to the last one's file while the bytes no entry uses are at most a
/// `UNUSED_SHARE`th of those used, which bounds the disk the cache takes: at 10,000 pages,
/// about 2,500 edited pages' records go by before the 183 MB are written anew.
const UNUSED_SHARE: u64 = 4;

/// The cache the current build writes, beside its work files, moved into place by [`Self::save`];
/// dropped unsaved, it is removed.
pub(in crate::search::export) struct Saving {
    dir: PathBuf,
    key: Key,
    partitions: u32,
    pages: Option<BufWriter<File>>,
    /// Where the next records written go: the file's end.
    offset: u64,
    /// `pages` is the last cache's file, linked: records it holds are pointed at, not copied.
    appending: bool,
    /// Each page's text hash ([`super::counted_from`]) and entry: where its records lie,
    /// their hash and its BM25 length.
    entries: Vec<(u128, Entry)>,
}

impl Saving {
    /// A new cache in the folder `dir` (emptied first) for `partitions` partitions, under the
    /// site's `key`: appending to the file of the last cache, `reuse`'s, when that file's
    /// records unused by its manifest are at most a quarter as many bytes as those used (a
    /// bound on the disk the cache takes) and the file system links it; else in a file of its
    /// own.
    pub(in crate::search::export) fn create(
        dir: PathBuf,
        key: Key,
        partitions: u32,
        reuse: &Reuse,
    ) -> Option<Saving> {
        // A program that cannot name itself keeps no cache ([`crate::cache::this_program`]).
        header(partitions)?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(PAGES);
        let appended = (reuse.previous.as_ref())
            .filter(|last| last.size - last.used.min(last.size) <= last.used / UNUSED_SHARE)
            .and_then(|last| {
                std::fs::hard_link(last.dir.join(PAGES), &path).ok()?;
                let file = std::fs::OpenOptions::new().append(true).open(&path).ok()?;
                // The file linked is the one whose entries were checked against its length.
                let end = file.metadata().ok()?.len();
                (end >= last.size).then_some((file, end))
            });
        let (pages, offset, appending) = match appended {
            Some((file, end)) => (file, end, true),
            None => {
                let _ = std::fs::remove_file(&path);
                (File::create_new(&path).ok()?, 0, false)
            }
        };
        Some(Saving {
            dir,
            key,
            partitions,
            pages: Some(BufWriter::with_capacity(1 << 20, pages)),
            offset,
            appending,
            entries: Vec::new(),
        })
    }

    /// Whether records the last cache holds stay where they are ([`Place::InFile`]).
    pub(in crate::search::export) fn appending(&self) -> bool {
        self.appending
    }

    /// Adds the next page, as [`Reuse::count`] gave it. A cache that cannot be written is
    /// dropped; the build goes on without it.
    pub(in crate::search::export) fn put(&mut self, cached: &Cached) {
        let Some(pages) = &mut self.pages else { return };
        let entry = match &cached.records {
            Place::Written(stored) => {
                if pages.write_all(&stored.bytes).is_err() {
                    self.pages = None;
                    return;
                }
                let offset = self.offset;
                self.offset += stored.bytes.len() as u64;
                Entry {
                    offset,
                    bytes: stored.bytes.len() as u64,
                    check: stored.check,
                    len: cached.len,
                }
            }
            Place::InFile(entry) if self.appending => *entry,
            // Records in a file this cache does not hold: it could not be whole.
            Place::InFile(_) => {
                self.pages = None;
                return;
            }
        };
        self.entries.push((cached.hash, entry));
    }

    /// Hands `each` every page put here, in order, read back from the cache's file and
    /// checked (a page pointed at in the last cache's file was not read when it was put);
    /// `None` when the cache could not be written whole or a page's records are not (then
    /// this cache, which lists them, is not saved).
    pub(in crate::search::export) fn read_back(
        &mut self,
        mut each: impl FnMut(usize, PageRecords) -> Result<(), SearchError>,
    ) -> Option<Result<(), SearchError>> {
        self.pages.as_mut()?.flush().ok()?;
        let file = File::open(self.dir.join(PAGES)).ok()?;
        let mut stored = Vec::new();
        for (d, (_, entry)) in self.entries.iter().enumerate() {
            stored.resize(usize::try_from(entry.bytes).ok()?, 0);
            crate::cache::read_at(&file, entry.offset, &mut stored).ok()?;
            if check(self.key, entry.len, &stored) != entry.check {
                self.pages = None;
                return None;
            }
            let page = parse(&stored, entry.len, self.partitions)?;
            if let Err(e) = each(d, page) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// Keeps the postings merged from the pages put here (`encoded`): each partition's file in
    /// `files` (moved into the cache) with what [`patch::LastMerge`] checks it by, merged
    /// with BM25's average length `average`. Best effort, like the rest of the cache.
    pub(in crate::search::export) fn keep_merge(
        &mut self,
        average: u64,
        encoded: &postings::Encoded,
        files: &[(PathBuf, patch::Written)],
    ) {
        if self.pages.is_some() {
            let mut digest = Digest::new(self.key);
            for (_, entry) in &self.entries {
                digest.add(entry.check);
            }
            patch::LastMerge::save(
                &self.dir,
                digest.finish(),
                average,
                self.partitions,
                encoded,
                files,
            );
        }
    }

    /// Makes this the cache in the folder `cache`, replacing the last one. Best effort: a
    /// cache that cannot be saved is left out, and the next build counts every page.
    pub(in crate::search::export) fn save(mut self, cache: &Path) {
        use std::fmt::Write as _;
        let Some(pages) = self.pages.take() else {
            // Written in part, or listing records found damaged: neither is kept, nor the
            // last cache, whose records this one listed.
            let _ = std::fs::remove_dir_all(cache);
            return;
        };
        let Some(mut manifest) = header(self.partitions) else {
            let _ = std::fs::remove_dir_all(cache);
            return;
        };
        manifest.push('\n');
        for (hash, entry) in &self.entries {
            let Entry {
                offset,
                bytes,
                check,
                len,
            } = entry;
            let _ = writeln!(manifest, "{hash:032x} {offset} {bytes} {check:016x} {len}");
        }
        let closing = seal(self.key, &manifest);
        let _ = writeln!(manifest, "end {} {closing:016x}", self.entries.len());
        let saved = (|| -> std::io::Result<()> {
            pages.into_inner().map_err(|e| e.into_error())?;
            std::fs::write(self.dir.join(MANIFEST), &manifest)?;
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
    use super::super::tests::{page, records, written};
    use super::super::{Previous, stored};
    use super::*;

    /// The last cache's page of text hash `hash`, as a build that does not read it puts it:
    /// pointed at where the new cache appends, else read and written again.
    fn kept(reuse: &Reuse, saving: &Saving, hash: u128) -> Cached {
        let previous = reuse.previous.as_ref().unwrap();
        let entry = previous.entry(hash).unwrap();
        let records = match saving.appending() {
            true => Place::InFile(*entry),
            false => Place::Written(previous.read(reuse.key, entry).unwrap().1),
        };
        Cached {
            hash,
            len: entry.len,
            records,
            as_last: true,
        }
    }

    #[test]
    fn a_new_cache_appends_to_the_last_ones_file_and_checks_what_it_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let cache = dir.path().join("cache");
        let (a, b, c) = (
            page(3, &[(0, b"ab"), (2, b"cde")]),
            page(5, &[(1, b"x")]),
            page(7, &[(3, b"yz")]),
        );
        let others = [page(9, &[(0, b"fghij")]), page(11, &[(1, b"klmno")])];
        let none = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &none).unwrap();
        assert!(!saving.appending(), "no cache to append to");
        saving.put(&written(key, 10, &a));
        saving.put(&written(key, 11, &b));
        for (hash, other) in (13..).zip(&others) {
            saving.put(&written(key, hash, other));
        }
        saving.save(&cache);
        let first = std::fs::read(cache.join(PAGES)).unwrap();

        // The next build keeps pages 10, 13 and 14 where they lie, unread, and counts page 12
        // anew in place of page 11, as a rebuild that patches the last merge does.
        let reuse = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &reuse).unwrap();
        assert!(saving.appending());
        saving.put(&kept(&reuse, &saving, 10));
        saving.put(&written(key, 12, &c));
        saving.put(&kept(&reuse, &saving, 13));
        saving.put(&kept(&reuse, &saving, 14));
        // The last cache is whole all the while: what was appended lies past its entries.
        saving.pages.as_mut().unwrap().flush().unwrap();
        let (found, _) =
            records(Previous::open(&cache, key, 4).as_ref().unwrap(), key, 11).unwrap();
        assert_eq!(found.records, b"x".to_vec());
        let mut pages = Vec::new();
        saving
            .read_back(|d, page| {
                pages.push((d, page.len, page.records));
                Ok(())
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            pages,
            vec![
                (0, 3, b"abcde".to_vec()),
                (1, 7, b"yz".to_vec()),
                (2, 9, b"fghij".to_vec()),
                (3, 11, b"klmno".to_vec())
            ]
        );
        drop(reuse);
        saving.save(&cache);
        let second = std::fs::read(cache.join(PAGES)).unwrap();
        assert!(
            second.starts_with(&first),
            "the last file, not a copy of its records"
        );
        assert_eq!(second.len(), first.len() + stored(&c).len());
        let previous = Previous::open(&cache, key, 4).unwrap();
        assert_eq!(
            records(&previous, key, 10).unwrap().0.records,
            b"abcde".to_vec()
        );
        assert_eq!(
            records(&previous, key, 12).unwrap().0.records,
            b"yz".to_vec()
        );
        assert!(previous.entry(11).is_none());
        drop(previous);

        // A record changed on disk that the build never read: reading the cache back to write
        // the partition files finds it, the build counts every page instead, and this cache,
        // which lists the record, is not kept.
        let reuse = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &reuse).unwrap();
        assert!(
            saving.appending(),
            "page 11's records are all it leaves unused"
        );
        saving.put(&kept(&reuse, &saving, 10));
        assert!(saving.read_back(|_, _| Ok(())).unwrap().is_ok());
        let entry = reuse.previous.as_ref().unwrap().entry(10).unwrap();
        let mut bytes = std::fs::read(cache.join(PAGES)).unwrap();
        bytes[entry.offset as usize + entry.bytes as usize - 1] ^= 1;
        std::fs::write(cache.join(PAGES), &bytes).unwrap();
        assert!(saving.read_back(|_, _| Ok(())).is_none());
        drop(reuse);
        saving.save(&cache);
        assert!(
            !cache.exists(),
            "a cache listing a damaged record is not saved"
        );
    }

    #[test]
    fn a_cache_whose_unused_records_pass_a_quarter_of_the_used_is_written_anew() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let cache = dir.path().join("cache");
        let one = |n: u8| page(3, &[(0, &[b'c', n])]);
        let none = Reuse::open(&cache, key, 4);
        let mut saving = Saving::create(dir.path().join("new"), key, 4, &none).unwrap();
        for hash in 0..4u8 {
            saving.put(&written(key, hash.into(), &one(hash)));
        }
        saving.save(&cache);
        // Each build keeps three pages and replaces the fourth: the file grows by a page's
        // records until its unused bytes pass a quarter of the used ones.
        let mut sizes = Vec::new();
        let mut last = 3;
        for n in 10..14u8 {
            let reuse = Reuse::open(&cache, key, 4);
            let mut saving = Saving::create(dir.path().join("new"), key, 4, &reuse).unwrap();
            sizes.push((
                saving.appending(),
                std::fs::metadata(cache.join(PAGES)).unwrap().len(),
            ));
            for hash in 0..3 {
                saving.put(&kept(&reuse, &saving, hash));
            }
            saving.put(&written(key, n.into(), &one(n)));
            assert!(reuse.previous.as_ref().unwrap().entry(last).is_some());
            last = n.into();
            drop(reuse);
            saving.save(&cache);
        }
        let whole = stored(&one(0)).len() as u64;
        assert_eq!(
            sizes,
            vec![
                (true, 4 * whole),
                (true, 5 * whole),
                (false, 6 * whole),
                (true, 4 * whole)
            ]
        );
    }
}
