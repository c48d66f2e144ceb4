//! Fragment files waiting for their build folder.
//!
//! A page's fragment files (`p<g>/<d>.js` and its continuations, module docs of `export`) name
//! the build folder, which hangs on the shard count, known only once the postings are merged;
//! cutting and serialising them takes the page's text, which a build keeps out of memory until
//! the index reads it. So they
//! are made while the spill has the text ([`page_fragments`]), kept packed in a work file
//! ([`Pending::put`]), and written out under the build folder once it is known
//! ([`Pending::write`]): the index reads each page's text once.

use std::fs::File;
use std::io::{BufWriter, Read as _, Write as _};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use super::folder::{Files, fragment_file_made_from, fragments_made_from};
use super::{index_file, json};
use crate::cache::Key;
use crate::search::fragment_code;
use crate::search::fragments::{self, Piece};
use crate::search::{IndexOutput, SearchDoc, SearchError, SearchSection, script};

/// Pages' records read back and written out at a time: about this many bytes of them.
const READ_BYTES: usize = 4 << 20;

/// A page fragment as written to `p<d>.js`.
#[derive(Serialize)]
struct Fragment<'a> {
    t: &'a str,
    u: &'a str,
    k: &'a str,
    l: &'a str,
    d: Option<&'a str>,
    st: Option<&'a str>,
    b: &'a [String],
    s: &'a [Piece<'a>],
    /// Continuation files (`super::fragments`), left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    c: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The packed JSON ([`fragment_code::pack`]) of a page's fragment, then of each of its
/// continuations.
pub(super) fn page_fragments(doc: &SearchDoc, sections: &[SearchSection]) -> Vec<String> {
    let pieces = fragments::cut(sections);
    let fragment = json(&Fragment {
        t: &doc.title,
        u: &doc.url,
        k: &doc.kind,
        l: &doc.kind_label,
        d: doc.date.as_deref(),
        st: doc.status.as_deref(),
        b: &doc.breadcrumbs,
        s: &pieces[0],
        c: pieces.len() - 1,
    });
    std::iter::once(fragment)
        .chain(pieces[1..].iter().map(json))
        .map(|json| fragment_code::pack(&json))
        .collect()
}

/// Page `d`'s part of the work file, and what its fragment files are made from (under the
/// site's `key`, its text's hash being `text`): left unmade when the last build into `out`
/// made its fragment in `previous`, that build's folder (named only when this build goes
/// there too), of the same. Such files are likely kept; [`Pending::write`] makes them after
/// all where one is not.
pub(super) fn unless_kept(
    d: usize,
    doc: &SearchDoc,
    sections: &[SearchSection],
    key_and_text: Option<(Key, u128)>,
    previous: Option<&str>,
    out: &dyn IndexOutput,
) -> (PageFragments, Option<u128>) {
    let key = key_and_text.map(|(key, _)| key);
    let made_from = key_and_text.map(|(key, text)| fragments_made_from(key, text, doc, sections));
    let kept = match (key, made_from, previous) {
        (Some(key), Some(made_from), Some(build)) => {
            let rel = format!("search/{build}/{}", file_name(d, 0));
            out.made_from_before(&rel) == Some(fragment_file_made_from(key, made_from, 0))
        }
        _ => false,
    };
    let fragments = if kept {
        PageFragments::Unmade {
            files: fragments::cut(sections).len(),
        }
    } else {
        PageFragments::Made(page_fragments(doc, sections))
    };
    (fragments, made_from)
}

/// A page's part of the work file.
pub(super) enum PageFragments {
    /// Its fragment files, packed ([`page_fragments`]).
    Made(Vec<String>),
    /// Left unmade: the last build into the output made its `files` files of the same, which
    /// are likely kept ([`Pending::write`] makes them after all where one is not).
    Unmade { files: usize },
}

/// A page's record in the work file: the length of its pieces there, or unmade.
#[derive(Clone, Copy)]
enum Record {
    Made(usize),
    Unmade { files: usize },
}

impl Record {
    fn len(self) -> usize {
        match self {
            Record::Made(len) => len,
            Record::Unmade { .. } => 0,
        }
    }
}

/// Makes page `d`'s fragment files again ([`page_fragments`]) from its text.
pub(super) type Remake<'a> = &'a (dyn Fn(usize) -> Result<Vec<String>, SearchError> + Sync);

