//! The render memo: which output file was rendered from which template variables, so that a
//! rebuild leaves a file where it is without filling its templates again when nothing it is
//! made from changed.
//!
//! A file is a function of the templates, Tera's global variables and its own variables
//! (Tera's only functions, `range` and `throw`, read nothing else). The memo, kept under
//! `.shuyuan/cache/`, holds for every file the hash of its own variables and the stamp (length,
//! modification time, inode) the file had once in place, under a key hashing the rest: this
//! program ([`crate::cache::this_program`]: any other binary finds no memo of its own), the
//! templates, the global variables and the output folder. A file is
//! left as it is only when its variables hash as before *and* the output still holds it with
//! the stamp it had: a file replaced or edited since, by anyone, is rendered again.
//!
//! The edition (`site.build_id`) changes with every edit of any page, and only the home page
//! shows it in the default theme; a global holding it would make every file new after every
//! edit. So it is hashed only into the files whose template may show it ([`EditionShown`]).

use std::collections::HashMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use rustc_hash::FxHasher;
use tera::Value;
use tera::value::ValueKind;

use crate::output::write::Output;

/// Format of the memo file; its first line.
const HEADER: &str = "shuyuan-render-memo 1";

/// Which templates may show the edition: any template that names `build_id`, any template
/// that includes, extends or imports one of those, and all of them when a template uses
/// `site` other than by one of its fields (printing or passing on the whole of it).
#[derive(Debug, PartialEq)]
enum EditionShown {
    All,
    Only(Vec<String>),
}

/// What the memo needs of the templates: a hash of every template's name and text, and which
/// of them may show the edition.
#[derive(Debug)]
pub struct TemplateDigest {
    hash: u64,
    edition: EditionShown,
}

impl TemplateDigest {
    /// The digest of the templates `sources` (name, text).
    pub fn of<'a>(sources: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> TemplateDigest {
        let mut h = FxHasher::default();
        for (name, text) in sources.clone() {
            (name, text).hash(&mut h);
        }
        let naming: Vec<&str> = sources
            .clone()
            .filter(|(_, text)| text.contains("build_id"))
            .map(|(name, _)| name)
            .collect();
        // Another template takes in one that names the edition (`extends`, `include`,
        // `import`), or may call a macro or component of one that does.
        let reached = |name: &str| {
            let quoted = [format!("\"{name}\""), format!("'{name}'")];
            sources.clone().any(|(other, text)| {
                other != name
                    && tera_tags(text).any(|tag| {
                        statement(tag, &["extends", "include", "import", "from"])
                            && quoted.iter().any(|q| tag.contains(q.as_str()))
                    })
            })
        };
        let defines_callables = |name: &str| {
            sources.clone().any(|(other, text)| {
                other == name && tera_tags(text).any(|tag| statement(tag, &["macro", "component"]))
            })
        };
        let edition = if sources.clone().any(|(_, text)| uses_whole_site(text))
            || naming
                .iter()
                .any(|name| reached(name) || defines_callables(name))
        {
            EditionShown::All
        } else {
            EditionShown::Only(naming.into_iter().map(str::to_string).collect())
        };
        TemplateDigest {
            hash: h.finish(),
            edition,
        }
    }

    /// Whether the template `name` may show the edition.
    fn shows_edition(&self, name: &str) -> bool {
        match &self.edition {
            EditionShown::All => true,
            EditionShown::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// Whether `text` uses the variable `site` other than as `site.<field>`, inside a Tera tag
/// (`{{ }}`, `{% %}`); outside them, `site` is the page's own text (`class="site"`).
fn uses_whole_site(text: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    tera_tags(text).any(|tag| {
        tag.match_indices("site").any(|(at, _)| {
            let before = tag[..at].chars().next_back();
            let after = tag[at + 4..].trim_start().chars().next();
            !before.is_some_and(word) && !after.is_some_and(word) && after != Some('.')
        })
    })
}

/// Whether the inside of a tag is a statement beginning with one of `keywords`.
fn statement(tag: &str, keywords: &[&str]) -> bool {
    let words = tag.trim_start_matches(['-', '+', '~']).trim_start();
    keywords.iter().any(|k| {
        words
            .strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(char::is_whitespace))
    })
}

/// The insides of the Tera tags of `text`, an unclosed last one to the end.
fn tera_tags(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = ["{{", "{%"].iter().filter_map(|o| rest.find(o)).min()?;
        let close = if rest[open..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let inside = &rest[open + 2..];
        let end = inside.find(close).unwrap_or(inside.len());
        rest = &inside[(end + close.len()).min(inside.len())..];
        Some(&inside[..end])
    })
}

/// One template variable, hashed: its name and value.
pub fn hash_variable(h: &mut FxHasher, name: &str, value: &Value) {
    name.hash(h);
    hash_value(h, value);
}

