//! Markdown: turns one page body into HTML, its table of contents, its heading anchors,
//! the internal links it makes (for the resolve stage) and its plain text split at
//! headings (for the search index). Each body is parsed exactly once.
//!
//! The parser is comrak with `cjk_friendly_emphasis`: CommonMark's flanking rules leave
//! `这是**“重点”**内容` and `**《条例》**规定` unbolded, which Chinese editors write all the time.
//! Internal links are replaced by placeholders here and filled in by [`crate::model::resolve`],
//! once every page's URL and anchors are known: in the HTML, an `href`/`src` value that is
//! exactly the body's placeholder prefix and the link's number (a link showing its
//! target's title is left empty, the title goes after its opening tag); in the plain text,
//! a title slot. Plain text never carries the editor's control characters, so every
//! slot in it is ours. [`links`] sorts links and places them; [`headings`] makes the ids.

mod headings;
mod links;
pub mod memo;
pub mod stored;

use std::collections::HashSet;
use std::sync::Mutex;

use comrak::nodes::{AlertType, NodeValue};
use comrak::options::Plugins;
use comrak::{Arena, Node, Options};

pub use headings::slugify;
use headings::{AnchoredHeadings, UsedIds, take_custom_id};
pub use links::percent_decode;
use links::{CharColumns, classify, link_prefix, link_ref, split_fragment};
pub use stored::{Measure, StoredText, TextFile, TextStore};

/// Where an internal link points before it is resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkTarget {
    /// Another Markdown file, as a path relative to `content/`.
    Page {
        path: String,
        fragment: Option<String>,
    },
    /// `[[slug]]` or `[[slug#heading]]`.
    Wiki {
        slug: String,
        fragment: Option<String>,
    },
    /// A non-Markdown file under `content/` (image, PDF, DOCX …), relative to `content/`.
    Asset { path: String },
    /// `#anchor` on the same page.
    Anchor(String),
}

#[derive(Debug, Clone)]
pub struct LinkRef {
    pub target: LinkTarget,
    /// What the editor wrote, for messages.
    pub written: String,
    /// Line and column in the body (1-based).
    pub line: usize,
    pub column: usize,
    /// The link has no text of its own (`[[slug]]`): show the target's title.
    pub wants_title: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// Plain text between two headings, for the search index. Until resolve fills them in, it
/// may hold title slots (see [`TITLE_OPEN`]).
#[derive(Debug, Clone, Default)]
pub struct TextSection {
    pub anchor: String,
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Rendered {
    /// HTML with placeholders (`{link_prefix}N`) as the `href` or `src` of internal links.
    pub html: String,
    /// The start of every placeholder in this body: `sy-link-`, lengthened until the body
    /// does not contain it, so that nothing the editor writes (raw HTML included) can pass
    /// for one.
    pub link_prefix: String,
    pub toc: Vec<TocEntry>,
    pub anchors: HashSet<String>,
    pub links: Vec<LinkRef>,
    /// Plain text by heading, with title slots; empty once [`Rendered::put_text_away`] took it.
    pub sections: Vec<TextSection>,
    /// Where the plain text went when a build took it out of memory.
    pub stored_text: Option<StoredText>,
    /// What the stages after this one need to know of the plain text once it is put away,
    /// measured as the body is rendered: the Markdown memo keeps it with the body, which a
    /// rebuild would otherwise measure again (a tenth of a 10k rebuild's instructions).
    pub measure: Measure,
    /// The first paragraph's plain text, with title slots: the summary when the front matter
    /// gives none.
    pub first_paragraph: String,
    /// Line and column (in the body) of each `[[` that no `]]` closes: the parser leaves it
    /// as text, and the editor almost certainly meant a link.
    pub unclosed_wiki_links: Vec<(usize, usize)>,
}

impl Rendered {
    /// Takes the plain text out of memory: into `store`, or, when nothing will read it (no
    /// store), only its measure is kept ([`stored`]).
    pub fn put_text_away(&mut self, store: Option<&TextStore>) {
        let sections = std::mem::take(&mut self.sections);
        let measure = std::mem::take(&mut self.measure);
        self.stored_text = Some(match store {
            Some(store) => store.put(sections, measure),
            None => StoredText::dropped(measure),
        });
    }
}

/// In plain text, a link that shows its target's title is the link's number between these
/// two control characters, until resolve puts the title there. The editor's control
/// characters never reach plain text (see [`push_clean`]), so a slot is always ours.
pub const TITLE_OPEN: char = '\u{1}';
pub const TITLE_CLOSE: char = '\u{2}';

/// A stretch of plain text between title slots, or a slot with the number of its link
/// (`None` when it is not a number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slotted<'a> {
    Text(&'a str),
    Slot(Option<usize>),
}

/// Plain text cut at its title slots: what [`fill_titles`] fills and what
/// [`stored::Measure`] measures, read the one way.
pub fn slotted(text: &str) -> impl Iterator<Item = Slotted<'_>> {
    let mut rest = Some(text);
    let mut slot = None;
    std::iter::from_fn(move || {
        if let Some(number) = slot.take() {
            return Some(Slotted::Slot(number));
        }
        let text = rest?;
        let Some(at) = text.find(TITLE_OPEN) else {
            rest = None;
            return Some(Slotted::Text(text));
        };
        let after = &text[at + TITLE_OPEN.len_utf8()..];
        let end = after.find(TITLE_CLOSE).unwrap_or(after.len());
        slot = Some(after[..end].parse::<usize>().ok());
        rest = Some(after[end..].strip_prefix(TITLE_CLOSE).unwrap_or_default());
        Some(Slotted::Text(&text[..at]))
    })
}

/// Plain text with each title slot replaced by the title its link shows (`titles`, by link
/// number; nothing for a link that leads nowhere: the build fails on it anyway).
pub fn fill_titles(text: String, titles: &[Option<String>]) -> String {
    if !text.contains(TITLE_OPEN) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 32);
    for piece in slotted(&text) {
        match piece {
            Slotted::Text(t) => out.push_str(t),
            Slotted::Slot(link) => out.push_str(slot_title(link, titles)),
        }
    }
    out.shrink_to_fit();
    out
}

