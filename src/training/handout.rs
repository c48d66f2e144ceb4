//! Handouts (讲义): one printable HTML document per section and per learning path that
//! holds every member page, in order, as a chapter.
//!
//! Each page's body is rewritten for its new place. Headings move down so that the chapter
//! title is the `h2` and the body's own top level the `h3`. Every `id` gets the chapter's
//! prefix (`c3-…`), so the ids of all chapters stay unique and footnotes still find their
//! notes. A link to a page that is in the same handout becomes a link to its chapter (or to
//! the heading inside it); every other relative link and image is re-based from the page's
//! folder to the handout's, so it keeps working from file:// and under any sub-path.

use std::collections::HashMap;

use crate::html::{Tag, Token, tokens};
use crate::model::{PageId, Site, encode_path, root_prefix};

/// A chapter of a handout: its page and where it stands.
pub struct Chapter {
    /// 1-based.
    pub number: usize,
    /// The chapter's anchor, `c<number>`.
    pub id: String,
    pub page: PageId,
}

/// The handout at an address holding pages in order. Its chapters' bodies are re-homed one at
/// a time, when asked for ([`Handout::body`]): a rebuild that finds the handout made from the
/// same as before ([`Handout::body_made_from`]) re-homes none.
pub struct Handout<'a> {
    site: &'a Site,
    pages: &'a [PageId],
    /// Each page's address, encoded as bodies hold their links, in chapter order.
    addresses: Vec<String>,
    /// The same, each with its chapter's number.
    in_handout: HashMap<String, usize>,
    /// From the handout to the site root.
    to_root: String,
}

impl<'a> Handout<'a> {
    /// The handout at `url` (root-relative) holding `pages` in order.
    pub fn new(site: &'a Site, pages: &'a [PageId], url: &str) -> Handout<'a> {
        // Bodies hold their links encoded, so the lookup uses the same form.
        let addresses: Vec<String> = pages
            .iter()
            .map(|&p| encode_path(&site.pages[p].url))
            .collect();
        let in_handout = (addresses.iter().cloned()).zip(1..).collect();
        Handout {
            site,
            pages,
            addresses,
            in_handout,
            to_root: root_prefix(url),
        }
    }

    pub fn chapters(&self) -> impl Iterator<Item = Chapter> + '_ {
        (1..).zip(self.pages).map(|(number, &page)| Chapter {
            number,
            id: chapter_id(number),
            page,
        })
    }

    /// The body of chapter `number` as the handout holds it.
    pub fn body(&self, number: usize) -> String {
        let (_, from, _, html) = self.body_made_from(number);
        Rebase {
            chapter: number,
            from_dir: from.rsplit_once('/').map_or("", |(dir, _)| dir),
            to_root: &self.to_root,
            in_handout: &self.in_handout,
        }
        .body(html)
    }

    /// What the body of chapter `number` is made from, but for what all chapters share, the
    /// [`Handout::addresses`]: its number, its page's address, the way from the handout to the
    /// root and the page's body.
    pub fn body_made_from(&self, number: usize) -> (usize, &str, &str, &'a str) {
        let page = self.pages[number - 1];
        (
            number,
            &self.addresses[number - 1],
            &self.to_root,
            &self.site.pages[page].html,
        )
    }

    /// The address of every page of the handout, in chapter order.
    pub fn addresses(&self) -> &[String] {
        &self.addresses
    }
}

fn chapter_id(number: usize) -> String {
    format!("c{number}")
}

struct Rebase<'a> {
    chapter: usize,
    /// The page's folder, root-relative and encoded like the hrefs in its body.
    from_dir: &'a str,
    /// From the handout to the site root.
    to_root: &'a str,
    in_handout: &'a HashMap<String, usize>,
}

