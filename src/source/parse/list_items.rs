//! Where each item of a front-matter list was written, for a problem with one item (an old
//! address that leaves the site, a cited slug no page has): the YAML library gives a field's
//! position, which for `[a, ../x]` is the bracket and for a block list its first `-`.
//!
//! The front matter is read again from that position, as far as the list goes: a flow list's
//! items start after `[` and after each comma outside quotes and brackets; a block list's at
//! each `- ` of the first item's indentation. The scan is linear in the list's text, and made
//! once for a list however many of its items are wrong ([`super::Document::item_places`]). When what
//! it finds is not one place per item (a list written some other way: items over several
//! lines, anchors, comments with commas), every item keeps the field's position.

use super::Position;

/// The position of every item of the list whose value starts at `field` in `source`
/// (1-based lines and character columns), or `None` when they cannot be told apart as
/// `items` of them.
pub fn item_positions(source: &str, field: Position, items: usize) -> Option<Vec<Position>> {
    let (line, column) = field;
    let mut rest = source.lines().skip(line.checked_sub(1)?);
    let first = rest.next()?;
    let first_chars: Vec<char> = first.chars().collect();
    let lines = std::iter::once(first).chain(rest);
    let at = column.checked_sub(1)?;
    let found = if first_chars.get(at) == Some(&'[') {
        flow_items(lines, line, at)
    } else {
        block_items(lines, &first_chars, line, at)
    }?;
    (found.len() == items).then_some(found)
}

/// Items of `[a, "b, c", [d]]` starting at character `at` of the first line.
fn flow_items<'a>(
    lines: impl Iterator<Item = &'a str>,
    line: usize,
    at: usize,
) -> Option<Vec<Position>> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    // Whether the next character that is no space starts an item.
    let mut item_next = false;
    for (n, text) in lines.enumerate() {
        let skip = if n == 0 { at } else { 0 };
        let mut after_space = true;
        for (k, c) in text.chars().enumerate().skip(skip) {
            let starts_comment = c == '#' && after_space;
            after_space = c.is_whitespace();
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                continue;
            }
            if starts_comment {
                break;
            }
            if item_next && depth == 1 && !c.is_whitespace() && c != ']' {
                found.push((line + n, k + 1));
                item_next = false;
            }
            match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    item_next = depth == 1;
                }
                ']' | '}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(found);
                    }
                }
                ',' if depth == 1 => item_next = true,
                _ => {}
            }
        }
    }
    None
}

/// Items of a block list whose first item's `-` is character `at` of the first line, or
/// stands before it: each item is the first thing after a `-` at that indentation.
fn block_items<'a>(
    lines: impl Iterator<Item = &'a str>,
    first: &[char],
    line: usize,
    at: usize,
) -> Option<Vec<Position>> {
    let dash = if first.get(at) == Some(&'-') {
        at
    } else {
        first.get(..at)?.iter().rposition(|&c| c == '-')?
    };
    let mut found = Vec::new();
    for (n, text) in lines.enumerate() {
        let indent = text.chars().take_while(|c| *c == ' ').count();
        let rest = &text[indent..];
        if n > 0 && (rest.is_empty() || rest.starts_with('#')) {
            continue;
        }
        if indent == dash && (rest == "-" || rest.starts_with("- ")) {
            let gap = rest[1..].chars().take_while(|c| *c == ' ').count();
            found.push((line + n, indent + 1 + gap + 1));
        } else if n == 0 || indent <= dash {
            break;
        }
    }
    // The first line is the first item's.
    found.first().filter(|&&(l, _)| l == line)?;
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, field: Position, items: usize) -> Option<Vec<Position>> {
        item_positions(source, field, items)
    }

    #[test]
    fn a_flow_list_has_a_place_per_item() {
        let source = "title: t\naliases: [a, ../x, \"c, d\", [e, f], C:\\y]\n";
        assert_eq!(
            at(source, (2, 10), 5),
            Some(vec![(2, 11), (2, 14), (2, 20), (2, 28), (2, 36)])
        );
        // Over two lines, and with a comment after it.
        let source = "cites: [shili, # 注释, 不是一项\n  不存在] # 引用\n";
        assert_eq!(at(source, (1, 8), 2), Some(vec![(1, 9), (2, 3)]));
    }

    #[test]
    fn a_block_list_has_a_place_per_dash_at_its_indentation() {
        let source = "aliases:\n  - ok/old.html\n  # 注释\n  -   ../bad.html\nslug: x\n";
        // The library's place is the first dash; the item after it would do too.
        for field in [(2, 3), (2, 5)] {
            assert_eq!(at(source, field, 2), Some(vec![(2, 5), (4, 7)]));
        }
        let source = "aliases:\n- a\n- b\ntitle: t\n";
        assert_eq!(at(source, (2, 1), 2), Some(vec![(2, 3), (3, 3)]));
    }

    #[test]
    fn a_list_read_otherwise_keeps_the_fields_place() {
        // An item over two lines: three dashes for two items is no match, nor is a count
        // that differs.
        let source = "aliases:\n  - a\n  - >\n    b\n";
        assert_eq!(at(source, (2, 5), 3), None);
        assert_eq!(at("aliases: [a, b\n", (1, 10), 2), None);
        assert_eq!(at("aliases: x\n", (1, 10), 1), None);
    }
}
