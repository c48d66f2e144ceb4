//! Synonyms (同义词) for search: the groups editors write in `content/_synonyms.md`.
//!
//! Takes that file out of the loaded Markdown before parse (it is not a page) and reads its
//! lines — `两委 = 村党组织委员会, 村民委员会`: the word a reader may type, then the words a
//! page may use instead — into normalised groups for the search index, which carries them to
//! both engines (the search page and `shuyuan search` expand queries with the same groups).
//! Every line that is not a group, a heading (`#`), a note (`>`), a comment or blank is an
//! error at its position: a group typed wrong must not be dropped in silence.

use std::path::Path;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::search::tokenizer::{CharClass, classify, normalize};
use crate::source::load::SourceFile;

/// The synonyms file, relative to `content/`.
pub const FILE: &str = "_synonyms.md";
/// Most groups a site may declare: every query is checked against each of them.
const MAX_GROUPS: usize = 2000;

/// Takes the synonyms file out of the loaded Markdown, leaving the pages.
pub fn take(markdown: &mut Vec<SourceFile>) -> Option<SourceFile> {
    let at = markdown.iter().position(|f| f.rel == FILE)?;
    Some(markdown.swap_remove(at))
}

/// Whether a character separates the words of a group's right side.
fn is_word_separator(c: char) -> bool {
    matches!(c, ',' | '，' | '、' | ';' | '；')
}

/// The groups of `file`: each the typed word first, then its synonyms, every word normalised
/// as the search analysis normalises text (full-width forms, case, traditional characters).
pub fn parse(file: &SourceFile, diagnostics: &mut Diagnostics) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    let mut lines = file.text.lines().enumerate().peekable();
    // Optional front matter, as on a page.
    if lines.peek().is_some_and(|(_, l)| l.trim_end() == "---") {
        lines.next();
        for (_, line) in lines.by_ref() {
            if line.trim_end() == "---" {
                break;
            }
        }
    }
    // Shown from the site root, as every other file: `content/_synonyms.md`.
    let shown = Path::new("content").join(&file.rel);
    let problem = |line: usize, column: usize, message: String| {
        Diagnostic::error(Code::Synonyms, &shown, message).at(&file.text, line + 1, column)
    };
    for (n, line) in lines {
        let trimmed = line.trim();
        let body = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .unwrap_or(trimmed);
        if body.is_empty() || body.starts_with(['#', '>']) || body.starts_with("<!--") {
            continue;
        }
        let column = line.chars().take_while(|c| c.is_whitespace()).count() + 1;
        let Some((left, right)) = body.split_once(['=', '＝']) else {
            diagnostics.push(problem(
                n,
                column,
                "同义词的每一行应写成“词 = 同义词, 同义词”，这一行没有等号（说明文字请以 > 开头）"
                    .to_string(),
            ));
            continue;
        };
        let mut group = vec![normalize(left.trim())];
        group.extend(
            right
                .split(is_word_separator)
                .map(|w| normalize(w.trim()))
                .filter(|w| !w.is_empty()),
        );
        let searchable = |w: &String| w.chars().any(|c| classify(c) != CharClass::Separator);
        if group.len() < 2 || !group.iter().all(searchable) {
            diagnostics.push(problem(
                n,
                column,
                "等号左边要有一个词，右边至少要有一个同义词（用逗号分隔）".to_string(),
            ));
            continue;
        }
        if groups.len() == MAX_GROUPS {
            diagnostics.push(problem(
                n,
                column,
                format!("同义词最多 {MAX_GROUPS} 组，其余的没有采用"),
            ));
            break;
        }
        group.dedup();
        groups.push(group);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            rel: FILE.into(),
            path: "content/_synonyms.md".into(),
            text: text.into(),
        }
    }

    #[test]
    fn groups_accept_full_width_punctuation_and_skip_headings() {
        let mut d = Diagnostics::default();
        let groups = parse(
            &file(
                "---\ntitle: 同义词\n---\n# 基层治理\n\n两委 ＝ 村党组织委员会，村民委员会\n- 低保 = 最低生活保障\nＡＢ = 網格、abc\n",
            ),
            &mut d,
        );
        assert!(d.is_empty());
        assert_eq!(
            groups,
            [
                vec!["两委", "村党组织委员会", "村民委员会"],
                vec!["低保", "最低生活保障"],
                vec!["ab", "网格", "abc"],
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_a_group_is_an_error_at_its_line() {
        let mut d = Diagnostics::default();
        let groups = parse(
            &file("两委 = 村民委员会\n  低保最低生活保障\n = 无词\n"),
            &mut d,
        );
        assert_eq!(groups.len(), 1);
        let lines: Vec<(usize, usize)> = d.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(lines, [(2, 3), (3, 2)]);
    }
}
