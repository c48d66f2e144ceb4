//! The text store: where a build that only writes keeps the bodies' plain text between the
//! Markdown stage and the search index — in a work file, not in memory.
//!
//! Only the index reads that text, near the end of the build; held in memory beside the
//! rendered bodies it was 700 MB of a 100,000-page build's 2.5 GB peak. So each body's text
//! is appended to the store as soon as the body is rendered, and the index reads it back a
//! page at a time ([`TextFile::read`]). What the stages between need of it — how long it is to
//! read and how large to index, both once resolve knows the titles its slots show — is
//! measured before it goes ([`Measure`]). A preview keeps the store after the build and
//! appends the text of every page it takes in again ([`TextFile::put`]): its background
//! re-index reads the store as the build's index does.

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Slotted, TextSection, fill_titles, slot_title, slotted};

/// The store's file, written by the Markdown stage from every thread.
pub struct TextStore {
    writer: Mutex<Writer>,
    /// Dropped after the writer: the file goes with it unless [`TextStore::finish`] keeps it.
    file: TextFile,
}

struct Writer {
    file: BufWriter<File>,
    /// Bytes written so far: where the next record starts.
    end: u64,
    /// The first write that failed; the store is refused when it is finished.
    failed: Option<io::Error>,
}

/// A body's plain text once the build took it out of memory: where it is in the store
/// (`None` when nothing will read it: `check`, a site without search), what it measures, and,
/// once resolve has them, the titles its slots show.
#[derive(Debug)]
pub struct StoredText {
    place: Option<(u64, u64)>,
    measure: Measure,
    titles: Vec<Option<String>>,
}

/// What the stages after the Markdown stage need of a text they do not hold: its size with
/// the title slots left out, and the slots, which count as the titles they will show.
#[derive(Debug, Default, PartialEq)]
pub struct Measure {
    /// Characters other than whitespace in the section texts (headings not counted).
    pub(super) chars: usize,
    /// Bytes of the headings and texts.
    pub(super) bytes: usize,
    /// Each slot's link, and whether it is in a section's text (else in its heading).
    pub(super) slots: Vec<(Option<usize>, bool)>,
}

impl Measure {
    pub fn of(sections: &[TextSection]) -> Measure {
        let mut measure = Measure::default();
        for section in sections {
            for (text, in_text) in [(&section.heading, false), (&section.text, true)] {
                for piece in slotted(text) {
                    match piece {
                        Slotted::Text(t) => {
                            measure.bytes += t.len();
                            if in_text {
                                measure.chars += t.chars().filter(|c| !c.is_whitespace()).count();
                            }
                        }
                        Slotted::Slot(link) => measure.slots.push((link, in_text)),
                    }
                }
            }
        }
        measure
    }
}

impl StoredText {
    /// Text nothing will read: only its measure is kept.
    pub fn dropped(measure: Measure) -> StoredText {
        StoredText {
            place: None,
            measure,
            titles: Vec::new(),
        }
    }

    /// Takes the titles of the body's links (resolve's, by link number) for its slots.
    pub fn take_titles(&mut self, titles: &[Option<String>]) {
        if !self.measure.slots.is_empty() {
            self.titles = titles.to_vec();
        }
    }

    /// Characters other than whitespace in the section texts with their slots filled: the
    /// length a reader is shown.
    pub fn chars(&self) -> usize {
        let titles = self.measure.slots.iter().filter(|(_, in_text)| *in_text);
        self.measure.chars
            + titles
                .map(|&(link, _)| {
                    let title = slot_title(link, &self.titles);
                    title.chars().filter(|c| !c.is_whitespace()).count()
                })
                .sum::<usize>()
    }

    /// Bytes of the headings and texts with their slots filled.
    pub fn bytes(&self) -> usize {
        self.measure.bytes
            + self
                .measure
                .slots
                .iter()
                .map(|&(link, _)| slot_title(link, &self.titles).len())
                .sum::<usize>()
    }
}

