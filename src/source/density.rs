//! Density: refuses bodies with more Markdown marks than one page can be built from in
//! bounded memory, before comrak sees them.
//!
//! comrak keeps a tree node (about 130 bytes, often with a string of its own) for every
//! line, emphasis run, bracket, link, footnote reference and table cell, and the HTML they
//! make is copied into the page, its handout and the search index. 8 MB of `*a* `, `# a`
//! lines, bare `www.a.cn` addresses or `[^1]` (the largest page [`crate::source::load`] reads) took
//! 0.8–3.2 GB and up to 15 s to build. The cost follows the marks, not the bytes: 8 MB of
//! plain Chinese text takes about 200 MB. So a page may hold at most [`MAX_MARKS`] lines
//! and ASCII mark characters together, counted in one pass. A footnote's `^` counts twice:
//! each reference also gets a back-link of about 200 bytes in the footnote, so 300,000
//! references to one footnote took 550 MB. A real page holds a few thousand marks;
//! 100,000 footnotes with their definitions hold 900,000, and still build.

/// The most lines and mark characters together one page may hold.
pub const MAX_MARKS: usize = 1_000_000;

/// Where a body first holds more than [`MAX_MARKS`]: line and column (1-based, the column
/// in characters) within the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDense {
    pub line: usize,
    pub column: usize,
}

/// How many marks `byte` counts for: the ASCII characters that open, close or separate
/// Markdown elements (emphasis, code, links, footnotes, images, raw HTML, entities,
/// escapes, tables, strikethrough, headings, list markers; `@`, `.` and `/` for the links
/// comrak makes of bare addresses such as `www.gov.cn`, `http://x` and `a@b.cn`) and line
/// breaks.
fn marks(byte: u8) -> usize {
    match byte {
        b'^' => 2,
        b'\n' | b'*' | b'_' | b'`' | b'[' | b']' | b'(' | b')' | b'!' | b'<' | b'>' | b'&'
        | b'\\' | b'|' | b'~' | b'#' | b'-' | b'+' | b'@' | b'.' | b'/' => 1,
        _ => 0,
    }
}

pub fn too_dense(body: &str) -> Option<TooDense> {
    // No byte counts more than two marks: a body this short cannot pass the limit, and nearly
    // every page is one (the scan below is per byte).
    if body.len() * 2 <= MAX_MARKS {
        return None;
    }
    let (mut count, mut line, mut line_start) = (0, 1, 0);
    for (at, &byte) in body.as_bytes().iter().enumerate() {
        count += marks(byte);
        if count > MAX_MARKS {
            let column = body[line_start..at].chars().count() + 1;
            return Some(TooDense { line, column });
        }
        if byte == b'\n' {
            line += 1;
            line_start = at + 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_past_the_limit_is_found_at_its_character_column() {
        let body = format!("第一行\n中文{}", "*".repeat(MAX_MARKS));
        // One line break and the stars up to the limit: the last star is one too many.
        assert_eq!(
            too_dense(&body),
            Some(TooDense {
                line: 2,
                column: 2 + MAX_MARKS
            })
        );
        assert_eq!(too_dense(&body[..body.len() - 1]), None);
    }

    #[test]
    fn lines_count_and_plain_chinese_text_does_not() {
        assert!(too_dense(&"a\n".repeat(MAX_MARKS + 1)).is_some());
        let prose = "社区议事会讨论加装电梯的费用分摊方案，业主意见不一。".repeat(100_000);
        assert_eq!(too_dense(&prose), None);
    }

    #[test]
    fn a_hundred_thousand_footnotes_fit_and_a_quarter_million_references_do_not() {
        let refs: String = (0..100_000).map(|i| format!("注{i}[^{i}]，")).collect();
        let notes: String = (0..100_000)
            .map(|i| format!("[^{i}]: 第{i}条注释。\n"))
            .collect();
        assert_eq!(too_dense(&format!("{refs}\n\n{notes}")), None);
        let one_note = format!("{}\n\n[^1]: 注释。\n", "[^1]".repeat(250_000));
        assert!(too_dense(&one_note).is_some());
    }
}
