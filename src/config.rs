//! Site configuration: `site.toml` is read faithfully into [`RawConfig`], then validated
//! into the typed [`Config`] the rest of the pipeline uses.
//!
//! Validation collects every problem (unknown keys, bad field types in the schema,
//! unknown kinds) as diagnostics with positions, instead of stopping at the first.
//! The front-matter schema lives in [`crate::schema`]; this module only reads its
//! declaration from the file.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::schema::{FieldSpec, FieldType, Kind, Schema};

/// The name of the theme embedded in the binary.
pub const DEFAULT_THEME_NAME: &str = "default";

pub const CONFIG_FILE: &str = "site.toml";

/// The site's title when `site.toml` gives none.
pub const DEFAULT_TITLE: &str = "书院知识库";

/// What a folder given as a site root holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteFolder {
    /// `site.toml` is there.
    Configured,
    /// `content/` without `site.toml`: a folder of Markdown, built with the defaults.
    ContentOnly,
    /// Neither: most likely the command was run in the wrong folder.
    NotASite,
}

impl SiteFolder {
    pub fn of(root: &Path) -> SiteFolder {
        if root.join(CONFIG_FILE).exists() {
            SiteFolder::Configured
        } else if root.join("content").is_dir() {
            SiteFolder::ContentOnly
        } else {
            SiteFolder::NotASite
        }
    }
}

/// `site.toml` exactly as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    language: Option<String>,
    base_url: Option<String>,
    theme: Option<String>,
    /// Keys with their positions: a bad key is reported where it is written.
    #[serde(default)]
    taxonomies: Option<BTreeMap<toml::Spanned<String>, toml::Value>>,
    #[serde(default)]
    content: RawContent,
    #[serde(default)]
    search: RawSearch,
    #[serde(default)]
    markdown: RawMarkdown,
    #[serde(default)]
    schema: RawSchema,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    /// Where the old tantivy index was kept. Still accepted so that existing `site.toml`
    /// files keep building, but only inside the site folder, as every path a setting names;
    /// nothing reads or writes it (search reads the output's static index).
    index_dir: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContent {
    allow_symlinks_outside: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarkdown {
    allow_html: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    fields: BTreeMap<String, RawField>,
    #[serde(default)]
    kinds: BTreeMap<String, RawKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    #[serde(rename = "type")]
    ty: String,
    label: Option<String>,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    #[serde(default)]
    required: Vec<String>,
}

/// A taxonomy: a front-matter field whose values get their own listing pages.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The front-matter field, also the output folder (`tags/…`).
    pub name: String,
    /// What readers see, e.g. 标签.
    pub label: String,
    /// Line and column of its name in `site.toml`; `None` for the built-in ones a site
    /// without `[taxonomies]` gets.
    pub written_at: Option<(usize, usize)>,
}

/// The validated configuration of one site.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub title: String,
    pub description: String,
    pub language: String,
    pub base_url: Option<String>,
    pub theme: String,
    pub taxonomies: Vec<Taxonomy>,
    pub search_enabled: bool,
    pub allow_html: bool,
    /// `[content] allow_symlinks_outside`: whether a symlink under `content/` may lead out
    /// of the site folder (by default it is an error, so nothing outside is published).
    pub allow_symlinks_outside: bool,
    pub schema: Schema,
}

impl Config {
    pub fn content_dir(&self) -> PathBuf {
        self.root.join("content")
    }

    pub fn theme_dir(&self) -> PathBuf {
        self.root.join("themes").join(&self.theme)
    }

