//! How a fragment file spells its JSON (index format 6): a string of code units that a
//! UTF-16 file holds in two bytes each, decoded by `search-core.js` (`unpackFragment`) and
//! [`unpack`]; `tests/vectors/fragment_code.json` pins both sides to the same output.
//!
//! Fragments are the page text a shown result loads, most of the static index. Written as
//! UTF-8 JSON a Chinese character took three bytes; `file://` allows no fetch and so no
//! gzip, and a script's text is all a page can read. A script file that starts with a
//! UTF-16 byte-order mark is read as UTF-16 whatever a server's charset says (WHATWG
//! Encoding, BOM sniffing; checked from `file://` and over HTTP in Chromium and Firefox), so
//! a file can carry 15 free bits in every two bytes. The JSON's code units become a bit
//! stream, and every 15 bits one code unit `U+3000 + bits` (no surrogate, quote, backslash
//! or line break falls in that range). Per code unit `u` of the JSON, in order:
//!
//! - if `u` is among the [`RECENT`] units seen last, at place `i` (0 = the last one seen):
//!   `i + 1` in the exponential-Golomb code of order [`GOLOMB_ORDER`];
//! - else `0` in that code, then `u` itself: `0` and its seven bits when it is ASCII, `10`
//!   and its place in [`gbk_table`] in twelve bits when it is there, else `11` and its
//!   sixteen bits;
//!
//! and `u` moves to the front of the recent units (move-to-front, which is what makes a
//! page's own frequent characters and JSON's punctuation a few bits each). Zero bits pad the
//! last unit; the stream ends where no one bit is left.
//!
//! At 10,000 generated pages this made the fragment files 0.59–0.60 of their UTF-8 size,
//! against 0.81 for the same JSON as UTF-16 (`bench/run.py` measures the index).

use std::sync::OnceLock;

/// The distinct code units the move-to-front list keeps. A unit is found at place 60 on
/// average; a longer list gained nothing measurable on generated pages, 128 lost 2 % and 64
/// lost 7 %. Bounded, it keeps coding linear in the text (see `Recency`).
pub const RECENT: usize = 256;
/// The order of the exponential-Golomb code of recent places.
pub const GOLOMB_ORDER: u32 = 4;
/// The code unit that stands for fifteen zero bits.
pub const UNIT_BASE: u16 = 0x3000;
const UNIT_BITS: u32 = 15;
/// Deeper than this many leading zeros no place can be: a damaged file.
const MAX_ZEROS: u32 = 20;

/// The characters a literal names in twelve bits: GB2312's first-level characters and its
/// punctuation and full-width rows, as the WHATWG GBK decoder reads lead bytes `A1`, `A3`
/// and `B0`–`D7` with trail bytes `A1`–`FE` (but for `D7FA`–`D7FE`, which GB2312 leaves
/// empty), in that order. A browser makes the same table with `TextDecoder("gbk")`, so no
/// file carries it.
pub fn gbk_table() -> &'static [u16] {
    &tables().chars
}

struct Tables {
    chars: Vec<u16>,
    /// Code unit → place in `chars` + 1, 0 when absent.
    places: Vec<u16>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut bytes = Vec::new();
        for lead in std::iter::once(0xA1).chain([0xA3]).chain(0xB0..=0xD7u8) {
            for trail in 0xA1..=0xFEu8 {
                if !(lead == 0xD7 && trail >= 0xFA) {
                    bytes.extend([lead, trail]);
                }
            }
        }
        let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
        let chars: Vec<u16> = text.encode_utf16().collect();
        assert!(
            !had_errors && chars.len() == bytes.len() / 2,
            "every pair of the table's rows decodes to one character"
        );
        let mut places = vec![0u16; 1 << 16];
        for (i, &c) in chars.iter().enumerate() {
            places[usize::from(c)] = i as u16 + 1;
        }
        Tables { chars, places }
    })
}

/// The recent code units, most recent first: the list [`unpack`] keeps.
struct Recent {
    units: [u16; RECENT],
    len: usize,
}

