//! YAML syntax errors as an editor can act on them: a plain Chinese sentence saying what to
//! change, at the place to change it, with the YAML library's own English text after it as
//! a detail (for whoever helps the editor, and for problems this module does not know).
//!
//! One place needs more than a translation: a list opened with `[` and never closed. The
//! parser reads on into the next lines and gives up there, at some colon of a later field;
//! [`explain`] finds the bracket still open at that point and reports it instead.

/// A YAML problem explained: the message and its 1-based line and column (in characters) in
/// the YAML text.
#[derive(Debug, PartialEq)]
pub struct Explained {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The YAML is well formed but no set of fields: a list or a bare text (`- 标题`).
    pub not_fields: bool,
}

/// Explains the error the YAML library gave for `yaml`.
pub fn explain(yaml: &str, error: &serde_saphyr::Error) -> Explained {
    let original = library_text(&error.without_snippet().to_string());
    let (line, column) = error
        .location()
        .filter(|l| l.line() > 0)
        .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
    if let Some((bracket, at_line, at_column)) = open_bracket_before(yaml, line) {
        return Explained {
            message: format!("{}（YAML 解析库原文：{original}）", unclosed(bracket)),
            line: at_line,
            column: at_column,
            not_fields: false,
        };
    }
    // The library names a Tab where the plain text before it ends, often the line above:
    // the editor is shown the Tab itself.
    let (line, column) = if is_about_a_tab(&original) {
        indenting_tab(yaml, line).unwrap_or((line, column))
    } else {
        (line, column)
    };
    Explained {
        message: format!("{}（YAML 解析库原文：{original}）", in_chinese(&original)),
        line,
        column,
        not_fields: original.contains("expected mapping"),
    }
}

fn is_about_a_tab(original: &str) -> bool {
    original.contains("tabs") || original.contains("found a tab")
}

/// The first Tab in a line's indentation, from line `from` on (else from the top), with its
/// 1-based line and column.
fn indenting_tab(yaml: &str, from: usize) -> Option<(usize, usize)> {
    let tab_in = |(index, text): (usize, &str)| {
        text.chars()
            .take_while(|c| c.is_whitespace())
            .position(|c| c == '\t')
            .map(|at| (index + 1, at + 1))
    };
    let lines = || yaml.lines().enumerate();
    lines()
        .skip(from.saturating_sub(1))
        .find_map(tab_in)
        .or_else(|| lines().find_map(tab_in))
}

/// The library's sentence without the position it appends (ours is in the diagnostic, and
/// counts lines from the top of the file, not of the YAML).
fn library_text(message: &str) -> String {
    let message = message
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("line "))
        .map_or(message, |(_, rest)| rest);
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
        .trim()
        .to_string()
}

fn unclosed(bracket: char) -> String {
    if bracket == '[' {
        "方括号 `[` 没有闭合：列表要用 `]` 结束，例如 tags: [议事会, 停车管理]".to_string()
    } else {
        "花括号 `{` 没有闭合：要用 `}` 结束；如果它是文字的一部分，请给整个值加上引号".to_string()
    }
}

