//! The static browser index in `out/search/`, loaded by `search.js` through `<script>` tags only
//! (no fetch, modules, WebAssembly or workers), so it works from `file://` and under any sub-path.
//!
//! Layout, where `B` names the index's folder: a hash of what fixes how the files read one
//! another — this program's version, the format, the shard count and the pages' addresses in
//! order ([`layout_id`]) — so that files of two builds that numbered pages or hashed keys
//! differently never mix, while a rebuild that only changed what pages say keeps the folder,
//! and every file it makes as before stays byte for byte what it was (an in-place commit
//! leaves it alone: [`crate::output::write::in_place`] names the cost). Every file goes out
//! with the keyed hash of what it is made from ([`IndexOutput::keep_made_from`]): a shard's
//! entries, a heavy list's postings, what a page's fragments show ([`folder::fragments_made_from`]),
//! any other file's bytes; an output that remembers the last build's hashes leaves a file made
//! of the same where it is, a shard or a page's fragments without making them ([`count`]), and
//! none is read back to compare. A file of another
//! edition of the same layout can still be read with an older `meta.js` (a tab left open
//! across a rebuild, or during the commit): it holds the same pages under the same numbers,
//! and only what the pages edited since say is newer. A preview re-indexing the folder it
//! serves replaces only the files that changed, all of them just before `meta.js`
//! ([`crate::search::Folder`]), and removes the files it no longer has after that. `E`, the
//! edition, hashes everything the files are made from; over HTTP the browser asks for every
//! file with `?v=E`, so a browser's cached copy of an older edition is not read:
//! - `search/meta.js` (fixed name, the entry point):
//!   `window.__shuyuan.meta({"v":6,"build":"B","ed":"E","shards":S,"docs":N,"syn":[[word,synonym,…],…]})`,
//!   `syn` (the site's synonym groups, normalised; left out when there are none) expanding
//!   queries in every engine, and `"series":[gap,length,…]` (left out when empty): the runs of
//!   neighbouring pages that are numbered parts of one document (`super::series`).
//! - `search/B/s<g>/<k>.js`, `k < S`, `g = k / 1000` (numbered files go a thousand to a folder:
//!   [`index_file`]): `window.__shuyuan.shard("B",k,"KEY VALUE KEY VALUE …")`.
//!   Keys are terms-namespace tokens, `"*"` + a grams-namespace piece, or a pair key
//!   `a + "+" + b` for adjacent tokens across a run boundary where one is a word
//!   (standing in for positions: `2021`,`16` in `〔2021〕16号`). A key lives in shard
//!   `fnv1a32(UTF-16 code units of key) % S`; `S` grows with the index so a shard stays near
//!   [`TARGET_SHARD_BYTES`] (a small site has one shard). A key's value is its postings, or,
//!   for a key whose postings exceed [`HEAVY_BYTES`], a stub `~j.df`: the postings are in
//!   `search/B/s<g>/<k>-<j>.js` (`window.__shuyuan.heavy("B",k,j,"POSTINGS")`, tiered when that
//!   is shorter: [`super::codec`]) and `df` is their document frequency. Shards stay small, so
//!   a question of forty keys loads forty small files, and the ranking can leave out a common
//!   key knowing its frequency without loading it.
//! - `search/B/p<g>/<d>.js`, `g = d / 1000`: one fragment per page `d` (pages are numbered in
//!   URL order), loaded only for the results shown: `window.__shuyuan.page("B",d,"F")`, where
//!   `F` packs ([`super::fragment_code`]: the file is UTF-16, with a byte-order mark) the JSON
//!   `{"t":title,"u":url,"k":kind,"l":label,"d":date,"st":status,"b":[breadcrumbs],
//!   "s":[[anchor,heading,text],…],"c":C}`, holding the start of the page's text; the rest,
//!   when there is more, in `C` continuation files `search/B/p<g>/<d>-<j>.js`, `1 ≤ j ≤ C`:
//!   `window.__shuyuan.more("B",d,j,"F")`, `F` packing `[[anchor,heading,text],…]`
//!   ([`super::fragments`]).
//! - `search/B/facets.js`, for the full search page: value lists plus one varint column per facet
//!   (see [`facet_columns::Facets`]).
//!
//! Postings: for each page holding the key, in page order, the number
//! `((page - previous page - 1) << 5) | level` as a varint: base64url digits
//! (`A–Z a–z 0–9 - _`), five payload bits each, least significant first, a digit ≥ 32 meaning
//! more digits follow. So the document frequency is the count of digits below 32.
//! `level` bits 0–3 are BM25's term-frequency part (k1 and b from [`super::rank`], heading
//! occurrences counted three times) quantised to 1–15, 0 when the key is only in the title;
//! bit 4 is set when the key is in the title. The ranking multiplies by the IDF it derives from
//! the document frequency. The postings are built in bounded memory by [`postings`], whose first
//! pass over the pages also makes their fragments, kept in a work file until the folder that
//! holds them is known ([`pending`]): each page's text is read once.

