//! The text encodings of the static index, written by [`super::export`] and read by
//! [`super::reader`] (and, mirrored, by `search-core.js`): base64url varints, posting lists, and
//! the tiered form of a heavy key's postings.
//!
//! A varint is base64url digits (`A–Z a–z 0–9 - _`), five payload bits each, least significant
//! first, a digit of 32 or more meaning more digits follow.
//!
//! A posting list is, per page holding the key in page order, the varint
//! `((page - previous page - 1) << LEVEL_BITS) | level` (levels: [`super::rank`]).
//!
//! A heavy key (one whose postings have a file of their own) is written tiered when that is
//! shorter: the postings whose level matters, then `.`, the rest's level as one digit, and the
//! rest's pages. A common key's postings are mostly pages holding it once or twice in a long
//! text; their levels differ little, and its IDF is low, so they share one level (the mean of
//! theirs) and cost only their page numbers. What is kept exactly: every posting with the title
//! bit, and the [`TIER_KEEP`] highest term-frequency levels (all of a level, or none of it).
//! The rest's pages are either `g` and page gaps as varints, or `b` and a bitmap, six pages a
//! digit from page 0, whichever is shorter. Both engines decode the same files, so both rank
//! with the same shared level.

use super::rank::{LEVEL_BITS, Postings, TITLE_BIT};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// At most this many untitled postings of a heavy key keep their own level.
pub(super) const TIER_KEEP: usize = 1000;

/// Appends `v` as a base64url varint.
pub(super) fn push_varint(out: &mut String, mut v: u64) {
    while v >= 32 {
        out.push(B64[(32 | (v & 31)) as usize] as char);
        v >>= 5;
    }
    out.push(B64[v as usize] as char);
}

/// The six-bit value of a base64url digit.
fn digit(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    })
}

/// Decodes base64url varints; other characters are skipped.
pub(super) fn decode_varints(encoded: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut value, mut shift) = (0u64, 0u32);
    for d in encoded.bytes().filter_map(digit) {
        value |= u64::from(d & 31) << shift;
        if d < 32 {
            out.push(value);
            value = 0;
            shift = 0;
        } else {
            shift += 5;
        }
    }
    out
}

/// The number of pages in a plain posting list: every posting ends with one digit below 32
/// (`A`–`Z`, `a`–`f`).
pub(super) fn posting_count(encoded: &[u8]) -> usize {
    encoded
        .iter()
        .filter(|d| matches!(d, b'A'..=b'Z' | b'a'..=b'f'))
        .count()
}

/// Appends one posting to a plain list whose next free page is `*next`.
pub(super) fn push_posting(out: &mut String, next: &mut u64, page: u32, level: u8) {
    push_varint(
        out,
        ((u64::from(page) - *next) << LEVEL_BITS) | u64::from(level),
    );
    *next = u64::from(page) + 1;
}

/// Decodes a plain posting list.
pub(super) fn decode_postings(encoded: &str) -> Postings {
    let numbers = decode_varints(encoded);
    let mut out = Postings {
        pages: Vec::with_capacity(numbers.len()),
        levels: Vec::with_capacity(numbers.len()),
    };
    let mut next = 0u64;
    for v in numbers {
        let page = next + (v >> LEVEL_BITS);
        out.pages.push(page as u32);
        out.levels.push((v & ((1 << LEVEL_BITS) - 1)) as u8);
        next = page + 1;
    }
    out
}

