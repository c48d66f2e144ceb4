//! Parse: splits each Markdown file into front matter and body, parses the YAML and
//! checks every field against the [`Schema`], giving typed [`Document`]s.
//!
//! YAML is read with serde-saphyr, with strict booleans so that `NO`, `y` or `on` stay
//! text (a region called NO must not become `false`). Every value keeps its position, so
//! a type error points at `path:line:col` in the original file.

mod field_names;
mod list_items;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_saphyr::Spanned;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::schema::{FieldError, FieldValue, Kind, Schema};
use crate::source::load::SourceFile;

/// What a Markdown file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `_index.md`: the title and introduction of its folder.
    Section,
    /// `index.md`: a page that owns its folder (a bundle with its attachments).
    BundlePage,
    Page,
}

/// Where a field was written in the source file (1-based).
pub type Position = (usize, usize);

#[derive(Debug)]
pub struct Document {
    pub rel: String,
    /// Shown in diagnostics: relative to the site root.
    pub shown_path: PathBuf,
    pub role: Role,
    pub source: String,
    /// Byte offset of the body in `source`.
    pub body_start: usize,
    /// 1-based line of the body's first line in `source`.
    pub body_line: usize,
    pub fields: BTreeMap<String, FieldValue>,
    pub positions: BTreeMap<String, Position>,
    pub kind: Option<Kind>,
    /// Set by [`Self::release_source`].
    released: bool,
}

impl Document {
    /// A document for a file that is not a page (a learning path, the glossary), so its
    /// body's links resolve and report problems like a page's.
    pub fn data_file(rel: String, shown_path: PathBuf, source: String, body_start: usize) -> Self {
        let body_line = source[..body_start].matches('\n').count() + 1;
        Document {
            rel,
            shown_path,
            role: Role::Page,
            source,
            body_start,
            body_line,
            fields: BTreeMap::new(),
            positions: BTreeMap::new(),
            kind: None,
            released: false,
        }
    }

    pub fn body(&self) -> &str {
        &self.source[self.body_start..]
    }

    /// Frees the source text once its body is rendered (a one-off build keeps no session
    /// that could render it again): on a large site the sources are a quarter of the memory.
    /// Fields and their positions stay; [`Self::body`] is empty from then on, and
    /// [`Self::source_text`] reads the file again for the rare diagnostic that quotes a line.
    pub fn release_source(&mut self) {
        self.source = String::new();
        self.body_start = 0;
        self.released = true;
    }

