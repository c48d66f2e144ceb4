//! Shared helpers for the integration tests: a site in a temp dir, built by the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_shuyuan");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestSite {
    pub dir: tempfile::TempDir,
}

impl TestSite {
    /// An empty site with the repo's default theme.
    pub fn new() -> TestSite {
        let site = TestSite {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        copy_dir(
            &repo_root().join("themes/default"),
            &site.root().join("themes/default"),
        );
        site
    }

    /// A copy of a fixture under `tests/fixtures/`, with the default theme.
    pub fn fixture(name: &str) -> TestSite {
        let site = TestSite::new();
        copy_dir(&repo_root().join("tests/fixtures").join(name), site.root());
        site
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.root().join("public")
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        self.write_bytes(rel, text.as_bytes())
    }

    /// `count` cases `content/cases/{prefix}-NN.md` with the tags `tags` (YAML list items),
    /// case NN dated NN days after 2023-01-01 (in 28-day months).
    pub fn write_cases(&self, prefix: &str, count: usize, tags: &str) -> &Self {
        for n in 0..count {
            self.write(
                &format!("content/cases/{prefix}-{n:02}.md"),
                &format!(
                    "---\ntitle: {prefix}第{n}例\ndate: 2023-{:02}-{:02}\ntags: [{tags}]\n---\n\n正文。\n",
                    n / 28 + 1,
                    n % 28 + 1
                ),
            );
        }
        self
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("run shuyuan")
    }

    pub fn build(&self) -> Output {
        self.run(&["build"])
    }

    pub fn build_ok(&self) -> Output {
        let out = self.build();
        assert!(
            out.status.success(),
            "build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.out().join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}

/// An output file's text as a browser reads it (`shuyuan::search::script::text`: the search
/// index's fragments are UTF-16); `None` for a file that is not text.
pub fn file_text(path: &Path) -> Option<String> {
    shuyuan::search::script::text(&std::fs::read(path).ok()?)
}

/// What a reader can get of an output file's text: [`file_text`], with a search fragment's
/// packed string (`shuyuan::search::fragment_code`, its call's last argument) replaced by the
/// JSON it packs.
pub fn readable_text(path: &Path) -> Option<String> {
    use shuyuan::search::{fragment_code, script};
    let text = file_text(path)?;
    let Some(args) = ["page", "more"]
        .iter()
        .find_map(|call| script::arguments(&text, call))
    else {
        return Some(text);
    };
    let packed = args.as_array()?.last()?.as_str()?;
    let json = fragment_code::unpack(packed).ok()?;
    Some(text.replacen(&format!("\"{packed}\""), &json, 1))
}

/// Every file under `dir` (hidden ones and the output marker included) with its bytes, by
/// `/`-separated path relative to `dir`.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Builds `site`'s sources (content, settings, theme and the site's own templates and static
/// files) anew in another folder, without the caches of `.shuyuan/`, and compares the two
/// outputs file by file.
pub fn assert_equals_a_clean_build(site: &TestSite, step: &str) {
    let fresh = TestSite::new();
    for name in ["content", "site.toml", "themes", "templates", "static"] {
        let from = site.root().join(name);
        if from.is_dir() {
            copy_dir(&from, &fresh.root().join(name));
        } else if from.is_file() {
            std::fs::copy(&from, fresh.root().join(name)).unwrap();
        }
    }
    fresh.build_ok();
    let (rebuilt, clean) = (tree(&site.out()), tree(&fresh.out()));
    let differ: Vec<&String> = rebuilt
        .keys()
        .chain(clean.keys())
        .filter(|rel| rebuilt.get(*rel) != clean.get(*rel))
        .collect();
    assert!(
        differ.is_empty(),
        "{step}: differs from a clean build: {differ:?}"
    );
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One diagnostic as printed: code, `path:line:col`.
#[derive(Debug, PartialEq)]
pub struct Printed {
    pub code: String,
    pub location: String,
    pub message: String,
}

pub fn diagnostics(output: &Output) -> Vec<Printed> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("错误[")
            .or_else(|| line.strip_prefix("警告["))
        else {
            continue;
        };
        let (code, message) = rest.split_once("]: ").unwrap();
        let location = lines
            .get(i + 1)
            .and_then(|l| l.trim().strip_prefix("--> "))
            .unwrap_or("")
            .to_string();
        found.push(Printed {
            code: code.into(),
            location,
            message: message.into(),
        });
    }
    found
}

/// The part of a page between `<article class="sy-content">` and its `</article>`.
pub fn article(html: &str) -> &str {
    let start = html
        .find("<article class=\"sy-content\"")
        .expect("article start");
    let end = html[start..].find("</article>").expect("article end");
    &html[start..start + end]
}

/// Compares `actual` with `tests/snapshots/<name>`; `UPDATE_SNAPSHOTS=1` rewrites it.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = repo_root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_none() {
            panic!("snapshot {name} did not exist; written now — review it and run again");
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "snapshot {name} differs (UPDATE_SNAPSHOTS=1 to accept):\n{}",
            diff.join("\n")
        );
    }
}

/// Follows every relative href/src in every HTML file, as a browser on file:// would.
pub fn check_links(out: &std::path::Path) {
    let mut broken = Vec::new();
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(entry.path()).unwrap();
        for attr in ["href=\"", "src=\""] {
            for (at, _) in html.match_indices(attr) {
                let value = &html[at + attr.len()..];
                let value = &value[..value.find('"').unwrap()];
                let path = value.split(['#', '?']).next().unwrap();
                if path.is_empty() || value.contains(':') || value.starts_with("//") {
                    continue;
                }
                let path = href_path(path);
                let target = entry.path().parent().unwrap().join(&path);
                if path.ends_with('/') || !target.is_file() {
                    broken.push(format!(
                        "{} -> {value}",
                        entry.path().strip_prefix(out).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The file an href names, as a browser reads it: entities undone, then percent-escapes.
pub fn href_path(href: &str) -> String {
    let unescaped = href
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let bytes = unescaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("an href decodes to UTF-8")
}