/// The heavy file's text for a key's plain posting list: tiered when that is shorter.
pub(super) fn tier(plain: &str) -> String {
    let all = decode_postings(plain);
    // The lowest term-frequency level whose postings (and those above it) fit in TIER_KEEP.
    let mut per_level = [0usize; 1 << LEVEL_BITS];
    for &level in &all.levels {
        if level & TITLE_BIT == 0 {
            per_level[usize::from(level)] += 1;
        }
    }
    let mut threshold = per_level.len();
    let mut kept = 0;
    while threshold > 1 && kept + per_level[threshold - 1] <= TIER_KEEP {
        threshold -= 1;
        kept += per_level[threshold];
    }
    let stays = |level: u8| level & TITLE_BIT != 0 || usize::from(level) >= threshold;
    let (mut high, mut next) = (String::new(), 0u64);
    let mut rest = Vec::new();
    let mut rest_levels = 0u64;
    for (&page, &level) in all.pages.iter().zip(&all.levels) {
        if stays(level) {
            push_posting(&mut high, &mut next, page, level);
        } else {
            rest.push(page);
            rest_levels += u64::from(level);
        }
    }
    if rest.is_empty() {
        return plain.to_string();
    }
    let shared = (rest_levels as f64 / rest.len() as f64).round().max(1.0) as u64;
    let mut tiered = high;
    tiered.push('.');
    push_varint(&mut tiered, shared);
    tiered.push_str(&rest_pages(&rest));
    if tiered.len() < plain.len() {
        tiered
    } else {
        plain.to_string()
    }
}

/// `g` and the gaps, or `b` and the bitmap, of ascending `pages`: the shorter.
fn rest_pages(pages: &[u32]) -> String {
    let mut gaps = String::from("g");
    let mut next = 0u64;
    for &page in pages {
        push_varint(&mut gaps, u64::from(page) - next);
        next = u64::from(page) + 1;
    }
    let last = pages.last().map_or(0, |&p| p as usize);
    let digits = last / 6 + 1;
    if digits + 1 >= gaps.len() {
        return gaps;
    }
    let mut bits = vec![0u8; digits];
    for &page in pages {
        bits[page as usize / 6] |= 1 << (page % 6);
    }
    let mut bitmap = String::with_capacity(digits + 1);
    bitmap.push('b');
    bitmap.extend(bits.iter().map(|&b| B64[usize::from(b)] as char));
    bitmap
}

/// Decodes a heavy file's postings, tiered or plain, into one list in page order.
pub(super) fn decode_heavy(encoded: &str) -> Postings {
    let Some((high, rest)) = encoded.split_once('.') else {
        return decode_postings(encoded);
    };
    let high = decode_postings(high);
    let mut rest_bytes = rest.bytes();
    let shared = rest_bytes.next().and_then(digit).unwrap_or(1) & 31;
    let mut pages = Vec::new();
    match rest_bytes.next() {
        Some(b'g') => {
            let mut next = 0u64;
            for gap in decode_varints(&rest[2..]) {
                pages.push((next + gap) as u32);
                next += gap + 1;
            }
        }
        Some(b'b') => {
            for (i, d) in rest[2..].bytes().filter_map(digit).enumerate() {
                pages.extend(
                    (0..6)
                        .filter(|j| d & (1 << j) != 0)
                        .map(|j| (i * 6 + j) as u32),
                );
            }
        }
        _ => {}
    }
    // Merge the two ascending lists.
    let mut out = Postings {
        pages: Vec::with_capacity(high.pages.len() + pages.len()),
        levels: Vec::with_capacity(high.pages.len() + pages.len()),
    };
    let (mut h, mut r) = (0, 0);
    while h < high.pages.len() || r < pages.len() {
        if r == pages.len() || (h < high.pages.len() && high.pages[h] < pages[r]) {
            out.pages.push(high.pages[h]);
            out.levels.push(high.levels[h]);
            h += 1;
        } else {
            out.pages.push(pages[r]);
            out.levels.push(shared);
            r += 1;
        }
    }
    out
}

