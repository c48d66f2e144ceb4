//! Match marking and snippets (mirrored in `search-core.js`).
//!
//! Takes analysed query terms and a piece of page text; finds which characters answer the query
//! (every occurrence of a term's exact text, or, when the term does not occur as a whole, the
//! longest pieces of it that do, left to right, a piece never cutting a run of letters or digits
//! of the term: `202` of `2023年4月` would mark every other year of the decade) and cuts a short
//! excerpt around the best match,
//! HTML-escaped with `<mark>` around the marked characters. It also picks the section a result
//! should link to.

use super::query::Term;
use super::tokenizer::{CharClass, classify, normalize};

/// Characters shown in a snippet.
const SNIPPET_CHARS: usize = 110;
/// Characters of context kept before the first mark.
const SNIPPET_LEAD: usize = 30;
/// Terms longer than this are matched piecewise on their first `MAX_TERM_CHARS` characters only,
/// which bounds the quadratic piece search.
const MAX_TERM_CHARS: usize = 64;

/// What the query marks in one text.
#[derive(Debug, Default)]
pub struct Marks {
    /// Sorted, merged character ranges `[start, end)` to mark.
    pub ranges: Vec<(usize, usize)>,
    /// How well the text answers: 1000 per verbatim term plus the squared length of each piece.
    pub weight: usize,
}

/// Marks every match of `terms` in `text`.
pub fn mark(terms: &[Term], text: &str) -> Marks {
    let norm = normalize(text);
    // Byte offset of every char of `norm`, to turn `match_indices` results into char indices.
    let offsets: Vec<usize> = norm.char_indices().map(|(b, _)| b).collect();
    let char_at = |byte: usize| offsets.partition_point(|&b| b < byte);
    let mut marks = Marks::default();
    let mark_all = |piece: &str, marks: &mut Marks| -> bool {
        let mut found = false;
        let len = piece.chars().count();
        for (b, _) in norm.match_indices(piece) {
            let start = char_at(b);
            marks.ranges.push((start, start + len));
            found = true;
        }
        found
    };
    for term in terms {
        if mark_all(&term.text, &mut marks) {
            marks.weight += 1000;
            continue;
        }
        // A quoted term (or a synonym) means its whole text: its pieces are not marked.
        if term.quoted {
            continue;
        }
        let chars: Vec<char> = term.text.chars().take(MAX_TERM_CHARS).collect();
        // Whether a piece may start or end at `k`: not inside a word, a number or a code
        // (`GB50016`), whose pieces mean something else (`202` of `2023`).
        let is_word = |k: usize| {
            chars
                .get(k)
                .is_some_and(|&c| classify(c) == CharClass::Word)
        };
        let boundary = |k: usize| k == 0 || !(is_word(k - 1) && is_word(k));
        let mut i = 0;
        while i + 1 < chars.len() {
            if !boundary(i) {
                i += 1;
                continue;
            }
            let piece_end = (i + 2..=chars.len()).rev().find(|&j| {
                if !boundary(j) {
                    return false;
                }
                let piece = &chars[i..j];
                let solid = piece
                    .iter()
                    .filter(|&&c| classify(c) != CharClass::Separator)
                    .count();
                solid >= 2 && mark_all(&piece.iter().collect::<String>(), &mut marks)
            });
            match piece_end {
                Some(j) => {
                    marks.weight += (j - i) * (j - i);
                    i = j;
                }
                None => i += 1,
            }
        }
    }
    marks.ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(marks.ranges.len());
    for (s, e) in marks.ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    marks.ranges = merged;
    marks
}

/// An HTML excerpt of `text` around its best mark: escaped, marks in `<mark>`, `…` where cut.
pub fn snippet(text: &str, marks: &Marks) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    // The window starts a little before the longest (then first) marked range.
    let focus = marks
        .ranges
        .iter()
        .fold(None, |best: Option<(usize, usize)>, &r| match best {
            Some(b) if b.1 - b.0 >= r.1 - r.0 => Some(b),
            _ => Some(r),
        });
    let mut start = focus.map_or(0, |(s, _)| s.saturating_sub(SNIPPET_LEAD));
    let end = (start + SNIPPET_CHARS).min(n);
    start = start.min(end.saturating_sub(SNIPPET_CHARS));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut buf = [0u8; 4];
    let mut open = false;
    let mut ranges = marks.ranges.iter().peekable();
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        while ranges.peek().is_some_and(|r| r.1 <= i) {
            ranges.next();
        }
        let inside = ranges.peek().is_some_and(|r| r.0 <= i);
        if inside != open {
            out.push_str(if inside { "<mark>" } else { "</mark>" });
            open = inside;
        }
        crate::html::escape_into(c.encode_utf8(&mut buf), &mut out);
    }
    if open {
        out.push_str("</mark>");
    }
    if end < n {
        out.push('…');
    }
    out
}

