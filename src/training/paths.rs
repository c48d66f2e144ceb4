//! Learning paths (学习路径): ordered reading lists that editors write as files under
//! `content/paths/`, one file per path, e.g. `content/paths/xin-ren-shequ-ganbu.md`.
//!
//! Front matter: `title` (required), `summary`, `audience` (培训对象), `hours` (建议学时),
//! `weight` (order on the index), `slug`, `draft`, and `steps` — the pages in reading order,
//! each a page slug or a path relative to `content/` (`cases/liuan-yishiting.md`), or a
//! mapping `{ page: …, note: … }` with a note to the reader. The body introduces the path.
//! `content/paths/_index.md`, when present, gives the index page its title and introduction.
//!
//! Steps are resolved once every page is known. A step naming no page is a `missing-ref`
//! error at the step's `path:line:col`, as an unknown `cites` entry is. A page may belong to
//! several paths; [`Paths::memberships`] tells each page where it sits in each of them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{IdVec, PageId, Pages};
use crate::names::file_safe;
use crate::schema::{FieldValue, Schema};
use crate::source::parse::{FrontMatter, Position};

/// The folder of path files, relative to `content/`; also their output folder.
pub const DIR: &str = "paths";
pub const INDEX_URL: &str = "paths/index.html";

type Fields = BTreeMap<String, Spanned<serde_json::Value>>;

/// The second reading of the front matter, for the position of every step.
#[derive(Default, Deserialize)]
struct StepList {
    steps: Option<Vec<Spanned<serde_json::Value>>>,
}

const FIELDS: [&str; 8] = [
    "title", "summary", "audience", "hours", "weight", "slug", "draft", "steps",
];

struct StepSource {
    target: String,
    note: Option<String>,
    position: Position,
}

/// A parsed path file whose steps wait for the site's pages.
pub struct PathSource {
    slug: String,
    slug_position: Position,
    title: String,
    summary: Option<String>,
    audience: Vec<String>,
    hours: Option<f64>,
    weight: i64,
    steps: Vec<StepSource>,
    shown_path: PathBuf,
    source: String,
}

#[derive(Debug)]
pub struct Step {
    pub page: PageId,
    pub note: Option<String>,
}

#[derive(Debug)]
pub struct LearningPath {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    /// The introduction (the file's body), links resolved for [`LearningPath::url`].
    pub intro_html: String,
    pub audience: Vec<String>,
    pub hours: Option<f64>,
    pub weight: i64,
    pub steps: Vec<Step>,
    /// `paths/<slug>.html`.
    pub url: String,
    /// `paths/<slug>-handout.html`: the print collection of every step.
    pub handout_url: String,
}

#[derive(Debug, Default)]
pub struct Paths {
    /// For the index page: from `paths/_index.md`, or 学习路径.
    pub title: String,
    pub intro_html: String,
    /// In index order: weight, then title.
    pub list: Vec<LearningPath>,
    /// Per page: (path, step) for every step that is this page, in path order.
    pub memberships: IdVec<PageId, Vec<(usize, usize)>>,
    /// What the steps name pages by, so a preview can tell whether a page it adds in place
    /// could be one of them ([`crate::dev::incremental`]).
    pub step_targets: Vec<String>,
}