impl Recent {
    fn new() -> Recent {
        Recent {
            units: [0; RECENT],
            len: 0,
        }
    }

    /// Moves the unit at `place` (or a new one, at `len`) to the front.
    fn move_to_front(&mut self, place: usize, unit: u16) {
        let end = place.min(RECENT - 1);
        self.units.copy_within(0..end, 1);
        self.units[0] = unit;
        if place == self.len && self.len < RECENT {
            self.len += 1;
        }
    }
}

struct BitWriter {
    out: String,
    bits: u64,
    count: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, width: u32) {
        self.bits = (self.bits << width) | u64::from(value);
        self.count += width;
        while self.count >= UNIT_BITS {
            self.count -= UNIT_BITS;
            let group = (self.bits >> self.count) as u16 & 0x7FFF;
            self.out.push(unit_char(group));
        }
        self.bits &= (1 << self.count) - 1;
    }

    /// `value` in the exponential-Golomb code, then `width` bits of `then`, in one write.
    fn golomb(&mut self, value: u32, then: u32, width: u32) {
        let w = value + (1 << GOLOMB_ORDER);
        let bits = 32 - w.leading_zeros();
        // The code's leading zeros are the high bits of a wider write of `w`.
        self.put((w << width) | then, 2 * bits - GOLOMB_ORDER - 1 + width);
    }
}

fn unit_char(group: u16) -> char {
    char::from_u32(u32::from(UNIT_BASE + group)).expect("U+3000–U+AFFF are characters")
}

/// `json` as a fragment file spells it.
pub fn pack(json: &str) -> String {
    packed_with_padding(json).0
}

/// [`pack`], and how many zero bits pad its last unit.
fn packed_with_padding(json: &str) -> (String, u32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: `code_with_popcnt` needs the POPCNT instruction and nothing else, and this
        // processor has just been found to have it.
        return unsafe { code_with_popcnt(json) };
    }
    code(json)
}

/// [`code`], its bit counts ([`Recency::latest_between`]) done by the processor's POPCNT
/// instruction. A build for any x86-64 must also run on processors without it (some of the
/// old office PCs that editors build their sites on), where Rust counts bits in a dozen
/// instructions instead: a build's fragments spent 1.5 % of its instructions on that.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn code_with_popcnt(json: &str) -> (String, u32) {
    code(json)
}

/// [`packed_with_padding`]'s work, inlined into each caller so that it is compiled with the
/// caller's instructions.
#[inline(always)]
fn code(json: &str) -> (String, u32) {
    let places = &tables().places;
    let mut out = BitWriter {
        out: String::with_capacity(json.len()),
        bits: 0,
        count: 0,
    };
    // Taken out rather than borrowed in a closure, which would be compiled on its own,
    // without the caller's instructions.
    let mut last_seen = LAST_SEEN.take();
    let mut recency = Recency::new(json.len(), &mut last_seen);
    for unit in json.encode_utf16() {
        match recency.see(unit) {
            Some(i) => out.golomb(i as u32 + 1, 0, 0),
            None => {
                let place = places[usize::from(unit)];
                if unit < 0x80 {
                    out.golomb(0, u32::from(unit), 8);
                } else if place > 0 {
                    out.golomb(0, (0b10 << 12) | u32::from(place - 1), 14);
                } else {
                    out.golomb(0, (0b11 << 16) | u32::from(unit), 18);
                }
            }
        }
    }
    // Dropping the recency clears what it set in the table.
    drop(recency);
    LAST_SEEN.set(last_seen);
    let pad = (UNIT_BITS - out.count) % UNIT_BITS;
    out.put(0, pad);
    (out.out, pad)
}