    /// Reads and validates `site.toml` under `root`. A missing file gives the defaults,
    /// so a bare folder of Markdown builds as it is.
    pub fn load(root: &Path) -> Result<Config, Diagnostics> {
        let path = root.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                let mut diagnostics = Diagnostics::default();
                diagnostics.push(Diagnostic::error(
                    Code::Io,
                    CONFIG_FILE,
                    format!("无法读取站点配置：{e}"),
                ));
                return Err(diagnostics);
            }
        };
        Config::from_toml(root, &text)
    }

    pub fn from_toml(root: &Path, text: &str) -> Result<Config, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        // Every problem at once: a setting the library refuses is reported, its line read as
        // blank, and the rest read again (line numbers kept), up to MAX_CONFIG_PROBLEMS times.
        // A problem that is no single `key = value` line (a table header, a bracket left
        // open) ends the reading there.
        let mut read = Cow::Borrowed(text);
        let raw: RawConfig = loop {
            match toml::from_str(&read) {
                Ok(raw) => break raw,
                Err(e) => {
                    let at = e.span().map(|span| line_col(&read, span.start));
                    let sentence = at
                        .and_then(|(line, _)| site_setting_under_a_table(e.message(), text, line))
                        .unwrap_or_else(|| toml_in_chinese(e.message()));
                    let mut d = Diagnostic::error(
                        Code::ConfigSyntax,
                        CONFIG_FILE,
                        format!(
                            "站点配置 site.toml 有误：{sentence}（TOML 解析库原文：{}）",
                            e.message().replace('\n', " ")
                        ),
                    );
                    if let Some((line, col)) = at {
                        d = d.at(text, line, col);
                    }
                    diagnostics.push(d);
                    let blanked = e.span().and_then(|span| without_setting_line(&read, span));
                    match blanked {
                        Some(next) if diagnostics.error_count() < MAX_CONFIG_PROBLEMS => {
                            read = Cow::Owned(next);
                        }
                        _ => {
                            diagnostics.sort();
                            return Err(diagnostics);
                        }
                    }
                }
            }
        };
        let config = validate(root, raw, text, &mut diagnostics);
        if diagnostics.has_errors() {
            diagnostics.sort();
            Err(diagnostics)
        } else {
            Ok(config)
        }
    }
}

/// The most problems `site.toml` is read again for.
const MAX_CONFIG_PROBLEMS: usize = 32;

/// `text` with the line holding `span` read as blank, when that line is one `key = value`
/// setting and the span lies within it; `None` otherwise.
fn without_setting_line(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[start..end].trim();
    let is_setting = !line.starts_with('[') && !line.starts_with('#') && line.contains('=');
    (is_setting && span.end <= end).then(|| {
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..start]);
        out.push_str(&text[end..]);
        out
    })
}