mod facet_columns;
mod folder;
mod keys;
mod patch;
mod pending;
mod postings;
mod reuse;

pub(in crate::search) use facet_columns::date_code_year;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use self::folder::{
    Files, clear_old_builds, clear_unwritten, edition, layout_id, page_hash, previous_build,
};
use super::rank::{BM25_B, BM25_K1, TITLE_BIT, tf_level};
use super::script::utf8_call;
use super::{IndexOutput, IndexStats, PageTexts, SearchDoc, SearchError, SearchSection};
use crate::cache::Key;

/// Shard size the shard count aims at. Every key of a query costs about one shard, and a
/// typed question has forty or more keys: at 2 KB they stay near 100 KB.
const TARGET_SHARD_BYTES: usize = 2 * 1024;
/// Postings longer than this go to a file of their own, with a stub in the shard.
const HEAVY_BYTES: usize = 2 * 1024;
/// Format version written to `meta.js`; the reader opens no other, and `search-core.js` says
/// which it reads ([`crate::search::core_reads_this_format`]).
pub(in crate::search) const FORMAT_VERSION: u32 = 6;
/// The postings are merged in at most this many partitions (each a work file at a time).
const MAX_PARTITIONS: usize = 256;
/// A partition spans at least this many shards, so rounding the shard count up to a multiple
/// of the partition count adds at most an eighth.
const SHARDS_PER_PARTITION: usize = 8;

/// Numbered files per folder of a build: FAT32, the file system of most USB sticks, holds at
/// most 65,534 entries in a folder, and a long name takes two or more.
const FILES_PER_FOLDER: usize = 1000;

/// The path of a numbered index file in its build folder: shard `s<k/1000>/<k>.js`, heavy
/// postings `s<k/1000>/<k>-<j>.js`, fragment `p<d/1000>/<d>.js` and its continuations
/// `p<d/1000>/<d>-<j>.js`.
pub(in crate::search) fn index_file(prefix: char, n: usize, part: Option<usize>) -> String {
    let group = n / FILES_PER_FOLDER;
    match part {
        Some(j) => format!("{prefix}{group}/{n}-{j}.js"),
        None => format!("{prefix}{group}/{n}.js"),
    }
}

/// FNV-1a over the UTF-16 code units of `key` (what the browser can hash without encoding).
pub(in crate::search) fn key_hash(key: &str) -> u32 {
    key.encode_utf16().fold(KEY_HASH_START, key_hash_unit)
}

/// Where [`key_hash`] starts (FNV-1a 32's offset basis).
pub(in crate::search) const KEY_HASH_START: u32 = 0x811c_9dc5;

/// [`key_hash`] `h` taking one more UTF-16 code unit.
pub(in crate::search) fn key_hash_unit(h: u32, unit: u16) -> u32 {
    (h ^ u32::from(unit)).wrapping_mul(0x0100_0193)
}

/// FNV-1a 64 offset basis: where a fresh [`fnv64`] hash starts.
pub(crate) const FNV64_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 over bytes: the build ids (site and search), and the hasher of the key maps.
pub(crate) fn fnv64(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The quantised level of a packed count (`weighted tf << 1 | in title`) in a page of BM25
/// length ratio `len_norm`.
fn level(count: u32, len_norm: f64) -> u64 {
    let tf = f64::from(count >> 1);
    let tf_level = if count >> 1 == 0 {
        0
    } else {
        // BM25's saturating tf part, in [0, k1 + 1).
        u64::from(tf_level(tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * len_norm)))
    };
    tf_level
        | if count & 1 == 1 {
            u64::from(TITLE_BIT)
        } else {
            0
        }
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("static index data serialises to JSON")
}

