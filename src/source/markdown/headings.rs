//! Heading anchors: ids from heading text (Chinese kept readable), `{#custom-id}`, unique on
//! the page, and the `<hN id>` the renderer writes with them.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use comrak::Node;
use comrak::adapters::{HeadingAdapter, HeadingMeta};
use comrak::nodes::{NodeValue, Sourcepos};

use super::plain_text;

/// Writes `<hN id="…">` with the ids worked out in document order before rendering.
pub(super) struct AnchoredHeadings {
    pub(super) ids: Mutex<Vec<String>>,
}

impl HeadingAdapter for AnchoredHeadings {
    fn enter(
        &self,
        output: &mut dyn std::fmt::Write,
        heading: &HeadingMeta,
        _: Option<Sourcepos>,
    ) -> std::fmt::Result {
        let id = self
            .ids
            .lock()
            .map(|mut ids| ids.pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        let id = crate::html::escape(&id);
        write!(
            output,
            "<h{level} id=\"{id}\"><a class=\"heading-anchor\" href=\"#{id}\" aria-hidden=\"true\" tabindex=\"-1\">#</a>",
            level = heading.level
        )
    }

    fn exit(&self, output: &mut dyn std::fmt::Write, heading: &HeadingMeta) -> std::fmt::Result {
        write!(output, "</h{}>", heading.level)
    }
}

/// Removes a trailing `{#custom-id}` from a heading and returns the heading's text with it.
/// Called before the links inside are replaced: a wiki link counts with what the editor wrote.
pub(super) fn take_custom_id<'a>(heading: Node<'a>) -> (String, Option<String>) {
    let mut custom = None;
    if let Some(last) = heading.last_child() {
        let mut data = last.data_mut();
        if let NodeValue::Text(text) = &mut data.value {
            let trimmed = text.trim_end();
            if let Some(start) = trimmed.rfind("{#")
                && trimmed.ends_with('}')
            {
                let id = trimmed[start + 2..trimmed.len() - 1].trim().to_string();
                if !id.is_empty() && !id.contains(char::is_whitespace) {
                    custom = Some(id);
                    *text = trimmed[..start].trim_end().to_string().into();
                }
            }
        }
    }
    (plain_text(heading, None).trim().to_string(), custom)
}

/// The heading ids of one page so far.
#[derive(Default)]
pub(super) struct UsedIds {
    taken: HashSet<String>,
    /// For each id asked for, the suffix to try next: many headings of one name stay linear.
    next_suffix: HashMap<String, usize>,
}

impl UsedIds {
    /// `base`, or `base-1`, `base-2` … whichever no earlier heading has — also when that
    /// heading is literally called `base-1`.
    pub(super) fn unique(&mut self, base: String) -> String {
        let mut id = base.clone();
        if self.taken.contains(&id) {
            let suffix = self.next_suffix.entry(base.clone()).or_insert(1);
            loop {
                id = format!("{base}-{suffix}");
                *suffix += 1;
                if !self.taken.contains(&id) {
                    break;
                }
            }
        }
        self.taken.insert(id.clone());
        id
    }
}

/// Heading text to anchor: Chinese and other letters and digits stay readable, ASCII is
/// lowercased, spaces become `-`, other punctuation goes.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "section".to_string()
    } else {
        trimmed.to_string()
    }
}