thread_local! {
    /// [`Recency::last_seen`], kept from one text to the next: a table of every code unit,
    /// cleared after each text where it was set rather than made anew.
    static LAST_SEEN: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The coder's view of the move-to-front list, which [`unpack`] keeps as a list: a unit's place
/// is the number of distinct units seen since it was last seen, and it is in the list when
/// that is under [`RECENT`]. Counted as the bits set between its last time and now in a bit
/// set of the times that are still some unit's latest: a few population counts, where
/// scanning and shifting the list was most of a build's coding time.
///
/// Every unit seen again leaves a cleared bit behind, and a count may have to cross many of
/// them (a title of a few characters, a long run of others, the title again). So times are
/// renumbered, the latest ones kept in order and nothing else, once the window of times is
/// used up or a count crosses [`MAX_SCAN_WORDS`] words; the window doubles while more than half
/// of it is still latest. A count then reads at most that many words, and a renumbering comes
/// only after thousands of new times (half a window, or the cleared bits a long count crossed,
/// each one a unit seen again since the last renumbering) and costs at most the window's words
/// and one step per unit kept: coding stays linear in the text.
struct Recency<'a> {
    /// Code unit → its last time + 1, 0 for a unit not seen in this text.
    last_seen: &'a mut Vec<u32>,
    /// Bit `t`: the unit seen at time `t` has not been seen since.
    latest: Vec<u64>,
    /// Time → the unit seen then; its length is the window of times.
    unit_at: Vec<u16>,
    /// The units seen, to clear `last_seen` after.
    seen: Vec<u16>,
    now: usize,
}

/// The first window of times: a fragment's text fits, and is never renumbered.
const FIRST_WINDOW: usize = 1 << 13;
/// The most words of the bit set one count reads before the times are renumbered.
const MAX_SCAN_WORDS: usize = 64;

impl<'a> Recency<'a> {
    /// For a text of at most `bytes` bytes of UTF-8, so at most as many UTF-16 units.
    fn new(bytes: usize, last_seen: &'a mut Vec<u32>) -> Recency<'a> {
        last_seen.resize(1 << 16, 0);
        let window = bytes.clamp(64, FIRST_WINDOW).next_multiple_of(64);
        Recency {
            last_seen,
            latest: vec![0; window / 64],
            unit_at: vec![0; window],
            seen: Vec::new(),
            now: 0,
        }
    }

    /// `unit`'s place in the list before it is seen now (`None`: not in it).
    #[inline(always)]
    fn see(&mut self, unit: u16) -> Option<usize> {
        if self.now == self.unit_at.len() {
            self.renumber();
        }
        let place = match (self.last_seen[usize::from(unit)] as usize).checked_sub(1) {
            None => {
                self.seen.push(unit);
                None
            }
            Some(mut then) => {
                let count = match self.latest_between(then + 1, MAX_SCAN_WORDS) {
                    Some(count) => count,
                    None => {
                        self.renumber();
                        then = self.last_seen[usize::from(unit)] as usize - 1;
                        // Every time before now is some unit's latest: a few words at most.
                        (self.latest_between(then + 1, usize::MAX)).unwrap_or(RECENT)
                    }
                };
                self.latest[then / 64] &= !(1 << (then % 64));
                (count < RECENT).then_some(count)
            }
        };
        let now = self.now;
        self.latest[now / 64] |= 1 << (now % 64);
        self.unit_at[now] = unit;
        self.last_seen[usize::from(unit)] = now as u32 + 1;
        self.now += 1;
        place
    }

    /// The bits set from time `from` to now, counted until [`RECENT`] is reached; `None` when
    /// that takes more than `max_words` words.
    #[inline(always)]
    fn latest_between(&self, from: usize, max_words: usize) -> Option<usize> {
        let (first, last) = (from / 64, self.now / 64);
        let mut word = self.latest[first] & (u64::MAX << (from % 64));
        let mut count = 0;
        for w in first..last {
            count += word.count_ones() as usize;
            if count >= RECENT {
                return Some(count);
            }
            if w - first == max_words {
                return None;
            }
            word = self.latest[w + 1];
        }
        Some(count + (word & ((1 << (self.now % 64)) - 1)).count_ones() as usize)
    }

    /// Numbers the latest times `0, 1, …` in their order, and doubles the window when more
    /// than half of it is taken.
    fn renumber(&mut self) {
        let mut kept = 0;
        for w in 0..self.latest.len() {
            let mut word = std::mem::take(&mut self.latest[w]);
            while word != 0 {
                let unit = self.unit_at[w * 64 + word.trailing_zeros() as usize];
                // `kept` is never past the time read: an overwrite of what was read already.
                self.unit_at[kept] = unit;
                self.last_seen[usize::from(unit)] = kept as u32 + 1;
                kept += 1;
                word &= word - 1;
            }
        }
        if 2 * kept > self.unit_at.len() {
            self.unit_at.resize(2 * self.unit_at.len(), 0);
            self.latest.resize(self.unit_at.len() / 64, 0);
        }
        self.latest[..kept / 64].fill(u64::MAX);
        if kept % 64 != 0 {
            self.latest[kept / 64] = (1 << (kept % 64)) - 1;
        }
        self.now = kept;
    }
}

impl Drop for Recency<'_> {
    fn drop(&mut self) {
        for &unit in &self.seen {
            self.last_seen[usize::from(unit)] = 0;
        }
    }
}