/// The work file of every page's fragments, in page order, each page a record of its pieces
/// (a length, then the packed JSON in UTF-8). Removed when dropped.
pub(super) struct Pending {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    records: Vec<Record>,
    /// What each page's fragment files are made from ([`super::folder::fragments_made_from`]),
    /// when the output remembers it.
    made_from: Vec<Option<u128>>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.file = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Pending {
    pub(super) fn create(path: PathBuf) -> Result<Pending, SearchError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
        }
        let file = File::create(&path).map_err(SearchError::io(&path))?;
        Ok(Pending {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            path,
            records: Vec::new(),
            made_from: Vec::new(),
        })
    }

    /// Appends the next page's fragments, made from what hashes to `made_from`.
    pub(super) fn put(
        &mut self,
        page: PageFragments,
        made_from: Option<u128>,
    ) -> Result<(), SearchError> {
        let record = match page {
            PageFragments::Unmade { files } => Record::Unmade { files },
            PageFragments::Made(pieces) => {
                let file = self.file.as_mut().expect("written until `write`");
                let mut len = 0;
                for piece in pieces {
                    file.write_all(&(piece.len() as u64).to_le_bytes())
                        .and_then(|()| file.write_all(piece.as_bytes()))
                        .map_err(SearchError::io(&self.path))?;
                    len += 8 + piece.len();
                }
                Record::Made(len)
            }
        };
        self.records.push(record);
        self.made_from.push(made_from);
        Ok(())
    }

    /// Puts every page's files into `files`; `remake` makes an unmade page's when its files
    /// are not kept after all. Returns the bytes of the files.
    pub(super) fn write(self, files: &Files, remake: Remake) -> Result<u64, SearchError> {
        self.write_reading(files, remake, READ_BYTES)
    }

    /// [`Pending::write`], reading about `read_bytes` of records at a time.
    fn write_reading(
        mut self,
        files: &Files,
        remake: Remake,
        read_bytes: usize,
    ) -> Result<u64, SearchError> {
        let written = self.file.take().expect("written until `write`");
        written
            .into_inner()
            .map_err(|e| SearchError::io(&self.path)(e.into_error()))?;
        let mut reader = File::open(&self.path).map_err(SearchError::io(&self.path))?;
        let mut bytes = 0;
        let mut start = 0;
        while start < self.records.len() {
            // The next pages, up to `read_bytes` of them (at least one), read at once.
            let mut end = start + 1;
            let mut len = self.records[start].len();
            while end < self.records.len() && len + self.records[end].len() <= read_bytes {
                len += self.records[end].len();
                end += 1;
            }
            let mut chunk = vec![0; len];
            reader
                .read_exact(&mut chunk)
                .map_err(SearchError::io(&self.path))?;
            let mut records = Vec::with_capacity(end - start);
            let mut rest = chunk.as_slice();
            for &record in &self.records[start..end] {
                let (this, tail) = rest.split_at(record.len());
                records.push((record, this));
                rest = tail;
            }
            bytes += records
                .into_par_iter()
                .enumerate()
                .map(|(i, (record, pieces))| {
                    let d = start + i;
                    let made_from = self.made_from[d];
                    match record {
                        Record::Made(_) => {
                            write_page(d, &split_pieces(pieces)?, 0, files, made_from)
                        }
                        Record::Unmade { files: count } => {
                            keep_page(d, count, files, made_from, remake)
                        }
                    }
                })
                .sum::<Result<u64, SearchError>>()?;
            start = end;
        }
        Ok(bytes)
    }
}

/// A page's record: its packed pieces.
fn split_pieces(mut record: &[u8]) -> Result<Vec<&str>, SearchError> {
    let mut pieces = Vec::new();
    while !record.is_empty() {
        let (len, rest) = record.split_first_chunk::<8>().ok_or_else(damaged)?;
        let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| damaged())?;
        let (piece, rest) = rest.split_at_checked(len).ok_or_else(damaged)?;
        record = rest;
        pieces.push(simdutf8::basic::from_utf8(piece).map_err(|_| damaged())?);
    }
    Ok(pieces)
}

/// The name of page `d`'s fragment file `j` (0 the fragment, then its continuations).
fn file_name(d: usize, j: usize) -> String {
    index_file('p', d, (j > 0).then_some(j))
}

/// What page `d`'s fragment file `j` is made from, the page's being `made_from`.
fn file_made_from(files: &Files, made_from: Option<u128>, j: usize) -> Option<u128> {
    Some(fragment_file_made_from(files.key?, made_from?, j))
}

