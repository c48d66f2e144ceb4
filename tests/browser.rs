//! Browser tests: the repository's sample site, built by the real binary, opened in Chromium and
//! in Firefox from `file://` and from a strict HTTP server under a sub-path.
//!
//! The checks themselves live in `tests/browser/` (node, `playwright-core` driving Debian's
//! `/usr/bin/chromium`, `puppeteer-core` driving `/usr/bin/firefox-esr` over WebDriver BiDi); see
//! `tests/browser/README.md`. This test builds the site once into a temp dir, installs the npm
//! packages if they are missing (`npm ci --prefix tests/browser`) and runs
//! `node tests/browser/run.mjs <site>`, failing with node's output if any check fails. It also
//! packs the site with `shuyuan pack` and unzips it, for the checks that open the unpacked folder
//! (`SHUYUAN_PACKED_SITE`), and builds the ranking, folding and hostile (XSS) fixtures. A second
//! test runs `tests/browser/live.mjs`: `shuyuan serve` on a copy of a fixture, a page open in
//! Chromium, and real edits of its source. A third builds a folder holding only `content/` (the
//! default theme built into the program) and runs the core checks and the search dropdown on it.
//!
//! Nothing here is skipped: without Chromium, Firefox, node or npm the test fails and says what
//! to install.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, repo_root};
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const DEFAULT_FIREFOX: &str = "/usr/bin/firefox-esr";
/// The npm packages run.mjs needs, pinned in tests/browser/package.json.
const NPM_PACKAGES: [&str; 2] = ["playwright-core", "puppeteer-core"];
/// The whole node run (both engines, both modes, every check) must finish well inside CI's time.
const NODE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn harness_dir() -> PathBuf {
    repo_root().join("tests/browser")
}

fn chromium_path() -> PathBuf {
    std::env::var_os("SHUYUAN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMIUM))
}

fn firefox_path() -> PathBuf {
    std::env::var_os("SHUYUAN_FIREFOX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FIREFOX))
}

/// Fail (not skip) with a message that says how to get the missing tool, which answers
/// `version_flag` (`--version`, or poppler's `-v`) when it is there.
fn require_tool(program: &str, version_flag: &str, hint: &str) {
    match Command::new(program).arg(version_flag).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`{program} {version_flag}` failed ({}): {}\n{hint}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("cannot run `{program}`: {e}\n{hint}"),
    }
}

/// The version of `package` pinned in tests/browser/package.json, e.g. "1.65.1".
fn pinned_version(dir: &Path, package: &str) -> String {
    let text =
        std::fs::read_to_string(dir.join("package.json")).expect("read tests/browser/package.json");
    let json: serde_json::Value =
        serde_json::from_str(&text).expect("parse tests/browser/package.json");
    json["dependencies"][package]
        .as_str()
        .unwrap_or_else(|| panic!("tests/browser/package.json pins {package}"))
        .to_string()
}

fn installed_version(dir: &Path, package: &str) -> Option<String> {
    let manifest = dir.join("node_modules").join(package).join("package.json");
    let text = std::fs::read_to_string(manifest).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_string)
}

/// Make sure tests/browser/node_modules holds the pinned packages, running `npm ci` if not.
/// Both tests call it at once on a fresh clone: one installs while the other waits.
fn ensure_node_modules() {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = harness_dir();
    let up_to_date = |package: &str| {
        installed_version(&dir, package).as_deref() == Some(pinned_version(&dir, package).as_str())
    };
    if NPM_PACKAGES.iter().all(|p| up_to_date(p)) {
        return;
    }
    require_tool(
        "npm",
        "--version",
        "npm is needed once to install the browser-test packages (tests/browser/package-lock.json); \
         install Node.js 20 or newer with npm",
    );
    eprintln!("browser tests: installing npm packages (npm ci --prefix tests/browser) ...");
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .output()
        .expect("run npm ci");
    assert!(
        out.status.success(),
        "`npm ci --prefix tests/browser` failed ({}); the browser tests need playwright-core and puppeteer-core from the npm registry.\n\
         stdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for package in NPM_PACKAGES {
        assert!(
            up_to_date(package),
            "npm ci did not install {package} {} into tests/browser/node_modules",
            pinned_version(&dir, package)
        );
    }
}

/// Run a command with its stdout and stderr going to `log`, killing it after `timeout`.
/// Returns (exit success, log text).
fn run_logged(mut cmd: Command, log: &Path, timeout: Duration) -> (bool, String) {
    let file = File::create(log).expect("create log file");
    let err = file.try_clone().expect("clone log file handle");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start node");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = std::fs::read_to_string(log).unwrap_or_default();
    match status {
        Some(s) => (s.success(), text),
        None => (
            false,
            format!(
                "{text}\n[killed: node ran longer than {}s]",
                timeout.as_secs()
            ),
        ),
    }
}

