//! Links: fills the placeholders the Markdown stage left in a body with relative URLs
//! (only in the attributes it made), puts in the titles `[[slug]]` links show — in the
//! HTML, the search text and the summary — and reports links and anchors that lead nowhere,
//! the first [`MAX_LINK_PROBLEMS`] of a page one by one.

use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::sections::section_index_files;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Page, PageId, Pages, SectionId, Sections, Site, encode_path, root_prefix};
use crate::source::markdown::{LinkTarget, Rendered, StoredText, TextSection, fill_titles};
use crate::source::parse::Document;

impl Page {
    /// Takes in the body's plain text once its links are filled in ([`Filled::titles`]):
    /// the text by heading for search, the length, and the summary when the front matter
    /// gives none.
    pub(crate) fn take_text(
        &mut self,
        sections: Vec<TextSection>,
        first_paragraph: &str,
        titles: &[Option<String>],
    ) {
        self.stored_text = None;
        self.text = sections
            .into_iter()
            .map(|section| TextSection {
                heading: fill_titles(section.heading, titles),
                text: fill_titles(section.text, titles),
                anchor: section.anchor,
            })
            .collect();
        self.char_count = self
            .text
            .iter()
            .map(|s| s.text.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        self.take_summary(first_paragraph, titles);
    }

    /// [`Page::take_text`] for a text the build keeps in its text store: the page keeps where
    /// it is and the titles for its slots, and measures it without reading it back.
    pub(crate) fn take_stored_text(
        &mut self,
        mut stored: StoredText,
        first_paragraph: &str,
        titles: &[Option<String>],
    ) {
        stored.take_titles(titles);
        self.char_count = stored.chars();
        self.text = Vec::new();
        self.stored_text = Some(std::sync::Arc::new(stored));
        self.take_summary(first_paragraph, titles);
    }

    /// The summary when the front matter gives none: the start of the first paragraph.
    fn take_summary(&mut self, first_paragraph: &str, titles: &[Option<String>]) {
        self.summary = self.doc.text("summary").map(str::to_string).or_else(|| {
            let first = fill_titles(first_paragraph.to_string(), titles);
            (!first.is_empty()).then(|| excerpt(first.trim(), 120))
        });
    }
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// Fills the links of re-rendered bodies — (output URL, document, rendered body) — against
/// the finished site, for a preview that updates pages in place.
pub fn relink(site: &Site, bodies: &[(&str, &Document, &Rendered)]) -> Vec<Filled> {
    let section_by_index_rel = section_index_files(&site.sections);
    let assets: HashSet<&str> = site.assets.iter().map(|a| a.rel.as_str()).collect();
    let targets = LinkTargets {
        root: &site.config.root,
        pages: &site.pages,
        sections: &site.sections,
        section_by_index_rel: &section_by_index_rel,
        slug_index: &site.slugs,
        assets: &assets,
        extra: &site.extra_links,
    };
    bodies
        .iter()
        .map(|(url, doc, rendered)| targets.fill_links(url, doc, rendered))
        .collect()
}

/// The bad links of one page listed one by one. Each quotes its source line, which on a page
/// of thousands of links on one long line made the messages alone take minutes and gigabytes;
/// nobody reads past the first hundred anyway.
pub const MAX_LINK_PROBLEMS: usize = 100;

pub(super) struct LinkTargets<'a> {
    /// The site root, where released sources are read again for diagnostics.
    pub(super) root: &'a Path,
    pub(super) pages: &'a Pages,
    pub(super) sections: &'a Sections,
    pub(super) section_by_index_rel: &'a HashMap<String, SectionId>,
    pub(super) slug_index: &'a HashMap<String, PageId>,
    pub(super) assets: &'a HashSet<&'a str>,
    /// Files that are not pages but have an output (learning paths, the glossary).
    pub(super) extra: &'a HashMap<String, String>,
}

/// A body with its links filled in.
pub struct Filled {
    pub html: String,
    /// The links that lead nowhere.
    pub problems: Vec<Diagnostic>,
    /// Per link, the title it shows in place of text of its own (`[[slug]]`), for the
    /// title slots of the body's plain text ([`Page::take_text`]).
    pub titles: Vec<Option<String>>,
}

impl LinkTargets<'_> {
    /// Replaces each placeholder in the page's HTML with a relative URL, puts in the titles
    /// that links show, and reports the links that lead nowhere.
    /// A page's first [`MAX_LINK_PROBLEMS`] bad links are listed one by one, then one error
    /// counts the rest.
    pub(super) fn fill_links(&self, url: &str, doc: &Document, rendered: &Rendered) -> Filled {
        let prefix = root_prefix(url);
        let mut problems = Vec::new();
        let mut hrefs = Vec::with_capacity(rendered.links.len());
        let mut titles = Vec::with_capacity(rendered.links.len());
        let failed = Cell::new(0_usize);
        let first_unlisted = Cell::new(None);
        // A released source is read again from the file, once for all of this page's problems.
        let source = OnceCell::new();
        let place = |diagnostic: Diagnostic, line: usize, column: usize| {
            diagnostic.at(
                source.get_or_init(|| doc.source_text(self.root)),
                line,
                column,
            )
        };
        // Like bad links, a page's first MAX_LINK_PROBLEMS unclosed `[[` are enough to see.
        for &(line, column) in rendered.unclosed_wiki_links.iter().take(MAX_LINK_PROBLEMS) {
            problems.push(place(
                Diagnostic::warning(
                    Code::UnclosedWikiLink,
                    &doc.shown_path,
                    "这里的 `[[` 没有对应的 `]]`，不会成为链接：链接到其他页面请写成 [[页面slug]]，两边各两个半角方括号",
                ),
                doc.body_line + line - 1,
                column,
            ));
        }
        for link in &rendered.links {
            let line = doc.body_line + link.line - 1;
            let fail = |code: Code, message: String| {
                failed.set(failed.get() + 1);
                if failed.get() > MAX_LINK_PROBLEMS {
                    if first_unlisted.get().is_none() {
                        first_unlisted.set(Some((line, link.column)));
                    }
                    return None;
                }
                let diagnostic = Diagnostic::error(code, &doc.shown_path, message);
                Some(place(diagnostic, line, link.column))
            };
            let (href, title) = match &link.target {
                LinkTarget::Anchor(anchor) => {
                    if !rendered.anchors.contains(anchor) && !is_top(anchor) {
                        problems.extend(fail(
                            Code::BrokenAnchor,
                            format!("本页没有标题锚点 `#{anchor}`"),
                        ));
                    }
                    (format!("#{}", crate::html::escape(anchor)), None)
                }
                LinkTarget::Asset { path } => {
                    if !self.assets.contains(path.as_str()) {
                        let why = outside_content(&link.written, path).unwrap_or_else(|| {
                            format!("链接 `{}` 指向的文件 content/{path} 不存在", link.written)
                        });
                        problems.extend(fail(Code::BrokenLink, why));
                    }
                    (format!("{prefix}{}", encode_path(path)), None)
                }
                LinkTarget::Page { path, fragment } => {
                    let target = self.pages.by_file(path).map(|i| &self.pages[i]);
                    let section = self
                        .section_by_index_rel
                        .get(path.as_str())
                        .map(|&i| &self.sections[i]);
                    match (target, section) {
                        (Some(target), _) => {
                            check_fragment(fragment, target, &mut problems, &fail);
                            (
                                with_fragment(
                                    &format!("{prefix}{}", encode_path(&target.url)),
                                    fragment,
                                ),
                                Some(target.title.clone()),
                            )
                        }
                        (None, Some(section)) => (
                            with_fragment(
                                &format!("{prefix}{}", encode_path(&section.url)),
                                fragment,
                            ),
                            Some(section.title.clone()),
                        ),
                        (None, None) => match self.extra.get(path.as_str()) {
                            Some(url) => (
                                with_fragment(&format!("{prefix}{}", encode_path(url)), fragment),
                                None,
                            ),
                            None => {
                                let why = outside_content(&link.written, path)
                                    .unwrap_or_else(|| {
                                        format!(
                                            "链接 `{}` 指向的页面 content/{path} 不存在（或是草稿）",
                                            link.written
                                        )
                                    });
                                problems.extend(fail(Code::BrokenLink, why));
                                ("#".to_string(), None)
                            }
                        },
                    }
                }
                LinkTarget::Wiki { slug, fragment } => match self.slug_index.get(slug.as_str()) {
                    Some(&i) => {
                        let target = &self.pages[i];
                        check_fragment(fragment, target, &mut problems, &fail);
                        (
                            with_fragment(
                                &format!("{prefix}{}", encode_path(&target.url)),
                                fragment,
                            ),
                            Some(match fragment {
                                Some(f) => {
                                    let heading = target
                                        .toc
                                        .iter()
                                        .find(|t| &t.id == f)
                                        .map_or(f.as_str(), |t| t.title.as_str());
                                    format!("{} · {heading}", target.title)
                                }
                                None => target.title.clone(),
                            }),
                        )
                    }
                    None => {
                        problems.extend(fail(
                            Code::BrokenLink,
                            format!("维基链接 `{}` 找不到 slug 为 `{slug}` 的页面", link.written),
                        ));
                        ("#".to_string(), None)
                    }
                },
            };
            hrefs.push(href);
            titles.push(if link.wants_title { title } else { None });
        }
        if let Some((line, column)) = first_unlisted.get() {
            let unlisted = failed.get() - MAX_LINK_PROBLEMS;
            let message = format!(
                "本页还有 {unlisted} 处链接或锚点有误，从这里起不再逐一列出；请先修正上面列出的 {MAX_LINK_PROBLEMS} 处，再构建一次"
            );
            problems.push(place(
                Diagnostic::error(Code::BrokenLink, &doc.shown_path, message),
                line,
                column,
            ));
        }
        Filled {
            html: substitute(&rendered.html, &rendered.link_prefix, &hrefs, &titles),
            problems,
            titles,
        }
    }
}

