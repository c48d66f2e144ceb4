//! Glossary (术语表): the terms and definitions of `content/_glossary.md`, and the
//! definition popover on each term's first occurrence in a page's body.
//!
//! The file is written like a section's `_index.md`: YAML front matter with an optional
//! `title` and a `terms` list — each `{ term, definition, aliases?, see? }`, `see` being the
//! slug of the page that explains the term at length — and a Markdown body that introduces
//! the glossary page.
//!
//! Terms are marked at build time in the text of the rendered HTML: never inside links,
//! headings, code or an earlier mark; the longest term wins where several start at one
//! place (网格员 before 网格); and only the first occurrence of each term on a page, so a
//! reader gets help once without the page turning into a field of underlines.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::html::{Token, escape, tokens};
use crate::model::PageId;
use crate::schema::{FieldSpec, FieldType, FieldValue, Schema};
use crate::source::parse::{FrontMatter, Position};

/// The glossary file, relative to `content/`.
pub const FILE: &str = "_glossary.md";
/// The glossary page, relative to the site root.
pub const URL: &str = "glossary.html";

type Fields = BTreeMap<String, Spanned<serde_json::Value>>;

/// The second reading of the front matter: the same YAML, for the position of every
/// field of every term.
#[derive(Default, Deserialize)]
struct TermList {
    terms: Option<Vec<Spanned<Fields>>>,
}

#[derive(Debug)]
pub struct Term {
    pub term: String,
    pub aliases: Vec<String>,
    pub definition: String,
    /// Anchor on the glossary page.
    pub id: String,
    /// The page that explains the term, from `see`.
    pub see: Option<PageId>,
    /// Pages whose body mentions the term, in page order.
    pub pages: Vec<PageId>,
}

#[derive(Debug)]
pub struct Glossary {
    pub title: String,
    /// The introduction (the file's body), links resolved for [`URL`].
    pub intro_html: String,
    /// In pinyin order (see [`index_letter`]).
    pub terms: Vec<Term>,
}

/// A parsed glossary file whose `see` references wait for the site's slugs.
pub struct GlossarySource {
    title: String,
    terms: Vec<Term>,
    see: Vec<Option<(String, Position)>>,
    shown_path: PathBuf,
    source: String,
}

fn term_schema() -> Schema {
    let mut schema = Schema::builtin();
    for (name, ty, label) in [
        ("term", FieldType::Text, "术语"),
        ("definition", FieldType::Text, "释义"),
        ("aliases", FieldType::List, "别名"),
        ("see", FieldType::Ref, "详见"),
    ] {
        schema.declare(
            name.to_string(),
            FieldSpec {
                ty,
                label: label.to_string(),
                shown: false,
            },
        );
    }
    schema
}

