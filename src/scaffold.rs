//! Scaffolding for editors: `shuyuan new` writes a page pre-filled from its kind's schema,
//! `shuyuan init` writes a new site with starter content and the default theme (embedded
//! in the binary, so it works without this repository).

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::config::Config;
use crate::schema::{Date, FieldType, Kind};

include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));

#[derive(Debug)]
pub struct ScaffoldError(pub String);

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Today's date in UTC, from the system clock.
pub fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    civil_date(days)
}

/// The calendar date `days` days after 1970-01-01.
pub fn civil_date(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    Date { year, month, day }
}

/// The front matter and body skeleton of a new page of `kind`. A required field the
/// editor has to fill in is written empty (`issuer: ""`), which `check` reports at that line
/// until it is filled; while any is empty the page is a draft, so it cannot be published
/// half-written by accident.
pub fn page_template(config: &Config, kind: Kind, title: &str) -> String {
    let schema = &config.schema;
    let mut lines = vec![format!("title: {}", yaml_text(title))];
    lines.push(format!("kind: {}", kind.as_str()));
    lines.push("summary: \"\"".into());
    lines.push(format!("date: {}", today()));
    lines.push("tags: []".into());
    lines.push("topics: []".into());
    let required = schema.required(Some(kind));
    let mut wanted: Vec<&str> = kind.panel_fields().to_vec();
    wanted.extend(&required);
    if kind == Kind::Case {
        wanted.push("cites");
    }
    let mut unfilled = false;
    for name in wanted {
        if lines.iter().any(|l| l.starts_with(&format!("{name}:"))) {
            continue;
        }
        let placeholder = match schema.field(name).map(|f| &f.ty) {
            Some(FieldType::Date) => today().to_string(),
            Some(FieldType::List | FieldType::Refs) => "[]".into(),
            Some(FieldType::Enum(values)) => values.first().cloned().unwrap_or_default(),
            Some(FieldType::Int) => "0".into(),
            Some(FieldType::Bool) => "false".into(),
            _ => "\"\"".into(),
        };
        let label = schema.field(name).map_or(name, |f| f.label.as_str());
        let note = if required.contains(&name) && matches!(placeholder.as_str(), "\"\"" | "[]") {
            unfilled = true;
            "（必填，请填写）"
        } else {
            ""
        };
        lines.push(format!("{name}: {placeholder}  # {label}{note}"));
    }
    if unfilled {
        lines.push("draft: true  # 草稿：必填字段都填好后删去这一行".into());
    }
    let body = match kind {
        Kind::Case => "## 背景\n\n## 做法\n\n## 成效\n\n## 启示\n",
        Kind::Guide => "## 适用情形\n\n## 操作步骤\n\n1. \n\n## 注意事项\n\n> [!TIP]\n> \n",
        Kind::Policy => "## 第一条\n\n## 第二条\n",
    };
    format!("---\n{}\n---\n\n{body}", lines.join("\n"))
}

/// A double-quoted YAML scalar; the title has no control characters (see [`check_title`]).
fn yaml_text(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A title is one line of text: a line break would end the front matter early.
fn check_title(title: &str) -> Result<&str, ScaffoldError> {
    if title.chars().any(char::is_control) {
        return Err(ScaffoldError(
            "标题不能包含换行、制表符或其他控制字符：请把标题写在一行之内".into(),
        ));
    }
    if title.trim().is_empty() {
        return Err(ScaffoldError("标题不能为空".into()));
    }
    Ok(title)
}

/// `path` relative to `content/`, refused when it would land outside it.
fn content_relative(path: &Path) -> Result<PathBuf, ScaffoldError> {
    let rel = path.strip_prefix("content").unwrap_or(path);
    let inside = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside || rel.file_name().is_none() {
        return Err(ScaffoldError(format!(
            "路径 `{}` 不在 content/ 目录之内：请写 content/ 下的相对路径，例如 cases/xin-anli.md（不能以 / 开头，也不能含 `..`）",
            path.display()
        )));
    }
    // The page's name becomes an output file name too: it must work wherever the site is read.
    for part in rel.iter() {
        let name = part.to_string_lossy();
        let stem = name.strip_suffix(".md").unwrap_or(&name);
        if let Some(why) = crate::names::problem(stem) {
            return Err(ScaffoldError(format!(
                "名字“{name}”不能用：{why}。请换一个名字"
            )));
        }
    }
    Ok(rel.to_path_buf())
}

/// A page `shuyuan new` wrote.
pub struct Created {
    pub path: PathBuf,
    /// Written as a draft: required fields are still empty.
    pub draft: bool,
}

/// Writes a new page at `path` (relative to `content/` unless it already starts there).
pub fn new_page(
    root: &Path,
    config: &Config,
    kind: Kind,
    path: &Path,
    title: Option<&str>,
) -> Result<Created, ScaffoldError> {
    let mut rel = content_relative(path)?;
    if rel.extension().is_none() {
        rel.set_extension("md");
    }
    let title = title.map(check_title).transpose()?;
    let target = config.content_dir().join(&rel);
    if target.exists() {
        return Err(ScaffoldError(format!(
            "文件已存在：{}",
            target.strip_prefix(root).unwrap_or(&target).display()
        )));
    }
    let stem = rel
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().to_string());
    let text = page_template(config, kind, title.unwrap_or(&stem));
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| ScaffoldError(format!("无法创建目录 {}：{e}", parent.display())))?;
    }
    fs::write(&target, &text)
        .map_err(|e| ScaffoldError(format!("无法写入 {}：{e}", target.display())))?;
    Ok(Created {
        path: target,
        draft: text.contains("\ndraft: true"),
    })
}

