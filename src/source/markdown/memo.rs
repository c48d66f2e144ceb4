//! The last builds' rendered bodies, kept for the next: rendering Markdown is a fifth of a
//! rebuild after one edit, and every other body would come out as it did.
//!
//! A body renders as a pure function of its text, its file's path (relative links are resolved
//! from it) and whether raw HTML is allowed, so `.shuyuan/cache/markdown/` keeps what
//! [`super::render`] made of each, under a keyed hash of the three ([`crate::cache`]):
//! `bodies`, the records one after another, and `manifest`, a line per record the last build
//! used (the hash, where it lies, its length and a hash of its bytes, checked before it is
//! read) closed by their count. A record that does not check or does not decode is rendered
//! again. New records are appended to `bodies` as they are made, so the records the old
//! manifest names stay whole should the run stop; once a file holds more bytes of records no
//! manifest names than of records it does, the next build writes the ones it uses into a new
//! file instead
//! (`bodies.next`, renamed into place before the new manifest is written). The manifest is
//! valid only for the program that wrote it ([`crate::cache::this_program`]) and the same raw
//! HTML setting.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{LinkRef, LinkTarget, Measure, Rendered, TextSection, TocEntry};
use crate::cache::Key;

const HEADER: &str = "shuyuan-markdown-memo 2";
const BODIES: &str = "bodies";
const NEXT: &str = "bodies.next";
const MANIFEST: &str = "manifest";

/// Where a record lies in `bodies`, and the hash of its bytes ([`check`]).
#[derive(Clone, Copy)]
struct Entry {
    offset: u64,
    bytes: u64,
    check: u64,
}

/// The rendered bodies of the last builds, and the file this build adds to.
pub struct Memo {
    dir: PathBuf,
    key: Key,
    header: String,
    /// The last build's records, by the hash of what they were rendered from.
    previous: HashMap<u128, Entry>,
    /// The file the records are read from.
    old: Option<File>,
    /// The file this build's records go to, and where the next one starts.
    new: Mutex<Option<(BufWriter<File>, u64)>>,
    /// The records are written into `bodies.next`, not appended to `bodies`.
    compacting: bool,
}

/// What a body was rendered from, hashed, and where its record lies once it is kept.
pub struct Kept {
    hash: u128,
    entry: Option<Entry>,
}

impl Memo {
    /// The memo in the cache folder `cache` under the site's `key`, for bodies rendered with
    /// raw HTML allowed or not. `None` when it cannot be written.
    pub fn open(cache: &Path, key: Key, allow_html: bool) -> Option<Memo> {
        let dir = cache.join("markdown");
        std::fs::create_dir_all(&dir).ok()?;
        let header = format!("{HEADER} {} {allow_html}", crate::cache::this_program()?);
        let old = File::open(dir.join(BODIES)).ok();
        let size = old
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
        let previous = old
            .as_ref()
            .and_then(|_| read_manifest(&dir, &header, size))
            .unwrap_or_default();
        let live = (previous.values()).fold(0u64, |live, e| live.saturating_add(e.bytes));
        // Past half of the file unused, the records this build uses go to a new file.
        let compacting = previous.is_empty() || size.saturating_sub(live) > live;
        let new = if compacting {
            let _ = std::fs::remove_file(dir.join(NEXT));
            (File::create_new(dir.join(NEXT)).ok()).map(|file| (BufWriter::new(file), 0))
        } else {
            (OpenOptions::new().append(true).open(dir.join(BODIES)).ok())
                .map(|file| (BufWriter::new(file), size))
        };
        Some(Memo {
            dir,
            key,
            header,
            old: old.filter(|_| !previous.is_empty()),
            previous,
            new: Mutex::new(Some(new?)),
            compacting,
        })
    }

    /// The body `body` of the file `rel`, as the last build rendered it, if it is kept whole;
    /// else rendered by `render`. Either way it is kept for the next build.
    pub fn rendered(
        &self,
        rel: &str,
        body: &str,
        render: impl FnOnce() -> Rendered,
    ) -> (Rendered, Kept) {
        let mut h = self.key.hasher();
        (rel, body).hash(&mut h);
        let hash = crate::cache::finish(&h);
        if let Some((rendered, bytes, entry)) = self.read(hash) {
            let entry = if self.compacting {
                self.append(&bytes)
            } else {
                Some(entry)
            };
            return (rendered, Kept { hash, entry });
        }
        let rendered = render();
        let entry = self.append(&encode(&rendered));
        (rendered, Kept { hash, entry })
    }

