//! Which templates may show the edition (`site.build_id`), read from the templates' text: the
//! edition changes with every edit of any page, so the render memo hashes it only into the
//! files those templates make. Every doubt counts as showing it: a file rendered again for
//! nothing costs a render, a file kept with an old edition would be stale.

/// The templates that may show the edition: every one, or only those named.
#[derive(Debug, PartialEq)]
pub(super) enum EditionShown {
    All,
    Only(Vec<String>),
}

impl EditionShown {
    /// Reads the templates `sources` (name, text). A template may show the edition when it
    /// names `build_id`, or when another takes it in (`extends`, `include`, `import`, `from`:
    /// its name in such a statement, however quoted or escaped). Every template may when one
    /// that names it defines macros or components (callable from anywhere once imported),
    /// when any template prints the whole context (`__tera_context`) or uses `site` other
    /// than by one of its fields (printing it, passing it on, indexing it).
    pub(super) fn of<'a>(sources: &[(&'a str, &'a str)]) -> EditionShown {
        // Each template's tags; `None` where the scan lost its way (see `tags`).
        let scanned: Vec<(&str, &str, Option<Vec<&str>>)> = sources
            .iter()
            .map(|&(name, text)| (name, text, tags(text)))
            .collect();
        if scanned.iter().any(|(_, text, tags)| {
            text.contains("__tera_context")
                || tags
                    .as_ref()
                    .is_none_or(|tags| tags.iter().any(|tag| uses_whole_site(tag)))
        }) {
            return EditionShown::All;
        }
        let all_tags = |name: &str| -> Vec<&str> {
            scanned
                .iter()
                .filter(|(other, _, _)| *other == name)
                .flat_map(|(_, _, tags)| tags.iter().flatten().copied())
                .collect()
        };
        let naming: Vec<&str> = scanned
            .iter()
            .filter(|(_, text, _)| text.contains("build_id"))
            .map(|(name, _, _)| *name)
            .collect();
        let reached = |name: &str| {
            scanned.iter().any(|(other, _, tags)| {
                *other != name
                    && tags.iter().flatten().any(|tag| {
                        statement(tag, &["extends", "include", "import", "from"])
                            && tag.replace('\\', "").contains(name)
                    })
            })
        };
        let callable = |name: &str| {
            all_tags(name)
                .iter()
                .any(|tag| statement(tag, &["macro", "component"]))
        };
        if naming.iter().any(|name| reached(name) || callable(name)) {
            EditionShown::All
        } else {
            EditionShown::Only(naming.iter().map(|name| name.to_string()).collect())
        }
    }

    pub(super) fn by(&self, template: &str) -> bool {
        match self {
            EditionShown::All => true,
            EditionShown::Only(names) => names.iter().any(|n| n == template),
        }
    }
}