/// FNV-1a over [`gbk_table`]'s units: `search-core.js` compares its own table's with this,
/// which it carries as `GBK_TABLE_HASH`, and refuses to decode with a table a browser reads
/// otherwise (it would show wrong characters without a word).
pub fn gbk_table_hash() -> u32 {
    gbk_table()
        .iter()
        .fold(super::export::KEY_HASH_START, |h, &u| {
            super::export::key_hash_unit(h, u)
        })
}

/// What [`unpack`] could not read.
#[derive(Debug, PartialEq, Eq)]
pub struct Damaged;

struct BitReader<'a> {
    units: std::str::Chars<'a>,
    bits: u64,
    count: u32,
}

impl BitReader<'_> {
    /// The next `width` bits (at most 32), `None` past the end.
    fn take(&mut self, width: u32) -> Result<Option<u32>, Damaged> {
        while self.count < width {
            let Some(c) = self.units.next() else {
                return Ok(None);
            };
            let group = u32::from(c)
                .checked_sub(u32::from(UNIT_BASE))
                .filter(|&g| g < 1 << UNIT_BITS)
                .ok_or(Damaged)?;
            self.bits = (self.bits << UNIT_BITS) | u64::from(group);
            self.count += UNIT_BITS;
        }
        self.count -= width;
        let value = (self.bits >> self.count) as u32 & ((1u64 << width) - 1) as u32;
        self.bits &= (1 << self.count) - 1;
        Ok(Some(value))
    }

    /// The next exponential-Golomb number, `None` where only padding is left.
    fn golomb(&mut self) -> Result<Option<u32>, Damaged> {
        let mut zeros = 0;
        loop {
            match self.take(1)? {
                None => return Ok(None),
                Some(1) => break,
                Some(_) if zeros == MAX_ZEROS => return Err(Damaged),
                Some(_) => zeros += 1,
            }
        }
        let width = zeros + GOLOMB_ORDER;
        let rest = self.take(width)?.ok_or(Damaged)?;
        Ok(Some(((1 << width) | rest) - (1 << GOLOMB_ORDER)))
    }
}