/// `base_url` as the site's links and sitemap use it, ending in `/`, its characters beyond
/// ASCII percent-encoded (UTF-8), as an address in a sitemap must be; or why it is no address
/// the site can be served from. It is written into `404.html`'s links and every sitemap
/// entry, so it must be a web address and nothing else.
fn checked_base_url(url: &str) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = ["http://", "https://"]
        .iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &url[scheme.len()..]))
    else {
        return Err(
            "应是网站的完整地址，以 http:// 或 https:// 开头，例如 base_url = \"http://intranet/kb/\""
                .into(),
        );
    };
    if rest.split('/').next().is_none_or(str::is_empty) {
        return Err("地址里缺少服务器名，例如 http://intranet/kb/".into());
    }
    // The folder the site is served from: what a reader copies from the address bar may end
    // in the home page's name, a query or a place on the page.
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    let last = path.rsplit('/').next().unwrap_or("");
    if rest.contains(['?', '#']) || last.contains('.') {
        return Err(
            "应只写到网站所在的文件夹为止，不带文件名（如 index.html）、`?` 或 `#` 之后的部分，例如 http://intranet/kb/"
                .into(),
        );
    }
    if let Some(c) = url
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`{}|^".contains(*c))
    {
        let shown = if c.is_whitespace() {
            "空格".to_string()
        } else {
            format!("`{}`", c.escape_default())
        };
        return Err(format!(
            "地址里有{shown}，网址中不能直接出现；空格请写成 %20，或换一个不含它的地址"
        ));
    }
    let mut out = crate::html::percent_encode_non_ascii(url);
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

fn validate(root: &Path, raw: RawConfig, text: &str, diagnostics: &mut Diagnostics) -> Config {
    let taxonomies = match raw.taxonomies {
        None => default_taxonomies(),
        Some(table) => table
            .into_iter()
            .filter_map(|(name, label)| {
                let (line, col) = line_col(text, name.span().start);
                let at = |message: String| {
                    Diagnostic::error(Code::ConfigInvalid, CONFIG_FILE, message).at(text, line, col)
                };
                let name = name.into_inner();
                if let Some(why) = bad_segment(&name) {
                    diagnostics.push(at(format!(
                        "分类名 `{name}` 不能用作文件夹名：{why}。分类名会成为输出中的文件夹（如 tags/），请只用一个简单的名字，例如 tags 或 专题"
                    )));
                    return None;
                }
                match label {
                    toml::Value::String(label) => Some(Taxonomy {
                        name,
                        label,
                        written_at: Some((line, col)),
                    }),
                    _ => {
                        diagnostics.push(at(format!(
                            "分类 `{name}` 的显示名称应为文字，例如 {name} = \"标签\""
                        )));
                        None
                    }
                }
            })
            .collect(),
    };
    let mut problem = |key: &str, message: String| {
        let mut d = Diagnostic::error(Code::ConfigInvalid, CONFIG_FILE, message);
        if let Some((line, col)) = find_key(text, key) {
            d = d.at(text, line, col);
        }
        diagnostics.push(d);
    };

    let mut schema = Schema::builtin();
    for (name, field) in raw.schema.fields {
        let ty = match field.ty.as_str() {
            "text" => FieldType::Text,
            "date" => FieldType::Date,
            "list" => FieldType::List,
            "int" => FieldType::Int,
            "bool" => FieldType::Bool,
            "ref" => FieldType::Ref,
            "refs" => FieldType::Refs,
            "enum" if !field.values.is_empty() => FieldType::Enum(field.values),
            "enum" => {
                problem(
                    &name,
                    format!("字段 `{name}` 是枚举类型，需要用 values 列出允许的取值"),
                );
                continue;
            }
            other => {
                problem(
                    &name,
                    format!(
                        "字段 `{name}` 的类型 `{other}` 无法识别；可用类型：text、date、list、enum、ref、refs、int、bool"
                    ),
                );
                continue;
            }
        };
        let label = field.label.unwrap_or_else(|| name.clone());
        schema.declare(
            name,
            FieldSpec {
                ty,
                label,
                shown: true,
            },
        );
    }
    for taxonomy in &taxonomies {
        schema.declare_untyped(taxonomy.name.clone());
    }
    schema.require_for_all(raw.schema.required);
    for (kind_name, kind) in raw.schema.kinds {
        match Kind::parse(&kind_name) {
            Some(k) => schema.require_for(k, kind.required),
            None => problem(
                &format!("kinds.{kind_name}"),
                format!(
                    "未知的内容类型 `{kind_name}`；可用类型：case（案例）、guide（操作指南）、policy（政策摘编）"
                ),
            ),
        }
    }
    for field in schema.all_required() {
        if schema.field(&field).is_none() {
            problem(
                &field,
                format!("必填字段 `{field}` 没有在 [schema.fields] 中声明类型"),
            );
        }
    }

    if let Some(dir) = raw
        .search
        .index_dir
        .as_deref()
        .filter(|d| leaves_the_root(d))
    {
        problem(
            "index_dir",
            format!(
                "[search] index_dir = \"{dir}\" 指向站点文件夹之外：设置里的路径都必须在站点文件夹之内。\
                 这个设置已不再使用（搜索索引就在输出目录的 search/ 里），请删去这一行"
            ),
        );
    }

    let base_url = raw.base_url.and_then(|url| match checked_base_url(&url) {
        Ok(url) => Some(url),
        Err(why) => {
            problem("base_url", format!("base_url = \"{url}\" 不能用：{why}"));
            None
        }
    });

    let theme = raw.theme.unwrap_or_else(|| DEFAULT_THEME_NAME.to_string());
    let plain_name = Path::new(&theme)
        .components()
        .map(|c| matches!(c, Component::Normal(_)))
        .eq([true]);
    if !plain_name {
        problem(
            "theme",
            format!(
                "主题名称 `{theme}` 无效：应是 themes/ 下的一个文件夹名，例如 theme = \"default\""
            ),
        );
    } else if theme != DEFAULT_THEME_NAME && !root.join("themes").join(&theme).is_dir() {
        problem(
            "theme",
            format!(
                "主题不存在：theme = \"{theme}\" 指定的文件夹 themes/{theme}/ 找不到；请检查名称，或删去这一行，使用内置的默认主题"
            ),
        );
    }

    Config {
        root: root.to_path_buf(),
        title: raw.title.unwrap_or_else(|| DEFAULT_TITLE.to_string()),
        description: raw.description.unwrap_or_default(),
        language: raw.language.unwrap_or_else(|| "zh-CN".to_string()),
        base_url,
        theme,
        taxonomies,
        search_enabled: raw.search.enabled.unwrap_or(true),
        allow_html: raw.markdown.allow_html.unwrap_or(false),
        allow_symlinks_outside: raw.content.allow_symlinks_outside.unwrap_or(false),
        schema,
    }
}

/// Whether the path a setting names leads out of the site root: absolute (a drive or a
/// leading `/` or `\\` on any system), or climbing above the root with `..`.
fn leaves_the_root(path: &str) -> bool {
    let path = path.trim();
    let drive = path.as_bytes().get(1) == Some(&b':');
    if drive || path.starts_with(['/', '\\']) {
        return true;
    }
    let mut depth = 0usize;
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

/// Why `name` cannot be one folder name inside the output (a taxonomy, a theme), or `None`
/// when it can: one plain path segment that every system accepts.
fn bad_segment(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("不能为空".to_string());
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Some("不能含 `/`、`\\` 或 `..`，否则会写到别的文件夹里".to_string());
    }
    if crate::names::file_safe(name) != name {
        return Some("不能含 ? # % : * \" < > | 等网址或文件名用不了的字符".to_string());
    }
    crate::names::problem(name).map(|why| why.to_string())
}

fn default_taxonomies() -> Vec<Taxonomy> {
    [("tags", "标签"), ("topics", "专题"), ("region", "地区")]
        .into_iter()
        .map(|(name, label)| Taxonomy {
            name: name.to_string(),
            label: label.to_string(),
            written_at: None,
        })
        .collect()
}

/// The settings of the whole site, written before any `[table]` header.
const SITE_SETTINGS: [&str; 5] = ["title", "description", "language", "base_url", "theme"];

/// For an unknown key that is a setting of the whole site written under a table (a line
/// appended to the end of the file lands in its last table: `init`'s file ends with
/// `[schema.kinds.policy]`), a sentence naming that table and where the line belongs.
fn site_setting_under_a_table(message: &str, text: &str, line: usize) -> Option<String> {
    let key = unknown_field(message)?;
    if !SITE_SETTINGS.contains(&key) {
        return None;
    }
    let header = text
        .lines()
        .take(line.saturating_sub(1))
        .map(str::trim)
        .filter(|l| l.starts_with('['))
        .last()?;
    Some(format!(
        "`{key}` 是全站的设置，却写在了 {header} 之下，成了这个表里的一项：\
         请把这一行移到文件开头、第一个 [ ] 表头之前"
    ))
}

/// The key the TOML library's message says it does not know (`unknown field `titel``).
fn unknown_field(message: &str) -> Option<&str> {
    message.split_once("unknown field `")?.1.split('`').next()
}