/// Reads the glossary's front matter. Returns `None` when it is unusable; every problem
/// is in `diagnostics`.
pub fn parse(
    shown_path: &Path,
    source: &str,
    diagnostics: &mut Diagnostics,
) -> Option<(GlossarySource, usize)> {
    let top: FrontMatter<Fields> = match crate::source::parse::front_matter(shown_path, source) {
        Ok(fm) => fm,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let schema = term_schema();
    let mut title = "术语表".to_string();
    for (name, value) in &top.value {
        let (line, column) = top.position(&value.referenced);
        match name.as_str() {
            "title" => match top.check(&schema, name, value, shown_path, source) {
                Ok(Some(FieldValue::Text(t))) => title = t,
                Ok(_) => {}
                Err(d) => diagnostics.push(d),
            },
            "terms" if value.value.is_array() => {}
            "terms" => diagnostics.push(
                Diagnostic::error(
                    Code::FieldType,
                    shown_path,
                    "字段 `terms` 应为术语的列表，每项写明 term 和 definition",
                )
                .at(source, line, column),
            ),
            other => diagnostics.push(
                Diagnostic::warning(
                    Code::UnknownField,
                    shown_path,
                    format!("术语表不认识字段 `{other}`，已忽略；可用字段：title、terms"),
                )
                .at(source, line, column),
            ),
        }
    }
    let mut list: FrontMatter<TermList> =
        crate::source::parse::front_matter(shown_path, source).ok()?;
    let mut terms = Vec::new();
    let mut see = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for entry in list.value.terms.take().unwrap_or_default() {
        let (line, column) = list.position(&entry.referenced);
        let mut term = None;
        let mut definition = None;
        let mut aliases = Vec::new();
        let mut see_slug = None;
        for (name, value) in &entry.value {
            let checked = match name.as_str() {
                "term" | "definition" | "aliases" | "see" => {
                    list.check(&schema, name, value, shown_path, source)
                }
                other => {
                    let (l, c) = list.position(&value.referenced);
                    diagnostics.push(
                        Diagnostic::warning(
                            Code::UnknownField,
                            shown_path,
                            format!(
                                "术语条目不认识字段 `{other}`，已忽略；可用字段：term、definition、aliases、see"
                            ),
                        )
                        .at(source, l, c),
                    );
                    continue;
                }
            };
            match (name.as_str(), checked) {
                ("term", Ok(Some(FieldValue::Text(t)))) => term = Some(t.trim().to_string()),
                ("definition", Ok(Some(FieldValue::Text(d)))) => {
                    definition = Some(d.trim().to_string())
                }
                ("aliases", Ok(Some(FieldValue::List(a)))) => {
                    aliases = a.iter().map(|a| a.trim().to_string()).collect()
                }
                ("see", Ok(Some(FieldValue::Text(s)))) => {
                    see_slug = Some((s.trim().to_string(), list.position(&value.referenced)))
                }
                (_, Err(d)) => diagnostics.push(d),
                _ => {}
            }
        }
        let (Some(term), Some(definition)) = (term, definition) else {
            diagnostics.push(
                Diagnostic::error(
                    Code::MissingField,
                    shown_path,
                    "术语条目需要 term（术语）和 definition（释义）两个字段",
                )
                .at(source, line, column),
            );
            continue;
        };
        if term.is_empty() || definition.is_empty() {
            diagnostics.push(
                Diagnostic::error(Code::FieldType, shown_path, "术语和释义都不能为空")
                    .at(source, line, column),
            );
            continue;
        }
        let mut duplicate = false;
        for name in std::iter::once(&term).chain(aliases.iter().filter(|a| !a.is_empty())) {
            if let Some(first) = seen.get(name) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateTerm,
                        shown_path,
                        format!("术语 `{name}` 重复：术语“{first}”已经用了这个写法"),
                    )
                    .at(source, line, column),
                );
                duplicate = true;
            }
        }
        if duplicate {
            continue;
        }
        for name in std::iter::once(&term).chain(aliases.iter()) {
            seen.insert(name.clone(), term.clone());
        }
        aliases.retain(|a| !a.is_empty() && *a != term);
        terms.push(Term {
            id: String::new(),
            term,
            aliases,
            definition,
            see: None,
            pages: Vec::new(),
        });
        see.push(see_slug);
    }
    if terms.is_empty() {
        diagnostics.push(
            Diagnostic::warning(
                Code::MissingField,
                shown_path,
                "术语表里没有术语：在前置元数据的 terms 下列出术语和释义",
            )
            .at(source, 1, 1),
        );
    }
    Some((
        GlossarySource {
            title,
            terms,
            see,
            shown_path: shown_path.to_path_buf(),
            source: source.to_string(),
        },
        top.body_start,
    ))
}

impl GlossarySource {
    /// Resolves `see` against the site's slugs, sorts the terms and gives them anchors.
    pub fn finish(
        self,
        intro_html: String,
        slug_index: &HashMap<&str, PageId>,
        diagnostics: &mut Diagnostics,
    ) -> Glossary {
        let GlossarySource {
            title,
            mut terms,
            see,
            shown_path,
            source,
        } = self;
        for (term, see) in terms.iter_mut().zip(see) {
            let Some((slug, (line, column))) = see else {
                continue;
            };
            match slug_index.get(slug.as_str()) {
                Some(&page) => term.see = Some(page),
                None => diagnostics.push(
                    Diagnostic::error(
                        Code::MissingRef,
                        &shown_path,
                        format!(
                            "术语“{}”的 see 引用的页面 `{slug}` 不存在（按 slug 查找）",
                            term.term
                        ),
                    )
                    .at(&source, line, column),
                ),
            }
        }
        terms.sort_by_cached_key(|t| sort_key(&t.term));
        let mut used: HashSet<String> = HashSet::new();
        for term in &mut terms {
            let base = crate::source::markdown::slugify(&term.term);
            let mut id = base.clone();
            let mut n = 1;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            term.id = id;
        }
        Glossary {
            title,
            intro_html,
            terms,
        }
    }
}

/// The heading a term is listed under on the glossary page: the first letter of its pinyin
/// (or of a Latin first letter), `#` for terms that start with anything else (`1+1+N`).
pub fn index_letter(term: &str) -> char {
    let Some(first) = term.chars().next() else {
        return '#';
    };
    let latin = match pinyin::ToPinyin::to_pinyin(&first) {
        Some(reading) => reading.plain().chars().next(),
        None => Some(first),
    };
    match latin {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
        _ => '#',
    }
}