impl TextStore {
    /// A new store in the file `path` (its folder is made; the file must not exist).
    pub fn create(path: PathBuf) -> io::Result<TextStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(TextStore {
            writer: Mutex::new(Writer {
                file: BufWriter::with_capacity(1 << 20, file),
                end: 0,
                failed: None,
            }),
            file: TextFile {
                path,
                file: None,
                end: AtomicU64::new(0),
            },
        })
    }

    /// Appends one body's text (its slots still unfilled), measured as `measure`, and frees it.
    pub fn put(&self, sections: Vec<TextSection>, measure: Measure) -> StoredText {
        let record = record(&sections, measure.bytes);
        drop(sections);
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let start = writer.end;
        if writer.failed.is_none()
            && let Err(e) = writer.file.write_all(&record)
        {
            writer.failed = Some(e);
        }
        writer.end += record.len() as u64;
        StoredText {
            place: Some((start, record.len() as u64)),
            measure,
            titles: Vec::new(),
        }
    }

    /// Ends the writing; the file is then read by [`TextFile::read`]. `Err` when any write
    /// failed.
    pub fn finish(self) -> io::Result<TextFile> {
        let TextStore { writer, mut file } = self;
        let writer = writer.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = writer.failed {
            return Err(e);
        }
        writer.file.into_inner().map_err(|e| e.into_error())?;
        file.file = Some(File::options().read(true).write(true).open(&file.path)?);
        file.end = AtomicU64::new(writer.end);
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// A body's text as one record: anchor, heading and text of each section, each a length
/// and its bytes (`bytes` of headings and texts in all).
fn record(sections: &[TextSection], bytes: usize) -> Vec<u8> {
    let mut record = Vec::with_capacity(bytes + sections.len() * 16);
    for section in sections {
        for field in [&section.anchor, &section.heading, &section.text] {
            record.extend_from_slice(&(field.len() as u64).to_le_bytes());
            record.extend_from_slice(field.as_bytes());
        }
    }
    record
}

/// The store's file once written, removed when this is dropped.
pub struct TextFile {
    path: PathBuf,
    /// Open for reading and appending (`None` while the store writes it).
    file: Option<File>,
    /// Where the next record [`TextFile::put`] appends starts.
    end: AtomicU64,
}

impl Drop for TextFile {
    fn drop(&mut self) {
        self.file = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

impl TextFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one more body's text (its slots still unfilled, measured as `measure`) after
    /// the store was finished, from any thread, while others read: a preview takes edited
    /// pages in again. Records already put are never overwritten, so a re-index reading the
    /// old text of a page still reads it whole.
    pub fn put(&self, sections: &[TextSection], measure: Measure) -> io::Result<StoredText> {
        let Some(file) = &self.file else {
            return Err(io::Error::other("the text store is still being written"));
        };
        let record = record(sections, measure.bytes);
        let start = self.end.fetch_add(record.len() as u64, Ordering::SeqCst);
        write_at(file, &self.path, &record, start)?;
        Ok(StoredText {
            place: Some((start, record.len() as u64)),
            measure,
            titles: Vec::new(),
        })
    }

    /// The sections of a body put in this store, their slots filled. A body whose text was
    /// dropped reads as none.
    pub fn read(&self, stored: &StoredText) -> io::Result<Vec<TextSection>> {
        let (Some((at, len)), Some(file)) = (stored.place, &self.file) else {
            return Ok(Vec::new());
        };
        let mut record = vec![0; usize::try_from(len).map_err(|_| damaged())?];
        read_at(file, &self.path, &mut record, at)?;
        let mut rest = record.as_slice();
        let mut sections = Vec::new();
        while !rest.is_empty() {
            let anchor = field(&mut rest)?;
            let heading = fill_titles(field(&mut rest)?, &stored.titles);
            let text = fill_titles(field(&mut rest)?, &stored.titles);
            sections.push(TextSection {
                anchor,
                heading,
                text,
            });
        }
        Ok(sections)
    }
}

/// The next length-prefixed string of a record.
fn field(rest: &mut &[u8]) -> io::Result<String> {
    let (len, tail) = rest.split_first_chunk::<8>().ok_or_else(damaged)?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| damaged())?;
    let (text, tail) = tail.split_at_checked(len).ok_or_else(damaged)?;
    *rest = tail;
    simdutf8::basic::from_utf8(text)
        .map(str::to_owned)
        .map_err(|_| damaged())
}

fn damaged() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the build's text store is truncated or damaged",
    )
}