/// What the slot of link `link` shows.
pub fn slot_title(link: Option<usize>, titles: &[Option<String>]) -> &str {
    link.and_then(|i| titles.get(i))
        .and_then(Option::as_deref)
        .unwrap_or_default()
}

pub fn options(allow_html: bool) -> Options<'static> {
    let mut options = Options::default();
    options.extension.strikethrough = true;
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.alerts = true;
    options.extension.wikilinks_title_after_pipe = true;
    options.extension.cjk_friendly_emphasis = true;
    // Columns stay in bytes here: comrak's own conversion to characters counts from the start
    // of the line for every node, which takes minutes on one long line of many links or
    // table cells. [`CharColumns`] converts the few positions we report, in one pass.
    options.render.r#unsafe = allow_html;
    options.render.tasklist_classes = true;
    options
}

/// Renders one body. `rel` is the file's path relative to `content/`, used to resolve
/// relative links.
/// A body that nests too deep (see [`crate::source::nesting`]) or holds too many marks (see
/// [`crate::source::density`]) renders as nothing: parsing it could overflow the stack or take
/// gigabytes, and the parse stage has already reported it as an error.
pub fn render(body: &str, rel: &str, options: &Options) -> Rendered {
    let body = if crate::source::nesting::too_deep(body).is_some()
        || crate::source::density::too_dense(body).is_some()
    {
        ""
    } else {
        body
    };
    let mut out = Rendered {
        link_prefix: link_prefix(body),
        ..Rendered::default()
    };
    let html = parse_and_format(body, rel, options, &mut out);
    out.measure = Measure::of(&out.sections);
    // comrak's footnote back-links carry an English label; readers here use screen readers in Chinese.
    out.html = html.join_replacing(
        "aria-label=\"Back to reference ",
        "aria-label=\"返回正文引用处 ",
    );
    out
}