/// A plain posting list of `(page, level)`s, pages ascending: what tests compare with.
#[cfg(test)]
pub(super) fn plain(postings: &[(u32, u8)]) -> String {
    let (mut out, mut next) = (String::new(), 0);
    for &(page, level) in postings {
        push_posting(&mut out, &mut next, page, level);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut s = String::new();
        for v in [0, 1, 31, 32, 1023, 1024, u64::from(u32::MAX)] {
            push_varint(&mut s, v);
        }
        assert_eq!(
            decode_varints(&s),
            vec![0, 1, 31, 32, 1023, 1024, u64::from(u32::MAX)]
        );
    }

    #[test]
    fn a_short_list_stays_plain() {
        let list: Vec<(u32, u8)> = (0..50).map(|p| (p * 3, (p % 15 + 1) as u8)).collect();
        let text = plain(&list);
        assert_eq!(tier(&text), text);
        assert_eq!(decode_heavy(&text), decode_postings(&text));
    }

    #[test]
    fn a_common_key_keeps_titles_and_top_levels_and_shares_the_rest() {
        // 20,000 pages: every other page holds the key at level 1 or 2, every 50th at level
        // 9, every 997th in its title.
        let mut list = Vec::new();
        for page in (0..20_000u32).step_by(2) {
            let level = if page % 997 == 0 {
                TITLE_BIT | 3
            } else if page % 50 == 0 {
                9
            } else {
                1 + (page / 2 % 2) as u8
            };
            list.push((page, level));
        }
        let text = plain(&list);
        let tiered = tier(&text);
        assert!(tiered.contains('.'), "tiered");
        assert!(
            tiered.len() * 3 < text.len(),
            "{} vs {}",
            tiered.len(),
            text.len()
        );
        let back = decode_heavy(&tiered);
        assert_eq!(back.pages, list.iter().map(|p| p.0).collect::<Vec<_>>());
        for (&(page, level), &got) in list.iter().zip(&back.levels) {
            if level & TITLE_BIT != 0 || level == 9 {
                assert_eq!(got, level, "page {page} keeps its level");
            } else {
                assert_eq!(got, 2, "page {page} gets the rest's rounded mean (1.5 → 2)");
            }
        }
    }

    /// The shared vectors `tests/vectors/heavy.json`: generated lists (a dense key, a sparse
    /// one, one short enough to stay plain), their plain and heavy encodings, and what the
    /// heavy text decodes to, which `tests/node/core_vectors.js` checks against
    /// `search-core.js`. `SHUYUAN_UPDATE_VECTORS=1` rewrites the file.
    #[test]
    fn heavy_vectors() {
        let mut random = crate::search::seeded(12345);
        let mut cases = Vec::new();
        for (name, pages, per_mille) in [
            ("dense", 2400, 600),
            ("sparse", 60_000, 22),
            ("short", 4000, 150),
        ] {
            let mut list = Vec::new();
            for page in 0..pages {
                if random(1000) < per_mille {
                    let level = match random(100) {
                        0 => TITLE_BIT | (1 + random(4) as u8),
                        1..=3 => 8 + random(6) as u8,
                        _ => 1 + random(3) as u8,
                    };
                    list.push((page, level));
                }
            }
            let text = plain(&list);
            let heavy = tier(&text);
            let back = decode_heavy(&heavy);
            assert_eq!(
                back.pages,
                list.iter().map(|p| p.0).collect::<Vec<_>>(),
                "{name}"
            );
            cases.push(serde_json::json!({
                "name": name, "plain": text, "heavy": heavy,
                "pages": back.pages, "levels": back.levels,
            }));
        }
        crate::search::assert_vectors("heavy.json", &cases);
        let mode = |i: usize| {
            let heavy = cases[i]["heavy"].as_str().unwrap_or_default();
            heavy.find('.').map(|dot| heavy.as_bytes()[dot + 2] as char)
        };
        assert_eq!([mode(0), mode(1), mode(2)], [Some('b'), Some('g'), None]);
    }

    #[test]
    fn sparse_rests_use_gaps_and_dense_ones_a_bitmap() {
        let sparse: Vec<u32> = (0..3000).map(|p| p * 40).collect();
        assert!(rest_pages(&sparse).starts_with('g'));
        let dense: Vec<u32> = (0..3000).map(|p| p * 2 + 1).collect();
        let bitmap = rest_pages(&dense);
        assert!(bitmap.starts_with('b'));
        let mut encoded = String::from(".B");
        encoded.push_str(&bitmap);
        assert_eq!(decode_heavy(&encoded).pages, dense);
        let mut encoded = String::from(".B");
        encoded.push_str(&rest_pages(&sparse));
        assert_eq!(decode_heavy(&encoded).pages, sparse);
    }
}