/// Glossary order, as a Chinese dictionary sorts: by letter heading (`#` last), then syllable
/// by syllable in pinyin with the tone deciding between equal spellings (ā before á), then by
/// the characters. A character without a reading counts as itself, lowercased.
fn sort_key(term: &str) -> (bool, Vec<String>, String) {
    let syllables = term
        .chars()
        .map(|c| match pinyin::ToPinyin::to_pinyin(&c) {
            Some(reading) => {
                let spelled = reading.with_tone_num_end();
                // The neutral tone has no digit: it sorts after the four tones.
                if spelled.ends_with(|d: char| d.is_ascii_digit()) {
                    spelled.to_string()
                } else {
                    format!("{spelled}5")
                }
            }
            None => c.to_lowercase().collect(),
        })
        .collect();
    (index_letter(term) == '#', syllables, term.to_string())
}

/// Elements whose text is never marked: links and headings already stand out, code is
/// literal, and an `abbr` is an earlier mark.
const SKIPPED: [&str; 15] = [
    "a", "abbr", "code", "pre", "kbd", "samp", "h1", "h2", "h3", "h4", "h5", "h6", "button", "svg",
    "math",
];

/// Finds terms in HTML text. Built once per build; matching at each character looks only
/// at the terms that start with it, longest first.
pub struct Matcher {
    by_first: HashMap<char, Vec<(String, usize)>>,
    /// One bit per Basic Multilingual Plane character that starts a term: most characters
    /// start none, and a bit test is much cheaper than a hash lookup per character.
    starts: Vec<u64>,
    /// Per term, the opening `<abbr …>` tag.
    open_tags: Vec<String>,
}

/// A term as it stands in comrak's HTML text, so it is compared with the text as written
/// (comrak escapes `"`, `&`, `<` and `>` there, not `'`).
fn as_in_html(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    // Writing into a String cannot fail.
    let _ = comrak::html::escape(&mut out, term);
    out
}

impl Glossary {
    pub fn matcher(&self) -> Matcher {
        let mut by_first: HashMap<char, Vec<(String, usize)>> = HashMap::new();
        for (index, term) in self.terms.iter().enumerate() {
            for name in std::iter::once(&term.term).chain(&term.aliases) {
                let form = as_in_html(name);
                if let Some(first) = form.chars().next() {
                    by_first.entry(first).or_default().push((form, index));
                }
            }
        }
        let mut starts = vec![0u64; 0x10000 / 64];
        for (&c, candidates) in &mut by_first {
            candidates.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
            if let Some(word) = starts.get_mut(c as usize / 64) {
                *word |= 1 << (c as usize % 64);
            }
        }
        let open_tags = self
            .terms
            .iter()
            .map(|t| {
                format!(
                    "<abbr class=\"sy-term\" tabindex=\"0\" title=\"{}：{}\" data-term=\"{}\" data-id=\"{}\" data-def=\"{}\">",
                    escape(&t.term),
                    escape(&t.definition),
                    escape(&t.term),
                    escape(&t.id),
                    escape(&t.definition),
                )
            })
            .collect();
        Matcher {
            by_first,
            starts,
            open_tags,
        }
    }
}

impl Matcher {
    /// Marks the first occurrence of each term in `html`'s text. Returns the new HTML and
    /// the terms found, or `None` when the page mentions no term.
    pub fn annotate(&self, html: &str) -> Option<(String, Vec<usize>)> {
        let mut out = String::new();
        let mut copied = 0;
        let mut offset = 0;
        let mut open: Vec<&str> = Vec::new();
        let mut found: Vec<usize> = Vec::new();
        for token in tokens(html) {
            let len = match token {
                Token::Text(t) | Token::Other(t) => t.len(),
                Token::Tag(t) => t.raw.len(),
            };
            match token {
                Token::Tag(tag) => {
                    if let Some(name) = SKIPPED.iter().find(|n| tag.is(n)) {
                        if !tag.closing && !tag.raw.ends_with("/>") {
                            open.push(name);
                        } else if tag.closing
                            && let Some(at) = open.iter().rposition(|n| n == name)
                        {
                            open.truncate(at);
                        }
                    }
                }
                Token::Text(text) if open.is_empty() => {
                    for (at, term, matched) in self.find(text, &found) {
                        out.push_str(&html[copied..offset + at]);
                        out.push_str(&self.open_tags[term]);
                        out.push_str(matched);
                        out.push_str("</abbr>");
                        copied = offset + at + matched.len();
                        found.push(term);
                    }
                }
                _ => {}
            }
            offset += len;
        }
        if found.is_empty() {
            return None;
        }
        out.push_str(&html[copied..]);
        Some((out, found))
    }

