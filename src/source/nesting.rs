//! Nesting: refuses bodies whose blockquotes and lists nest deeper than [`MAX_DEPTH`]
//! before comrak sees them. Parsing and rendering such a tree recurses once per level, so
//! a small file of thousands of `>` used to overflow the stack and abort the whole build
//! (or the dev server) without naming the file. No real document nests anywhere near 64
//! levels, so the limit costs editors nothing.
//!
//! The scan is one pass over each line's leading markers, linear in the body's length. It
//! estimates a line's depth as the `>` and list markers that open it plus its indentation
//! in pairs of columns (a nested list item sits at least two columns further in). That
//! errs towards counting more than CommonMark would, never fewer. Lines inside a fenced
//! code block at the top level are skipped: their `>` and `-` are text.

/// The deepest nesting of blockquotes and lists a body may have.
pub const MAX_DEPTH: usize = 64;

/// Where a body first nests deeper than [`MAX_DEPTH`]: line and column (1-based, the
/// column in characters) within the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

pub fn too_deep(body: &str) -> Option<TooDeep> {
    let mut fence: Option<(char, usize)> = None;
    for (index, line) in body.lines().enumerate() {
        if let Some(open) = fence {
            if closes_fence(line, open) {
                fence = None;
            }
            continue;
        }
        if let Some(open) = opens_fence(line) {
            fence = Some(open);
            continue;
        }
        if let Some(column) = column_past_limit(line) {
            return Some(TooDeep {
                line: index + 1,
                column,
            });
        }
    }
    None
}

/// The 1-based character column at which `line`'s estimated depth passes the limit.
fn column_past_limit(line: &str) -> Option<usize> {
    // Each character of the leading markers and indentation adds at most two to the depth
    // measured below (a tab: four columns, half a level each), and the first other character
    // ends the scan: a line whose run of such characters is shorter than this cannot pass the
    // limit. Nearly every line is one, and is then not decoded.
    let run = line
        .bytes()
        .take_while(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'>' | b'-' | b'+' | b'*' | b'.' | b')' | b'0'..=b'9'
            )
        })
        .count();
    if run * 2 <= MAX_DEPTH {
        return None;
    }
    // The longest marker, `123456789. `, adds one level in 11 characters.
    let chars: Vec<char> = line.chars().take(MAX_DEPTH * 12).collect();
    let mut depth = 0;
    let mut indent_columns = 0;
    let mut i = 0;
    while i < chars.len() {
        let at = i;
        let marker_end = match chars[i] {
            ' ' => {
                indent_columns += 1;
                None
            }
            '\t' => {
                indent_columns += 4;
                None
            }
            '>' => Some(i + 1),
            c if is_bullet(c) && followed_by_space(&chars, i + 1) => Some(i + 1),
            c if c.is_ascii_digit() => {
                let digits = chars[i..].iter().take(9).take_while(|c| c.is_ascii_digit());
                let end = i + digits.count();
                if end < chars.len()
                    && matches!(chars[end], '.' | ')')
                    && followed_by_space(&chars, end + 1)
                {
                    Some(end + 1)
                } else {
                    return None;
                }
            }
            _ => return None,
        };
        i += 1;
        if let Some(end) = marker_end {
            depth += 1;
            // The space that separates a marker from what follows is not indentation.
            i = if chars.get(end) == Some(&' ') {
                end + 1
            } else {
                end
            };
        }
        if depth + indent_columns / 2 > MAX_DEPTH {
            return Some(at + 1);
        }
    }
    None
}

fn is_bullet(c: char) -> bool {
    matches!(c, '-' | '+' | '*')
}

fn followed_by_space(chars: &[char], at: usize) -> bool {
    chars.get(at).is_none_or(|c| matches!(c, ' ' | '\t'))
}

/// A top-level fence: three or more backticks or tildes after at most three spaces.
fn opens_fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let marker = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let run = trimmed.chars().take_while(|&c| c == marker).count();
    (run >= 3).then_some((marker, run))
}

fn closes_fence(line: &str, (marker, run): (char, usize)) -> bool {
    let trimmed = line.trim();
    trimmed.chars().count() >= run && trimmed.chars().all(|c| c == marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_counts_two_levels_so_the_shortest_line_past_the_limit_is_found() {
        // The quick refusal of short marker runs must not hide the shortest deep line.
        let tabs = |n: usize| format!("正文\n{}文字\n", "\t".repeat(n));
        assert_eq!(too_deep(&tabs(MAX_DEPTH / 2)), None);
        assert_eq!(
            too_deep(&tabs(MAX_DEPTH / 2 + 1)),
            Some(TooDeep {
                line: 2,
                column: MAX_DEPTH / 2 + 1
            })
        );
    }

    #[test]
    fn deep_blockquotes_are_found_at_the_marker_past_the_limit() {
        let body = format!("正文\n\n{} 引文\n", ">".repeat(12_000));
        assert_eq!(
            too_deep(&body),
            Some(TooDeep {
                line: 3,
                column: MAX_DEPTH + 1
            })
        );
        assert_eq!(
            too_deep(&format!("{} 引文\n", "> ".repeat(MAX_DEPTH))),
            None
        );
    }

    #[test]
    fn deep_lists_are_found_on_one_line_and_by_indentation() {
        assert!(too_deep(&format!("{}x\n", "- + ".repeat(MAX_DEPTH))).is_some());
        assert!(too_deep(&format!("{}x\n", "1. ".repeat(MAX_DEPTH + 1))).is_some());
        let nested: String = (0..=MAX_DEPTH)
            .map(|level| format!("{}- 第{level}层\n", "  ".repeat(level)))
            .collect();
        assert_eq!(too_deep(&nested).map(|t| t.line), Some(MAX_DEPTH + 1));
        let shallow: String = (0..10)
            .map(|level| format!("{}1. 第{level}层\n", "   ".repeat(level)))
            .collect();
        assert_eq!(too_deep(&shallow), None);
    }

    #[test]
    fn ordinary_text_and_code_blocks_pass() {
        let code = format!("```\n{}\n```\n", ">".repeat(500));
        assert_eq!(too_deep(&code), None);
        assert_eq!(too_deep("2023. 年度总结\n---\n* * *\n> > 引用\n"), None);
        assert!(too_deep(&format!("```\n```\n{}\n", ">".repeat(500))).is_some());
    }
}