/// The TOML library's English message as a Chinese sentence an editor can act on.
fn toml_in_chinese(message: &str) -> String {
    if let Some(key) = unknown_field(message) {
        format!("不认识的设置 `{key}`：请检查拼写（设置名都是英文小写）")
    } else if message.contains("must be quoted") || message.contains("invalid basic string") {
        "文字要放在一对英文双引号里，例如 title = \"我的知识库\"".into()
    } else if message.contains("duplicate key") {
        "这项设置写了两次：请删去其中一行".into()
    } else if message.contains("unclosed table") {
        "方括号没有闭合：表头要写成 [search] 这样，一行之内".into()
    } else if message.contains("expected a boolean") {
        "这项设置只能写 true（是）或 false（否），不加引号".into()
    } else if message.contains("invalid type") {
        "这项设置的值类型不对：文字加英文双引号，数字和 true/false 不加".into()
    } else {
        "格式有误：每行写成 设置名 = 值，文字加英文双引号".into()
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where `key = …` (or a `[table.key]` header ending in it) is written, for messages
/// about values that parsed but did not validate.
fn find_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let last = key.rsplit('.').next().unwrap_or(key);
    text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let is_assignment = trimmed
            .strip_prefix(last)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        let header = trimmed.trim_end();
        let is_header = trimmed.starts_with('[')
            && (header.ends_with(&format!(".{last}]"))
                || header.ends_with(&format!(".\"{last}\"]"))
                || header == format!("[{last}]"));
        (is_assignment || is_header).then(|| (i + 1, line[..indent].chars().count() + 1))
    })
}