/// The JSON a fragment file's string spells ([`pack`] undone).
pub fn unpack(packed: &str) -> Result<String, Damaged> {
    let chars = gbk_table();
    let mut input = BitReader {
        units: packed.chars(),
        bits: 0,
        count: 0,
    };
    let mut recent = Recent::new();
    let mut units = Vec::with_capacity(packed.len());
    while let Some(code) = input.golomb()? {
        let unit = if code == 0 {
            let unit = match input.take(1)?.ok_or(Damaged)? {
                0 => input.take(7)?.ok_or(Damaged)? as u16,
                _ => match input.take(1)?.ok_or(Damaged)? {
                    0 => {
                        let place = input.take(12)?.ok_or(Damaged)? as usize;
                        *chars.get(place).ok_or(Damaged)?
                    }
                    _ => input.take(16)?.ok_or(Damaged)? as u16,
                },
            };
            recent.move_to_front(recent.len, unit);
            unit
        } else {
            let place = code as usize - 1;
            if place >= recent.len {
                return Err(Damaged);
            }
            let unit = recent.units[place];
            recent.move_to_front(place, unit);
            unit
        };
        units.push(unit);
    }
    String::from_utf16(&units).map_err(|_| Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_gb2312s_punctuation_full_width_and_first_level_rows() {
        let table = gbk_table();
        assert_eq!(table.len(), 94 * 2 + 94 * 40 - 5);
        let at = |i: usize| char::from_u32(u32::from(table[i])).unwrap();
        assert_eq!(at(0), '\u{3000}');
        assert_eq!(at(2), '。');
        assert_eq!(at(94 + 11), '，');
        assert_eq!(at(188), '啊');
        assert_eq!(at(table.len() - 1), '座');
    }

    #[test]
    fn text_of_every_kind_comes_back_as_it_was() {
        let texts = [
            "",
            "{\"t\":\"物业公司中标以后\",\"s\":[[\"第一条\",\"第一条 总则\",\"为了规范……\\n第二条\"]]}",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "𠀀𠀁 emoji 😀 and 〔2021〕16号，ｘ＠＃\u{3000}\u{e000}\u{ffff}",
        ];
        for text in texts {
            let packed = pack(text);
            assert!(
                packed
                    .chars()
                    .all(|c| ('\u{3000}'..='\u{afff}').contains(&c))
            );
            assert_eq!(unpack(&packed).as_deref(), Ok(text), "{text}");
        }
        for text in texts_that_move_the_list() {
            assert_eq!(unpack(&pack(&text)).as_deref(), Ok(text.as_str()));
        }
    }

    /// Texts that move the recent list in every way the coder counts places.
    fn texts_that_move_the_list() -> [String; 3] {
        // More distinct units than the recent list holds, each seen again after it left.
        let many: String = (0..600u32)
            .chain(0..600)
            .map(|i| char::from_u32(0x4E00 + i).unwrap())
            .collect();
        // The coder counts places, the decoder keeps the list: units coming back at places
        // on both sides of the list's end, after gaps spanning many words of the coder's bits.
        let mut random = crate::search::seeded(7);
        let near_the_end: String = (0..20_000)
            .map(|_| {
                let unit = if random(4) == 0 {
                    random(40)
                } else {
                    random(RECENT as u64 + 60)
                };
                char::from_u32(0x4E00 + unit as u32).unwrap()
            })
            .collect();
        // Times renumbered: a few units, a long run of others, the few again (a count crossing
        // many cleared bits), more distinct units than the first window holds (the window
        // doubled), and text long enough to use windows up.
        let han = |i: u32| char::from_u32(0x4E00 + i).unwrap();
        let few: String = (0..100).map(han).collect();
        let mut renumbered = few.clone() + &"的".repeat(20_000) + &few;
        renumbered += &(0..20_000).map(|i| han(i % 19_000)).collect::<String>();
        renumbered += &few.repeat(3);
        renumbered += &"地得".repeat(9_000);
        renumbered += &(0..300).rev().map(han).collect::<String>();
        [many, near_the_end, renumbered]
    }

    /// Where the processor has POPCNT, `pack` codes with it; `code` is what every other
    /// processor runs. Both must spell every text the same.
    #[test]
    fn the_coder_spells_the_same_with_and_without_popcnt() {
        let json = "{\"t\":\"物业公司中标以后\",\"s\":[[\"a\",\"第一条\",\"为了规范\"]]}";
        for text in texts_that_move_the_list()
            .iter()
            .map(String::as_str)
            .chain([json])
        {
            assert_eq!(packed_with_padding(text), code(text));
        }
    }

    /// The shared vectors `tests/vectors/fragment_code.json`: texts and what they pack to,
    /// which `tests/node/core_vectors.js` unpacks with `search-core.js` (and the browser
    /// suite's searches read in both engines). `SHUYUAN_UPDATE_VECTORS=1` rewrites the file.
    #[test]
    fn fragment_code_vectors() {
        let mut random = crate::search::seeded(2026);
        let table = gbk_table();
        // Units drawn mostly from the table, some ASCII and some outside both: every kind of
        // literal, and recent places from near to far.
        let drawn: String = (0..3000)
            .map(|_| match random(10) {
                0 => char::from(b' ' + random(95) as u8),
                1 => char::from_u32(0x4E00 + random(0x5000) as u32).unwrap(),
                _ => char::from_u32(u32::from(table[random(300) as usize * 13 % table.len()]))
                    .unwrap(),
            })
            .collect();
        let evicting: String = (0..2 * RECENT as u32 + 40)
            .chain(0..2 * RECENT as u32 + 40)
            .map(|i| char::from_u32(0x4E00 + i).unwrap())
            .collect();
        // The shortest starts of `drawn` whose last unit is full, and padded with 14 zeros.
        let prefix_padded = |pad: u32| -> String {
            (1..drawn.len())
                .filter(|&end| drawn.is_char_boundary(end))
                .map(|end| &drawn[..end])
                .find(|text| packed_with_padding(text).1 == pad)
                .expect("a start with that padding")
                .to_string()
        };
        let texts = [
            prefix_padded(0),
            prefix_padded(14),
            String::new(),
            "{\"t\":\"关于加装电梯的实施意见（2021）\",\"u\":\"policies/lift.html\",\
             \"s\":[[\"第一条\",\"第一条 总则\",\"为规范既有住宅加装电梯……\\n业主\"]],\"c\":2}"
                .to_string(),
            "plain ASCII text, quotes \" and backslashes \\ included".to_string(),
            "𠀀𠀁😀〔2021〕16号，ｘ＠＃\u{3000}\u{e000}\u{ffff}龘々".to_string(),
            drawn,
            evicting,
        ];
        let cases: Vec<_> = texts
            .iter()
            .map(|text| serde_json::json!({ "text": text, "packed": pack(text) }))
            .collect();
        let table = String::from_utf16(gbk_table()).expect("the table is text");
        let cases = serde_json::json!({ "gbk_table": table, "cases": cases });
        crate::search::assert_vectors("fragment_code.json", &cases);
        for text in &texts {
            assert_eq!(unpack(&pack(text)).as_deref(), Ok(text.as_str()));
        }
    }

    #[test]
    fn search_core_carries_the_tables_hash() {
        let core = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/themes/default/static/search-core.js"
        );
        let script = std::fs::read_to_string(core).expect("search-core.js");
        let line = format!("var GBK_TABLE_HASH = {};", gbk_table_hash());
        assert!(script.contains(&line), "search-core.js lacks {line}");
    }

    #[test]
    fn a_page_of_chinese_takes_about_half_its_utf8_bytes_as_utf16() {
        let text = "基层做好社区治理，网格员与业主协商，社区志愿者开展入户走访。".repeat(20);
        let bytes = pack(&text).encode_utf16().count() * 2;
        assert!(bytes * 2 < text.len(), "{bytes} of {}", text.len());
    }

    #[test]
    fn damaged_strings_are_refused() {
        // Outside the units' range.
        assert_eq!(unpack("abc"), Err(Damaged));
        // A recent place before any unit was seen: `1` in the code is 10001, then padding.
        let first = (0b10001u16 << 10) + UNIT_BASE;
        assert_eq!(unpack(&String::from_utf16(&[first]).unwrap()), Err(Damaged));
        // Twenty-one zeros in a row.
        let zeros = String::from_utf16(&[UNIT_BASE, UNIT_BASE]).unwrap() + "\u{7000}";
        assert_eq!(unpack(&zeros), Err(Damaged));
    }
}