fn in_chinese(original: &str) -> String {
    let has = |needle: &str| original.contains(needle);
    let quoted = |prefix: &str| {
        original
            .split_once(prefix)
            .map(|(_, rest)| rest.split([',', '`']).next().unwrap_or(rest).trim())
            .unwrap_or_default()
            .to_string()
    };
    if has("unclosed bracket '['") || has("expected ',' or ']'") {
        unclosed('[')
    } else if has("unclosed bracket '{'") || has("expected ',' or '}'") {
        unclosed('{')
    } else if has("misplaced bracket") {
        "多了一个右括号：这个 `]` 或 `}` 前面没有对应的 `[` 或 `{`；如果它是文字的一部分，请给整个值加上引号".into()
    } else if has("unclosed quote") {
        "引号没有闭合：从这里开始的英文引号找不到结束的另一半；值里要用引号时，请改用中文引号“…”"
            .into()
    } else if has("trailing content after") {
        "结束引号后面还有文字：用英文引号括起来的值，引号之后不能再写；请把整个值放进引号里，或把值里的英文引号改成中文引号“…”".into()
    } else if has("mapping values are not allowed") || has("placement of ':'") {
        "这里的英文冒号 `:` 让 YAML 以为又开始了一个字段：冒号是值的一部分时，请给整个值加上引号，或改用中文冒号“：”；也可能是这一行多缩进了".into()
    } else if has("did not find expected key") || has("expected ':'") {
        "这一行不是“字段名: 值”的格式：检查是否漏了英文冒号、冒号后是否留了空格，以及缩进是否和上一行对齐".into()
    } else if is_about_a_tab(original) {
        "这里用了 Tab 键缩进：前置元数据只能用空格缩进".into()
    } else if has("duplicate mapping key") {
        format!(
            "字段 `{}` 写了两次：请删去其中一行",
            quoted("duplicate mapping key: ")
        )
    } else if has("anchor") || has("alias") {
        "以 `*` 或 `&` 开头的值在 YAML 里有特殊含义：请给整个值加上引号".into()
    } else if has("unexpected character") || has("cannot start any token") {
        "值不能以这个字符开头（`@`、`` ` ``、`%` 等在 YAML 里有特殊含义）：请给整个值加上引号"
            .into()
    } else if has("end of stream") || has("unexpected end") {
        "前置元数据在这里意外结束：检查上面的引号和括号是否成对".into()
    } else if has("unknown field") {
        format!("不认识的字段 `{}`", quoted("unknown field `"))
    } else if has("missing field") {
        format!("缺少字段 `{}`", quoted("missing field `"))
    } else if has("expected mapping") {
        "前置元数据应是一行一个“字段名: 值”（例如 title: 社区议事会），这里却是列表或一段文字"
            .into()
    } else if has("invalid type") {
        "这里的值类型不对：例如应写成列表的地方写成了文字，或反过来".into()
    } else {
        "YAML 无法读懂这里：请检查这一行的英文冒号、引号、括号和缩进".into()
    }
}

/// The innermost `[` or `{` of a flow collection still open at the start of line
/// `error_line`, with its line and column, if one is.
fn open_bracket_before(yaml: &str, error_line: usize) -> Option<(char, usize, usize)> {
    let mut scanner = Scanner::default();
    for (index, line) in yaml.lines().take(error_line.saturating_sub(1)).enumerate() {
        scanner.line(index + 1, line);
    }
    scanner.open.last().copied()
}

/// Just enough of YAML's grammar to know where brackets open and close: quoted text,
/// comments, plain text and block scalars (`|`, `>`) hold none.
#[derive(Default)]
struct Scanner {
    /// Open flow collections: bracket, line, column.
    open: Vec<(char, usize, usize)>,
    /// Inside a quoted scalar that goes on to the next line.
    quote: Option<char>,
    /// Inside a block scalar: its lines are indented deeper than this.
    block_scalar_above: Option<usize>,
}

