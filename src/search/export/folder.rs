//! The index's folder: its name, which only the layout decides ([`layout_id`]), the edition
//! that names its content ([`edition`]), its files as they go into the output, kept when made
//! of the same as before ([`Files`]), and the removal of what older builds left there.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use siphasher::sip::SipHasher13;

use super::{FNV64_START, FORMAT_VERSION, fnv64};
use crate::cache::Key;
use crate::search::{IndexOutput, SearchDoc, SearchError, SearchSection, script};

/// Removes the index folders in `dir` of builds other than `current`, nothing else.
pub(super) fn clear_old_builds(dir: &Path, current: &str) -> Result<(), SearchError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(SearchError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        if name != current && is_build_id(&name) && path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(SearchError::io(&path))?;
        }
    }
    Ok(())
}

fn is_build_id(name: &str) -> bool {
    name.len() == 12
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Removes the files of the folder `build_dir` that this build did not write (`written`,
/// names relative to it): a re-index into the folder a preview serves leaves nothing a full
/// build would not write. Called after `meta.js` names the new edition, so a reader who still
/// has the old one and misses a file reads `meta.js` again.
pub(super) fn clear_unwritten(
    build_dir: &Path,
    written: &HashSet<String>,
) -> Result<(), SearchError> {
    for entry in walkdir::WalkDir::new(build_dir).min_depth(1) {
        let entry = entry.map_err(|e| SearchError::io(build_dir)(e.into()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(build_dir).unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if !written.contains(&rel) {
            std::fs::remove_file(entry.path()).map_err(SearchError::io(entry.path()))?;
        }
    }
    Ok(())
}

/// Names the layout of the static index: a hash of what decides where a file's readers look
/// for the rest — this program's version (which fixes the analysis), the format, the shard
/// count (where a key lives) and the pages' addresses in order (how pages are numbered, and
/// the IDF's page count). A rebuild that keeps every address keeps the folder, whatever the
/// pages say; one that adds, removes or renames a page moves it.
pub(super) fn layout_id(shard_count: usize, docs: &[&SearchDoc]) -> String {
    let mut h = hash_field(FNV64_START, env!("CARGO_PKG_VERSION"));
    h = fnv64(h, &FORMAT_VERSION.to_le_bytes());
    h = fnv64(h, &(shard_count as u64).to_le_bytes());
    h = fnv64(h, &(docs.len() as u64).to_le_bytes());
    h = docs.iter().fold(h, |h, doc| hash_field(h, &doc.url));
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

/// Names an edition of the static index: a hash of its layout and everything its files are
/// made from, the pages as indexed (each hashed by [`page_hash`], in page order). Hashing the
/// inputs instead of the files lets each file be written as soon as it is made.
pub(super) fn edition(layout: &str, page_hashes: &[u64]) -> String {
    let h = page_hashes
        .iter()
        .fold(hash_field(FNV64_START, layout), |h, page| {
            fnv64(h, &page.to_le_bytes())
        });
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

/// One page's part of [`edition`]: `doc`'s fields and its sections (`sections`, which the
/// [`SearchDoc`] need not hold: [`crate::search::PageTexts`]). SipHash-1-3 under a fixed key,
/// so that every machine names an edition alike: faster than FNV, which goes a byte at a time,
/// and with no known way to make two texts hash the same short of trying (a page made to keep the
/// edition of its last version would leave browsers and the preview reading its old shards).
pub(super) fn page_hash(doc: &SearchDoc, sections: &[SearchSection]) -> u64 {
    let mut h = SipHasher13::new();
    // Each part hashes its length or its end too: no two pages run together the same way.
    (&doc.url, &doc.title, &doc.kind, &doc.kind_label).hash(&mut h);
    (&doc.date, &doc.status, &doc.region).hash(&mut h);
    (&doc.breadcrumbs, &doc.tags, &doc.topics).hash(&mut h);
    sections.len().hash(&mut h);
    for s in sections {
        (&s.anchor, &s.heading, &s.text).hash(&mut h);
    }
    h.finish()
}

/// What a page's fragment files are made from, under the site's key: its title, headings and
/// texts as the key counts hashed them already (`text`, [`super::reuse::counted_from`]: the
/// text is not hashed twice), and everything else a fragment shows. A file's own made-from
/// adds its number: [`fragment_file_made_from`].
pub(super) fn fragments_made_from(
    key: Key,
    text: u128,
    doc: &SearchDoc,
    sections: &[SearchSection],
) -> u128 {
    let mut h = key.hasher();
    ("fragments", text).hash(&mut h);
    (&doc.url, &doc.kind, &doc.kind_label).hash(&mut h);
    (&doc.date, &doc.status, &doc.breadcrumbs).hash(&mut h);
    for s in sections {
        s.anchor.hash(&mut h);
    }
    crate::cache::finish(&h)
}

/// What file `j` of a page's fragment files (0 the fragment, then its continuations) is made
/// from, the page's being `made_from` ([`fragments_made_from`]); the page's number and the
/// index's folder are in the file's name.
pub(super) fn fragment_file_made_from(key: Key, made_from: u128, j: usize) -> u128 {
    let mut h = key.hasher();
    (made_from, j).hash(&mut h);
    crate::cache::finish(&h)
}

/// The folder the index of the build that `out` replaces is in, as its `meta.js` names it,
/// when this build's pages would go there too with as many shards: their addresses are the
/// same ([`layout_id`]). Another folder, where every file is new, has nothing to keep.
pub(super) fn previous_build(out: &dyn IndexOutput, docs: &[&SearchDoc]) -> Option<String> {
    let text = script::text(&out.previous_file("search/meta.js")?)?;
    let meta = &script::arguments(&text, "meta")?[0];
    let build = meta["build"].as_str()?;
    let shards = usize::try_from(meta["shards"].as_u64()?).ok()?;
    (layout_id(shards, docs) == build).then(|| build.to_string())
}

/// `text` with its length in front, so that neighbouring fields cannot run into each other.
fn hash_field(h: u64, text: &str) -> u64 {
    fnv64(
        fnv64(h, &(text.len() as u64).to_le_bytes()),
        text.as_bytes(),
    )
}

/// The files of one build folder of the index, as they go into the output.
pub(super) struct Files<'a> {
    pub(super) out: &'a dyn IndexOutput,
    pub(super) build: &'a str,
    /// The site's cache key, which hashes what each file is made from.
    pub(super) key: Option<Key>,
    /// The names written, when the folder was there before (a preview's re-index).
    pub(super) reused: Option<Mutex<HashSet<String>>>,
}

impl Files<'_> {
    /// Puts the file `name` into the output: left as it is when an earlier build made it from
    /// what hashes to `made_from` too ([`IndexOutput::keep_made_from`]), else made by `make`
    /// and written. Returns its length.
    pub(super) fn put(
        &self,
        name: String,
        made_from: Option<u128>,
        make: &dyn Fn() -> Result<Vec<u8>, SearchError>,
    ) -> Result<u64, SearchError> {
        let rel = format!("search/{}/{name}", self.build);
        if let Some(len) = made_from.and_then(|hash| self.keep(name.clone(), hash)) {
            return Ok(len);
        }
        self.note_written(name);
        let body = make()?;
        self.out
            .write(&rel, &body)
            .map_err(SearchError::io(self.out.dir().join(&rel)))?;
        if let Some(hash) = made_from {
            self.out.made_from(&rel, hash);
        }
        Ok(body.len() as u64)
    }

    /// Leaves the file `name` as an earlier build made it from what hashes to `made_from`
    /// ([`IndexOutput::keep_made_from`]); its length when it did.
    pub(super) fn keep(&self, name: String, made_from: u128) -> Option<u64> {
        let len = self
            .out
            .keep_made_from(&format!("search/{}/{name}", self.build), made_from)?;
        self.note_written(name);
        Some(len)
    }

    /// A re-index into the folder it serves removes the files it did not write at the end.
    fn note_written(&self, name: String) {
        if let Some(written) = &self.reused {
            written
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name);
        }
    }

    /// Puts the file `name` holding `body` into the output, as [`Files::put`] does: made from
    /// its own bytes, it is left as it is when an earlier build wrote the same bytes, without
    /// reading that file to compare.
    pub(super) fn write(&self, name: String, body: &[u8]) -> Result<u64, SearchError> {
        let made_from = self.key.map(|key| {
            let mut h = key.hasher();
            h.write(body);
            crate::cache::finish(&h)
        });
        self.put(name, made_from, &|| Ok(body.to_vec()))
    }
}
