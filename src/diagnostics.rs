//! Diagnostics: every problem the pipeline finds in content, config or templates.
//!
//! Stages never stop at the first problem; they push [`Diagnostic`]s into a list and
//! carry on, so an editor sees all problems of a build at once. A diagnostic names the
//! file and, where known, the line and column, carries a stable English [`Code`] for
//! tools and tests, and a plain Chinese message for editors. Formatting for the
//! terminal lives here too, so the binary and the dev server print the same thing.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A stable identifier for each kind of problem; tests and tools match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    ConfigSyntax,
    ConfigInvalid,
    Io,
    NotUtf8,
    FileTooLarge,
    SymlinkLoop,
    SymlinkOutside,
    FrontMatterUnclosed,
    FrontMatterSyntax,
    FrontMatterNotMapping,
    MissingField,
    FieldType,
    InvalidDate,
    InvalidEnum,
    UnknownKind,
    UnknownField,
    DuplicateSlug,
    DuplicateOutput,
    UnsafeOutput,
    /// An in-place commit stopped after it began: the output holds part of the new build.
    OutputPartlyUpdated,
    InvalidName,
    BrokenLink,
    BrokenAnchor,
    UnclosedWikiLink,
    MissingRef,
    SupersededLoop,
    StatusConflict,
    NestingTooDeep,
    MarkupTooDense,
    FullWidthComma,
    DuplicateStep,
    DuplicateTerm,
    TemplateSyntax,
    TemplateRender,
    ExternalAsset,
    Search,
    Synonyms,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ConfigSyntax => "config-syntax",
            Code::ConfigInvalid => "config-invalid",
            Code::Io => "io",
            Code::NotUtf8 => "not-utf8",
            Code::FileTooLarge => "file-too-large",
            Code::SymlinkLoop => "symlink-loop",
            Code::SymlinkOutside => "symlink-outside",
            Code::FrontMatterUnclosed => "front-matter-unclosed",
            Code::FrontMatterSyntax => "front-matter-syntax",
            Code::FrontMatterNotMapping => "front-matter-not-mapping",
            Code::MissingField => "missing-field",
            Code::FieldType => "field-type",
            Code::InvalidDate => "invalid-date",
            Code::InvalidEnum => "invalid-enum",
            Code::UnknownKind => "unknown-kind",
            Code::UnknownField => "unknown-field",
            Code::DuplicateSlug => "duplicate-slug",
            Code::DuplicateOutput => "duplicate-output",
            Code::UnsafeOutput => "unsafe-output",
            Code::OutputPartlyUpdated => "output-partly-updated",
            Code::InvalidName => "invalid-name",
            Code::BrokenLink => "broken-link",
            Code::BrokenAnchor => "broken-anchor",
            Code::UnclosedWikiLink => "unclosed-wiki-link",
            Code::MissingRef => "missing-ref",
            Code::SupersededLoop => "superseded-loop",
            Code::StatusConflict => "status-conflict",
            Code::NestingTooDeep => "nesting-too-deep",
            Code::MarkupTooDense => "markup-too-dense",
            Code::FullWidthComma => "full-width-comma",
            Code::DuplicateStep => "duplicate-step",
            Code::DuplicateTerm => "duplicate-term",
            Code::TemplateSyntax => "template-syntax",
            Code::TemplateRender => "template-render",
            Code::ExternalAsset => "external-asset",
            Code::Search => "search",
            Code::Synonyms => "synonyms",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located as precisely as the stage that found it can.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// Path relative to the site root where possible, so messages stay short.
    pub path: PathBuf,
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    /// 1-based, counted in characters (not bytes) so it matches what editors show.
    pub column: usize,
    pub message: String,
    /// The offending source line when known, cut to the characters around the column (with
    /// `…` where it was cut): a page may be one line of megabytes.
    pub source_line: Option<String>,
    /// The column within [`Self::source_line`], where the caret goes.
    #[serde(skip)]
    source_column: usize,
}

impl Diagnostic {
    pub fn error(code: Code, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            path: path.into(),
            line: 0,
            column: 0,
            message: message.into(),
            source_line: None,
            source_column: 0,
        }
    }

    pub fn warning(code: Code, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, message)
        }
    }

    /// Places the diagnostic at `line:column` of `source` and keeps that line for display.
    pub fn at(mut self, source: &str, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column.max(1);
        if let Some(text) = source.lines().nth(line.saturating_sub(1)) {
            let (excerpt, column) = window(text.trim_end_matches('\r'), self.column);
            self.source_line = Some(excerpt);
            self.source_column = column;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col` as editors and terminals expect it.
    pub fn location(&self) -> String {
        let path = self.path.display();
        match (self.line, self.column) {
            (0, _) => format!("{path}"),
            (line, col) => format!("{path}:{line}:{col}"),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        };
        writeln!(f, "{label}[{}]: {}", self.code, self.message)?;
        write!(f, "  --> {}", self.location())?;
        if let Some(source_line) = &self.source_line {
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            let caret_pad: String = source_line
                .chars()
                .take(self.source_column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { display_pad(c) })
                .collect();
            write!(
                f,
                "\n {gutter} |\n {number} | {source_line}\n {gutter} | {caret_pad}^"
            )?;
        }
        Ok(())
    }
}

/// Characters of a quoted source line shown on each side of the column.
const WINDOW_HALF: usize = 40;

/// A long source line (a 200 KB paragraph is one line) cut to the characters around
/// `column`, with `…` where it was cut; returns the text and the column within it.
fn window(line: &str, column: usize) -> (String, usize) {
    let column = column.max(1);
    let length = line.chars().count();
    if length <= WINDOW_HALF * 2 {
        return (line.to_string(), column);
    }
    let start = column.saturating_sub(1).saturating_sub(WINDOW_HALF);
    let end = (start + WINDOW_HALF * 2).min(length);
    let mut text = String::new();
    let mut shifted = column - start;
    if start > 0 {
        text.push('…');
        shifted += 1;
    }
    text.extend(line.chars().skip(start).take(end - start));
    if end < length {
        text.push('…');
    }
    (text, shifted)
}

/// Wide (CJK) characters take two terminal cells, so the caret needs two spaces for them.
fn display_pad(c: char) -> char {
    if is_wide(c) { '\u{3000}' } else { ' ' }
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF |
        0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF |
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// The problems of one run, errors and warnings together, in a stable order.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorts by file and position so output does not depend on thread scheduling.
    pub fn sort(&mut self) {
        self.items
            .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Makes `path` relative to `root` for display; leaves it alone when it is elsewhere.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