/// The pages in index order (by URL), and where their sections come from.
pub(super) struct Pages<'a> {
    docs: Vec<&'a SearchDoc>,
    /// Each page's place in the list the index was given, by which `texts` knows it.
    places: Vec<usize>,
    texts: &'a dyn PageTexts,
}

impl<'a> Pages<'a> {
    /// `docs` in the order `order` gives (places in `docs`).
    pub(super) fn new(docs: &[&'a SearchDoc], order: Vec<usize>, texts: &'a dyn PageTexts) -> Self {
        Pages {
            docs: order.iter().map(|&i| docs[i]).collect(),
            places: order,
            texts,
        }
    }

    /// Page `d`'s sections (`d` in index order).
    fn sections(&self, d: usize) -> Result<Cow<'a, [SearchSection]>, SearchError> {
        self.texts.sections(self.places[d], self.docs[d])
    }

    /// Bytes of every page's headings and texts.
    fn text_bytes(&self) -> usize {
        (self.places.iter().zip(&self.docs))
            .map(|(&i, doc)| self.texts.bytes(i, doc))
            .sum()
    }
}

/// How many partitions the postings are merged in: enough that one partition stays small,
/// few enough that each spans [`SHARDS_PER_PARTITION`] shards. The shard count is not known
/// before the merge, so it is guessed low from the size of the text (`text` bytes; the index
/// is 30–60 % of it).
fn partition_count(text: usize) -> u32 {
    let shards_guess = text / 4 / TARGET_SHARD_BYTES;
    let wanted = (shards_guess / SHARDS_PER_PARTITION).clamp(1, MAX_PARTITIONS);
    // The largest power of two not above `wanted`.
    1 << wanted.ilog2()
}

/// Writes the static index for `pages` into `out`'s `search/`, the postings' work files into
/// the new folder `work` (removed when done); with a `cache` folder and key, each page's key
/// counts are taken from the last build's where its text is the same, and kept for the next
/// ([`reuse`]). What a failed index wrote and did not put in place is dropped
/// ([`IndexOutput::abandon`]).
pub(super) fn write(
    pages: &Pages,
    synonyms: &[Vec<String>],
    out: &dyn IndexOutput,
    work: PathBuf,
    cache: Option<(&Path, Key)>,
) -> Result<IndexStats, SearchError> {
    let claimed = cache.and_then(|cache| Some((cache, reuse::claim()?)));
    let written = write_in_partitions(
        pages,
        synonyms,
        out,
        Work {
            dir: work,
            cache: claimed.as_ref().map(|&(cache, _)| cache),
            partitions: partition_count(pages.text_bytes()),
        },
        HEAVY_BYTES,
    );
    if written.is_err() {
        out.abandon();
    }
    written
}

/// Where the postings are merged: the work folder, the key-count cache and its key
/// ([`reuse`]), and in how many partitions.
struct Work<'a> {
    dir: PathBuf,
    cache: Option<(&'a Path, Key)>,
    partitions: u32,
}

/// The key-count cache while an index uses it ([`reuse`]): where it is kept, the last build's
/// counts, the cache being written, and the pages changed since the last build ([`patch`]).
struct Cache<'a> {
    dir: &'a Path,
    reuse: reuse::Reuse,
    saving: Option<reuse::Saving>,
    changes: patch::Changes,
}

impl Cache<'_> {
    /// The postings of the last build with the changes applied, when the cache has that merge
    /// for BM25's average `average` and few pages changed.
    fn patch(
        &self,
        spilled: &postings::Spilled,
        len_norm: &[f64],
        average: u64,
    ) -> Result<Option<postings::Encoded>, SearchError> {
        if !self.changes.usable() {
            return Ok(None);
        }
        let Some(last) = self.reuse.last_merge(average) else {
            return Ok(None);
        };
        patch::encode(
            spilled,
            len_norm,
            &last,
            &self.changes,
            self.saving.is_some(),
        )
    }

    /// Puts the new cache in place of the last one, with the merge `encoded` made of the
    /// partition files in `spilled`.
    fn save(self, spilled: &postings::Spilled, average: u64, encoded: &postings::Encoded) {
        // The last cache's file is closed before the new one takes its place (Windows).
        drop(self.reuse);
        let Some(mut saving) = self.saving else {
            return;
        };
        if encoded.files.len() == spilled.partitions as usize {
            let files: Vec<(PathBuf, patch::Written)> = (0..spilled.partitions)
                .map(|part| spilled.file('e', part))
                .zip(encoded.files.iter().copied())
                .collect();
            saving.keep_merge(average, encoded, &files);
        }
        saving.save(self.dir);
    }
}