    /// The record of the body whose hash is `hash`, decoded, with its bytes.
    fn read(&self, hash: u128) -> Option<(Rendered, Vec<u8>, Entry)> {
        let entry = *self.previous.get(&hash)?;
        let mut bytes = vec![0; usize::try_from(entry.bytes).ok()?];
        crate::cache::read_at(self.old.as_ref()?, entry.offset, &mut bytes).ok()?;
        if check(&bytes) != entry.check {
            return None;
        }
        Some((decode(&bytes)?, bytes, entry))
    }

    /// Writes a record to this build's file; `None` once the file cannot be written.
    fn append(&self, bytes: &[u8]) -> Option<Entry> {
        let mut new = self.new.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, end) = new.as_mut()?;
        if file.write_all(bytes).is_err() {
            *new = None;
            return None;
        }
        let entry = Entry {
            offset: *end,
            bytes: bytes.len() as u64,
            check: check(bytes),
        };
        *end += entry.bytes;
        Some(entry)
    }

    /// Writes the manifest of the bodies `kept` (the records this build used). Best effort:
    /// a memo that cannot be written is left out, and the next build renders every body.
    pub fn save(self, kept: impl Iterator<Item = Kept>) {
        let Memo {
            dir,
            header,
            old,
            new,
            compacting,
            ..
        } = self;
        drop(old);
        let manifest = dir.join(MANIFEST);
        let saved = (|| -> std::io::Result<()> {
            let Some((file, _)) = new.into_inner().unwrap_or_else(PoisonError::into_inner) else {
                return Err(std::io::ErrorKind::Other.into());
            };
            file.into_inner().map_err(|e| e.into_error())?;
            let mut text = header;
            text.push('\n');
            let mut count = 0;
            for kept in kept {
                let Some(entry) = kept.entry else {
                    return Err(std::io::ErrorKind::Other.into());
                };
                text.push_str(&format!(
                    "{:032x} {} {} {:016x}\n",
                    kept.hash, entry.offset, entry.bytes, entry.check
                ));
                count += 1;
            }
            text.push_str(&format!("end {count}\n"));
            // The old manifest names records of the old file: gone before the file is.
            std::fs::remove_file(&manifest).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })?;
            if compacting {
                std::fs::rename(dir.join(NEXT), dir.join(BODIES))?;
            }
            let partial = dir.join("manifest.partial");
            std::fs::write(&partial, text)?;
            std::fs::rename(&partial, &manifest)
        })();
        if saved.is_err() {
            let _ = std::fs::remove_file(&manifest);
            let _ = std::fs::remove_file(dir.join(NEXT));
        }
    }
}

/// The manifest's entries, when it is this program's for this setting, whole, and names only
/// records inside a file of `size` bytes.
fn read_manifest(dir: &Path, header: &str, size: u64) -> Option<HashMap<u128, Entry>> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != header {
        return None;
    }
    let mut entries = HashMap::new();
    for (count, line) in lines.enumerate() {
        if let Some(total) = line.strip_prefix("end ") {
            return (total.parse() == Ok(count)).then_some(entries);
        }
        let mut fields = crate::cache::Fields::of(line);
        let hash: u128 = fields.hex()?;
        let entry = Entry {
            offset: fields.decimal()?,
            bytes: fields.decimal()?,
            check: fields.hex()?,
        };
        if entry.offset.checked_add(entry.bytes)? > size {
            return None;
        }
        entries.insert(hash, entry);
    }
    None
}