/// Reads one path file. `None` when it is a draft left out of this build, or unusable
/// (every problem is then in `diagnostics`); otherwise the path and its body's offset.
pub fn parse(
    rel: &str,
    shown_path: &Path,
    source: &str,
    include_drafts: bool,
    diagnostics: &mut Diagnostics,
) -> Option<(PathSource, usize)> {
    let top: FrontMatter<Fields> = match crate::source::parse::front_matter(shown_path, source) {
        Ok(fm) => fm,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let schema = Schema::builtin();
    let stem = rel
        .rsplit('/')
        .next()
        .unwrap_or(rel)
        .trim_end_matches(".md")
        .to_string();
    let mut path = PathSource {
        slug: stem,
        slug_position: (1, 1),
        title: String::new(),
        summary: None,
        audience: Vec::new(),
        hours: None,
        weight: 0,
        steps: Vec::new(),
        shown_path: shown_path.to_path_buf(),
        source: source.to_string(),
    };
    let mut draft = false;
    let mut problems = Vec::new();
    for (name, value) in &top.value {
        let (line, column) = top.position(&value.referenced);
        let problem = |code: Code, message: String| {
            Diagnostic::error(code, shown_path, message).at(source, line, column)
        };
        match name.as_str() {
            "hours" => match hours(&value.value) {
                Some(h) => path.hours = Some(h),
                None => problems.push(problem(
                    Code::FieldType,
                    "字段 `hours` 应为正数（建议学时，如 6 或 1.5）".into(),
                )),
            },
            "steps" if !value.value.is_array() && !value.value.is_null() => problems.push(problem(
                Code::FieldType,
                "字段 `steps` 应为列表：每一步写页面的 slug 或 content/ 下的路径".into(),
            )),
            "steps" => {}
            name if FIELDS.contains(&name) => {
                match top.check(&schema, name, value, shown_path, source) {
                    Ok(Some(FieldValue::Text(text))) if name == "title" => path.title = text,
                    Ok(Some(FieldValue::Text(text))) if name == "summary" => {
                        path.summary = Some(text)
                    }
                    Ok(Some(FieldValue::Text(text))) if name == "slug" => {
                        path.slug = text;
                        path.slug_position = (line, column);
                    }
                    Ok(Some(FieldValue::List(items))) => path.audience = items,
                    Ok(Some(FieldValue::Int(n))) => path.weight = n,
                    Ok(Some(FieldValue::Bool(b))) => draft = b,
                    Ok(_) => {}
                    Err(d) => problems.push(d),
                }
            }
            other => diagnostics.push(
                Diagnostic::warning(
                    Code::UnknownField,
                    shown_path,
                    format!(
                        "学习路径不认识字段 `{other}`，已忽略；可用字段：{}",
                        FIELDS.join("、")
                    ),
                )
                .at(source, line, column),
            ),
        }
    }
    if draft && !include_drafts {
        return None;
    }
    diagnostics.extend(problems);
    if path.title.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(
                Code::MissingField,
                shown_path,
                "学习路径缺少必填字段 `title`",
            )
            .at(source, 1, 1),
        );
    }
    let mut list: FrontMatter<StepList> =
        crate::source::parse::front_matter(shown_path, source).ok()?;
    let steps = list.value.steps.take().unwrap_or_default();
    if steps.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                Code::MissingField,
                shown_path,
                "学习路径缺少 `steps`：按学习顺序列出页面的 slug 或 content/ 下的路径",
            )
            .at(source, 1, 1),
        );
    }
    for step in steps {
        let position = list.position(&step.referenced);
        match step_source(&step.value) {
            Ok((target, note)) => path.steps.push(StepSource {
                target,
                note,
                position,
            }),
            Err(message) => diagnostics.push(
                Diagnostic::error(Code::FieldType, shown_path, message)
                    .at(source, position.0, position.1),
            ),
        }
    }
    Some((path, top.body_start))
}

fn hours(value: &serde_json::Value) -> Option<f64> {
    let h = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    (h.is_finite() && h > 0.0).then_some(h)
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A step as written: `slug`, `path.md`, or `{ page: …, note: … }`.
fn step_source(value: &serde_json::Value) -> Result<(String, Option<String>), String> {
    const SHAPE: &str =
        "每一步应写页面的 slug 或 content/ 下的路径，或写成 { page: …, note: 学习提示 }";
    if let Some(target) = scalar(value).filter(|t| !t.is_empty()) {
        return Ok((target, None));
    }
    let serde_json::Value::Object(map) = value else {
        return Err(SHAPE.into());
    };
    if let Some(key) = map.keys().find(|k| !matches!(k.as_str(), "page" | "note")) {
        return Err(format!("步骤中不认识字段 `{key}`；{SHAPE}"));
    }
    let target = map
        .get("page")
        .and_then(scalar)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("步骤缺少 `page`；{SHAPE}"))?;
    let note = match map.get("note") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(scalar(v).ok_or("步骤的 `note` 应为文字")?),
    };
    Ok((target, note.filter(|n| !n.is_empty())))
}

/// Reads `paths/_index.md`: its title (the body is the index page's introduction).
pub fn parse_index(
    shown_path: &Path,
    source: &str,
    diagnostics: &mut Diagnostics,
) -> Option<(Option<String>, usize)> {
    let fm: FrontMatter<Fields> = match crate::source::parse::front_matter(shown_path, source) {
        Ok(fm) => fm,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let mut title = None;
    for (name, value) in &fm.value {
        if name == "title" {
            match fm.check(&Schema::builtin(), name, value, shown_path, source) {
                Ok(Some(FieldValue::Text(t))) => title = Some(t),
                Ok(_) => {}
                Err(d) => diagnostics.push(d),
            }
        } else {
            let (line, column) = fm.position(&value.referenced);
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnknownField,
                    shown_path,
                    format!("学习路径索引页只用字段 title，`{name}` 已忽略"),
                )
                .at(source, line, column),
            );
        }
    }
    Some((title, fm.body_start))
}

/// Finds the page a step names: its slug, or its file relative to `content/`.
pub struct PageLookup<'a> {
    by_slug: HashMap<&'a str, PageId>,
    by_rel: HashMap<&'a str, PageId>,
}

impl<'a> PageLookup<'a> {
    pub fn new(pages: &'a Pages) -> Self {
        let mut by_slug = HashMap::with_capacity(pages.len());
        for (id, page) in pages.iter_enumerated() {
            // Duplicate slugs are already an error; the first page keeps the slug.
            by_slug.entry(page.slug.as_str()).or_insert(id);
        }
        let by_rel = pages
            .iter_enumerated()
            .map(|(id, p)| (p.doc.rel.as_str(), id))
            .collect();
        PageLookup { by_slug, by_rel }
    }