/// Counts every page's keys into partition files ([`postings::spill`]), taking what it can
/// from the cache and starting the new one, and makes each page's fragments ([`pending`]) and
/// hash on the way: those of a page whose fragment the last build into `out` made of the same
/// are likely kept, and left unmade.
fn count<'a>(
    pages: &Pages,
    out: &dyn IndexOutput,
    work: &Work<'a>,
) -> Result<
    (
        postings::Spilled,
        pending::Pending,
        Vec<u64>,
        Option<Cache<'a>>,
    ),
    SearchError,
> {
    let mut cache = work.cache.map(|(dir, key)| {
        let reuse = reuse::Reuse::open(dir, key, work.partitions);
        let saving_dir = work.dir.with_extension("cache");
        Cache {
            dir,
            saving: reuse::Saving::create(saving_dir, key, work.partitions, &reuse),
            changes: patch::Changes::new(&reuse, pages.docs.len()),
            reuse,
        }
    });
    // Beside the postings' work folder, which goes first.
    let mut pending = pending::Pending::create(work.dir.with_extension("fragments"))?;
    let key = work.cache.map(|(_, key)| key);
    let previous = previous_build(out, &pages.docs);
    let mut page_hashes = Vec::with_capacity(pages.docs.len());
    let spilled = postings::spill(
        pages,
        work.dir.clone(),
        work.partitions,
        cache.as_mut().map(|cache| postings::Caching {
            partition_files_later: cache.saving.is_some() && cache.changes.usable(),
            reuse: &cache.reuse,
            saving: cache.saving.as_mut(),
            changes: &mut cache.changes,
        }),
        |d, doc, sections, text| {
            let key_and_text = key.zip(text);
            let (fragments, made_from) =
                pending::unless_kept(d, doc, sections, key_and_text, previous.as_deref(), out);
            (page_hash(doc, sections), made_from, fragments)
        },
        |(hash, made_from, fragments)| {
            page_hashes.push(hash);
            pending.put(fragments, made_from)
        },
    )?;
    Ok((spilled, pending, page_hashes, cache))
}

/// BM25's average page length over `lens`, rounded to its seven leading bits (less than 0.8 %
/// off): one edit seldom moves it, so the other pages' postings stay as they were and a
/// rebuild can patch the last build's ([`patch`]).
fn average_length(lens: &[u32]) -> u64 {
    let count = lens.len().max(1) as u64;
    let exact = (lens.iter().map(|&l| u64::from(l)).sum::<u64>() + count / 2) / count;
    let shift = (u64::BITS - exact.max(1).leading_zeros()).saturating_sub(7);
    let half = (1u64 << shift) >> 1;
    ((exact.max(1) + half) >> shift) << shift
}

