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

use super::{index_file, json};
use crate::search::fragment_code;
use crate::search::fragments::{self, Piece};
use crate::search::{SearchDoc, SearchError, SearchSection};

/// Pages' records read back and written out at a time: about this many bytes of them.
const READ_BYTES: usize = 4 << 20;

/// Writes an index file (name in the build folder, body) and returns its size.
pub(super) type WriteFile<'a> = &'a (dyn Fn(String, &[u8]) -> Result<u64, SearchError> + Sync);

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

/// The work file of every page's fragments, in page order, each page a record of its pieces
/// (a length, then the packed JSON in UTF-8). Removed when dropped.
pub(super) struct Pending {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    /// The length of each page's record.
    records: Vec<usize>,
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
        })
    }

    /// Appends the next page's [`page_fragments`].
    pub(super) fn put(&mut self, pieces: Vec<String>) -> Result<(), SearchError> {
        let file = self.file.as_mut().expect("written until `write`");
        let mut len = 0;
        for piece in pieces {
            file.write_all(&(piece.len() as u64).to_le_bytes())
                .and_then(|()| file.write_all(piece.as_bytes()))
                .map_err(SearchError::io(&self.path))?;
            len += 8 + piece.len();
        }
        self.records.push(len);
        Ok(())
    }

    /// Writes every page's files under the build folder `build`, through `file(name, body)`;
    /// returns the bytes written.
    pub(super) fn write(self, build: &str, file: WriteFile) -> Result<u64, SearchError> {
        self.write_reading(build, file, READ_BYTES)
    }

    /// [`Pending::write`], reading about `read_bytes` of records at a time.
    fn write_reading(
        mut self,
        build: &str,
        file: WriteFile,
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
            let mut len = self.records[start];
            while end < self.records.len() && len + self.records[end] <= read_bytes {
                len += self.records[end];
                end += 1;
            }
            let mut chunk = vec![0; len];
            reader
                .read_exact(&mut chunk)
                .map_err(SearchError::io(&self.path))?;
            let mut records = Vec::with_capacity(end - start);
            let mut rest = chunk.as_slice();
            for &record in &self.records[start..end] {
                let (this, tail) = rest.split_at(record);
                records.push(this);
                rest = tail;
            }
            bytes += records
                .into_par_iter()
                .enumerate()
                .map(|(i, record)| write_page(start + i, record, build, file))
                .sum::<Result<u64, SearchError>>()?;
            start = end;
        }
        Ok(bytes)
    }
}

/// Writes page `d`'s fragment file and its continuations from its record.
fn write_page(
    d: usize,
    mut record: &[u8],
    build: &str,
    file: WriteFile,
) -> Result<u64, SearchError> {
    let mut bytes = 0;
    let mut j = 0;
    while !record.is_empty() {
        let (len, rest) = record.split_first_chunk::<8>().ok_or_else(damaged)?;
        let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| damaged())?;
        let (piece, rest) = rest.split_at_checked(len).ok_or_else(damaged)?;
        record = rest;
        let (name, call) = match j {
            0 => (
                index_file('p', d, None),
                format!("window.__shuyuan.page(\"{build}\",{d},"),
            ),
            _ => (
                index_file('p', d, Some(j)),
                format!("window.__shuyuan.more(\"{build}\",{d},{j},"),
            ),
        };
        let piece = simdutf8::basic::from_utf8(piece).map_err(|_| damaged())?;
        bytes += file(name, &utf16_file(&[&call, "\"", piece, "\")\n"]))?;
        j += 1;
    }
    Ok(bytes)
}

/// `parts` as a UTF-16 file: a byte-order mark, then little-endian code units (the packed
/// fragments' two bytes a unit: [`fragment_code`]).
fn utf16_file(parts: &[&str]) -> Vec<u8> {
    let units = parts.iter().map(|part| part.len()).sum::<usize>();
    let mut body = Vec::with_capacity(2 + 2 * units);
    body.extend_from_slice(&[0xFF, 0xFE]);
    for unit in parts.iter().flat_map(|part| part.encode_utf16()) {
        body.extend_from_slice(&unit.to_le_bytes());
    }
    body
}

fn damaged() -> SearchError {
    SearchError::Corrupt("the work file of the index's fragments is truncated or damaged".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn pending_fragments_are_written_as_made_whatever_is_read_at_once() {
        let pieces: Vec<Vec<String>> = vec![
            vec!["甲".into()],
            vec!["乙".into(), "续一".into(), "".into()],
            Vec::new(),
            vec!["丙".into()],
        ];
        // A UTF-16 file with a byte-order mark, as a browser reads it.
        let utf16 = |text: &str| {
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        };
        let mut expected: Vec<(String, Vec<u8>)> = vec![
            (
                "p0/0.js".into(),
                utf16("window.__shuyuan.page(\"b\",0,\"甲\")\n"),
            ),
            (
                "p0/1.js".into(),
                utf16("window.__shuyuan.page(\"b\",1,\"乙\")\n"),
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
                "p0/3.js".into(),
                utf16("window.__shuyuan.page(\"b\",3,\"丙\")\n"),
            ),
        ];
        expected.sort();
        let dir = tempfile::tempdir().unwrap();
        // One page at a time, a page larger than what is read at once, and all at once.
        for read_bytes in [1, 40, usize::MAX] {
            let mut pending = Pending::create(dir.path().join("f")).unwrap();
            for page in &pieces {
                pending.put(page.clone()).unwrap();
            }
            let written = Mutex::new(Vec::new());
            let file = |name: String, body: &[u8]| {
                written.lock().unwrap().push((name, body.to_vec()));
                Ok(body.len() as u64)
            };
            let bytes = pending.write_reading("b", &file, read_bytes).unwrap();
            let mut written = written.into_inner().unwrap();
            written.sort();
            assert_eq!(written, expected, "{read_bytes}");
            let total: usize = expected.iter().map(|(_, body)| body.len()).sum();
            assert_eq!(bytes, total as u64);
            assert!(!dir.path().join("f").exists(), "the work file goes");
        }
    }
}
