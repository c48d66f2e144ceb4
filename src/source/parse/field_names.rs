//! Field names no part of the site reads: `titel:`, `Tags:`, `　tags:` (a full-width space
//! before it), `标签:`. Such a field is ignored, so the page silently loses its title or tags;
//! [`unknown_field`] makes it a warning at the name, with the field meant where one is close.
//! A warning, not an error: an existing folder of Markdown may carry fields of its own (from
//! another generator) and still builds as it is.

use std::path::Path;

use super::Position;
use crate::diagnostics::{Code, Diagnostic};
use crate::schema::Schema;

/// The warning for the field `name` of a page or section, which `schema` does not know, or
/// `None` when it does. `value_at` is where its value is written, the fallback when the name
/// cannot be found on a line of its own in `yaml` (which starts on line `yaml_line` of
/// `source`).
pub fn unknown_field(
    schema: &Schema,
    name: &str,
    shown_path: &Path,
    source: &str,
    (yaml, yaml_line): (&str, usize),
    value_at: Position,
) -> Option<Diagnostic> {
    if schema.is_known(name) {
        return None;
    }
    let message = match closest(schema, name) {
        Some(meant) => format!("不认识的字段 `{name}`，已忽略；是不是想写 `{meant}`？"),
        None => format!(
            "不认识的字段 `{name}`，已忽略：它既不是内置字段，也没有在 site.toml 的 [schema.fields] 中声明"
        ),
    };
    let (line, column) = name_line(yaml, name).map_or(value_at, |index| (yaml_line + index, 1));
    Some(Diagnostic::warning(Code::UnknownField, shown_path, message).at(source, line, column))
}

/// The 0-based line of `yaml` that starts with `name` as a key (bare or quoted).
fn name_line(yaml: &str, name: &str) -> Option<usize> {
    yaml.lines().position(|line| {
        [
            line.strip_prefix(name),
            line.strip_prefix('"')
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix('"')),
            line.strip_prefix('\'')
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix('\'')),
        ]
        .into_iter()
        .flatten()
        .any(|rest| rest.trim_start_matches([' ', '\t']).starts_with(':'))
    })
}

/// The known field an editor most likely meant by `name`: the same name but for spaces
/// (full-width ones too) and case, the field whose Chinese label it is (`标题` → `title`), or
/// one a typo or two away (`titel`, `summery`).
fn closest(schema: &Schema, name: &str) -> Option<String> {
    let plain = name
        .trim_matches(|c: char| c.is_whitespace())
        .to_lowercase();
    let known: Vec<(&str, Option<&str>)> = schema.known_names().collect();
    if let Some((field, _)) = known
        .iter()
        .find(|(field, label)| field.to_lowercase() == plain || *label == Some(plain.as_str()))
    {
        return Some(field.to_string());
    }
    let allowed = if plain.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|(field, _)| (typo_distance(&plain, &field.to_lowercase()), *field))
        .filter(|&(distance, _)| distance <= allowed)
        .min()
        .map(|(_, field)| field.to_string())
}

/// Edits (a character added, dropped, changed, or two neighbours swapped) that turn `a`
/// into `b`. Field names are short: the table is tiny.
fn typo_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[i - 1][j] + 1)
                .min(table[i][j - 1] + 1)
                .min(table[i - 1][j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_full_width_spaces_case_and_labels_find_the_field_meant() {
        let schema = Schema::builtin();
        for (written, meant) in [
            ("titel", "title"),
            ("Tags", "tags"),
            ("\u{3000}tags", "tags"),
            ("标题", "title"),
            ("summery", "summary"),
            ("tag", "tags"),
            ("doc_numbr", "doc_number"),
        ] {
            assert_eq!(
                closest(&schema, written).as_deref(),
                Some(meant),
                "{written}"
            );
        }
        for unrelated in ["author", "layout", "培训对象", "x"] {
            assert_eq!(closest(&schema, unrelated), None, "{unrelated}");
        }
    }

    #[test]
    fn the_name_is_found_bare_or_quoted_and_not_inside_a_value() {
        let yaml = "title: 甲\nsummary: \"titel: 不是字段\"\n\"titel\" : 乙\n";
        assert_eq!(name_line(yaml, "titel"), Some(2));
        assert_eq!(name_line(yaml, "summary"), Some(1));
        assert_eq!(name_line(yaml, "tags"), None);
    }
}
