//! HTML text: the one escaping function every stage uses for text it puts into pages
//! (rendered headings and links, redirect pages, search snippets, the dev server's overlay),
//! the percent-encoding of addresses written outside pages,
//! and a small scanner that splits the HTML the Markdown stage writes into text, tags and the
//! rest, for the passes that rewrite a page after resolve — glossary popovers in its text
//! ([`crate::training::glossary`]) and links, ids and heading levels in handouts ([`crate::training::handout`]).
//!
//! The scanner is not a general HTML parser. It relies on what comrak emits: attribute values
//! quoted, `<`, `>` and `&` escaped in text. Raw HTML that a site allows through is still
//! scanned safely — unknown constructs come back as [`Token::Other`] and are copied as they
//! are — and the contents of `<script>`, `<style>` and `<textarea>` are never seen as text.
//!
//! [`Pieces`] collects what comrak writes for one body in pieces and joins them once.

use std::fmt;
use std::ops::Range;

/// A body's HTML as comrak writes it, collected in pieces of about a megabyte, each ending
/// at a line break, then joined once at its exact length. A growing `String` doubles past
/// the page's size and copies itself each time it grows (three times the page at that
/// moment, while comrak's tree is still held), and shrinking or editing it afterwards copies
/// it again: 100,000 footnotes make 31 MB of HTML, 300,000 references to one footnote 96 MB.
#[derive(Default)]
pub struct Pieces {
    done: Vec<String>,
    current: String,
}

impl Pieces {
    const SIZE: usize = 1 << 20;

    /// The HTML in one string without spare capacity (every page's body is held until the
    /// site is written), with every `from` replaced by `to`. `from` must hold no line break:
    /// pieces are cut at line breaks, so no occurrence straddles two of them.
    pub fn join_replacing(mut self, from: &str, to: &str) -> String {
        self.done.push(std::mem::take(&mut self.current));
        let count: usize = self.done.iter().map(|p| p.matches(from).count()).sum();
        let length: usize = self.done.iter().map(String::len).sum();
        let mut html = String::with_capacity(length - count * from.len() + count * to.len());
        // Each piece is freed once copied: the page is held about once, not twice.
        for piece in self.done {
            let mut copied_to = 0;
            for (at, _) in piece.match_indices(from) {
                html.push_str(&piece[copied_to..at]);
                html.push_str(to);
                copied_to = at + from.len();
            }
            html.push_str(&piece[copied_to..]);
        }
        html
    }
}

impl fmt::Write for Pieces {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let start = self.current.len();
        self.current.push_str(s);
        // Only the text just written is searched for a line break: a long line stays linear.
        if self.current.len() >= Self::SIZE
            && let Some(at) = s.rfind('\n')
        {
            let rest = self.current.split_off(start + at + 1);
            let mut full = std::mem::replace(&mut self.current, rest);
            full.shrink_to_fit();
            self.done.push(full);
        }
        Ok(())
    }
}

/// Appends `text` escaped for HTML element content and attribute values.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `address` with every character beyond ASCII percent-encoded (its UTF-8 bytes, `%E7%BD%91`),
/// as RFC 3986 spells an address outside a page: `base_url` and the sitemap's entries. Links
/// in pages keep such characters as they are.
pub fn percent_encode_non_ascii(address: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(address.len() + 8);
    for c in address.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// `text` escaped for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// Character data between tags, still escaped.
    Text(&'a str),
    Tag(Tag<'a>),
    /// Comments, doctypes and the raw contents of script-like elements.
    Other(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The whole tag, `<` to `>`.
    pub raw: &'a str,
    /// As written; compare with [`Tag::is`].
    pub name: &'a str,
    pub closing: bool,
}

/// One attribute of a tag: its name, and where its (still escaped) value sits in the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr<'a> {
    pub name: &'a str,
    pub value: &'a str,
    /// Byte range of `value` within [`Tag::raw`]; empty at the name's end when there is none.
    pub span: Range<usize>,
}

impl<'a> Tag<'a> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// `h1` … `h6` → 1 … 6.
    pub fn heading_level(&self) -> Option<u8> {
        let bytes = self.name.as_bytes();
        match bytes {
            [h, d] if h.eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(d) => Some(d - b'0'),
            _ => None,
        }
    }

    pub fn attrs(&self) -> Vec<Attr<'a>> {
        if self.closing {
            return Vec::new();
        }
        let raw = self.raw;
        let bytes = raw.as_bytes();
        let mut out = Vec::new();
        let mut i = 1 + self.name.len();
        let end = raw.len().saturating_sub(1);
        while i < end {
            while i < end && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            let name_start = i;
            while i < end
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'=' | b'>' | b'/')
            {
                i += 1;
            }
            if i == name_start {
                break;
            }
            let name = &raw[name_start..i];
            let mut j = i;
            while j < end && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < end && bytes[j] == b'=' {
                j += 1;
                while j < end && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                let span = match bytes.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let close = raw[j + 1..end].find(q as char).map_or(end, |k| j + 1 + k);
                        i = (close + 1).min(end);
                        j + 1..close
                    }
                    _ => {
                        let mut k = j;
                        while k < end && !bytes[k].is_ascii_whitespace() {
                            k += 1;
                        }
                        i = k;
                        j..k
                    }
                };
                out.push(Attr {
                    name,
                    value: &raw[span.clone()],
                    span,
                });
            } else {
                out.push(Attr {
                    name,
                    value: "",
                    span: i..i,
                });
            }
        }
        out
    }

    /// The tag with some attribute values replaced: `change` gets each attribute and returns
    /// the new (already escaped) value, or `None` to keep it.
    pub fn rewrite(&self, mut change: impl FnMut(&Attr) -> Option<String>) -> String {
        let mut out = String::with_capacity(self.raw.len() + 16);
        let mut copied = 0;
        for attr in self.attrs() {
            if let Some(value) = change(&attr) {
                out.push_str(&self.raw[copied..attr.span.start]);
                out.push_str(&value);
                copied = attr.span.end;
            }
        }
        out.push_str(&self.raw[copied..]);
        out
    }
}