impl Rebase<'_> {
    fn body(&self, html: &str) -> String {
        let shift = heading_shift(html);
        let mut out = String::with_capacity(html.len() + html.len() / 8);
        for token in tokens(html) {
            match token {
                Token::Tag(tag) => out.push_str(&self.tag(&tag, shift)),
                Token::Text(text) | Token::Other(text) => out.push_str(text),
            }
        }
        out
    }

    fn tag(&self, tag: &Tag, shift: i32) -> String {
        let mut raw = tag.rewrite(|attr| match attr.name.to_ascii_lowercase().as_str() {
            "id" => Some(self.anchor(self.chapter, attr.value)),
            "href" => self.href(attr.value),
            "src" => self.src(attr.value),
            _ => None,
        });
        if let Some(level) = tag.heading_level() {
            let shifted = (i32::from(level) + shift).clamp(1, 6);
            // `<hN` or `</hN`: the digit is the last byte of the name.
            let at = if tag.closing { 3 } else { 2 };
            raw.replace_range(at..at + 1, &shifted.to_string());
        }
        raw
    }

    fn anchor(&self, chapter: usize, id: &str) -> String {
        if id.is_empty() {
            chapter_id(chapter)
        } else {
            format!("{}-{id}", chapter_id(chapter))
        }
    }

    fn href(&self, value: &str) -> Option<String> {
        if let Some(fragment) = value.strip_prefix('#') {
            return Some(format!("#{}", self.anchor(self.chapter, fragment)));
        }
        let (path, suffix) = split_suffix(value);
        let target = self.site_path(path)?;
        match self.in_handout.get(&target) {
            Some(&chapter) => {
                let fragment = suffix.split_once('#').map_or("", |(_, f)| f);
                Some(format!("#{}", self.anchor(chapter, fragment)))
            }
            None => Some(format!("{}{target}{suffix}", self.to_root)),
        }
    }

    fn src(&self, value: &str) -> Option<String> {
        let (path, suffix) = split_suffix(value);
        let target = self.site_path(path)?;
        Some(format!("{}{target}{suffix}", self.to_root))
    }

    /// A relative link's target, root-relative; `None` for links this pass leaves alone
    /// (other hosts, `mailto:`, root-absolute paths, paths leaving the site).
    fn site_path(&self, path: &str) -> Option<String> {
        if path.is_empty() || path.starts_with('/') || has_scheme(path) {
            return None;
        }
        let mut parts: Vec<&str> = self.from_dir.split('/').filter(|p| !p.is_empty()).collect();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                part => parts.push(part),
            }
        }
        Some(parts.join("/"))
    }
}

/// `a/b.html?x#y` → (`a/b.html`, `?x#y`).
fn split_suffix(value: &str) -> (&str, &str) {
    value.split_at(value.find(['?', '#']).unwrap_or(value.len()))
}

fn has_scheme(value: &str) -> bool {
    value.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) || value.starts_with("//")
}

/// How far to move the body's headings so that its top level becomes `h3`.
fn heading_shift(html: &str) -> i32 {
    tokens(html)
        .filter_map(|t| match t {
            Token::Tag(tag) if !tag.closing => tag.heading_level(),
            _ => None,
        })
        .min()
        .map_or(0, |top| 3 - i32::from(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebase<'a>(from_dir: &'a str, in_handout: &'a HashMap<String, usize>) -> Rebase<'a> {
        Rebase {
            chapter: 2,
            from_dir,
            to_root: "../",
            in_handout,
        }
    }

    #[test]
    fn headings_shift_and_ids_get_the_chapter_prefix() {
        let none = HashMap::new();
        let html = "<h2 id=\"背景\"><a class=\"heading-anchor\" href=\"#背景\">#</a>背景</h2><h3 id=\"a\">甲</h3><p>注<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\">1</a></sup></p>";
        let out = rebase("cases", &none).body(html);
        assert_eq!(
            out,
            "<h3 id=\"c2-背景\"><a class=\"heading-anchor\" href=\"#c2-背景\">#</a>背景</h3><h4 id=\"c2-a\">甲</h4><p>注<sup class=\"footnote-ref\"><a href=\"#c2-fn-1\" id=\"c2-fnref-1\">1</a></sup></p>"
        );
    }

    #[test]
    fn links_into_the_handout_become_anchors_and_the_rest_are_rebased() {
        let in_handout: HashMap<String, usize> =
            [("policies/p.html".to_string(), 5)].into_iter().collect();
        let r = rebase("cases", &in_handout);
        assert_eq!(
            r.href("../policies/p.html#第八条").as_deref(),
            Some("#c5-第八条")
        );
        assert_eq!(r.href("../policies/p.html").as_deref(), Some("#c5"));
        assert_eq!(r.href("x.html#a").as_deref(), Some("../cases/x.html#a"));
        assert_eq!(r.href("https://example.org/a"), None);
        assert_eq!(r.href("mailto:a@b.c"), None);
        assert_eq!(r.src("img/a.png").as_deref(), Some("../cases/img/a.png"));
        assert_eq!(r.href("../../outside.html"), None);
    }
}
