//! HTML escaping, the one implementation every stage uses for text it puts into pages:
//! rendered headings and links, redirect pages, search snippets, the dev server's overlay.

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

/// `text` escaped for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            super::escape("<a href=\"x\">'甲'&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;甲&#39;&amp;&lt;/a&gt;"
        );
    }
}
