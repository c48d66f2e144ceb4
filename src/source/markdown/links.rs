//! The links of one body: sorting what the editor wrote into external links and the
//! internal kinds ([`LinkTarget`]), the placeholder prefix the body does not hold, and
//! positions in characters, as editors count them.

use comrak::nodes::Sourcepos;

use super::{LinkRef, LinkTarget};

pub(super) fn link_ref(
    target: LinkTarget,
    written: &str,
    (line, column): (usize, usize),
    wants_title: bool,
) -> LinkRef {
    LinkRef {
        target,
        written: written.to_string(),
        line,
        column,
        wants_title,
    }
}

/// Turns comrak's positions (1-based line, 1-based byte column) into the 1-based character
/// columns editors see. Links arrive in document order, so a cursor that only moves forward
/// counts each byte of a line once however many links the line holds; a position behind the
/// cursor starts again from its line's beginning, which is slower but still right.
pub(super) struct CharColumns<'a> {
    body: &'a [u8],
    /// Byte offset where each line starts, worked out at the first position asked for.
    line_starts: Vec<usize>,
    /// (line, byte offset, characters from the line's start to that offset).
    cursor: (usize, usize, usize),
}

impl<'a> CharColumns<'a> {
    pub(super) fn new(body: &'a str) -> Self {
        CharColumns {
            body: body.as_bytes(),
            line_starts: Vec::new(),
            cursor: (0, 0, 0),
        }
    }

    /// The (line, character column) where `pos` starts.
    pub(super) fn position(&mut self, pos: Sourcepos) -> (usize, usize) {
        let (line, byte_column) = (pos.start.line, pos.start.column);
        if self.line_starts.is_empty() {
            self.line_starts = line_starts(self.body);
        }
        let Some(&line_start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return (line, byte_column);
        };
        if byte_column == 0 {
            return (line, 0);
        }
        let target = (line_start + byte_column - 1).min(self.body.len());
        let (cursor_line, cursor_byte, cursor_chars) = self.cursor;
        let (from, chars_before) = if cursor_line == line && cursor_byte <= target {
            (cursor_byte, cursor_chars)
        } else {
            (line_start, 0)
        };
        // A character starts at every byte that is not a UTF-8 continuation byte.
        let counted = self.body[from..target]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        let chars = chars_before + counted;
        self.cursor = (line, target, chars);
        (line, chars + 1)
    }
}

/// Where each line of `body` starts, with lines ended as comrak ends them: `\n`, `\r\n` or a
/// lone `\r`.
pub(super) fn line_starts(body: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    for (at, &byte) in body.iter().enumerate() {
        let ends_line = byte == b'\n' || (byte == b'\r' && body.get(at + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(at + 1);
        }
    }
    starts
}

/// The placeholder prefix of one body: `sy-link-`, then `sy-link-x-` and so on, the first
/// that the body does not contain. Worked out in one pass: after each `sy-link-` in the body,
/// the run of `x-` that follows it; one `x-` more than the longest run is free. (Trying each
/// length in turn would search the whole body once per `x-` an author typed.)
pub(super) fn link_prefix(body: &str) -> String {
    const BASE: &str = "sy-link-";
    let longest_run = body
        .match_indices(BASE)
        .map(|(at, _)| {
            let after = &body.as_bytes()[at + BASE.len()..];
            after
                .chunks_exact(2)
                .take_while(|pair| pair == b"x-")
                .count()
        })
        .max();
    let mut prefix = String::from(BASE);
    if let Some(run) = longest_run {
        prefix.push_str(&"x-".repeat(run + 1));
    }
    prefix
}

pub(super) fn split_fragment(url: &str) -> (&str, Option<String>) {
    match url.split_once('#') {
        // `a.md#` is the top of that page, as `#` is the top of this one: no anchor to check.
        Some((path, "")) => (path, None),
        Some((path, fragment)) => (path, Some(percent_decode(fragment))),
        None => (url, None),
    }
}

fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !scheme.contains('/')
}

/// Sorts a link the editor wrote into external (None) or one of the internal kinds.
pub(super) fn classify(url: &str, rel: &str) -> Option<LinkTarget> {
    let url = url.trim();
    if url.is_empty() || has_scheme(url) || url.starts_with("//") {
        return None;
    }
    // `#` alone is the top of the page (a “回到顶部” link): no anchor to check.
    if url == "#" {
        return None;
    }
    if let Some(anchor) = url.strip_prefix('#') {
        return Some(LinkTarget::Anchor(percent_decode(anchor)));
    }
    let (path, fragment) = split_fragment(url);
    let path = path.split('?').next().unwrap_or(path);
    let path = percent_decode(path);
    let joined = join_relative(rel, &path);
    if path.to_ascii_lowercase().ends_with(".md") {
        Some(LinkTarget::Page {
            path: joined,
            fragment,
        })
    } else if path.ends_with('/') || path.is_empty() {
        // A link to a folder means its section page.
        Some(LinkTarget::Page {
            path: format!(
                "{}_index.md",
                if joined.is_empty() {
                    String::new()
                } else {
                    format!("{joined}/")
                }
            ),
            fragment,
        })
    } else {
        Some(LinkTarget::Asset { path: joined })
    }
}

/// Joins `link` to the folder of `from` (both relative to `content/`) and normalises
/// `.` and `..`. A path that climbs above `content/` keeps a leading `..` so it fails to resolve.
fn join_relative(from: &str, link: &str) -> String {
    let mut parts: Vec<&str> = if link.starts_with('/') {
        Vec::new()
    } else {
        let mut dir: Vec<&str> = from.split('/').collect();
        dir.pop();
        dir
    };
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return format!("../{link}");
                }
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Bytes, not string slices: a `%` may be followed by a multi-byte character.
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}