    /// The source text, read again from the file under `root` if it was released.
    pub fn source_text(&self, root: &Path) -> Cow<'_, str> {
        if self.released {
            Cow::Owned(std::fs::read_to_string(root.join(&self.shown_path)).unwrap_or_default())
        } else {
            Cow::Borrowed(&self.source)
        }
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(FieldValue::as_text)
    }

    pub fn list(&self, field: &str) -> &[String] {
        self.fields.get(field).map_or(&[], FieldValue::as_list)
    }

    pub fn int(&self, field: &str) -> Option<i64> {
        match self.fields.get(field) {
            Some(FieldValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn flag(&self, field: &str) -> bool {
        matches!(self.fields.get(field), Some(FieldValue::Bool(true)))
    }

    pub fn date(&self, field: &str) -> Option<crate::schema::Date> {
        match self.fields.get(field) {
            Some(FieldValue::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// A diagnostic placed at the value of `field`, or at the top of the file, quoting its
    /// line (read again from under the site `root` once the source is released).
    pub fn error_at(&self, root: &Path, field: &str, code: Code, message: String) -> Diagnostic {
        let place = self.positions.get(field).copied().unwrap_or((1, 1));
        self.error_at_place(root, place, code, message)
    }

    /// A diagnostic placed at `place`, a line and column of the source file.
    pub fn error_at_place(
        &self,
        root: &Path,
        (line, column): Position,
        code: Code,
        message: String,
    ) -> Diagnostic {
        Diagnostic::error(code, &self.shown_path, message).at(&self.source_text(root), line, column)
    }

    /// Where each item of the list `field` was written ([`list_items`]), one place per item:
    /// the field's own for every item when they cannot be told apart, and for the one value of
    /// a field written as text. Read once for a list, however many of its items are wrong.
    pub fn item_places(&self, root: &Path, field: &str) -> Vec<Position> {
        let items = self.list(field).len().max(1);
        let field_place = self.positions.get(field).copied().unwrap_or((1, 1));
        list_items::item_positions(&self.source_text(root), field_place, items)
            .unwrap_or_else(|| vec![field_place; items])
    }
}

pub fn parse_all(
    site_root: &Path,
    files: Vec<SourceFile>,
    schema: &Schema,
    diagnostics: &mut Diagnostics,
) -> Vec<Document> {
    let results: Vec<(Option<Document>, Vec<Diagnostic>)> = files
        .into_par_iter()
        .map(|file| parse_one(site_root, file, schema))
        .collect();
    let mut documents = Vec::with_capacity(results.len());
    for (document, problems) in results {
        diagnostics.extend(problems);
        documents.extend(document);
    }
    documents
}

fn role_of(rel: &str) -> Role {
    match rel.rsplit('/').next() {
        Some("_index.md") => Role::Section,
        Some("index.md") => Role::BundlePage,
        _ => Role::Page,
    }
}

fn parse_one(
    site_root: &Path,
    file: SourceFile,
    schema: &Schema,
) -> (Option<Document>, Vec<Diagnostic>) {
    let shown_path = file
        .path
        .strip_prefix(site_root)
        .unwrap_or(&file.path)
        .to_path_buf();
    let mut problems = Vec::new();
    let role = role_of(&file.rel);
    let source = file.text;

    let (yaml, yaml_line, body_start) = match split_front_matter(&source) {
        Ok(split) => split,
        Err(line) => {
            problems.push(
                Diagnostic::error(
                    Code::FrontMatterUnclosed,
                    &shown_path,
                    "前置元数据没有结束：开头的 `---` 之后找不到另一行 `---`",
                )
                .at(&source, line, 1),
            );
            return (None, problems);
        }
    };

    if let Some(d) = full_width_colon(&shown_path, &source, yaml, yaml_line) {
        problems.push(d);
        return (None, problems);
    }
    let mut raw: BTreeMap<String, Spanned<serde_json::Value>> = BTreeMap::new();
    if !yaml.trim().is_empty() {
        let options = serde_saphyr::options! { strict_booleans: true };
        match serde_saphyr::from_str_with_options(yaml, options) {
            Ok(map) => raw = map,
            Err(e) => {
                problems.push(yaml_error(&shown_path, &source, yaml, yaml_line, &e));
                return (None, problems);
            }
        }
    }

    let mut fields = BTreeMap::new();
    let mut positions = BTreeMap::new();
    for (name, spanned) in raw {
        let location = spanned.referenced;
        let position = (
            yaml_line + location.line().saturating_sub(1) as usize,
            location.column() as usize,
        );
        positions.insert(name.clone(), position);
        if role == Role::Section && matches!(name.as_str(), "sort_by" | "paginate") {
            match check_section_field(&name, &spanned.value) {
                Ok(value) => {
                    fields.insert(name, value);
                }
                Err(message) => problems.push(
                    Diagnostic::error(
                        Code::FieldType,
                        &shown_path,
                        format!("字段 `{name}` {message}"),
                    )
                    .at(&source, position.0, position.1),
                ),
            }
            continue;
        }
        problems.extend(field_names::unknown_field(
            schema,
            &name,
            &shown_path,
            &source,
            (yaml, yaml_line),
            position,
        ));
        match schema.check(&name, &spanned.value) {
            Ok(Some(value)) => {
                problems.extend(full_width_comma(
                    &shown_path,
                    &source,
                    &name,
                    &value,
                    position,
                ));
                fields.insert(name, value);
            }
            Ok(None) => {}
            Err(e) => problems.push(
                Diagnostic::error(
                    field_error_code(&e),
                    &shown_path,
                    format!("字段 `{name}` {}", e.message),
                )
                .at(&source, position.0, position.1),
            ),
        }
    }

    let body_line = source[..body_start].matches('\n').count() + 1;
    let mut document = Document {
        rel: file.rel,
        shown_path,
        role,
        source,
        body_start,
        body_line,
        fields,
        positions,
        kind: None,
        released: false,
    };
    problems.extend(nesting_problem(&document));
    problems.extend(density_problem(&document));

    if let Some(kind_name) = document.text("kind").map(str::to_string) {
        match Kind::parse(&kind_name) {
            Some(kind) => document.kind = Some(kind),
            None => problems.push(document.error_at(
                site_root,
                "kind",
                Code::UnknownKind,
                format!("未知的内容类型 `{kind_name}`；可用类型：case（案例）、guide（操作指南）、policy（政策摘编）"),
            )),
        }
    }
    (Some(document), problems)
}

fn check_section_field(name: &str, value: &serde_json::Value) -> Result<FieldValue, String> {
    match (name, value) {
        ("sort_by", serde_json::Value::String(s))
            if matches!(s.as_str(), "date" | "weight" | "title") =>
        {
            Ok(FieldValue::Text(s.clone()))
        }
        ("sort_by", _) => Err("应为 date、weight 或 title 之一".into()),
        ("paginate", serde_json::Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {
            Ok(FieldValue::Int(n.as_u64().unwrap_or(1) as i64))
        }
        _ => Err("应为正整数（每页显示的条数）".into()),
    }
}

/// `region：江北区` — a full-width colon right after a key, as a Chinese IME types it.
/// YAML reads the line as plain text and then fails somewhere else in English; one error
/// at the colon says what to change.
fn full_width_colon(
    shown_path: &Path,
    source: &str,
    yaml: &str,
    yaml_line: usize,
) -> Option<Diagnostic> {
    yaml.lines().enumerate().find_map(|(index, line)| {
        // Top-level keys only: an indented line may continue a multi-line value.
        let (key, _) = line.split_once('：')?;
        let plausible_key = !key.is_empty()
            && !key.contains([':', '#', ' ', '\t', '"', '\'', '[', '{'])
            && !key.starts_with('-');
        if !plausible_key {
            return None;
        }
        let column = key.chars().count() + 1;
        Some(
            Diagnostic::error(
                Code::FrontMatterSyntax,
                shown_path,
                format!(
                    "字段名 `{key}` 后面是全角冒号 `：`，前置元数据只认半角冒号 `:`；请改成 `{key}: …`（冒号后留一个空格）"
                ),
            )
            .at(source, yaml_line + index, column),
        )
    })
}

/// `tags: [议事会，停车管理]`, `tags: [议事会、停车管理]` — a full-width comma or an
/// enumeration comma inside a list item, or `tags: 【议事会, 停车管理】` — full-width brackets
/// around the whole list: YAML reads one item, the editor almost certainly meant two. A
/// warning at the mark, since a title with a comma in it is a real item; none for a quoted
/// item (`"调整大小，另请参见缩放"`), whose quotes say the comma is meant.
fn full_width_comma(
    shown_path: &Path,
    source: &str,
    name: &str,
    value: &FieldValue,
    (line, column): Position,
) -> Option<Diagnostic> {
    let field_start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let from_field = &source[field_start..];
    let quoted = |item: &str| {
        from_field
            .find(item)
            .and_then(|at| from_field[..at].chars().next_back())
            .is_some_and(|c| c == '"' || c == '\'')
    };
    let bracketed = |item: &str| {
        (item.starts_with('【') && item.ends_with('】'))
            || (item.starts_with('［') && item.ends_with('］'))
    };
    let item = value
        .as_list()
        .iter()
        .find(|item| (item.contains(['，', '、']) || bracketed(item)) && !quoted(item))?;
    let (mark, message) = if bracketed(item) {
        let inner = item
            .trim_start_matches(['【', '［'])
            .trim_end_matches(['】', '］']);
        let split = inner.replace(['，', '、'], ", ");
        (
            item.chars().next().unwrap_or('【'),
            format!(
                "字段 `{name}` 的值「{item}」用了全角方括号，会被当成一项文字；列表要用半角方括号：[{split}]"
            ),
        )
    } else {
        let mark = if item.contains('，') { '，' } else { '、' };
        let what = if mark == '，' {
            "全角逗号"
        } else {
            "顿号"
        };
        let split = item.replace(['，', '、'], ", ");
        (
            mark,
            format!(
                "字段 `{name}` 的一项「{item}」含{what} `{mark}`，会被当成一项；如果是多项，请用半角逗号分隔：[{split}]"
            ),
        )
    };
    let source_line = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let mark_column = source_line
        .chars()
        .enumerate()
        .skip(column.saturating_sub(1))
        .find(|&(_, c)| c == mark)
        .map_or(column, |(at, _)| at + 1);
    Some(
        Diagnostic::warning(Code::FullWidthComma, shown_path, message).at(
            source,
            line,
            mark_column,
        ),
    )
}

fn yaml_error(
    shown_path: &Path,
    source: &str,
    yaml: &str,
    yaml_line: usize,
    error: &serde_saphyr::Error,
) -> Diagnostic {
    let explained = crate::source::yaml_errors::explain(yaml, error);
    let code = if explained.not_fields {
        Code::FrontMatterNotMapping
    } else {
        Code::FrontMatterSyntax
    };
    Diagnostic::error(
        code,
        shown_path,
        format!("前置元数据（YAML）格式错误：{}", explained.message),
    )
    .at(source, yaml_line + explained.line - 1, explained.column)
}

/// Returns the YAML text, the 1-based line it starts on, and the byte offset of the body.
/// A file without a leading `---` has no front matter. `Err(line)` means the opening
/// fence at `line` is never closed.
fn split_front_matter(source: &str) -> Result<(&str, usize, usize), usize> {
    let Some(rest) = source.strip_prefix("---") else {
        return Ok(("", 1, 0));
    };
    let Some(first_newline) = rest.find('\n') else {
        return if rest.trim().is_empty() {
            Err(1)
        } else {
            Ok(("", 1, 0))
        };
    };
    if !rest[..first_newline].trim().is_empty() {
        return Ok(("", 1, 0));
    }
    let yaml_start = 3 + first_newline + 1;
    let mut offset = yaml_start;
    for line in source[yaml_start..].split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        if content.trim_end() == "---" || content.trim_end() == "..." {
            let body_start = offset + line.len();
            return Ok((&source[yaml_start..offset], 2, body_start));
        }
        offset += line.len();
    }
    Err(1)
}

/// The front matter of a file that is not a page — a learning path, the glossary — read
/// into the caller's own type. Wrap values in [`Spanned`] to keep their positions; turn
/// them into file positions with [`FrontMatter::position`].
pub struct FrontMatter<T> {
    pub value: T,
    /// 1-based line of the first YAML line.
    pub yaml_line: usize,
    /// Byte offset of the body.
    pub body_start: usize,
}

impl<T> FrontMatter<T> {
    pub fn position(&self, location: &serde_saphyr::Location) -> Position {
        (
            self.yaml_line + location.line().saturating_sub(1) as usize,
            location.column() as usize,
        )
    }

    /// Type-checks one value against `schema` as a page's field would be, with the same
    /// codes and messages, placed at the value.
    pub fn check(
        &self,
        schema: &Schema,
        name: &str,
        value: &Spanned<serde_json::Value>,
        shown_path: &Path,
        source: &str,
    ) -> Result<Option<FieldValue>, Diagnostic> {
        schema.check(name, &value.value).map_err(|e| {
            let (line, column) = self.position(&value.referenced);
            Diagnostic::error(
                field_error_code(&e),
                shown_path,
                format!("字段 `{name}` {}", e.message),
            )
            .at(source, line, column)
        })
    }
}

fn field_error_code(e: &FieldError) -> Code {
    if e.invalid_date {
        Code::InvalidDate
    } else if e.invalid_enum {
        Code::InvalidEnum
    } else {
        Code::FieldType
    }
}

/// Splits and parses the front matter of `source` as a `T`; a file without front matter
/// reads as an empty mapping.
pub fn front_matter<T: serde::de::DeserializeOwned + Default>(
    shown_path: &Path,
    source: &str,
) -> Result<FrontMatter<T>, Diagnostic> {
    let (yaml, yaml_line, body_start) = split_front_matter(source).map_err(|line| {
        Diagnostic::error(
            Code::FrontMatterUnclosed,
            shown_path,
            "前置元数据没有结束：开头的 `---` 之后找不到另一行 `---`",
        )
        .at(source, line, 1)
    })?;
    if let Some(d) = full_width_colon(shown_path, source, yaml, yaml_line) {
        return Err(d);
    }
    let value = if yaml.trim().is_empty() {
        T::default()
    } else {
        let options = serde_saphyr::options! { strict_booleans: true };
        serde_saphyr::from_str_with_options(yaml, options)
            .map_err(|e| yaml_error(shown_path, source, yaml, yaml_line, &e))?
    };
    Ok(FrontMatter {
        value,
        yaml_line,
        body_start,
    })
}

/// The diagnostic for a document whose body nests too deep, placed in the file.
pub fn nesting_problem(doc: &Document) -> Option<Diagnostic> {
    let found = crate::source::nesting::too_deep(doc.body())?;
    Some(
        Diagnostic::error(
            Code::NestingTooDeep,
            &doc.shown_path,
            format!(
                "引用（`>`）或列表嵌套超过 {} 层，无法排版；请减少嵌套层数，正文里的 `>` 或 `-` 如果不是引用或列表，请在前面加 `\\`",
                crate::source::nesting::MAX_DEPTH
            ),
        )
        .at(
            &doc.source,
            doc.body_line + found.line - 1,
            found.column,
        ),
    )
}

/// The diagnostic for a document whose body holds too many Markdown marks to build in
/// bounded memory ([`crate::source::density`]), placed at the mark past the limit.
pub fn density_problem(doc: &Document) -> Option<Diagnostic> {
    let found = crate::source::density::too_dense(doc.body())?;
    Some(
        Diagnostic::error(
            Code::MarkupTooDense,
            &doc.shown_path,
            format!(
                "这一页的 Markdown 标记太多：到这里，行数与 * _ [ ] < > | # - . / 等标记符号合计已超过 {} 万个，生成网页会占用过多内存。请把这一页拆分成几页",
                crate::source::density::MAX_MARKS / 10_000
            ),
        )
        .at(
            &doc.source,
            doc.body_line + found.line - 1,
            found.column,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split_from_the_body() {
        let source = "---\ntitle: 甲\n---\n正文\n";
        let (yaml, line, body) = split_front_matter(source).unwrap();
        assert_eq!(yaml, "title: 甲\n");
        assert_eq!(line, 2);
        assert_eq!(&source[body..], "正文\n");
    }

    #[test]
    fn unclosed_front_matter_is_reported() {
        assert_eq!(split_front_matter("---\ntitle: 甲\n正文\n"), Err(1));
    }

    #[test]
    fn a_thematic_break_later_is_not_front_matter() {
        assert_eq!(split_front_matter("正文\n---\n").unwrap(), ("", 1, 0));
    }
}