/// `shuyuan pack` of the sample site, unzipped into `dir`; returns the one folder inside.
fn unpack(dir: &Path) -> PathBuf {
    let zip = dir.join("site.zip");
    let out = Command::new(BIN)
        .arg("pack")
        .arg("--root")
        .arg(repo_root())
        .arg("--output")
        .arg(&zip)
        .output()
        .expect("run shuyuan pack");
    assert!(
        out.status.success(),
        "shuyuan pack of the sample site failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let unzipped = dir.join("unzipped");
    zip::ZipArchive::new(File::open(&zip).expect("open the pack"))
        .and_then(|mut archive| archive.extract(&unzipped))
        .expect("unzip the pack");
    let folders: Vec<PathBuf> = std::fs::read_dir(&unzipped)
        .expect("read the unzipped pack")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        folders.len(),
        1,
        "the pack holds one top folder: {folders:?}"
    );
    folders.into_iter().next().unwrap_or_default()
}

#[test]
fn sample_site_works_in_chromium_and_firefox_from_file_and_from_a_sub_path() {
    let chromium = chromium_path();
    assert!(
        chromium.is_file(),
        "{} not found. The browser tests need Debian's Chromium and CJK fonts:\n    \
         apt-get install -y chromium fonts-noto-cjk\n\
         (or point SHUYUAN_CHROMIUM at another Chromium binary)",
        chromium.display()
    );
    let firefox = firefox_path();
    assert!(
        firefox.is_file(),
        "{} not found. The browser tests also run in Debian's Firefox ESR:\n    \
         apt-get install -y firefox-esr\n\
         (or point SHUYUAN_FIREFOX at another Firefox binary)",
        firefox.display()
    );
    require_tool(
        "node",
        "--version",
        "the browser tests need Node.js 20 or newer (`node` on the PATH)",
    );
    ensure_node_modules();
    require_tool(
        "pdftotext",
        "-v",
        "the handout checks read printed PDFs with poppler's pdftotext: apt-get install -y poppler-utils",
    );

    // 1. Build the repository's own sample site with the real binary.
    let tmp = tempfile::Builder::new()
        .prefix("shuyuan-browser-")
        .tempdir()
        .expect("temp dir");
    let site = tmp.path().join("site");
    let build = Command::new(BIN)
        .arg("build")
        .arg("--root")
        .arg(repo_root())
        .arg("--output")
        .arg(&site)
        .output()
        .expect("run shuyuan build");
    assert!(
        build.status.success() && site.join("index.html").is_file(),
        "shuyuan build of the sample site failed ({}):\nstdout:\n{}\nstderr:\n{}",
        build.status,
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );

    // 2. Pack it as a reader receives it, and unzip the pack.
    let packed = unpack(&tmp.path().join("pack"));

    // 3. The ranking vectors' fixture, for checks/ranking.mjs, and the traditional/simplified
    //    one, for checks/fold.mjs.
    let ranking = build_fixture(tmp.path(), "ranking");
    let fold = build_fixture(tmp.path(), "fold");
    //    And the hostile one, for checks/xss.mjs, with its attachment.
    let xss = build_fixture_with(tmp.path(), "xss", |root| {
        let attachment = root.join("content/guides/fujian").join(XSS_ATTACHMENT);
        std::fs::write(&attachment, "附件\n").expect("write the hostile attachment");
    });

    // 4. Run every browser check against it.
    let mut node = Command::new("node");
    node.arg(harness_dir().join("run.mjs"))
        .arg(&site)
        .current_dir(repo_root())
        .env("SHUYUAN_CHROMIUM", &chromium)
        .env("SHUYUAN_FIREFOX", &firefox)
        .env("SHUYUAN_PACKED_SITE", &packed)
        .env("SHUYUAN_RANKING_SITE", &ranking)
        .env("SHUYUAN_FOLD_SITE", &fold)
        .env("SHUYUAN_XSS_SITE", &xss);
    let (ok, log) = run_logged(node, &tmp.path().join("node.log"), NODE_TIMEOUT);
    println!("{log}");
    if !ok {
        let kept = tmp.keep();
        let failures: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("] FAIL ") || l.starts_with("FAIL "))
            .collect();
        let closing = log
            .lines()
            .rev()
            .find(|l| l.contains(" passed, "))
            .unwrap_or("(no summary line)");
        panic!(
            "browser checks failed: {closing}\n{}\n(full output above; built site kept in {}; \
             rerun with: node tests/browser/run.mjs {})",
            failures.join("\n"),
            kept.join("site").display(),
            kept.join("site").display()
        );
    }
}