/// Parses `body`, fills in everything of `out` but its HTML, and returns the HTML in
/// pieces. comrak's tree lives only here, so it is gone before the pieces are joined and the
/// two are never held at once.
fn parse_and_format(
    body: &str,
    rel: &str,
    options: &Options,
    out: &mut Rendered,
) -> crate::html::Pieces {
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, body, options);
    let mut ids = Vec::new();
    let mut used = UsedIds::default();
    let mut columns = CharColumns::new(body);

    // Collected first: wiki links lose their children below, and the tree walk forbids that.
    let nodes: Vec<Node> = root.descendants().collect();
    for node in nodes {
        let value = node.data().value.clone();
        match value {
            NodeValue::Heading(heading) => {
                let (title, custom) = take_custom_id(node);
                let id = used.unique(custom.unwrap_or_else(|| slugify(&title)));
                if (2..=4).contains(&heading.level) {
                    out.toc.push(TocEntry {
                        level: heading.level,
                        id: id.clone(),
                        title: title.clone(),
                    });
                }
                out.anchors.insert(id.clone());
                ids.push(id);
            }
            NodeValue::Link(link) => {
                if let Some(target) = classify(&link.url, rel) {
                    let pos = columns.position(node.data().sourcepos);
                    let index = out.links.len();
                    out.links.push(link_ref(target, &link.url, pos, false));
                    if let NodeValue::Link(l) = &mut node.data_mut().value {
                        l.url = format!("{}{index}", out.link_prefix);
                    }
                }
            }
            NodeValue::Image(image) => {
                if let Some(target @ LinkTarget::Asset { .. }) = classify(&image.url, rel) {
                    let pos = columns.position(node.data().sourcepos);
                    let index = out.links.len();
                    out.links.push(link_ref(target, &image.url, pos, false));
                    if let NodeValue::Image(i) = &mut node.data_mut().value {
                        i.url = format!("{}{index}", out.link_prefix);
                    }
                }
            }
            NodeValue::WikiLink(wiki) => {
                let (slug, fragment) = split_fragment(wiki.url.trim());
                let text = plain_text(node, None);
                let wants_title = text.trim() == wiki.url.trim();
                let pos = columns.position(node.data().sourcepos);
                let index = out.links.len();
                out.links.push(link_ref(
                    LinkTarget::Wiki {
                        slug: slug.to_string(),
                        fragment,
                    },
                    &format!("[[{}]]", wiki.url),
                    pos,
                    wants_title,
                ));
                node.data_mut().value = NodeValue::Link(Box::new(comrak::nodes::NodeLink {
                    url: format!("{}{index}", out.link_prefix),
                    title: String::new(),
                }));
                // Empty: `<a href="…"></a>`, the title goes in once resolve knows it.
                if wants_title {
                    for child in node.children().collect::<Vec<_>>() {
                        child.detach();
                    }
                }
            }
            NodeValue::Text(text) if text.contains("[[") => {
                let (line, column) = columns.position(node.data().sourcepos);
                // Characters counted from the previous `[[`, not from the start: one pass.
                let (mut chars, mut counted_to) = (0, 0);
                for (at, _) in text.match_indices("[[") {
                    chars += text[counted_to..at].chars().count();
                    counted_to = at;
                    out.unclosed_wiki_links.push((line, column + chars));
                }
            }
            NodeValue::Alert(_) => {
                if let NodeValue::Alert(alert) = &mut node.data_mut().value {
                    alert.title = Some(alert_title(alert.alert_type).to_string());
                }
            }
            _ => {}
        }
    }

    collect_text(root, &ids, out);
    let adapter = AnchoredHeadings {
        ids: Mutex::new(ids.into_iter().rev().collect()),
    };
    let mut plugins = Plugins::default();
    plugins.render.heading_adapter = Some(&adapter);
    let mut html = crate::html::Pieces::default();
    // Collecting pieces cannot fail.
    let _ = comrak::format_html_with_plugins(root, options, &mut html, &plugins);
    html
}

fn alert_title(kind: AlertType) -> &'static str {
    match kind {
        AlertType::Note => "注意",
        AlertType::Tip => "提示",
        AlertType::Important => "重要",
        AlertType::Warning => "警告",
        AlertType::Caution => "小心",
    }
}