    pub fn slugs(&self) -> &HashMap<&'a str, PageId> {
        &self.by_slug
    }

    pub fn find(&self, target: &str) -> Option<PageId> {
        let target = target.trim().trim_start_matches('/');
        let target = target.strip_prefix("content/").unwrap_or(target);
        if let Some(&i) = self.by_slug.get(target) {
            return Some(i);
        }
        let target = target.trim_end_matches('/');
        if target.ends_with(".md") {
            return self.by_rel.get(target).copied();
        }
        self.by_rel
            .get(format!("{target}.md").as_str())
            .or_else(|| self.by_rel.get(format!("{target}/index.md").as_str()))
            .copied()
    }
}

impl PathSource {
    pub fn url(&self) -> String {
        format!("{DIR}/{}.html", file_safe(&self.slug))
    }

    fn resolve(
        self,
        intro_html: String,
        lookup: &PageLookup,
        diagnostics: &mut Diagnostics,
    ) -> LearningPath {
        let url = self.url();
        let mut steps: Vec<Step> = Vec::with_capacity(self.steps.len());
        // The number each kept step has in the file, for messages about later ones.
        let mut numbers: Vec<usize> = Vec::with_capacity(self.steps.len());
        for (number, step) in self.steps.into_iter().enumerate() {
            let (line, column) = step.position;
            let Some(page) = lookup.find(&step.target) else {
                diagnostics.push(
                    Diagnostic::error(
                        Code::MissingRef,
                        &self.shown_path,
                        format!(
                            "第 {} 步 `{}` 找不到页面（按 slug 或 content/ 下的路径查找；草稿页面只在 --drafts 时构建）",
                            number + 1,
                            step.target
                        ),
                    )
                    .at(&self.source, line, column),
                );
                continue;
            };
            if let Some(earlier) = steps.iter().position(|s| s.page == page) {
                diagnostics.push(
                    Diagnostic::warning(
                        Code::DuplicateStep,
                        &self.shown_path,
                        format!(
                            "第 {} 步 `{}` 与第 {} 步是同一页面，已忽略重复的一步",
                            number + 1,
                            step.target,
                            numbers[earlier]
                        ),
                    )
                    .at(&self.source, line, column),
                );
                continue;
            }
            steps.push(Step {
                page,
                note: step.note,
            });
            numbers.push(number + 1);
        }
        LearningPath {
            handout_url: format!("{DIR}/{}-handout.html", file_safe(&self.slug)),
            url,
            slug: self.slug,
            title: self.title,
            summary: self.summary,
            intro_html,
            audience: self.audience,
            hours: self.hours,
            weight: self.weight,
            steps,
        }
    }
}

/// Resolves every path's steps, orders the paths and records each page's memberships.
/// `sources` come with their resolved introductions.
pub fn resolve(
    sources: Vec<(PathSource, String)>,
    title: Option<String>,
    intro_html: String,
    lookup: &PageLookup,
    page_count: usize,
    diagnostics: &mut Diagnostics,
) -> Paths {
    let step_targets = sources
        .iter()
        .flat_map(|(source, _)| source.steps.iter().map(|step| step.target.clone()))
        .collect();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut list = Vec::with_capacity(sources.len());
    for (source, intro) in sources {
        if let Some(first) = seen.get(&source.url()) {
            let (line, column) = source.slug_position;
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateSlug,
                    &source.shown_path,
                    format!(
                        "学习路径 `{}` 与 {} 重名；每条学习路径的 slug（文件名或 slug 字段）必须唯一",
                        source.slug,
                        first.display()
                    ),
                )
                .at(&source.source, line, column),
            );
            continue;
        }
        seen.insert(source.url(), source.shown_path.clone());
        list.push(source.resolve(intro, lookup, diagnostics));
    }
    list.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    let mut memberships = IdVec::from_fn(page_count, |_| Vec::new());
    for (p, path) in list.iter().enumerate() {
        for (s, step) in path.steps.iter().enumerate() {
            memberships[step.page].push((p, s));
        }
    }
    Paths {
        title: title.unwrap_or_else(|| "学习路径".to_string()),
        intro_html,
        list,
        memberships,
        step_targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_slugs_paths_or_mappings() {
        let v = |s: &str| -> serde_json::Value { serde_json::from_str(s).unwrap() };
        assert_eq!(
            step_source(&v("\"liuan\"")).unwrap(),
            ("liuan".into(), None)
        );
        assert_eq!(
            step_source(&v(r#"{"page": "cases/a.md", "note": "读第八条"}"#)).unwrap(),
            ("cases/a.md".into(), Some("读第八条".into()))
        );
        assert!(step_source(&v(r#"{"note": "无页面"}"#)).is_err());
        assert!(step_source(&v(r#"{"page": "a", "pages": "b"}"#)).is_err());
        assert!(step_source(&v("[1]")).is_err());
    }

    #[test]
    fn hours_are_positive_numbers() {
        assert_eq!(hours(&serde_json::json!(6)), Some(6.0));
        assert_eq!(hours(&serde_json::json!("1.5")), Some(1.5));
        assert_eq!(hours(&serde_json::json!(0)), None);
        assert_eq!(hours(&serde_json::json!("六")), None);
    }
}
