//! The harness of the bad-input suite: a good site to break, the [`Case`] each failure mode
//! is written as, and [`run_case`], which runs one and checks everything a failure must be:
//! exit code 1, the `错误[code]` at its `path:line:col`, no panic, every message in Chinese,
//! and `public/` (whatever was there before the failing run) byte for byte as it was.

use std::path::{Path, PathBuf};

use crate::common::{TestSite, diagnostics};

/// One failure mode.
pub struct Case {
    pub name: &'static str,
    /// Breaks the good site.
    pub setup: fn(&TestSite),
    /// The command, run in the site's root.
    pub args: &'static [&'static str],
    pub code: &'static str,
    /// `path:line:col`, or the path alone where a file has no line to point at.
    pub location: &'static str,
    /// Further checks once the command failed (a file left alone, nothing written outside).
    pub after: fn(&TestSite),
}

pub fn nothing(_: &TestSite) {}

impl Case {
    /// A case with no further checks.
    pub const fn new(
        name: &'static str,
        setup: fn(&TestSite),
        args: &'static [&'static str],
        code: &'static str,
        location: &'static str,
    ) -> Case {
        Case {
            name,
            setup,
            args,
            code,
            location,
            after: nothing,
        }
    }
}

/// A small good site: two sections, a tagged case, a guide.
pub fn good_site() -> TestSite {
    let site = TestSite::new();
    site.write("site.toml", "title = \"坏输入\"\n")
        .write("content/cases/_index.md", "---\ntitle: 案例\n---\n")
        .write(
            "content/cases/a.md",
            "---\ntitle: 甲案例\ndate: 2024-01-02\ntags: [网格]\n---\n\n正文。\n",
        )
        .write("content/guides/_index.md", "---\ntitle: 指南\n---\n")
        .write("content/guides/g.md", "---\ntitle: 指南甲\n---\n\n步骤。\n");
    site
}

/// A case page at `content/cases/bad.md` with `front` as the front matter after its title
/// (so its first field is on line 3).
pub fn bad_page(site: &TestSite, front: &str) {
    site.write(
        "content/cases/bad.md",
        &format!("---\ntitle: 坏页\n{front}\n---\n\n正文。\n"),
    );
}

#[cfg(unix)]
pub fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A folder outside every test site, shared by the symlink cases (each case writes only
/// its own file in it).
pub fn outside() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shuyuan-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file and symlink under `dir` with its bytes (a symlink's target for a symlink),
/// following `dir` itself if it is a symlink.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<_> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.path_is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                format!("-> {}", target.display()).into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, bytes)
        })
        .collect();
    entries.sort();
    entries
}

pub fn same_bytes(site: &TestSite, rel: &str, expected: &[u8]) {
    let actual = std::fs::read(site.root().join(rel)).unwrap_or_default();
    assert_eq!(actual, expected, "{rel} changed");
}

pub fn run_case(case: &Case) {
    let site = good_site();
    site.build_ok();
    (case.setup)(&site);
    let before = tree(&site.out());

    let out = site.run(case.args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "exit code; stderr:\n{stderr}");
    let found = diagnostics(&out);
    assert!(
        found
            .iter()
            .any(|d| d.code == case.code && d.location == case.location),
        "expected 错误[{}] at {}, got:\n{stderr}",
        case.code,
        case.location
    );
    for d in &found {
        assert!(
            d.message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "message not in Chinese: {d:?}"
        );
    }
    assert_eq!(
        tree(&site.out()),
        before,
        "public/ changed after a failed run"
    );
    (case.after)(&site);
}