/// Elements whose contents are not markup.
const RAW_TEXT: [&str; 3] = ["script", "style", "textarea"];

/// Iterates over the tokens of `html`, in order, covering every byte exactly once.
pub fn tokens(html: &str) -> Tokens<'_> {
    Tokens {
        html,
        pos: 0,
        raw_until: None,
    }
}

pub struct Tokens<'a> {
    html: &'a str,
    pos: usize,
    /// Inside a script-like element: the name whose closing tag ends the raw text.
    raw_until: Option<&'static str>,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = &self.html[self.pos..];
        if rest.is_empty() {
            return None;
        }
        if let Some(name) = self.raw_until.take() {
            let end = find_closing(rest, name).unwrap_or(rest.len());
            if end > 0 {
                self.pos += end;
                return Some(Token::Other(&rest[..end]));
            }
        }
        if !rest.starts_with('<') {
            let end = rest.find('<').unwrap_or(rest.len());
            self.pos += end;
            return Some(Token::Text(&rest[..end]));
        }
        let (len, token) = if rest.starts_with("<!--") {
            let len = rest.find("-->").map_or(rest.len(), |i| i + 3);
            (len, Token::Other(&rest[..len]))
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            let len = rest.find('>').map_or(rest.len(), |i| i + 1);
            (len, Token::Other(&rest[..len]))
        } else if let Some(tag) = scan_tag(rest) {
            if !tag.closing
                && let Some(name) = RAW_TEXT.iter().find(|n| tag.is(n))
            {
                self.raw_until = Some(name);
            }
            (tag.raw.len(), Token::Tag(tag))
        } else {
            // A lone `<` that starts no tag is text.
            let end = rest[1..].find('<').map_or(rest.len(), |i| i + 1);
            (end, Token::Text(&rest[..end]))
        };
        self.pos += len;
        Some(token)
    }
}

fn find_closing(rest: &str, name: &str) -> Option<usize> {
    let lower = rest.to_ascii_lowercase();
    lower.find(&format!("</{name}"))
}