    /// First occurrences in one text node of terms not in `done`: (byte offset, term, text).
    fn find<'t>(&self, text: &'t str, done: &[usize]) -> Vec<(usize, usize, &'t str)> {
        let mut hits = Vec::new();
        let mut chars = text.char_indices().peekable();
        let mut prev: Option<char> = None;
        while let Some((at, c)) = chars.next() {
            let possible = self
                .starts
                .get(c as usize / 64)
                .is_none_or(|word| word & (1 << (c as usize % 64)) != 0);
            let hit = possible
                .then(|| self.by_first.get(&c))
                .flatten()
                .and_then(|candidates| {
                    candidates.iter().find(|(form, _)| {
                        text[at..].starts_with(form.as_str())
                            && word_boundary(prev, form, text[at + form.len()..].chars().next())
                    })
                });
            let Some((form, term)) = hit else {
                prev = Some(c);
                continue;
            };
            // The longest term here covers the shorter ones inside it, marked or not.
            if !done.contains(term) && !hits.iter().any(|(_, t, _)| t == term) {
                hits.push((at, *term, &text[at..at + form.len()]));
            }
            let end = at + form.len();
            while chars.next_if(|&(i, _)| i < end).is_some() {}
            prev = text[..end].chars().next_back();
        }
        hits
    }
}

/// Latin terms (APP, PPP) must not match inside longer words; Chinese has no spaces, so
/// Han terms match anywhere.
fn word_boundary(before: Option<char>, form: &str, after: Option<char>) -> bool {
    let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !(latin(form.chars().next()) && latin(before)
        || latin(form.chars().next_back()) && latin(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary(terms: &[(&str, &[&str])]) -> Glossary {
        Glossary {
            title: "术语表".into(),
            intro_html: String::new(),
            terms: terms
                .iter()
                .enumerate()
                .map(|(i, (term, aliases))| Term {
                    term: term.to_string(),
                    aliases: aliases.iter().map(|a| a.to_string()).collect(),
                    definition: format!("释义{i}"),
                    id: term.to_string(),
                    see: None,
                    pages: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn first_occurrence_only_longest_first_never_in_links_headings_or_code() {
        let g = glossary(&[("网格", &[]), ("网格员", &[]), ("两委", &["社区两委"])]);
        let html = "<h2 id=\"网格员\">网格员</h2><p>请<a href=\"x.html\">网格员</a>和<code>两委</code>注意：网格员、网格员、网格和社区两委、两委。</p>";
        let (out, found) = g.matcher().annotate(html).unwrap();
        assert!(out.starts_with("<h2 id=\"网格员\">网格员</h2><p>请<a href=\"x.html\">网格员</a>和<code>两委</code>注意："));
        assert_eq!(out.matches("<abbr").count(), 3, "{out}");
        assert!(out.contains(
            "data-term=\"网格员\" data-id=\"网格员\" data-def=\"释义1\">网格员</abbr>、网格员、"
        ));
        assert!(out.contains(">网格</abbr>和"));
        assert!(
            out.contains(">社区两委</abbr>、两委。"),
            "an alias is the term"
        );
        assert_eq!(found, [1, 0, 2]);
    }

    #[test]
    fn latin_terms_need_word_boundaries() {
        let g = glossary(&[("APP", &[])]);
        assert!(g.matcher().annotate("<p>WHATAPPS</p>").is_none());
        let (out, _) = g.matcher().annotate("<p>用APP上报</p>").unwrap();
        assert!(out.contains(">APP</abbr>上报"));
    }

    #[test]
    fn terms_with_markup_characters_match_escaped_text() {
        let g = glossary(&[("A&B", &[])]);
        let (out, _) = g.matcher().annotate("<p>见 A&amp;B 条</p>").unwrap();
        assert!(out.contains(">A&amp;B</abbr>"), "{out}");
    }

    #[test]
    fn terms_sort_by_pinyin_under_letter_headings() {
        let mut terms = [
            "网格员",
            "两委",
            "安全",
            "阿姨",
            "1+1+N",
            "APP",
            "业委会",
            "下沉干部",
            "大党委",
        ];
        terms.sort_by_cached_key(|t| super::sort_key(t));
        assert_eq!(
            terms,
            [
                "APP",
                "阿姨",
                "安全",
                "大党委",
                "两委",
                "网格员",
                "下沉干部",
                "业委会",
                "1+1+N"
            ]
        );
        let letters: Vec<char> = terms.iter().map(|t| super::index_letter(t)).collect();
        assert_eq!(letters, ['A', 'A', 'A', 'D', 'L', 'W', 'X', 'Y', '#']);
    }
}