/// The text of a subtree as a reader sees it. Once the links are replaced (`slots` given),
/// each link that shows its target's title leaves a title slot.
fn plain_text<'a>(node: Node<'a>, slots: Option<&Rendered>) -> String {
    let mut text = String::new();
    for d in node.descendants() {
        match &d.data().value {
            NodeValue::Text(t) => push_clean(&mut text, t),
            NodeValue::Code(c) => push_clean(&mut text, &c.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => text.push(' '),
            NodeValue::Link(link) => {
                let Some(rendered) = slots else { continue };
                let index = link
                    .url
                    .strip_prefix(rendered.link_prefix.as_str())
                    .and_then(|n| n.parse::<usize>().ok());
                if let Some(index) = index
                    && rendered.links.get(index).is_some_and(|l| l.wants_title)
                {
                    text.push(TITLE_OPEN);
                    text.push_str(&index.to_string());
                    text.push(TITLE_CLOSE);
                }
            }
            _ => {}
        }
    }
    text
}

/// Appends the editor's text without control characters (a NUL, a stray escape …) other
/// than line breaks and tabs: plain text ends up in `<meta>` tags, summaries and search
/// snippets, where they show as garbage or break the page.
fn push_clean(out: &mut String, text: &str) {
    // The control characters (`char::is_control`, U+0000–U+001F and U+007F–U+009F) are an
    // ASCII byte or `C2 80`–`C2 9F` in UTF-8, so the text is copied in runs between them
    // instead of a character at a time; and whole when it has no byte that may start one,
    // which a scan without an early exit finds many bytes at a time.
    let bytes = text.as_bytes();
    let suspect = |b: u8| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f || b == 0xc2;
    if !bytes.iter().fold(false, |any, &b| any | suspect(b)) {
        out.push_str(text);
        return;
    }
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let width = match bytes[i] {
            b'\n' | b'\t' => 0,
            0..0x20 | 0x7f => 1,
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..0xa0)) => 2,
            _ => 0,
        };
        if width == 0 {
            i += 1;
        } else {
            out.push_str(&text[run..i]);
            i += width;
            run = i;
        }
    }
    out.push_str(&text[run..]);
}

/// Walks the document once more for its plain text, cut into sections at headings.
fn collect_text<'a>(root: Node<'a>, ids: &[String], out: &mut Rendered) {
    let mut sections = vec![TextSection::default()];
    let mut heading_index = 0;
    let mut first_paragraph = None;
    for node in root.children() {
        walk_block(
            node,
            out,
            ids,
            &mut heading_index,
            &mut sections,
            &mut first_paragraph,
        );
    }
    sections.retain(|s| !s.text.trim().is_empty() || !s.heading.is_empty());
    out.first_paragraph = first_paragraph.unwrap_or_default();
    for section in &mut sections {
        // A copy of exactly its length: the text grew by doubling, and `shrink_to_fit` keeps a
        // block shrunk by less than half where it is (mimalloc), so every page held up to twice
        // its text until the index was written (15 % of the memory rendered bodies hold).
        section.text = section.text.as_str().to_owned();
    }
    out.sections = sections;
}