impl Scanner {
    fn line(&mut self, number: usize, line: &str) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(above) = self.block_scalar_above {
            if line.trim().is_empty() || indent > above {
                return;
            }
            self.block_scalar_above = None;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut at = 0;
        // Where a value may start: the line's start, after `- `, after `key: `, and anywhere
        // an item starts inside brackets.
        let mut value_start = true;
        while at < chars.len() {
            let c = chars[at];
            if let Some(quote) = self.quote {
                // `\"` inside double quotes and `''` inside single quotes do not end them.
                let escaped = (c == '\\' && quote == '"')
                    || (c == quote && quote == '\'' && chars.get(at + 1) == Some(&'\''));
                if escaped {
                    at += 1;
                } else if c == quote {
                    self.quote = None;
                }
                at += 1;
                continue;
            }
            let after_space = at == 0 || chars[at - 1].is_whitespace();
            let next_ends = chars.get(at + 1).is_none_or(|n| n.is_whitespace());
            match c {
                '#' if after_space => return,
                ' ' | '\t' => {}
                '[' | '{' if value_start || !self.open.is_empty() => {
                    self.open.push((c, number, at + 1));
                    value_start = true;
                }
                ']' | '}' if !self.open.is_empty() => {
                    self.open.pop();
                    value_start = false;
                }
                ',' if !self.open.is_empty() => value_start = true,
                '"' | '\'' if value_start => {
                    self.quote = Some(c);
                    value_start = false;
                }
                '-' if value_start && next_ends => {}
                ':' if next_ends || !self.open.is_empty() => value_start = true,
                '|' | '>' if value_start && self.open.is_empty() => {
                    self.block_scalar_above = Some(indent);
                    return;
                }
                _ => value_start = false,
            }
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(yaml: &str) -> Explained {
        let options = serde_saphyr::options! { strict_booleans: true };
        let error = serde_saphyr::from_str_with_options::<serde_json::Value>(yaml, options)
            .expect_err("the YAML is invalid");
        explain(yaml, &error)
    }

    #[test]
    fn an_unclosed_list_is_reported_at_its_bracket() {
        let found = explained("title: 甲\ntags: [a, b\ndate: 2024-01-01\nregion: 乙\n");
        assert_eq!((found.line, found.column), (2, 7), "{found:?}");
        assert!(
            found.message.starts_with("方括号 `[` 没有闭合"),
            "{found:?}"
        );
        let nested = explained("title: 甲\ntags: [a, [b]\ndate: 2024-01-01\n");
        assert_eq!((nested.line, nested.column), (2, 7), "{nested:?}");
    }

    #[test]
    fn a_tab_in_the_indentation_is_reported_where_it_is() {
        let found = explained("title: 标题\ndate: 2024-01-01\nregion: 江北区\n\ttags: [a]\n");
        assert_eq!((found.line, found.column), (4, 1), "{found:?}");
        assert!(
            found.message.starts_with("这里用了 Tab 键缩进"),
            "{found:?}"
        );
        let listed = explained("title: 标题\ntags:\n  - a\n \t- b\n");
        assert_eq!((listed.line, listed.column), (4, 2), "{listed:?}");
    }

    #[test]
    fn brackets_in_text_quotes_comments_and_block_scalars_are_not_lists() {
        let mut scanner = Scanner::default();
        for (n, line) in [
            "title: 关于[2024]1号文 [试行",
            "summary: \"含 [ 的引号",
            "  继续 [\"",
            "note: 'it''s [' # 注释 [",
            "body: |",
            "  [ 块文字",
            "tags: [a, \"b]\", {x: [1]}]",
        ]
        .iter()
        .enumerate()
        {
            scanner.line(n + 1, line);
        }
        assert!(scanner.open.is_empty() && scanner.quote.is_none());
    }

    #[test]
    fn library_messages_become_chinese_with_the_original_after() {
        let found = explained("title: 甲\nsummary: \"abc\n");
        assert!(found.message.starts_with("引号没有闭合"), "{found:?}");
        assert!(
            found
                .message
                .ends_with("（YAML 解析库原文：unclosed quote）"),
            "{found:?}"
        );
        assert_eq!((found.line, found.column), (2, 10));
        let duplicate = explained("title: 甲\ntitle: 乙\n");
        assert!(
            duplicate.message.starts_with("字段 `title` 写了两次"),
            "{duplicate:?}"
        );
    }

    #[test]
    fn front_matter_that_is_a_list_is_told_to_be_fields() {
        let yaml = "- 标题\n- 日期\n";
        let options = serde_saphyr::options! { strict_booleans: true };
        let error = serde_saphyr::from_str_with_options::<
            std::collections::BTreeMap<String, serde_json::Value>,
        >(yaml, options)
        .expect_err("a list is no set of fields");
        let found = explain(yaml, &error);
        assert!(
            found.message.starts_with("前置元数据应是一行一个"),
            "{found:?}"
        );
        assert!(found.not_fields);
        assert!(!explained("title: 甲\nsummary: \"abc\n").not_fields);
    }
}