/// Reads `buf.len()` bytes at `at` of `file` (the file at `path`), from any thread at once.
#[cfg(unix)]
fn read_at(file: &File, _: &Path, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    file.read_exact_at(buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, _: &Path, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt as _;
    while !buf.is_empty() {
        match file.seek_read(buf, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// Writes `bytes` at `at` of `file` (the file at `path`), from any thread at once.
#[cfg(unix)]
fn write_at(file: &File, _: &Path, bytes: &[u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    file.write_all_at(bytes, at)
}

#[cfg(windows)]
fn write_at(file: &File, _: &Path, mut bytes: &[u8], mut at: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt as _;
    while !bytes.is_empty() {
        match file.seek_write(bytes, at)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                bytes = &bytes[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn write_at(_: &File, path: &Path, bytes: &[u8], at: u64) -> io::Result<()> {
    use std::io::{Seek as _, SeekFrom};
    let mut file = File::options().write(true).open(path)?;
    file.seek(SeekFrom::Start(at))?;
    file.write_all(bytes)
}

/// Elsewhere a handle of its own per read, since a shared one has one position.
#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, path: &Path, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(anchor: &str, heading: &str, text: &str) -> TextSection {
        TextSection {
            anchor: anchor.into(),
            heading: heading.into(),
            text: text.into(),
        }
    }

    #[test]
    fn stored_text_reads_back_as_held_text_with_its_slots_filled() {
        // Slots in texts and headings, one whose link shows no title, one that is no
        // number and one never closed; titles with spaces (not counted as characters).
        let bodies = [
            vec![
                section("", "", "依据\u{1}0\u{2}和\u{1}1\u{2}办理。"),
                section("对照", "对照\u{1}2\u{2}", "代码 a b"),
            ],
            vec![section("x", "标题", "没有 slot")],
            vec![section("", "\u{1}x\u{2}", "末尾\u{1}0")],
            Vec::new(),
        ];
        let titles = [
            Some("新 文件".to_string()),
            None,
            Some("旧规则".to_string()),
        ];
        let dir = tempfile::tempdir().unwrap();
        let store = TextStore::create(dir.path().join("tmp/text-1-0")).unwrap();
        let mut stored: Vec<StoredText> = bodies
            .iter()
            .map(|b| store.put(b.clone(), Measure::of(b)))
            .collect();
        let file = store.finish().unwrap();
        for (body, stored) in bodies.iter().zip(&mut stored) {
            stored.take_titles(&titles);
            let held: Vec<TextSection> = body
                .iter()
                .map(|s| TextSection {
                    anchor: s.anchor.clone(),
                    heading: fill_titles(s.heading.clone(), &titles),
                    text: fill_titles(s.text.clone(), &titles),
                })
                .collect();
            let read = file.read(stored).unwrap();
            assert_eq!(format!("{read:?}"), format!("{held:?}"));
            let chars: usize = held
                .iter()
                .map(|s| s.text.chars().filter(|c| !c.is_whitespace()).count())
                .sum();
            let bytes: usize = held.iter().map(|s| s.heading.len() + s.text.len()).sum();
            assert_eq!((stored.chars(), stored.bytes()), (chars, bytes), "{held:?}");
            let mut dropped = StoredText::dropped(Measure::of(body));
            dropped.take_titles(&titles);
            assert_eq!((dropped.chars(), dropped.bytes()), (chars, bytes));
            assert!(file.read(&dropped).unwrap().is_empty());
        }
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists(), "the store goes with the build");
    }

    #[test]
    fn text_put_after_the_build_reads_back_and_leaves_earlier_text_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = TextStore::create(dir.path().join("text")).unwrap();
        let first = store.put(vec![section("", "", "原来的正文")], Measure::default());
        let file = std::sync::Arc::new(store.finish().unwrap());
        let edits: Vec<Vec<TextSection>> = (0..8)
            .map(|n| vec![section("a", "小节", &format!("第 {n} 次修改\u{1}0\u{2}"))])
            .collect();
        // Appended from several threads at once, as a preview's edits and re-index overlap.
        let mut stored: Vec<StoredText> = std::thread::scope(|scope| {
            let handles: Vec<_> = edits
                .iter()
                .map(|edit| scope.spawn(|| file.put(edit, Measure::of(edit)).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let read = |stored: &StoredText| format!("{:?}", file.read(stored).unwrap());
        assert_eq!(
            read(&first),
            format!("{:?}", [section("", "", "原来的正文")])
        );
        for (edit, stored) in edits.iter().zip(&mut stored) {
            stored.take_titles(&[Some("标题".to_string())]);
            let filled: Vec<TextSection> = edit
                .iter()
                .map(|s| {
                    section(
                        &s.anchor,
                        &s.heading,
                        &fill_titles(s.text.clone(), &[Some("标题".into())]),
                    )
                })
                .collect();
            assert_eq!(read(stored), format!("{filled:?}"));
        }
    }

    #[test]
    fn a_damaged_store_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = TextStore::create(dir.path().join("text")).unwrap();
        let stored = store.put(vec![section("a", "b", "正文")], Measure::default());
        let file = store.finish().unwrap();
        std::fs::write(file.path(), b"\xff\xff\xff").unwrap();
        assert!(file.read(&stored).is_err());
    }
}