fn walk_block<'a>(
    node: Node<'a>,
    rendered: &Rendered,
    ids: &[String],
    heading_index: &mut usize,
    sections: &mut Vec<TextSection>,
    first_paragraph: &mut Option<String>,
) {
    let value = node.data().value.clone();
    match value {
        NodeValue::Heading(_) => {
            let heading = plain_text(node, Some(rendered)).trim().to_string();
            let anchor = ids.get(*heading_index).cloned().unwrap_or_default();
            *heading_index += 1;
            sections.push(TextSection {
                anchor,
                heading,
                text: String::new(),
            });
        }
        NodeValue::Paragraph
        | NodeValue::TableCell
        | NodeValue::CodeBlock(_)
        | NodeValue::HtmlBlock(_) => {
            let text = match &value {
                NodeValue::CodeBlock(code) => {
                    let mut text = String::with_capacity(code.literal.len());
                    push_clean(&mut text, &code.literal);
                    text
                }
                NodeValue::HtmlBlock(_) => String::new(),
                _ => plain_text(node, Some(rendered)),
            };
            if first_paragraph.is_none()
                && matches!(value, NodeValue::Paragraph)
                && !text.trim().is_empty()
            {
                *first_paragraph = Some(text.trim().to_string());
            }
            if let Some(section) = sections.last_mut() {
                if !section.text.is_empty() {
                    section.text.push('\n');
                }
                section.text.push_str(text.trim());
            }
        }
        _ => {
            for child in node.children() {
                walk_block(
                    child,
                    rendered,
                    ids,
                    heading_index,
                    sections,
                    first_paragraph,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(md, "a/b.md", &options(false)).html
    }

    #[test]
    fn chinese_emphasis_next_to_punctuation_is_bold() {
        assert!(html("这是**“重点”**内容").contains("<strong>“重点”</strong>"));
        assert!(html("**《条例》**规定").contains("<strong>《条例》</strong>"));
    }

    #[test]
    fn heading_anchors_keep_chinese_and_are_unique() {
        let r = render(
            "## 第三条 工作要求\n\n## 第三条 工作要求\n\n## 一、总体要求 {#zongti}\n",
            "a.md",
            &options(false),
        );
        let ids: Vec<_> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["第三条-工作要求", "第三条-工作要求-1", "zongti"]);
        assert!(r.html.contains("<h2 id=\"第三条-工作要求\">"));
        assert_eq!(r.toc[2].title, "一、总体要求");
    }

    #[test]
    fn a_generated_id_never_takes_one_a_heading_has() {
        let r = render(
            "## 步骤 1\n\n## 步骤\n\n## 步骤\n\n## 步骤-2\n\n## 步骤\n",
            "a.md",
            &options(false),
        );
        let ids: Vec<_> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["步骤-1", "步骤", "步骤-2", "步骤-2-1", "步骤-3"]);
    }

    #[test]
    fn placeholders_use_a_prefix_the_body_does_not_hold() {
        let r = render("写着 sy-link-0，见[[甲]]。", "a.md", &options(false));
        assert_eq!(r.link_prefix, "sy-link-x-");
        assert!(
            r.html.contains("<a href=\"sy-link-x-0\"></a>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("写着 sy-link-0"));
        assert_eq!(
            render("见[[甲]]", "a.md", &options(false)).link_prefix,
            "sy-link-"
        );
    }

    #[test]
    fn the_placeholder_prefix_outgrows_the_longest_lookalike_in_one_pass() {
        assert_eq!(link_prefix("无链接"), "sy-link-");
        assert_eq!(link_prefix("sy-link-x-x- 和 sy-link-"), "sy-link-x-x-x-");
        // Trying each length in turn searched the whole body once per `x-`: minutes here.
        let lookalike = format!("sy-link-{}", "x-".repeat(200_000));
        let prefix = link_prefix(&lookalike);
        assert_eq!(prefix.len(), lookalike.len() + 2);
        assert!(!lookalike.contains(&prefix));
    }

    #[test]
    fn plain_text_holds_title_slots_and_no_control_characters() {
        let r = render(
            "依据[[甲]]和[[乙|新文件]]\0办\u{1b}理。\n\n## 对照[[丙]]\n\n`代\u{7}码`\n",
            "a.md",
            &options(false),
        );
        assert_eq!(r.first_paragraph, "依据\u{1}0\u{2}和新文件办理。");
        assert_eq!(r.sections[1].heading, "对照\u{1}2\u{2}");
        assert_eq!(r.sections[1].text, "代码");
    }

    #[test]
    fn push_clean_drops_exactly_the_control_characters() {
        // Every control character, its neighbours in UTF-8, and text around them.
        let mut text = String::new();
        for c in ('\0'..='\u{ff}').chain(['电', '\u{2028}', '\u{feff}', '𠀀']) {
            text.push('a');
            text.push(c);
        }
        let mut cleaned = String::new();
        push_clean(&mut cleaned, &text);
        let expected: String = (text.chars())
            .filter(|&c| !c.is_control() || c == '\n' || c == '\t')
            .collect();
        assert_eq!(cleaned, expected);
        assert!(cleaned.contains("a\u{a0}a") && cleaned.contains('\n'));
        // Each character alone in clean text, where the whole-text copy decides.
        for c in ('\0'..='\u{ff}').chain(['电', '𠀀']) {
            let text = format!("第{c}条");
            let mut cleaned = String::new();
            push_clean(&mut cleaned, &text);
            let keep = !c.is_control() || c == '\n' || c == '\t';
            let expected = if keep {
                text.clone()
            } else {
                "第条".to_string()
            };
            assert_eq!(cleaned, expected, "{c:?}");
        }
    }

    #[test]
    fn title_slots_take_the_titles() {
        let titles = [Some("甲".to_string()), None];
        assert_eq!(
            fill_titles(
                "依据\u{1}0\u{2}和\u{1}1\u{2}。\u{1}x\u{2}末\u{1}0".into(),
                &titles
            ),
            "依据甲和。末甲"
        );
        assert_eq!(fill_titles("无".into(), &titles), "无");
    }

    #[test]
    fn links_are_sorted_into_kinds() {
        let r = render(
            "[a](../p/x.md#第一条) [b](https://example.org) [[slug#标题]] [c](file.pdf) [d](#本页)",
            "cases/y.md",
            &options(false),
        );
        let targets: Vec<_> = r.links.iter().map(|l| l.target.clone()).collect();
        assert_eq!(
            targets,
            [
                LinkTarget::Page {
                    path: "p/x.md".into(),
                    fragment: Some("第一条".into())
                },
                LinkTarget::Wiki {
                    slug: "slug".into(),
                    fragment: Some("标题".into())
                },
                LinkTarget::Asset {
                    path: "cases/file.pdf".into()
                },
                LinkTarget::Anchor("本页".into()),
            ]
        );
        assert!(r.html.contains("https://example.org"));
    }

    #[test]
    fn an_unclosed_wiki_link_is_found_at_its_brackets() {
        let r = render(
            "正文 [[甲]] 与 [[乙 和\n\n次段 [[丙\n\n`[[代码` [[丁\n戊]]",
            "a.md",
            &options(false),
        );
        assert_eq!(r.unclosed_wiki_links, [(1, 12), (3, 4)]);
    }

    #[test]
    fn link_columns_count_characters_even_on_one_long_line() {
        // Thousands of links on one line: converting each position from the line's start
        // used to take time growing with the square of the line.
        let line: String = (0..3000).map(|i| format!("第{i}条见[[甲]]，")).collect();
        let body = format!("首行\r\n{line}\n\n中文[x](#锚)\n");
        let r = render(&body, "a.md", &options(false));
        let expected: Vec<(usize, usize)> = line
            .char_indices()
            .enumerate()
            .filter(|&(_, (byte, _))| line[byte..].starts_with("[["))
            .map(|(chars, _)| (2, chars + 1))
            .chain([(4, 3)])
            .collect();
        let found: Vec<(usize, usize)> = r.links.iter().map(|l| (l.line, l.column)).collect();
        assert_eq!(found.len(), 3001);
        assert_eq!(found, expected);
    }

    #[test]
    fn percent_decoding_never_splits_a_character() {
        assert_eq!(percent_decode("%1中"), "%1中");
        assert_eq!(percent_decode("a%41"), "aA");
        assert_eq!(percent_decode("%E4%B8%AD"), "中");
        assert_eq!(render("[x](#%1中)", "a.md", &options(false)).links.len(), 1);
    }

    #[test]
    fn alerts_get_chinese_titles() {
        assert!(html("> [!WARNING]\n> 小心").contains("警告"));
    }

    #[test]
    fn raw_html_is_dropped_unless_allowed() {
        assert!(!html("<script>alert(1)</script>\n").contains("<script>"));
        let allowed = render("<b>粗</b>\n", "a.md", &options(true)).html;
        assert!(allowed.contains("<b>粗</b>"));
    }
}