/// Picks the section that best answers the terms: returns its index and the marks in its text.
/// Heading matches count double; ties go to the earlier section.
pub fn best_section<'a, I>(terms: &[Term], sections: I) -> (usize, Marks)
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut best: Option<(usize, usize, Marks)> = None;
    for (i, (heading, text)) in sections.into_iter().enumerate() {
        let marks = mark(terms, text);
        let score = marks.weight + 2 * mark(terms, heading).weight;
        if best.as_ref().is_none_or(|b| score > b.1) {
            best = Some((i, score, marks));
        }
    }
    best.map_or((0, Marks::default()), |(i, _, m)| (i, m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    /// The shared vectors `tests/vectors/marks.json`: queries, texts and the ranges marked in
    /// them (characters here, UTF-16 units in `search-core.js`: the texts hold no astral
    /// character), which `tests/node/core_vectors.js` checks `mark` against.
    /// `SHUYUAN_UPDATE_VECTORS=1` rewrites the file.
    #[test]
    fn mark_vectors() {
        let cases = [
            // A date or document number not on the page: its numbers are not cut into pieces.
            ("2023年4月", "柳岸社区于2022年4月启动，2024年4月完成。"),
            ("〔2021〕16号", "东办发〔2024〕9号和〔2021〕16号文件"),
            ("〔2021〕16号", "东办发〔2024〕9号"),
            ("网格2021", "网格员在2022年和2024年巡查"),
            ("GB50016规范", "依据GB50016-2014和GB500规范"),
            // Han pieces are still marked, longest first; whole terms anywhere.
            (
                "物业公司中标以后还要和每位业主签合同吗",
                "物业公司签订合同，中标后业主大会签合同。",
            ),
            ("021", "2021年"),
            ("居委会 \"业主大会\"", "居委会和业主大会、业主"),
            ("zip压缩包", "ZIP压缩和zip文件"),
        ];
        let vectors: Vec<_> = cases
            .iter()
            .map(|(q, text)| {
                let ranges = mark(&parse(q), text).ranges;
                serde_json::json!({ "q": q, "text": text, "ranges": ranges })
            })
            .collect();
        crate::search::assert_vectors("marks.json", &vectors);
        let marked = |q: &str, text: &str| -> Vec<String> {
            mark(&parse(q), text)
                .ranges
                .iter()
                .map(|&(s, e)| text.chars().skip(s).take(e - s).collect())
                .collect()
        };
        assert_eq!(marked(cases[0].0, cases[0].1), ["年4月", "年4月"]);
        assert_eq!(marked(cases[2].0, cases[2].1), Vec::<String>::new());
        assert_eq!(marked(cases[3].0, cases[3].1), ["网格"]);
    }

    #[test]
    fn marks_whole_terms_and_escapes_the_rest() {
        let text = "<b>社区</b>治理 & 社区";
        let marks = mark(&parse("社区"), text);
        assert_eq!(marks.weight, 1000, "the term occurs verbatim");
        assert_eq!(
            snippet(text, &marks),
            "&lt;b&gt;<mark>社区</mark>&lt;/b&gt;治理 &amp; <mark>社区</mark>"
        );
    }

    #[test]
    fn question_is_marked_by_its_longest_pieces() {
        let text = "物业服务合同由业主大会和物业公司签订，中标后无需逐户签合同。";
        let marks = mark(&parse("物业公司中标以后还要和每位业主签合同吗"), text);
        assert!(marks.weight < 1000, "the question does not occur verbatim");
        let shown: Vec<String> = marks
            .ranges
            .iter()
            .map(|&(s, e)| text.chars().skip(s).take(e - s).collect())
            .collect();
        // 物业 at the start is not marked: the longer 物业公司 was the piece found.
        assert_eq!(shown, ["业主", "物业公司", "中标", "签合同"]);
    }

    #[test]
    fn window_starts_before_the_focus() {
        let text = format!("{}关键词{}", "前".repeat(200), "后".repeat(200));
        let s = snippet(&text, &mark(&parse("关键词"), &text));
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 2 + "<mark></mark>".len());
        assert!(s.contains(&format!("{}<mark>关键词</mark>", "前".repeat(SNIPPET_LEAD))));
    }
}