fn write_in_partitions(
    pages: &Pages,
    synonyms: &[Vec<String>],
    out: &dyn IndexOutput,
    work: Work,
    heavy_bytes: usize,
) -> Result<IndexStats, SearchError> {
    let docs = pages.docs.as_slice();
    let search_dir = out.dir().join("search");
    let (mut spilled, pending, page_hashes, mut cache) = count(pages, out, &work)?;
    let average = average_length(&spilled.lens);
    let len_norm: Vec<f64> = (spilled.lens.iter())
        .map(|&l| 1.0 - BM25_B + BM25_B * f64::from(l) / average as f64)
        .collect();
    let patched = match &cache {
        Some(cache) => cache.patch(&spilled, &len_norm, average)?,
        None => None,
    };
    let encoded = match patched {
        Some(encoded) => encoded,
        None => {
            if !spilled.partition_files {
                let saving = cache.as_mut().and_then(|c| c.saving.as_mut());
                postings::fill_partition_files(&mut spilled, saving, pages)?;
            }
            let keep = cache.as_ref().is_some_and(|c| c.saving.is_some());
            postings::encode(&spilled, &len_norm, keep)?
        }
    };
    let shard_count = encoded
        .bytes
        .div_ceil(TARGET_SHARD_BYTES)
        .max(1)
        .next_multiple_of(spilled.partitions as usize);

    let layout = layout_id(shard_count, docs);
    let edition = edition(&layout, &page_hashes);
    let build = layout;
    let build_dir = search_dir.join(&build);
    let files = Files {
        out,
        build: &build,
        key: work.cache.map(|(_, key)| key),
        // A re-index into the folder a preview serves: what it no longer has goes at the end.
        reused: build_dir.is_dir().then(|| Mutex::new(HashSet::new())),
    };
    let shard_bytes = postings::shards(
        &spilled,
        shard_count,
        heavy_bytes,
        files.key,
        &|k, made_from, make| {
            files.put(index_file('s', k, None), made_from, &|| {
                Ok(utf8_call(&format!("shard(\"{build}\",{k},"), &make()?))
            })
        },
        &|k, j, made_from, make| {
            files.put(index_file('s', k, Some(j)), made_from, &|| {
                Ok(utf8_call(&format!("heavy(\"{build}\",{k},{j},"), &make()?))
            })
        },
    )?;
    if let Some(cache) = cache {
        cache.save(&spilled, average, &encoded);
    }
    drop(spilled);
    let fragment_bytes = pending.write(&files, &|d| {
        Ok(pending::page_fragments(pages.docs[d], &pages.sections(d)?))
    })?;
    let facets_bytes = files.write(
        "facets.js".into(),
        format!(
            "window.__shuyuan.facets(\"{build}\",{})\n",
            json(&facet_columns::facets(docs))
        )
        .as_bytes(),
    )?;
    // meta.js goes last ([`IndexOutput::publish`] moves it in after the rest): until it names
    // the new edition, readers of a preview keep searching the old one, whose files that the
    // new one lacks are removed only then.
    let mut meta = serde_json::json!({
        "v": FORMAT_VERSION,
        "build": build,
        "ed": edition,
        "shards": shard_count,
        "docs": docs.len(),
    });
    if !synonyms.is_empty() {
        meta["syn"] = serde_json::json!(synonyms);
    }
    let series = super::series::runs(docs.iter().map(|d| d.title.as_str()));
    if !series.is_empty() {
        meta["series"] = serde_json::json!(series);
    }
    let meta = format!("window.__shuyuan.meta({})\n", json(&meta));
    out.write("search/meta.js", meta.as_bytes())
        .map_err(SearchError::io(search_dir.join("meta.js")))?;
    out.publish().map_err(SearchError::io(&search_dir))?;
    if let Some(written) = files.reused {
        clear_unwritten(
            &build_dir,
            &written.into_inner().unwrap_or_else(PoisonError::into_inner),
        )?;
    }
    clear_old_builds(&search_dir, &build)?;
    Ok(IndexStats {
        docs: docs.len(),
        build_id: build,
        edition,
        keys: encoded.keys,
        shards: shard_count,
        shard_bytes,
        fragment_bytes,
        facets_bytes,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::search::Folder;
    use crate::search::codec::push_varint;

    #[test]
    fn the_average_length_keeps_seven_leading_bits() {
        assert_eq!(average_length(&[]), 1);
        assert_eq!(average_length(&[3, 4]), 4);
        assert_eq!(average_length(&[127]), 127);
        assert_eq!(average_length(&[201]), 202);
        assert_eq!(average_length(&[1809]), 1808);
        assert_eq!(average_length(&[1817]), 1824);
        assert_eq!(average_length(&[1000, 3000]), 2000);
    }

    #[test]
    fn varints_use_five_bits_per_digit() {
        let mut s = String::new();
        for v in [0, 31, 32, 1023, 1024] {
            push_varint(&mut s, v);
        }
        assert_eq!(s, "AfgB_fggB");
    }

    /// Every key of every shard file, with its postings and the shard it was found in.
    fn shard_keys(out: &Path, stats: &IndexStats) -> Vec<(String, String, usize)> {
        let mut keys = Vec::new();
        for k in 0..stats.shards {
            let path = out.join(format!(
                "search/{}/{}",
                stats.build_id,
                index_file('s', k, None)
            ));
            let file = std::fs::read_to_string(path).unwrap();
            let prefix = format!("window.__shuyuan.shard(\"{}\",{k},", stats.build_id);
            let data = file
                .strip_prefix(&prefix)
                .unwrap()
                .trim_end()
                .strip_suffix(')');
            let data: String = serde_json::from_str(data.unwrap()).unwrap();
            let words: Vec<&str> = data.split(' ').filter(|w| !w.is_empty()).collect();
            for pair in words.chunks(2) {
                keys.push((pair[0].to_string(), pair[1].to_string(), k));
            }
        }
        keys.sort();
        keys
    }

    #[test]
    fn partitioned_merges_give_the_same_postings_in_the_right_shards() {
        let docs: Vec<SearchDoc> = (0..40)
            .map(|i| SearchDoc {
                url: format!("p{i:02}.html"),
                title: format!("第{i}号 社区议事规则"),
                sections: vec![super::super::SearchSection {
                    anchor: String::new(),
                    heading: if i % 3 == 0 {
                        "物业".into()
                    } else {
                        String::new()
                    },
                    text: "业主大会 加装电梯 〔2021〕16号 ".repeat(1 + i % 5) + &"网格".repeat(i),
                }],
                ..SearchDoc::default()
            })
            .collect();
        let docs = in_order(&docs);
        let (one, four) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let whole =
            write_in_partitions(&docs, &[], &Folder::new(one.path()), work(1), usize::MAX).unwrap();
        let parted =
            write_in_partitions(&docs, &[], &Folder::new(four.path()), work(4), usize::MAX)
                .unwrap();
        assert_eq!(parted.shards % 4, 0);
        let (whole_keys, parted_keys) = (
            shard_keys(one.path(), &whole),
            shard_keys(four.path(), &parted),
        );
        assert_eq!(whole_keys.len(), whole.keys);
        let postings = |keys: &[(String, String, usize)]| -> Vec<(String, String)> {
            keys.iter()
                .map(|(k, p, _)| (k.clone(), p.clone()))
                .collect()
        };
        assert_eq!(postings(&whole_keys), postings(&parted_keys));
        for (key, _, shard) in &parted_keys {
            assert_eq!(key_hash(key) as usize % parted.shards, *shard, "{key:?}");
        }
        let mut written: Vec<String> = four
            .path()
            .join("search")
            .read_dir()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(
            written,
            [parted.build_id.as_str(), "meta.js"],
            "nothing else in search/"
        );
    }

    /// `docs` in the order given, their sections their own.
    fn in_order(docs: &[SearchDoc]) -> Pages<'_> {
        let refs: Vec<&SearchDoc> = docs.iter().collect();
        Pages::new(&refs, (0..docs.len()).collect(), &crate::search::InDocs)
    }

    /// A work folder outside the outputs compared (removed by the index when done).
    fn work(partitions: u32) -> Work<'static> {
        Work {
            dir: tempfile::tempdir().unwrap().keep(),
            cache: None,
            partitions,
        }
    }

    /// Sections that cannot be read: the text store of a preview's re-index failing.
    struct Unreadable;

    impl PageTexts for Unreadable {
        fn bytes(&self, _: usize, _: &SearchDoc) -> usize {
            1
        }

        fn sections<'a>(
            &'a self,
            _: usize,
            _: &'a SearchDoc,
        ) -> Result<Cow<'a, [SearchSection]>, SearchError> {
            Err(SearchError::Io {
                path: PathBuf::from("text"),
                source: std::io::ErrorKind::UnexpectedEof.into(),
            })
        }
    }

    /// A folder that refuses every write after the first few: a disk filling up.
    struct FailingAfter {
        folder: Folder,
        writes_left: std::sync::atomic::AtomicUsize,
    }

    impl IndexOutput for FailingAfter {
        fn dir(&self) -> &Path {
            self.folder.dir()
        }

        fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
            let left = self.writes_left.load(std::sync::atomic::Ordering::SeqCst);
            if left == 0 {
                return Err(std::io::ErrorKind::StorageFull.into());
            }
            self.writes_left
                .store(left - 1, std::sync::atomic::Ordering::SeqCst);
            self.folder.write(rel, bytes)
        }

        fn publish(&self) -> std::io::Result<()> {
            self.folder.publish()
        }

        fn abandon(&self) {
            self.folder.abandon();
        }
    }

    #[test]
    fn the_previous_index_stays_until_the_next_one_is_complete() {
        let doc = |title: &str| SearchDoc {
            url: "a.html".into(),
            title: title.into(),
            ..SearchDoc::default()
        };
        let (first, second) = ([doc("社区议事")], [doc("加装电梯")]);
        let out = tempfile::tempdir().unwrap();
        let old = write(
            &in_order(&first),
            &[],
            &Folder::new(out.path()),
            work(1).dir,
            None,
        )
        .unwrap();
        let meta = || std::fs::read_to_string(out.path().join("search/meta.js")).unwrap();
        let before = meta();
        assert!(before.contains(&old.build_id));

        // A preview's readers search the old index while the next one is written; one that
        // fails leaves them with it.
        let refs: Vec<&SearchDoc> = second.iter().collect();
        let failing = Pages::new(&refs, vec![0], &Unreadable);
        assert!(write(&failing, &[], &Folder::new(out.path()), work(1).dir, None).is_err());
        assert_eq!(meta(), before);
        // One that fails while writing into the folder readers use (same layout), after it
        // wrote a shard and a page's fragment, leaves every file as it was and nothing beside.
        let files = || -> Vec<(String, Vec<u8>)> {
            let search = out.path().join("search");
            let mut files: Vec<_> = walkdir::WalkDir::new(&search)
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    let rel = e.path().strip_prefix(&search).unwrap();
                    let rel = rel.to_string_lossy().into_owned();
                    (rel, std::fs::read(e.path()).unwrap())
                })
                .collect();
            files.sort();
            files
        };
        let before_failing = files();
        let failing = FailingAfter {
            folder: Folder::new(out.path()),
            writes_left: std::sync::atomic::AtomicUsize::new(2),
        };
        assert!(write(&in_order(&second), &[], &failing, work(1).dir, None).is_err());
        assert_eq!(
            failing
                .writes_left
                .load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert_eq!(files(), before_failing);

        // The same layout (one page, one shard): the folder stays and its files are replaced.
        let new = write(
            &in_order(&second),
            &[],
            &Folder::new(out.path()),
            work(1).dir,
            None,
        )
        .unwrap();
        assert_eq!(new.build_id, old.build_id);
        assert_ne!(new.edition, old.edition);
        assert!(meta().contains(&new.edition));
        let page = out
            .path()
            .join("search")
            .join(&new.build_id)
            .join("p0/0.js");
        let text = crate::search::script::text(&std::fs::read(page).unwrap()).unwrap();
        let args = crate::search::script::arguments(&text, "page").unwrap();
        let json = crate::search::fragment_code::unpack(args[2].as_str().unwrap()).unwrap();
        assert!(json.contains("加装电梯"), "{json}");
        let build_dir = out.path().join("search").join(&new.build_id);
        let stray: Vec<_> = walkdir::WalkDir::new(&build_dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".new"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
        let mut left: Vec<String> = std::fs::read_dir(out.path().join("search"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [new.build_id, "meta.js".to_string()]);
    }

    #[test]
    fn heavy_keys_read_back_as_the_same_postings() {
        let docs: Vec<SearchDoc> = (0..60)
            .map(|i| SearchDoc {
                url: format!("p{i:02}.html"),
                title: if i % 4 == 0 {
                    "网格".into()
                } else {
                    format!("第{i}页")
                },
                sections: vec![super::super::SearchSection {
                    text: "网格员走访 ".repeat(1 + i % 7) + &format!("编号{i}"),
                    ..Default::default()
                }],
                ..SearchDoc::default()
            })
            .collect();
        let docs = in_order(&docs);
        let (light, heavy) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_in_partitions(&docs, &[], &Folder::new(light.path()), work(1), usize::MAX).unwrap();
        write_in_partitions(&docs, &[], &Folder::new(heavy.path()), work(1), 8).unwrap();
        let (light, heavy) = (
            crate::search::StaticIndex::open(light.path()).unwrap(),
            crate::search::StaticIndex::open(heavy.path()).unwrap(),
        );
        for query in ["网格员", "网格", "编号3", "网格员走访编号", "格"] {
            let (_, a) = light.rank(query).unwrap();
            let (_, b) = heavy.rank(query).unwrap();
            assert!(!a.is_empty(), "{query}");
            assert_eq!(a, b, "{query}");
        }
        let stubs = std::fs::read_dir(heavy.dir().join("s0"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains('-')
            })
            .count();
        assert!(stubs > 10, "{stubs} heavy files");
    }
}
