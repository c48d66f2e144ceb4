//! Match marking and snippets (mirrored in `search-core.js`).
//!
//! Takes analysed query terms and a piece of page text; finds which characters answer the query
//! (every occurrence of a term's exact text, or, when the term does not occur as a whole, the
//! longest pieces of it that do, left to right) and cuts a short excerpt around the best match,
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
        let mut i = 0;
        while i + 1 < chars.len() {
            let piece_end = (i + 2..=chars.len()).rev().find(|&j| {
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