/// Hashes every part of `value` that can reach the output, including whether a text is marked
/// safe (printed without escaping).
fn hash_value(h: &mut FxHasher, value: &Value) {
    let kind = value.kind();
    kind.hash(h);
    match kind {
        ValueKind::Undefined | ValueKind::None => {}
        ValueKind::Bool => value.as_bool().hash(h),
        ValueKind::String => (value.as_str(), value.is_safe()).hash(h),
        ValueKind::Bytes => value.as_bytes().hash(h),
        ValueKind::Array => {
            let items = value.as_array().unwrap_or_default();
            items.len().hash(h);
            for item in items {
                hash_value(h, item);
            }
        }
        ValueKind::Map => {
            let Some(map) = value.as_map() else { return };
            map.len().hash(h);
            for (key, item) in map {
                key.hash(h);
                hash_value(h, item);
            }
        }
        _ => match value.as_number() {
            Some(tera::Number::Integer(n)) => n.hash(h),
            Some(tera::Number::Float(f)) => f.to_bits().hash(h),
            // A kind this code does not know: its printed form stands for it.
            _ => format!("{value:?}").hash(h),
        },
    }
}

/// A file's length, modification time and inode as it lies in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    nanos: u128,
    inode: u64,
}

impl Stamp {
    /// The stamp of the regular file at `path` (not through a symlink).
    fn of(path: &Path) -> Option<Stamp> {
        let meta = fs::symlink_metadata(path)
            .ok()
            .filter(fs::Metadata::is_file)?;
        let nanos = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            len: meta.len(),
            nanos,
            inode,
        })
    }
}

/// The memo of one build into one output folder.
pub struct Memo {
    file: PathBuf,
    key: u64,
    target: PathBuf,
    templates: TemplateDigest,
    edition: String,
    /// Output path → variables' hash and stamp, as the last build left them.
    previous: HashMap<String, (u64, Stamp)>,
    /// Output path → variables' hash, for every file this build rendered or left in place.
    made: Mutex<Vec<(String, u64)>>,
}

impl Memo {
    /// The memo for a build of the site at `root` into `target`, whose templates are
    /// `templates`, whose global variables hash to `globals` (the edition left out) and whose
    /// edition is `edition`. What an earlier build with another key left is not read.
    pub fn open(
        root: &Path,
        target: &Path,
        templates: TemplateDigest,
        globals: u64,
        edition: &str,
    ) -> Memo {
        let target = crate::output::write::canonical(target);
        let mut h = FxHasher::default();
        (HEADER, templates.hash, globals).hash(&mut h);
        target.hash(&mut h);
        let program = crate::cache::this_program();
        program.hash(&mut h);
        let key = h.finish();
        let file =
            crate::cache::dir(&root.join(crate::output::write::STATE_DIR)).join("render-memo");
        let previous = fs::read_to_string(&file)
            .ok()
            .filter(|_| program.is_some())
            .and_then(|text| parse(&text, key))
            .unwrap_or_default();
        Memo {
            file,
            key,
            target,
            templates,
            edition: edition.to_string(),
            previous,
            made: Mutex::default(),
        }
    }

    /// The hash of a file rendered from `template` with variables hashing to `variables`.
    pub fn job_hash(&self, template: &str, variables: FxHasher) -> u64 {
        let mut h = variables;
        template.hash(&mut h);
        if self.templates.shows_edition(template) {
            self.edition.hash(&mut h);
        }
        h.finish()
    }

    /// Whether the output's `rel` was rendered from variables hashing to `hash` and is still
    /// as that build left it; if so, `output` keeps it.
    pub fn unchanged(&self, output: &Output, rel: &str, hash: u64) -> bool {
        let kept = self.previous.get(rel).is_some_and(|&(was, stamp)| {
            was == hash
                && Stamp::of(&self.target.join(rel)) == Some(stamp)
                && output.keep_as_is(rel)
        });
        if kept {
            self.made(rel, hash);
        }
        kept
    }

    /// This build made `rel` from variables hashing to `hash`.
    pub fn made(&self, rel: &str, hash: u64) {
        self.made
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((rel.to_string(), hash));
    }

    /// Records what this build made, with each file's stamp in the output now in place. Best
    /// effort: a memo that cannot be written only makes the next build render everything.
    pub fn save(self) {
        let made = self
            .made
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        // One `stat` per file, a hundred thousand at that many pages: in parallel.
        let lines: Vec<String> = made
            .par_iter()
            .filter_map(|(rel, hash)| {
                let s = Stamp::of(&self.target.join(rel))?;
                Some(format!(
                    "{hash:016x}\t{}\t{}\t{}\t{rel}\n",
                    s.len, s.nanos, s.inode
                ))
            })
            .collect();
        let mut text = format!("{HEADER} {:016x}\n", self.key);
        text.extend(lines);
        let partial = self.file.with_extension("partial");
        let written = self
            .file
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| {
                let mut f = fs::File::create(&partial)?;
                f.write_all(text.as_bytes())?;
                fs::rename(&partial, &self.file)
            });
        if written.is_err() {
            let _ = fs::remove_file(&partial);
            let _ = fs::remove_file(&self.file);
        }
    }
}

