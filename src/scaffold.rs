//! Scaffolding for editors: `shuyuan new` writes a page pre-filled from its kind's schema,
//! `shuyuan init` writes a new site with starter content and the default theme (embedded
//! in the binary, see [`crate::source::theme`], so it works without this repository).

use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::config::Config;
use crate::config::DEFAULT_THEME_NAME;
use crate::schema::{Date, FieldType, Kind};
use crate::source::theme::DEFAULT_THEME;

#[derive(Debug)]
pub struct ScaffoldError(pub String);

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The front matter and body skeleton of a new page of `kind`. Only what the editor must
/// fill is written as a value: a required field still to be filled in is empty
/// (`issuer: ""`), which `check --drafts` reports at that line, and while any is empty the
/// page is a draft, so it cannot be published half-written by accident. The optional
/// fields follow as comments: an empty `summary` would hide the automatic summary, and an
/// empty `region` would show as an empty label.
pub fn page_template(config: &Config, kind: Kind, title: &str) -> String {
    let schema = &config.schema;
    let mut lines = vec![
        format!("title: {}", yaml_text(title)),
        format!("kind: {}", kind.as_str()),
        format!("date: {}", Date::today()),
    ];
    let required = schema.required(Some(kind));
    let mut optional = Vec::new();
    let mut unfilled = false;
    let mut wanted = vec!["summary", "tags", "topics"];
    wanted.extend(kind.panel_fields());
    wanted.extend(&required);
    if kind == Kind::Case {
        wanted.push("cites");
    }
    for name in wanted {
        let written = |line: &String| line.starts_with(&format!("{name}:"));
        if lines.iter().any(written) || optional.iter().any(written) {
            continue;
        }
        let placeholder = match schema.field(name).map(|f| &f.ty) {
            Some(FieldType::Date) => Date::today().to_string(),
            Some(FieldType::List | FieldType::Refs) => "[]".into(),
            Some(FieldType::Enum(values)) => values.first().cloned().unwrap_or_default(),
            Some(FieldType::Int) => "0".into(),
            Some(FieldType::Bool) => "false".into(),
            _ => "\"\"".into(),
        };
        let label = match name {
            "summary" => "摘要（不写则取正文第一段）",
            _ => schema.field(name).map_or(name, |f| f.label.as_str()),
        };
        if !required.contains(&name) {
            // Quotes would be in the way of what the editor types after the colon.
            let example = if placeholder == "\"\"" {
                ""
            } else {
                &placeholder
            };
            optional.push(format!("{name}: {example}  # {label}"));
            continue;
        }
        let note = if matches!(placeholder.as_str(), "\"\"" | "[]") {
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
    if !optional.is_empty() {
        lines.push("# 以下字段可以不填；要填时删去行首的“# ”，在冒号后写上内容".into());
        lines.extend(optional.iter().map(|line| format!("# {line}")));
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
    let written = path.to_string_lossy();
    if written.ends_with(['/', '\\']) {
        return Err(ScaffoldError(format!(
            "路径 `{written}` 以斜杠结尾，指的是一个文件夹：请写出页面的文件名，例如 {written}xin-anli.md"
        )));
    }
    let mut rel = content_relative(path)?;
    // Only a `.md` file is a page: `tongzhi.2024` or `x.txt` would be published as an
    // attachment, front matter and all.
    if !rel
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
    {
        let mut name = rel.file_name().unwrap_or_default().to_os_string();
        name.push(".md");
        rel.set_file_name(name);
    }
    let title = title.map(check_title).transpose()?;
    let target = config.content_dir().join(&rel);
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    // `symlink_metadata`, not `exists`: a link whose target is missing is a file already
    // there too, and writing to it would create its target.
    if fs::symlink_metadata(&target).is_ok() {
        return Err(ScaffoldError(format!("文件已存在：{}", shown(&target))));
    }
    // Where the page would really be written: a symbolic link on the way (content/ itself
    // included) may lead out of the site, where `build` reads nothing without
    // `allow_symlinks_outside`, and a planted link must not turn `new` into a way to write
    // anywhere.
    let real = crate::output::write::canonical(&target);
    if !real.starts_with(crate::output::write::canonical(root)) {
        return Err(ScaffoldError(format!(
            "路径 {} 经过符号链接，实际位置 {} 在站点文件夹之外：新页面只能写在站点之内",
            shown(&target),
            real.display()
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
    // Created new, never opened if anything is there by now (a link follows no further).
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                ScaffoldError(format!("文件已存在：{}", shown(&target)))
            }
            _ => ScaffoldError(format!("无法写入 {}：{e}", target.display())),
        })?;
    Ok(Created {
        path: target,
        draft: text.contains("\ndraft: true"),
    })
}

const STARTER: &[(&str, &str)] = &[
    // For a site kept in git: the output is made from the sources, and `.shuyuan/` belongs to
    // the machine that builds (its cache key keeps edited content from passing for unchanged).
    (
        ".gitignore",
        "# 构建生成的网站和书院自用的文件夹，不必提交\npublic/\n.shuyuan/\n",
    ),
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
        "---\ntitle: 示例指南\nweight: 1\naudience: [网格员]\n---\n\n网格员接到居民反映的问题后，按下面两步办理。\n\n## 操作步骤\n\n1. 登记\n2. 核实\n\n> [!TIP]\n> 参见[示例案例](../cases/shili-anli.md)。\n",
    ),
    (
        "content/paths/shili-lujing.md",
        "---\ntitle: 示例学习路径\nsummary: 先读政策，再看案例，最后照着指南动手：把三篇示例串成一门小课。\naudience: [新任网格员]\nhours: 1\nsteps:\n  - shili-zhengce\n  - page: shili-anli\n    note: 留意社区怎样依据政策开展“四议两公开”。\n  - guides/shili-zhinan.md\n---\n\n学习路径把现有页面按学习顺序串起来。把 steps 下的三篇示例换成你自己的页面，就是一门新课。\n",
    ),
    (
        "content/_glossary.md",
        "---\ntitle: 术语表\nterms:\n  - term: 四议两公开\n    definition: 重大事项先经党组织提议、“两委”会议商议、党员大会审议、居民会议决议，决议和实施结果都要公开。\n    see: shili-anli\n  - term: 网格员\n    definition: 在划定的网格内负责巡查走访、信息采集和矛盾排查的工作人员。\n---\n\n正文里第一次出现的术语会加上虚线，鼠标移上去或点一下就能看到解释。在 terms 下照样添加你自己的术语。\n",
    ),
    (
        "content/_synonyms.md",
        "# 搜索同义词\n\n> 每行一组：读者可能输入的词 = 页面上可能出现的说法，用逗号分隔。本文件不会生成页面。\n\n两委 = 党组织委员会, 居民委员会\n",
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
                .map(|(p, b)| (Path::new("themes").join(DEFAULT_THEME_NAME).join(p), *b)),
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