/// A record's check against a file changed or cut short. Not keyed, unlike the hash that
/// finds the record (content cannot choose the bytes of a record another body's hash names),
/// and eight bytes at a time: SipHash over every record was a third of a rebuild's Markdown
/// stage.
fn check(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// A rendered body as a record: every field in order, texts and lists as their length then
/// their items, numbers as LEB128 varints.
fn encode(rendered: &Rendered) -> Vec<u8> {
    let Rendered {
        html,
        link_prefix,
        toc,
        anchors,
        links,
        sections,
        stored_text: _,
        measure,
        first_paragraph,
        unclosed_wiki_links,
    } = rendered;
    let mut out = Record(Vec::with_capacity(html.len() + 256));
    out.text(html);
    out.text(link_prefix);
    out.number(toc.len());
    for entry in toc {
        out.number(usize::from(entry.level));
        out.text(&entry.id);
        out.text(&entry.title);
    }
    out.number(anchors.len());
    for anchor in anchors {
        out.text(anchor);
    }
    out.number(links.len());
    for link in links {
        match &link.target {
            LinkTarget::Page { path, fragment } => {
                out.number(0);
                out.text(path);
                out.optional(fragment.as_deref());
            }
            LinkTarget::Wiki { slug, fragment } => {
                out.number(1);
                out.text(slug);
                out.optional(fragment.as_deref());
            }
            LinkTarget::Asset { path } => {
                out.number(2);
                out.text(path);
            }
            LinkTarget::Anchor(anchor) => {
                out.number(3);
                out.text(anchor);
            }
        }
        out.text(&link.written);
        out.number(link.line);
        out.number(link.column);
        out.number(usize::from(link.wants_title));
    }
    out.number(sections.len());
    for section in sections {
        out.text(&section.anchor);
        out.text(&section.heading);
        out.text(&section.text);
    }
    out.text(first_paragraph);
    out.number(unclosed_wiki_links.len());
    for &(line, column) in unclosed_wiki_links {
        out.number(line);
        out.number(column);
    }
    out.number(measure.chars);
    out.number(measure.bytes);
    out.number(measure.slots.len());
    for &(link, in_text) in &measure.slots {
        out.number(link.map_or(0, |link| link + 1));
        out.number(usize::from(in_text));
    }
    out.0
}

struct Record(Vec<u8>);

impl Record {
    fn number(&mut self, n: usize) {
        let mut n = n as u64;
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn text(&mut self, text: &str) {
        self.number(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    fn optional(&mut self, text: Option<&str>) {
        match text {
            None => self.number(0),
            Some(text) => {
                self.number(1);
                self.text(text);
            }
        }
    }
}

/// [`encode`] read back; `None` unless the record is whole.
fn decode(bytes: &[u8]) -> Option<Rendered> {
    let mut r = Reading { bytes, at: 0 };
    let html = r.text()?;
    let link_prefix = r.text()?;
    let toc = r.list(|r| {
        Some(TocEntry {
            level: u8::try_from(r.number()?).ok()?,
            id: r.text()?,
            title: r.text()?,
        })
    })?;
    let anchors = r.list(Reading::text)?.into_iter().collect();
    let links = r.list(|r| {
        let target = match r.number()? {
            0 => LinkTarget::Page {
                path: r.text()?,
                fragment: r.optional()?,
            },
            1 => LinkTarget::Wiki {
                slug: r.text()?,
                fragment: r.optional()?,
            },
            2 => LinkTarget::Asset { path: r.text()? },
            3 => LinkTarget::Anchor(r.text()?),
            _ => return None,
        };
        Some(LinkRef {
            target,
            written: r.text()?,
            line: r.number()?,
            column: r.number()?,
            wants_title: r.number()? == 1,
        })
    })?;
    let sections = r.list(|r| {
        Some(TextSection {
            anchor: r.text()?,
            heading: r.text()?,
            text: r.text()?,
        })
    })?;
    let first_paragraph = r.text()?;
    let unclosed_wiki_links = r.list(|r| Some((r.number()?, r.number()?)))?;
    let measure = Measure {
        chars: r.number()?,
        bytes: r.number()?,
        slots: r.list(|r| Some((r.number()?.checked_sub(1), r.number()? == 1)))?,
    };
    (r.at == bytes.len()).then_some(Rendered {
        html,
        link_prefix,
        toc,
        anchors,
        links,
        sections,
        stored_text: None,
        measure,
        first_paragraph,
        unclosed_wiki_links,
    })
}

struct Reading<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reading<'_> {
    fn number(&mut self) -> Option<usize> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return usize::try_from(v).ok();
            }
        }
        None
    }

    fn text(&mut self) -> Option<String> {
        let len = self.number()?;
        let bytes = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        simdutf8::basic::from_utf8(bytes).ok().map(str::to_owned)
    }

    fn optional(&mut self) -> Option<Option<String>> {
        match self.number()? {
            0 => Some(None),
            1 => Some(Some(self.text()?)),
            _ => None,
        }
    }

    /// A list: its length, then each item as `item` reads it. The length is not trusted for
    /// the allocation: every item takes at least a byte.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let len = self.number()?;
        if len > self.bytes.len() - self.at {
            return None;
        }
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(item(self)?);
        }
        Some(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::markdown::{options, render};

    const BODY: &str = "# 标题 {#top}\n\n第一段，见[[some-slug]]与[[other#节]]。\n\n\
        ## 第二节\n\n[案例](../cases/a.md#x)、[附件](files/a.pdf)、[本页](#top)。\
        \n\n> [!NOTE]\n> 注意[[未闭合\n\n- [x] 事项<b>粗</b>\n";

    /// What a record keeps of a rendered body, compared field by field.
    fn fields(r: &Rendered) -> String {
        let mut anchors: Vec<&String> = r.anchors.iter().collect();
        anchors.sort();
        let links: Vec<String> = (r.links.iter())
            .map(|l| {
                format!(
                    "{:?} {} {}:{} {}",
                    l.target, l.written, l.line, l.column, l.wants_title
                )
            })
            .collect();
        let sections: Vec<(&str, &str, &str)> = (r.sections.iter())
            .map(|s| (s.anchor.as_str(), s.heading.as_str(), s.text.as_str()))
            .collect();
        format!(
            "{}|{}|{:?}|{anchors:?}|{links:?}|{sections:?}|{}|{:?}|{:?}",
            r.html, r.link_prefix, r.toc, r.first_paragraph, r.unclosed_wiki_links, r.measure
        )
    }

    #[test]
    fn a_record_reads_back_as_the_rendered_body_and_only_whole() {
        let rendered = render(BODY, "guides/a.md", &options(true));
        assert!(rendered.links.len() >= 5 && !rendered.unclosed_wiki_links.is_empty());
        // Kept with the body: its text's measure, title slots and all.
        assert!(rendered.measure.slots.len() >= 2, "{:?}", rendered.measure);
        let bytes = encode(&rendered);
        assert_eq!(fields(&decode(&bytes).unwrap()), fields(&rendered));
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }

    #[test]
    fn a_body_is_rendered_again_only_when_its_record_is_missing_or_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let html = |allow| options(allow);
        let pass = |allow: bool, bodies: &[(&str, &str)]| -> usize {
            let memo = Memo::open(dir.path(), key, allow).unwrap();
            let mut rendered_now = 0;
            let mut kept = Vec::new();
            for (rel, body) in bodies {
                let (rendered, k) = memo.rendered(rel, body, || {
                    rendered_now += 1;
                    render(body, rel, &html(allow))
                });
                assert_eq!(fields(&rendered), fields(&render(body, rel, &html(allow))));
                kept.push(k);
            }
            memo.save(kept.into_iter());
            rendered_now
        };
        let first = [("a.md", BODY), ("b.md", "正文乙。"), ("c.md", "正文丙。")];
        assert_eq!(pass(true, &first), 3);
        assert_eq!(pass(true, &first), 0);
        // One body edited, one file renamed: both rendered again (links resolve from the path).
        let second = [
            ("a.md", BODY),
            ("b.md", "正文乙，改过。"),
            ("d.md", "正文丙。"),
        ];
        assert_eq!(pass(true, &second), 2);
        assert_eq!(pass(true, &second), 0);
        assert_eq!(pass(false, &second), 3, "raw HTML not allowed");

        // A byte changed in the records: that body is rendered again.
        let bodies = dir.path().join("markdown").join(BODIES);
        let mut bytes = std::fs::read(&bodies).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        std::fs::write(&bodies, &bytes).unwrap();
        assert_eq!(pass(false, &second), 1);
        assert_eq!(pass(false, &second), 0);
        std::fs::write(dir.path().join("markdown").join(MANIFEST), "乱码").unwrap();
        assert_eq!(pass(false, &second), 3);
    }

    #[test]
    fn records_no_manifest_names_are_dropped_once_they_outgrow_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(dir.path()).unwrap();
        let size = || {
            std::fs::metadata(dir.path().join("markdown").join(BODIES))
                .unwrap()
                .len()
        };
        let build = |body: &str| {
            let memo = Memo::open(dir.path(), key, true).unwrap();
            let kept: Vec<Kept> = ["a.md", "b.md", "c.md", "d.md"]
                .iter()
                .map(|rel| {
                    let body = if *rel == "a.md" {
                        body
                    } else {
                        "不变的正文。"
                    };
                    memo.rendered(rel, body, || render(body, rel, &options(true)))
                        .1
                })
                .collect();
            memo.save(kept.into_iter());
        };
        build("第一版。");
        let whole = size();
        let mut sizes = Vec::new();
        for n in 0..12 {
            build(&format!("第{n}版，{}", "长".repeat(40)));
            sizes.push(size());
        }
        assert!(sizes.iter().all(|&s| s < whole * 6), "{whole} {sizes:?}");
        assert!(
            sizes.windows(2).any(|w| w[1] < w[0]),
            "compacted: {sizes:?}"
        );
    }
}
