//! One page's keys for the static index: the analysis walked run by run and counted
//! ([`page_records`]), then written as records grouped by partition, ready for
//! [`super::postings::spill`] to append to the partition files.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{KEY_HASH_START, key_hash, key_hash_unit};
use crate::search::SearchSection;
use crate::search::tokenizer::{Analysis, CharClass, GRAM_PREFIX, MAX_WORD_CHARS, PAIR_MARK};
/// A heading occurrence counts as this many body occurrences.
const HEADING_TF: u32 = 3;

/// A multiply-rotate hasher taking eight bytes at a time: keys are a few bytes long and hashed
/// tens of millions of times, where this is several times faster than SipHash or byte-wise
/// FNV. Not seeded, so a merge is the same from run to run.
#[derive(Default)]
pub(super) struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(<[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// A static-index key borrowed from a page's analysed text.
#[derive(Clone, Copy, Hash, PartialEq, Eq)]
enum Key<'a> {
    Term(&'a str),
    Pair(&'a str, &'a str),
}

impl Key<'_> {
    /// Appends the key as the static index spells it.
    fn write_to(&self, out: &mut String) {
        match self {
            Key::Term(t) => out.push_str(t),
            // As `tokenizer::pair_key` spells it (`pair_key_is_spelled_as_the_tokenizer_does`),
            // without its allocation: a page has a pair wherever a word meets other text.
            Key::Pair(a, b) => {
                out.push_str(a);
                out.push(PAIR_MARK);
                out.push_str(b);
            }
        }
    }
}

/// One key's pages (ascending) with its count in each.
pub(super) type Postings = Vec<(u32, Count)>;

/// Occurrences of one key in one page, packed as `weighted tf << 1 | in title`, where the
/// weighted tf counts body occurrences once and heading occurrences [`HEADING_TF`] times.
pub(super) type Count = u32;

/// Hashes a packed key (a [`Short`], or a merge's key of up to 15 bytes as a `u128`): each 64
/// bits multiplied in turn, the high and low halves of the product folded, so that the bucket
/// bits depend on every byte (a plain exclusive or of a `u128`'s halves let a family of keys,
/// one byte against the length, fold to one hash).
#[derive(Default)]
pub(super) struct MixHasher(u64);

impl MixHasher {
    fn mix(x: u64) -> u64 {
        let product = u128::from(x) * 0x9e37_79b9_7f4a_7c15;
        (product as u64) ^ ((product >> 64) as u64)
    }
}

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = Self::mix(n ^ self.0);
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = Self::mix(Self::mix(n as u64 ^ self.0) ^ (n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A key of one or two characters packed into a number: the namespace (term or gram) in the
/// top bits, then the first character, then the second (0 when there is none; no token holds
/// U+0000). Han bigrams and characters, word bigrams and short words are nearly every key of a
/// Chinese page, and counting them this way costs a multiply instead of hashing and comparing
/// text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Short(u64);

const SHORT_TERM: u64 = 1 << 62;
const SHORT_GRAM: u64 = 2 << 62;

impl Short {
    fn new(namespace: u64, text: &str) -> Option<Short> {
        let mut chars = text.chars();
        let first = chars.next()?;
        let second = chars.next();
        chars
            .next()
            .is_none()
            .then_some(Short::of(namespace, first, second))
    }

    /// The key of one character, or of two.
    fn of(namespace: u64, first: char, second: Option<char>) -> Short {
        Short(namespace | u64::from(first) << 21 | second.map_or(0, u64::from))
    }

    /// [`key_hash`] of the key as spelled, from its characters' code units without spelling it.
    fn hash(self) -> u32 {
        let mut h = KEY_HASH_START;
        if self.0 & SHORT_GRAM != 0 {
            h = key_hash_unit(h, GRAM_PREFIX as u16);
        }
        for shift in [21, 0] {
            let c = ((self.0 >> shift) & 0x1f_ffff) as u32;
            h = match c {
                0 => h,
                1..0x1_0000 => key_hash_unit(h, c as u16),
                _ => {
                    let v = c - 0x1_0000;
                    let high = key_hash_unit(h, 0xd800 | (v >> 10) as u16);
                    key_hash_unit(high, 0xdc00 | (v & 0x3ff) as u16)
                }
            };
        }
        h
    }

    /// Appends the key as the static index spells it (as [`Key::write_to`] would), in UTF-8.
    fn write_to(self, out: &mut Vec<u8>) {
        // Spelled into room for the longest key, which is appended whole and cut back: a copy
        // of a fixed size is two moves, one of the key's own length a call to `memcpy` (a
        // page has thousands of keys).
        let mut spelled = [0u8; 12];
        let mut len = 0;
        if self.0 & SHORT_GRAM != 0 {
            len += GRAM_PREFIX.encode_utf8(&mut spelled).len();
        }
        for shift in [21, 0] {
            if let Some(c) = char::from_u32(((self.0 >> shift) & 0x1f_ffff) as u32)
                && c != '\0'
            {
                len += c.encode_utf8(&mut spelled[len..]).len();
            }
        }
        let at = out.len();
        out.extend_from_slice(&spelled);
        out.truncate(at + len);
    }
}

/// One page's key counts, short keys apart from the rest.
struct Counts<'a> {
    short: HashMap<Short, Count, BuildHasherDefault<MixHasher>>,
    long: KeyMap<Key<'a>, Count>,
}

impl<'a> Counts<'a> {
    /// Adds `add` to the packed count of `key` and ors `flag` into it.
    fn bump(&mut self, key: Key<'a>, add: Count, flag: Count) {
        let short = match key {
            Key::Term(t) => Short::new(SHORT_TERM, t),
            Key::Pair(..) => None,
        };
        let c = match short {
            Some(short) => self.short.entry(short).or_default(),
            None => self.long.entry(key).or_default(),
        };
        *c = (*c + add) | flag;
    }

    /// [`Counts::bump`] for a key already packed.
    fn bump_short(&mut self, key: Short, add: Count, flag: Count) {
        let c = self.short.entry(key).or_default();
        *c = (*c + add) | flag;
    }
}

/// Adds every key of `a` to `counts` (`add` to the packed count, `flag` or-ed in); returns the
/// number of terms tokens.
///
/// The keys are those of the tokenizer's spans (`Analysis::term_spans`, `gram_spans` and
/// `forms_pair`, which the query side reads), walked here run by run on the characters
/// themselves: one- and two-character keys are packed straight from them, with no list of spans
/// and no text decoded again per key. `tests::counting_by_runs_gives_the_keys_of_the_spans`
/// holds the two to the same keys.
fn count_keys<'a>(counts: &mut Counts<'a>, a: &'a Analysis, add: Count, flag: Count) -> usize {
    let chars: Vec<char> = a.chars().collect();
    let mut terms = 0;
    // The last terms key of the run before, and whether that run is a word.
    let mut previous: Option<(Key<'a>, bool)> = None;
    for (r, run) in a.runs.iter().enumerate() {
        let run_chars = &chars[run.start..run.end];
        let is_word = run.class == CharClass::Word;
        let (first, last) = match run.class {
            CharClass::Han if run_chars.len() == 1 => {
                let key = Key::Term(a.text(run.start, run.end));
                counts.bump_short(Short::of(SHORT_TERM, run_chars[0], None), add, flag);
                terms += 1;
                (key, key)
            }
            CharClass::Han => {
                for pair in run_chars.windows(2) {
                    counts.bump_short(Short::of(SHORT_TERM, pair[0], Some(pair[1])), add, flag);
                }
                terms += run_chars.len() - 1;
                (
                    Key::Term(a.text(run.start, run.start + 2)),
                    Key::Term(a.text(run.end - 2, run.end)),
                )
            }
            _ => {
                let key = Key::Term(a.text(run.start, run.end.min(run.start + MAX_WORD_CHARS)));
                counts.bump(key, add, flag);
                terms += 1;
                (key, key)
            }
        };
        if let Some((before, before_is_word)) = previous
            && (before_is_word || is_word)
            && let (Key::Term(x), Key::Term(y)) = (before, first)
        {
            counts.bump(Key::Pair(x, y), add, flag);
        }
        previous = Some((last, is_word));
        for &c in run_chars {
            counts.bump_short(Short::of(SHORT_GRAM, c, None), add, flag);
        }
        if is_word {
            for pair in run_chars.windows(2) {
                counts.bump_short(Short::of(SHORT_GRAM, pair[0], Some(pair[1])), add, flag);
            }
        }
        // Where this run touches the one before (a Han run against a word), the two characters
        // at the seam are a gram too.
        if r > 0 && a.runs[r - 1].end == run.start {
            counts.bump_short(
                Short::of(SHORT_GRAM, chars[run.start - 1], Some(run_chars[0])),
                add,
                flag,
            );
        }
    }
    terms
}

/// The bigrams a title makes across the spaces or punctuation between two Han runs:
/// `劳动合同法 第四十七条` is typed `劳动合同法第四十七条`, whose `法第` the title would
/// otherwise lack. With these, such a title holds every bigram of its text typed without the
/// separator, so a reader who types a page's name finds that page first.
fn title_joins(title: &Analysis) -> Vec<String> {
    title
        .runs
        .windows(2)
        .filter(|w| w[0].class == CharClass::Han && w[1].class == CharClass::Han)
        .map(|w| {
            let mut pair = title.text(w[0].end - 1, w[0].end).to_string();
            pair.push_str(title.text(w[1].start, w[1].start + 1));
            pair
        })
        .collect()
}

/// One page's keys, ready to append: `records` holds `(key length, key, count)`
/// entries grouped by partition, `parts` the byte range of each partition's group.
pub(super) struct PageRecords {
    /// Terms in headings and text: the page's length for BM25.
    pub(super) len: u32,
    pub(super) records: Vec<u8>,
    pub(super) parts: Vec<(u32, std::ops::Range<usize>)>,
}

/// Counts every key of a page in one pass over its title, headings and text (`sections`).
pub(super) fn page_records(
    title: &str,
    sections: &[SearchSection],
    partitions: u32,
) -> PageRecords {
    let title = Analysis::new(title);
    let joins = title_joins(&title);
    let sections: Vec<(Analysis, Analysis)> = sections
        .iter()
        .map(|s| (Analysis::new(&s.heading), Analysis::new(&s.text)))
        .collect();
    // Sized once rather than grown: about as many distinct short keys as characters, and a
    // long key (a word or a pair) for every sixteen or so (one in seventeen, the median of
    // 2,000 generated pages).
    let chars: usize = sections.iter().map(|(h, t)| h.len() + t.len()).sum();
    let mut counts = Counts {
        short: HashMap::with_capacity_and_hasher(chars + title.len(), Default::default()),
        long: KeyMap::with_capacity_and_hasher(chars / 16, Default::default()),
    };
    count_keys(&mut counts, &title, 0, 1);
    for pair in &joins {
        counts.bump(Key::Term(pair), 0, 1);
    }
    let mut len = 0;
    for (heading, text) in &sections {
        len += count_keys(&mut counts, heading, HEADING_TF << 1, 0);
        len += count_keys(&mut counts, text, 1 << 1, 0);
    }
    let (records, parts) = records_by_partition(counts, partitions);
    PageRecords {
        len: len as u32,
        records,
        parts,
    }
}

thread_local! {
    /// [`records_by_partition`]'s buffer for each partition, kept from one page to the next.
    static PARTITION_BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers larger than this in all are given back once their page is written: a page that
/// long is rare, and each thread would keep its buffers to the end of the build (or of a
/// preview).
const KEPT_BUFFER_BYTES: usize = 1 << 20;

/// `counts` as records (`key length, key, count`) grouped by partition, and the byte range of
/// each partition's group. Each record is spelled straight into its partition's buffer: spelling
/// every key into one string, then sorting entries that point into it by partition, cost a
/// division and two copies a key.
fn records_by_partition(
    counts: Counts,
    partitions: u32,
) -> (Vec<u8>, Vec<(u32, std::ops::Range<usize>)>) {
    // The partition count is a power of two in a build (`super::partition_count`): a mask
    // instead of a division.
    let part_of = |hash: u32| {
        if partitions.is_power_of_two() {
            hash & (partitions - 1)
        } else {
            hash % partitions
        }
    };
    PARTITION_BUFFERS.with_borrow_mut(|buffers| {
        buffers.resize_with(partitions as usize, Vec::new);
        // Emptied here rather than once copied, so that a page stopped half-way on this
        // thread leaves nothing for the next.
        buffers.iter_mut().for_each(Vec::clear);
        for (key, count) in counts.short {
            let buffer = &mut buffers[part_of(key.hash()) as usize];
            // A short key takes at most nine bytes: its length is one varint byte.
            let at = buffer.len();
            buffer.push(0);
            key.write_to(buffer);
            buffer[at] = (buffer.len() - at - 1) as u8;
            put_uvarint(buffer, u64::from(count));
        }
        let mut spelled = String::new();
        for (key, count) in counts.long {
            spelled.clear();
            key.write_to(&mut spelled);
            let buffer = &mut buffers[part_of(key_hash(&spelled)) as usize];
            put_uvarint(buffer, spelled.len() as u64);
            buffer.extend_from_slice(spelled.as_bytes());
            put_uvarint(buffer, u64::from(count));
        }
        let mut records = Vec::with_capacity(buffers.iter().map(Vec::len).sum());
        let mut parts = Vec::new();
        for (part, buffer) in (0..).zip(buffers.iter()) {
            if !buffer.is_empty() {
                let from = records.len();
                records.extend_from_slice(buffer);
                parts.push((part, from..records.len()));
            }
        }
        if buffers.iter().map(Vec::capacity).sum::<usize>() > KEPT_BUFFER_BYTES {
            buffers.clear();
        }
        (records, parts)
    })
}

/// Appends `v` as a LEB128 varint (the work files' number format).
pub(super) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of `counts`, spelled as the index spells it, with its packed count.
    fn spelled(counts: Counts) -> HashMap<String, Count> {
        let mut out = HashMap::new();
        for (key, count) in counts.short {
            let mut text = Vec::new();
            key.write_to(&mut text);
            out.insert(String::from_utf8(text).expect("keys are text"), count);
        }
        for (key, count) in counts.long {
            let mut text = String::new();
            key.write_to(&mut text);
            out.insert(text, count);
        }
        out
    }

    fn empty<'a>() -> Counts<'a> {
        Counts {
            short: HashMap::default(),
            long: KeyMap::default(),
        }
    }

    #[test]
    fn each_record_lies_in_its_keys_partition() {
        let a = Analysis::new("依据GB50016-2014规范 the fire code，电动车停放充电 𠀀车");
        for partitions in [1, 3, 4, 7, 8] {
            let mut counts = empty();
            count_keys(&mut counts, &a, 2, 1);
            let keys = counts.short.len() + counts.long.len();
            let (records, parts) = records_by_partition(counts, partitions);
            let mut seen = 0;
            for (part, range) in &parts {
                let mut at = range.start;
                while at < range.end {
                    let len = usize::from(records[at]);
                    let key = std::str::from_utf8(&records[at + 1..at + 1 + len]).unwrap();
                    assert_eq!(key_hash(key) % partitions, *part, "{key} of {partitions}");
                    // The count: one varint byte at these counts.
                    at += 1 + len + 1;
                    seen += 1;
                }
            }
            assert!(parts.windows(2).all(|w| w[0].0 < w[1].0));
            assert_eq!(seen, keys);
        }
    }

    #[test]
    fn pair_key_is_spelled_as_the_tokenizer_does() {
        // A query looks a pair up by `pair_key`'s spelling; the index writes its own.
        for (a, b) in [
            ("居民", "委员会"),
            ("GB50016", "2014"),
            ("𠀀", "车"),
            ("", "x"),
        ] {
            let mut written = String::new();
            Key::Pair(a, b).write_to(&mut written);
            assert_eq!(written, crate::search::tokenizer::pair_key(a, b));
        }
    }

    #[test]
    fn a_short_key_hashes_as_its_spelling() {
        // Its partition, and so the shard the browser reads it from, comes from this hash.
        // Astral characters take two UTF-16 units.
        for text in ["电", "电动", "a", "ab", "𠀀", "𠀀车", "车𠀀", "第1"] {
            for (namespace, spelled) in [
                (SHORT_TERM, text.to_string()),
                (SHORT_GRAM, format!("{GRAM_PREFIX}{text}")),
            ] {
                let short = Short::new(namespace, text).expect("one or two characters");
                let mut written = Vec::new();
                short.write_to(&mut written);
                assert_eq!(written, spelled.as_bytes());
                assert_eq!(short.hash(), key_hash(&spelled), "{spelled:?}");
            }
        }
    }

    #[test]
    fn counting_by_runs_gives_the_keys_of_the_spans() {
        let long_word = "x".repeat(MAX_WORD_CHARS + 5);
        let texts = [
            "",
            "。，！",
            "电",
            "电动车",
            "电动车停放 充电",
            "第1条第2款",
            "〔2021〕16号文件",
            "依据GB50016-2014规范 the fire code",
            "𠀀𠀁字 a𠀀b",
            "居民 居民委员会 居民",
            "電動車與機動車",
            "Ａｂｃ１２３",
            long_word.as_str(),
            "2021年 第三季度 Q3 报告",
        ];
        for text in texts {
            let a = Analysis::new(text);
            let mut by_runs = empty();
            let terms = count_keys(&mut by_runs, &a, 2, 1);
            // The keys as the tokenizer's spans give them.
            let mut by_spans = empty();
            let spans = a.term_spans();
            for s in &spans {
                by_spans.bump(Key::Term(a.span_text(s)), 2, 1);
            }
            for w in spans.windows(2).filter(|w| a.forms_pair(&w[0], &w[1])) {
                by_spans.bump(Key::Pair(a.span_text(&w[0]), a.span_text(&w[1])), 2, 1);
            }
            for g in a.gram_spans() {
                let gram = Short::new(SHORT_GRAM, a.span_text(&g))
                    .expect("grams are one or two characters");
                by_spans.bump_short(gram, 2, 1);
            }
            assert_eq!(terms, spans.len(), "{text}");
            assert_eq!(spelled(by_runs), spelled(by_spans), "{text}");
        }
    }
}