/// Whether the inside of a tag is a statement beginning with one of `keywords`.
fn statement(tag: &str, keywords: &[&str]) -> bool {
    let words = tag.trim_start_matches(['-', '+', '~']).trim_start();
    keywords.iter().any(|k| {
        words
            .strip_prefix(k)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}

/// Whether the inside of a tag uses the variable `site` other than as `site.<field>`.
fn uses_whole_site(tag: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    tag.match_indices("site").any(|(at, _)| {
        let before = tag[..at].chars().next_back();
        let after = tag[at + 4..].trim_start().chars().next();
        !before.is_some_and(word) && !after.is_some_and(word) && after != Some('.')
    })
}

/// The insides of the Tera tags of `text` (`{{ }}`, `{% %}`), skipping comments (`{# #}`) and
/// raw blocks as Tera does; a closing mark inside a quoted string does not end a tag. `None`
/// when the scan has lost its way: a tag that runs to the end of the text or holds another
/// opening mark, which Tera, having compiled the template, would not allow.
fn tags(text: &str) -> Option<Vec<&str>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = ["{{", "{%", "{#"].iter().filter_map(|o| rest.find(o)).min() {
        let opening = &rest[open..open + 2];
        let inside = &rest[open + 2..];
        if opening == "{#" {
            rest = inside.find("#}").map_or("", |end| &inside[end + 2..]);
            continue;
        }
        let close = if opening == "{{" { "}}" } else { "%}" };
        let end = tag_end(inside, close)?;
        let tag = &inside[..end];
        if tag.contains("{{") || tag.contains("{%") {
            return None;
        }
        found.push(tag);
        rest = &inside[end + close.len()..];
        if statement(tag, &["raw"]) {
            // Up to the tag that ends the block; its text is printed as it is.
            let endraw = rest
                .match_indices("{%")
                .find(|(at, _)| statement(&rest[at + 2..], &["endraw"]))?;
            rest = &rest[endraw.0..];
        }
    }
    Some(found)
}

/// Where `close` ends the tag whose inside starts `inside`, skipping quoted strings (`"`, `'`
/// and `` ` ``, with `\` escapes); `None` when nothing closes it.
fn tag_end(inside: &str, close: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in inside.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if inside[at..].starts_with(close) => return Some(at),
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edition_is_shown_where_a_template_names_it_or_may_reach_it() {
        let home = (
            "index.html",
            "{% extends \"base.html\" %}{{ site.build_id }}",
        );
        let base = (
            "base.html",
            "<a href=\"{{ root }}index.html\">{{ site.title }}</a>",
        );
        let only_home = EditionShown::Only(vec!["index.html".into()]);
        assert_eq!(EditionShown::of(&[home, base]), only_home);
        let comparing = (
            "page.html",
            "{% if current_url == \"index.html\" %}首页{% endif %}",
        );
        assert_eq!(EditionShown::of(&[home, base, comparing]), only_home);
        for taking_in in [
            "{% include \"index.html\" %}",
            "{%include\"index.html\"%}",
            "{%- include `index.html` -%}",
            "{% import 'index.html' as home %}",
            "{% include \"partials\\/../index.html\" %}",
        ] {
            let page = ("page.html", taking_in);
            assert_eq!(
                EditionShown::of(&[home, base, page]),
                EditionShown::All,
                "{taking_in}"
            );
        }
        for whole in [
            "{{ site | json_encode }}",
            "{% set s = site %}{{ s.title }}",
            "{{ site[key] }}",
            "{{ \"}}\" ~ site | json_encode }}",
            "{{ __tera_context }}",
            "{{ site.title }} {% if site",
            "{# 例：{{ \" #}{{ site | json_encode }}",
        ] {
            let page = ("page.html", whole);
            assert_eq!(
                EditionShown::of(&[base, page]),
                EditionShown::All,
                "{whole}"
            );
        }
        // A quote in a comment or a raw block does not hide the include after it.
        for hiding in [
            "{# 例：{{ \" #}{% include \"index.html\" %}",
            "{% raw %}{{!-- don't --}}{% endraw %}{% include \"index.html\" %}",
            "{{ \"unclosed }} {% include \"index.html\" %}",
        ] {
            let page = ("page.html", hiding);
            assert_eq!(
                EditionShown::of(&[home, base, page]),
                EditionShown::All,
                "{hiding}"
            );
        }
        let quiet = (
            "page.html",
            "{# {{ site }} #}{% raw %}{{ site }}{% endraw %}{{ site.title }}",
        );
        assert_eq!(EditionShown::of(&[home, base, quiet]), only_home);
        let macros = (
            "index.html",
            "{% macro edition() %}{{ site.build_id }}{% endmacro %}",
        );
        assert_eq!(EditionShown::of(&[macros, base]), EditionShown::All);
        let other_words = (
            "page.html",
            "<p class=\"site\">site-wide</p>{{ site_top_names }}{{ website }}{{ site . title }}",
        );
        assert_eq!(
            EditionShown::of(&[base, other_words]),
            EditionShown::Only(vec![])
        );
    }

    #[test]
    fn only_the_home_page_of_the_default_theme_shows_the_edition() {
        let templates: Vec<(String, String)> = crate::source::theme::DEFAULT_THEME
            .iter()
            .filter_map(|(name, bytes)| {
                let name = name.strip_prefix("templates/")?;
                Some((name.into(), String::from_utf8_lossy(bytes).into_owned()))
            })
            .collect();
        let sources: Vec<(&str, &str)> = templates
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            EditionShown::of(&sources),
            EditionShown::Only(vec!["index.html".into()])
        );
    }
}