const STARTER: &[(&str, &str)] = &[
    (
        "site.toml",
        "title = \"我的培训知识库\"\ndescription = \"基层干部培训资料\"\nlanguage = \"zh-CN\"\n\n[schema.kinds.policy]\nrequired = [\"issuer\", \"doc_number\", \"status\"]\n",
    ),
    (
        "content/_index.md",
        "---\ntitle: 我的培训知识库\n---\n\n欢迎使用。资料分为案例、操作指南和政策摘编三类，可在右上角搜索。\n",
    ),
    (
        "content/cases/_index.md",
        "---\ntitle: 案例\nkind: case\nsort_by: date\nweight: 1\n---\n\n基层治理中的典型做法。\n",
    ),
    (
        "content/guides/_index.md",
        "---\ntitle: 操作指南\nkind: guide\nsort_by: weight\nweight: 2\n---\n\n按步骤完成常见工作。\n",
    ),
    (
        "content/policies/_index.md",
        "---\ntitle: 政策摘编\nkind: policy\nsort_by: date\nweight: 3\n---\n\n工作依据的政策文件摘要。\n",
    ),
    (
        "content/policies/shili-zhengce.md",
        "---\ntitle: 示例政策\nissuer: 示例市委办公室\ndoc_number: 示办发〔2024〕1号\nissued: 2024-01-15\nstatus: 现行有效\ntags: [示例]\n---\n\n## 第一条 目的\n\n为规范工作，制定本办法。\n",
    ),
    (
        "content/cases/shili-anli.md",
        "---\ntitle: 示例案例\ndate: 2024-03-01\nregion: 示例市\ntopics: [社区治理]\ncites: [shili-zhengce]\n---\n\n## 背景\n\n某社区依据[[shili-zhengce]]开展了**“四议两公开”**工作。\n",
    ),
    (
        "content/guides/shili-zhinan.md",
        "---\ntitle: 示例指南\nweight: 1\naudience: [网格员]\n---\n\n## 操作步骤\n\n1. 登记\n2. 核实\n\n> [!TIP]\n> 参见[示例案例](../cases/shili-anli.md)。\n",
    ),
];

/// Creates a new site in `dir`, which must not exist or be empty.
pub fn init_site(dir: &Path) -> Result<usize, ScaffoldError> {
    if dir.exists() && fs::read_dir(dir).is_ok_and(|mut e| e.next().is_some()) {
        return Err(ScaffoldError(format!(
            "目录 {} 已存在且不为空",
            dir.display()
        )));
    }
    let mut written = 0;
    let files = STARTER
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.as_bytes()))
        .chain(
            DEFAULT_THEME
                .iter()
                .map(|(p, b)| (Path::new("themes/default").join(p), *b)),
        );
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| ScaffoldError(format!("无法创建目录 {}：{e}", parent.display())))?;
        }
        fs::write(&path, bytes)
            .map_err(|e| ScaffoldError(format!("无法写入 {}：{e}", path.display())))?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_real_date() {
        let d = today();
        assert!(d.year >= 2024 && Date::parse(&d.to_string()).is_some());
    }
}