fn scan_tag(rest: &str) -> Option<Tag<'_>> {
    let bytes = rest.as_bytes();
    let closing = bytes.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    if !bytes.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = name_start;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    let name = &rest[name_start..i];
    let mut quote = None;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (None, b'>') => {
                return Some(Tag {
                    raw: &rest[..=i],
                    name,
                    closing,
                });
            }
            (None, q @ (b'"' | b'\'')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// An introduction cut into the lead a list page always shows and the rest it folds away
/// (`(lead, rest)`, one of them possibly empty). The lead is the first top-level element when
/// that is a paragraph of at most `max_chars` characters of text; an introduction of at most
/// that many characters is all lead, and a longer one that does not open with such a
/// paragraph folds whole.
pub fn split_lead(html: &str, max_chars: usize) -> (&str, &str) {
    if let Some(end) = lead_end(html, max_chars) {
        return html.split_at(end);
    }
    let text_chars: usize = tokens(html)
        .map(|t| match t {
            Token::Text(s) => s.chars().count(),
            _ => 0,
        })
        .sum();
    if text_chars <= max_chars {
        (html, "")
    } else {
        ("", html)
    }
}

/// The end of the first top-level element when it is a paragraph of at most `max_chars`
/// characters of text and something follows it.
fn lead_end(html: &str, max_chars: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_lead = false;
    let mut chars = 0usize;
    let mut offset = 0usize;
    for token in tokens(html) {
        let len = match token {
            Token::Text(s) | Token::Other(s) => s.len(),
            Token::Tag(t) => t.raw.len(),
        };
        offset += len;
        match token {
            Token::Text(s) if in_lead => chars += s.chars().count(),
            Token::Text(s) if depth == 0 && s.trim().is_empty() => {}
            Token::Tag(t) if depth == 0 && !in_lead => {
                if t.closing || !t.is("p") {
                    return None;
                }
                in_lead = true;
                depth = 1;
            }
            Token::Tag(t) if in_lead && !is_void(t.name) && !t.raw.ends_with("/>") => {
                if t.closing {
                    depth -= 1;
                } else {
                    depth += 1;
                }
                if depth == 0 {
                    let rest_empty = html[offset..].trim().is_empty();
                    return (chars <= max_chars && !rest_empty).then_some(offset);
                }
            }
            Token::Text(_) | Token::Tag(_) | Token::Other(_) if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

fn is_void(name: &str) -> bool {
    ["br", "img", "hr", "input", "wbr", "col", "area", "source"]
        .iter()
        .any(|v| name.eq_ignore_ascii_case(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_to_what_was_written_with_every_occurrence_replaced() {
        use std::fmt::Write;
        let mut pieces = Pieces::default();
        let mut whole = String::new();
        // Three megabytes in writes of every size, the text to replace near every cut.
        for i in 0..60_000 {
            let line = format!("<p>第{i}段 <a aria-label=\"Back to reference {i}\">↩</a></p>\n");
            let written = if i % 7 == 0 {
                format!("{line}无换行的一段")
            } else {
                line
            };
            pieces.write_str(&written).unwrap();
            whole.push_str(&written);
        }
        assert!(pieces.done.len() >= 2, "the HTML was cut into pieces");
        let joined = pieces.join_replacing("aria-label=\"Back to", "aria-label=\"返回");
        assert_eq!(
            joined,
            whole.replace("aria-label=\"Back to", "aria-label=\"返回")
        );
        assert_eq!(joined.capacity(), joined.len());
    }

    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            super::escape("<a href=\"x\">'甲'&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;甲&#39;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn tokens_cover_the_input_and_keep_script_text_raw() {
        let html = "<p class=\"a>b\">甲 &amp; 乙<br/></p><!-- x --><script>if (a<b) {}</script>尾";
        let all: Vec<Token> = tokens(html).collect();
        let joined: String = all
            .iter()
            .map(|t| match t {
                Token::Text(s) | Token::Other(s) => *s,
                Token::Tag(t) => t.raw,
            })
            .collect();
        assert_eq!(joined, html);
        assert!(all.contains(&Token::Other("if (a<b) {}")));
        let texts: Vec<&str> = all
            .iter()
            .filter_map(|t| match t {
                Token::Text(s) => Some(*s),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["甲 &amp; 乙", "尾"]);
    }

    #[test]
    fn attributes_are_found_and_rewritten() {
        let Some(Token::Tag(tag)) = tokens("<a href=\"x.html#甲\" id='b' hidden>").next() else {
            panic!("no tag");
        };
        let attrs: Vec<(&str, &str)> = tag.attrs().iter().map(|a| (a.name, a.value)).collect();
        assert_eq!(attrs, [("href", "x.html#甲"), ("id", "b"), ("hidden", "")]);
        let out = tag.rewrite(|a| (a.name == "href").then(|| "#c1".to_string()));
        assert_eq!(out, "<a href=\"#c1\" id='b' hidden>");
        let Some(Token::Tag(h)) = tokens("<H3 id=\"x\">").next() else {
            panic!("no tag");
        };
        assert_eq!(h.heading_level(), Some(3));
    }

    #[test]
    fn a_short_first_paragraph_is_the_lead() {
        let html = "<p>本栏目<strong>摘编</strong>政策。<br>二行</p>\n<ul>\n<li>甲</li>\n</ul>\n";
        let (lead, rest) = split_lead(html, 40);
        assert_eq!(lead, "<p>本栏目<strong>摘编</strong>政策。<br>二行</p>");
        assert_eq!(rest, "\n<ul>\n<li>甲</li>\n</ul>\n");
        // Too long a first paragraph, or none: everything folds. A short intro: all lead.
        assert_eq!(split_lead(html, 5), ("", html));
        let list_first = "<ul><li>甲</li></ul><p>乙丙</p>";
        assert_eq!(split_lead(list_first, 2), ("", list_first));
        assert_eq!(
            split_lead("<p>只有一段</p>\n", 40),
            ("<p>只有一段</p>\n", "")
        );
    }
}