/// The entries of a memo file written under `key`; `None` for another key or a damaged file.
fn parse(text: &str, key: u64) -> Option<HashMap<String, (u64, Stamp)>> {
    let mut lines = text.lines();
    if lines.next()? != format!("{HEADER} {key:016x}") {
        return None;
    }
    lines
        .map(|line| {
            let mut fields = line.splitn(5, '\t');
            let hash = u64::from_str_radix(fields.next()?, 16).ok()?;
            let len = fields.next()?.parse().ok()?;
            let nanos = fields.next()?.parse().ok()?;
            let inode = fields.next()?.parse().ok()?;
            let rel = fields.next()?.to_string();
            Some((rel, (hash, Stamp { len, nanos, inode })))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edition_is_shown_where_a_template_names_it_or_may_reach_it() {
        let digest = |templates: &[(&'static str, &'static str)]| {
            TemplateDigest::of(templates.iter().copied()).edition
        };
        let home = (
            "index.html",
            "{% extends \"base.html\" %}{{ site.build_id }}",
        );
        let base = (
            "base.html",
            "<a href=\"{{ root }}index.html\">{{ site.title }}</a>",
        );
        assert_eq!(
            digest(&[home, base]),
            EditionShown::Only(vec!["index.html".into()])
        );
        let including = ("page.html", "{% include \"index.html\" %}");
        assert_eq!(digest(&[home, base, including]), EditionShown::All);
        let comparing = (
            "page.html",
            "{% if current_url == \"index.html\" %}首页{% endif %}",
        );
        assert_eq!(
            digest(&[home, base, comparing]),
            EditionShown::Only(vec!["index.html".into()])
        );
        let macros = (
            "index.html",
            "{% macro edition() %}{{ site.build_id }}{% endmacro %}",
        );
        assert_eq!(digest(&[macros, base]), EditionShown::All);
        let whole = ("page.html", "{{ site | json_encode }}");
        assert_eq!(digest(&[home, base, whole]), EditionShown::All);
        let set = ("page.html", "{% set s = site %}{{ s.title }}");
        assert_eq!(digest(&[base, set]), EditionShown::All);
        let other_words = (
            "page.html",
            "<p class=\"site\">site-wide</p>{{ site_top_names }}{{ website }}{{ site . title }}",
        );
        assert_eq!(digest(&[base, other_words]), EditionShown::Only(vec![]));
        let unclosed = ("page.html", "{{ site.title }} {% if site");
        assert_eq!(digest(&[base, unclosed]), EditionShown::All);
    }

    #[test]
    fn a_value_hashes_every_part_that_reaches_the_output() {
        let hash = |value: &Value| {
            let mut h = FxHasher::default();
            hash_value(&mut h, value);
            h.finish()
        };
        let text = Value::from("<b>");
        assert_ne!(hash(&text), hash(&Value::safe_string("<b>")));
        assert_ne!(hash(&Value::from(1u64)), hash(&Value::from(2u64)));
        assert_ne!(hash(&Value::from(1u64)), hash(&Value::from("1")));
        let list = |items: &[&str]| Value::from_serializable(&items);
        assert_ne!(hash(&list(&["a", "b"])), hash(&list(&["ab"])));
        let map = |k: &str, v: &str| Value::from_serializable(&HashMap::from([(k, v)]));
        assert_ne!(hash(&map("a", "b")), hash(&map("b", "a")));
        assert_eq!(hash(&map("a", "b")), hash(&map("a", "b")));
    }

    #[test]
    fn a_memo_of_another_key_or_a_damaged_one_is_not_read() {
        let text = format!(
            "{HEADER} {:016x}\n00000000000000ff\t3\t4\t5\ta/b.html\n",
            7u64
        );
        let read = parse(&text, 7).expect("same key");
        assert_eq!(
            read.get("a/b.html"),
            Some(&(
                255,
                Stamp {
                    len: 3,
                    nanos: 4,
                    inode: 5
                }
            ))
        );
        assert!(parse(&text, 8).is_none());
        assert!(parse(&text.replace("\t4\t", "\tx\t"), 7).is_none());
    }
}

#[cfg(test)]
mod default_theme {
    use super::*;

    #[test]
    fn only_the_home_page_of_the_default_theme_shows_the_edition() {
        let templates: Vec<(String, String)> = crate::source::theme::DEFAULT_THEME
            .iter()
            .filter_map(|(name, bytes)| {
                let name = name.strip_prefix("templates/")?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(bytes).into_owned(),
                ))
            })
            .collect();
        let digest = TemplateDigest::of(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())));
        assert_eq!(
            digest.edition,
            EditionShown::Only(vec!["index.html".into()])
        );
    }
}