/// Writes page `d`'s fragment files `from` on, `pieces` being all of them.
fn write_page(
    d: usize,
    pieces: &[impl AsRef<str> + Sync],
    from: usize,
    files: &Files,
    made_from: Option<u128>,
) -> Result<u64, SearchError> {
    let build = files.build;
    let mut bytes = 0;
    for (j, piece) in pieces.iter().enumerate().skip(from) {
        let call = match j {
            0 => format!("window.__shuyuan.page(\"{build}\",{d},"),
            _ => format!("window.__shuyuan.more(\"{build}\",{d},{j},"),
        };
        bytes += files.put(
            file_name(d, j),
            file_made_from(files, made_from, j),
            &|| Ok(script::utf16(&[&call, "\"", piece.as_ref(), "\")\n"])),
        )?;
    }
    Ok(bytes)
}

/// Keeps the `count` fragment files of page `d` that the last build made of the same, or,
/// from the first that it cannot keep (another folder, a file changed since), makes them
/// again with `remake`.
fn keep_page(
    d: usize,
    count: usize,
    files: &Files,
    made_from: Option<u128>,
    remake: Remake,
) -> Result<u64, SearchError> {
    let mut bytes = 0;
    for j in 0..count {
        let name = file_name(d, j);
        let kept = file_made_from(files, made_from, j).and_then(|hash| files.keep(name, hash));
        match kept {
            Some(len) => bytes += len,
            None => return Ok(bytes + write_page(d, &remake(d)?, j, files, made_from)?),
        }
    }
    Ok(bytes)
}

fn damaged() -> SearchError {
    SearchError::Corrupt("the work file of the index's fragments is truncated or damaged".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Folder, IndexOutput};

    #[test]
    fn pending_fragments_are_written_as_made_whatever_is_read_at_once() {
        let made =
            |pieces: &[&str]| PageFragments::Made(pieces.iter().map(|p| p.to_string()).collect());
        // A UTF-16 file with a byte-order mark, as a browser reads it.
        let utf16 = |text: &str| {
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        };
        let expected: Vec<(String, Vec<u8>)> = vec![
            (
                "p0/0.js".into(),
                utf16("window.__shuyuan.page(\"b\",0,\"甲\")\n"),
            ),
            (
                "p0/1-1.js".into(),
                utf16("window.__shuyuan.more(\"b\",1,1,\"续一\")\n"),
            ),
            (
                "p0/1-2.js".into(),
                utf16("window.__shuyuan.more(\"b\",1,2,\"\")\n"),
            ),
            (
                "p0/1.js".into(),
                utf16("window.__shuyuan.page(\"b\",1,\"乙\")\n"),
            ),
            (
                "p0/2-1.js".into(),
                utf16("window.__shuyuan.more(\"b\",2,1,\"续\")\n"),
            ),
            (
                "p0/2.js".into(),
                utf16("window.__shuyuan.page(\"b\",2,\"丁\")\n"),
            ),
            (
                "p0/3.js".into(),
                utf16("window.__shuyuan.page(\"b\",3,\"丙\")\n"),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        // One page at a time, a page larger than what is read at once, and all at once.
        for read_bytes in [1, 40, usize::MAX] {
            let mut pending = Pending::create(dir.path().join("f")).unwrap();
            pending.put(made(&["甲"]), None).unwrap();
            pending.put(made(&["乙", "续一", ""]), None).unwrap();
            // Left unmade, and not kept: an output without a memo keeps nothing.
            pending
                .put(PageFragments::Unmade { files: 2 }, None)
                .unwrap();
            pending.put(made(&["丙"]), None).unwrap();
            let out_dir = dir.path().join(format!("out-{read_bytes}"));
            let out = Folder::new(&out_dir);
            let files = Files {
                out: &out,
                build: "b",
                key: None,
                reused: None,
            };
            let remake = |d: usize| {
                assert_eq!(d, 2, "only the unmade page is made again");
                Ok(vec!["丁".to_string(), "续".to_string()])
            };
            let bytes = pending.write_reading(&files, &remake, read_bytes).unwrap();
            out.publish().unwrap();
            let written: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(out_dir.join("search/b"))
                .sort_by_file_name()
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    let rel = e.path().strip_prefix(out_dir.join("search/b")).unwrap();
                    (
                        rel.to_string_lossy().replace('\\', "/"),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            assert_eq!(written, expected, "{read_bytes}");
            let total: usize = expected.iter().map(|(_, body)| body.len()).sum();
            assert_eq!(bytes, total as u64);
            assert!(!dir.path().join("f").exists(), "the work file goes");
        }
    }
}