/// `shuyuan serve` with a page open in Chromium: an edit reloads the page by itself, broken
/// front matter shows the overlay over it, and the fix clears it (`tests/browser/live.mjs`).
#[test]
fn an_open_page_reloads_itself_after_an_edit() {
    require_chromium_and_node();
    let site = common::TestSite::fixture("basic");
    let mut node = Command::new("node");
    node.arg(harness_dir().join("live.mjs"))
        .arg(BIN)
        .arg(site.root())
        .arg("cases/qinghe.html")
        .arg("content/cases/qinghe.md")
        .current_dir(repo_root())
        .env("SHUYUAN_CHROMIUM", chromium_path());
    // Not in the site: the server watches it.
    let logs = tempfile::tempdir().expect("temp dir");
    let (ok, log) = run_logged(node, &logs.path().join("live.log"), NODE_TIMEOUT);
    println!("{log}");
    assert!(ok, "live reload in Chromium failed:\n{log}");
}

/// The file name tests/fixtures/xss links as an attachment (`ATTACHMENT` in checks/xss.mjs): it
/// breaks out of an attribute with single quotes. A name with `<`, `>` or `"` is refused by the
/// build (`invalid-name`: Windows cannot hold it), so the payload keeps to what a file name may
/// carry; the test writes it, so that the fixture folder stays plain.
const XSS_ATTACHMENT: &str = "' autofocus onfocus='__xss(20)' title='x.txt";

/// Builds `tests/fixtures/<name>` (with the default theme) into `<tmp>/<name>/public`.
fn build_fixture(tmp: &Path, name: &str) -> PathBuf {
    build_fixture_with(tmp, name, |_| {})
}

/// [`build_fixture`], after `prepare` has added to the copied fixture.
fn build_fixture_with(tmp: &Path, name: &str, prepare: impl FnOnce(&Path)) -> PathBuf {
    let root = tmp.join(name);
    common::copy_dir(&repo_root().join("tests/fixtures").join(name), &root);
    common::copy_dir(
        &repo_root().join("themes/default"),
        &root.join("themes/default"),
    );
    prepare(&root);
    let out = root.join("public");
    let build = Command::new(BIN)
        .arg("build")
        .arg("--root")
        .arg(&root)
        .output()
        .expect("run shuyuan build");
    assert!(
        build.status.success(),
        "shuyuan build of tests/fixtures/{name} failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    out
}

/// A folder holding only `content/` — no `site.toml`, no `themes/` — built as it is, with the
/// default theme built into the program: styled, navigable and searchable in Chromium from
/// file:// and over HTTP, with no outside request (#13.8).
#[test]
fn a_bare_folder_of_markdown_works_in_chromium() {
    require_chromium_and_node();
    let tmp = tempfile::tempdir().expect("temp dir");
    common::copy_dir(
        &repo_root().join("tests/fixtures/basic/content"),
        &tmp.path().join("content"),
    );
    let build = Command::new(BIN)
        .arg("build")
        .current_dir(tmp.path())
        .output()
        .expect("run shuyuan build");
    assert!(
        build.status.success(),
        "a bare folder of Markdown does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let mut node = Command::new("node");
    node.arg(harness_dir().join("run.mjs"))
        .arg(tmp.path().join("public"))
        .current_dir(repo_root())
        .env("SHUYUAN_CHROMIUM", chromium_path());
    for check in [
        "home page has a title",
        "stylesheets load",
        "nav links reach their sections",
        "404 page renders with the site style",
        "crawl: every page loads",
        "search: header dropdown",
        "zero outside requests",
    ] {
        node.arg("--grep").arg(check);
    }
    let logs = tempfile::tempdir().expect("temp dir");
    let (ok, log) = run_logged(node, &logs.path().join("bare.log"), NODE_TIMEOUT);
    println!("{log}");
    assert!(ok, "the bare folder's site fails in Chromium:\n{log}");
}

/// What the Chromium-only tests need: Debian's Chromium, Node.js and the npm packages.
fn require_chromium_and_node() {
    assert!(
        chromium_path().is_file(),
        "{} not found: apt-get install -y chromium fonts-noto-cjk",
        chromium_path().display()
    );
    require_tool(
        "node",
        "--version",
        "the browser tests need Node.js 20 or newer (`node` on the PATH)",
    );
    ensure_node_modules();
}