/// `#top`, in any case, scrolls to the top of a page that has no such anchor: HTML says so and
/// every browser does it, so editors write it for “回到顶部”.
fn is_top(fragment: &str) -> bool {
    fragment.eq_ignore_ascii_case("top")
}

fn check_fragment(
    fragment: &Option<String>,
    target: &Page,
    problems: &mut Vec<Diagnostic>,
    fail: &dyn Fn(Code, String) -> Option<Diagnostic>,
) {
    if let Some(fragment) = fragment
        && !target.anchors.contains(fragment)
        && !is_top(fragment)
    {
        let known: Vec<&str> = target.toc.iter().take(8).map(|t| t.id.as_str()).collect();
        let hint = if known.is_empty() {
            "该页没有标题".to_string()
        } else {
            format!("可用的锚点有：{}", known.join("、"))
        };
        problems.extend(fail(
            Code::BrokenAnchor,
            format!("《{}》中没有标题锚点 `#{fragment}`；{hint}", target.title),
        ));
    }
}

fn with_fragment(url: &str, fragment: &Option<String>) -> String {
    match fragment {
        Some(f) => format!("{url}#{}", crate::html::escape(f)),
        None => url.to_string(),
    }
}

/// Fills in the placeholders of one body: an `href` or `src` value that is exactly `prefix`
/// and a link's number becomes that link's URL, and a link that shows its target's title
/// (left empty by the Markdown stage) gets it after its opening tag. Text that merely
/// reads like a placeholder is the editor's and stays.
fn substitute(html: &str, prefix: &str, hrefs: &[String], titles: &[Option<String>]) -> String {
    let mut out = String::with_capacity(html.len() + hrefs.len() * 16);
    let mut rest = html;
    while let Some(at) = rest.find(prefix) {
        let (before, after) = (&rest[..at], &rest[at + prefix.len()..]);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let is_href = before.ends_with("href=\"");
        let is_value = (is_href || before.ends_with("src=\"")) && after[digits..].starts_with('"');
        let index = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|&i| is_value && i < hrefs.len());
        let Some(index) = index else {
            out.push_str(&rest[..at + prefix.len()]);
            rest = after;
            continue;
        };
        out.push_str(before);
        out.push_str(&hrefs[index]);
        rest = &after[digits..];
        if let Some(title) = titles[index].as_deref().filter(|_| is_href)
            && let Some(tail) = rest.strip_prefix("\">")
        {
            out.push_str("\">");
            crate::html::escape_into(title, &mut out);
            rest = tail;
        }
    }
    out.push_str(rest);
    // Held until the site is written, for every page: no spare capacity.
    out.shrink_to_fit();
    out
}

/// What to say of the link `written` to `path` (relative to `content/`) when the path climbs
/// above `content/`, which it then starts with `..` (`markdown::links::join_relative`): not
/// that `content/../x` is missing.
fn outside_content(written: &str, path: &str) -> Option<String> {
    path.starts_with("../").then(|| {
        format!(
            "链接 `{written}` 指向 content/ 之外：站点只发布 content/ 里的文件，请把要链接的文件放进 content/，再链接它"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_only_in_attributes() {
        let html = "<a href=\"sy-link-1\"></a><a href=\"sy-link-0\">x</a> sy-link-0 <img src=\"sy-link-2\">";
        let out = substitute(
            html,
            "sy-link-",
            &["../a.html".into(), "b.html#甲".into(), "c.png".into()],
            &[None, Some("标题<1>".into()), None],
        );
        assert_eq!(
            out,
            "<a href=\"b.html#甲\">标题&lt;1&gt;</a><a href=\"../a.html\">x</a> sy-link-0 <img src=\"c.png\">"
        );
    }
}
