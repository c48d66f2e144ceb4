//! `shuyuan serve` end to end: the real binary on 127.0.0.1 with a free port, real file
//! edits in a temp copy of a fixture site, and a tiny HTTP/SSE client over `TcpStream`.
//! Every wait has a deadline, so a hang fails the test instead of blocking the run.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BIN, TestSite};

/// Long enough for a debug build on a busy CI machine; a passing test takes far less.
const STARTUP: Duration = Duration::from_secs(120);
const EVENT: Duration = Duration::from_secs(10);
const IO: Duration = Duration::from_secs(5);

/// A running `shuyuan serve`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The server's temp folder (`TMPDIR`): it must stay empty.
    tmp: tempfile::TempDir,
    /// The site's scratch folder, where the server's builds go.
    scratch: std::path::PathBuf,
}

impl Server {
    fn start(site: &TestSite, args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--root")
            .arg(site.root())
            .args(["--port", "0"])
            .args(args)
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shuyuan serve");
        let (lines, stdout) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                collected.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut server = Server {
            child,
            port: 0,
            stdout,
            stderr,
            tmp,
            scratch: site.root().join(".shuyuan/tmp"),
        };
        let line = server.wait_line("正在预览：");
        let url = line.trim_start_matches("正在预览：");
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        server.port = address
            .parse::<SocketAddr>()
            .unwrap_or_else(|_| panic!("address in {line:?}"))
            .port();
        server
    }

    /// The next stdout line containing `needle`.
    fn wait_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + STARTUP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no line with {needle:?}; stderr:\n{}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// The summary line of the next build or in-place update.
    fn next_outcome(&self) -> String {
        let deadline = Instant::now() + STARTUP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if OUTCOMES.iter().any(|o| line.starts_with(o)) => return line,
                Ok(_) => {}
                Err(_) => panic!("no build outcome; stderr:\n{}", self.stderr.lock().unwrap()),
            }
        }
    }

    /// Waits for the next outcome and checks that it was applied in place.
    fn expect_in_place(&self) -> String {
        let line = self.next_outcome();
        assert!(
            line.starts_with(IN_PLACE),
            "expected an in-place update: {line}"
        );
        line
    }

    /// The folder the server serves from: the newest build in its work folder.
    fn output(&self) -> std::path::PathBuf {
        let work = std::fs::read_dir(&self.scratch)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("serve-"))
            })
            .expect("the server's work folder");
        std::fs::read_dir(work)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter_map(|p| Some((p.file_name()?.to_str()?.parse::<u64>().ok()?, p)))
            .max()
            .expect("a build folder")
            .1
    }

    fn get(&self, path: &str) -> Reply {
        request(self.port, "GET", path)
    }

    /// Fetches a page as a browser would and opens its event stream with the page's version.
    fn open_page(&self, path: &str) -> (Reply, Events) {
        let page = self.get(path);
        let events = Events::open(self.port, version_of(&page.text()));
        (page, events)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const IN_PLACE: &str = "已局部更新：";
const OUTCOMES: [&str; 3] = [IN_PLACE, "已重新构建：", "构建失败："];

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn connect(port: u16) -> TcpStream {
    let stream =
        TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), IO).expect("connect");
    stream.set_read_timeout(Some(IO)).unwrap();
    stream.set_write_timeout(Some(IO)).unwrap();
    stream
}

fn request(port: u16, method: &str, path: &str) -> Reply {
    let mut stream = connect(port);
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if method != "HEAD"
        && reply
            .header("Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body);
    }
    reply
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
}

/// The version a served page was built from, as its reload script carries it.
fn version_of(html: &str) -> String {
    let start = html
        .find("var version = \"")
        .expect("reload script in page")
        + "var version = \"".len();
    html[start..].split('"').next().unwrap().to_string()
}

/// The page with the injected reload script taken out again.
fn without_script(html: &str) -> String {
    let start = html
        .find("<script data-shuyuan-serve>")
        .expect("reload script");
    let end = start + html[start..].find("</script>").unwrap() + "</script>".len();
    format!("{}{}", &html[..start], &html[end..])
}

/// A server-sent event stream, read line by line.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(port: u16, version: String) -> Events {
        let mut stream = connect(port);
        write!(
            stream,
            "GET /__shuyuan/events?v={version} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("event stream head");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.contains("Content-Type: text/event-stream"), "{head}");
        Events { reader }
    }

    /// The next event as (name, data), or `None` if none comes within `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<(String, String)> {
        let deadline = Instant::now() + timeout;
        let (mut name, mut data) = (String::new(), String::new());
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())?;
            self.reader.get_ref().set_read_timeout(Some(left)).unwrap();
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                if !name.is_empty() || !data.is_empty() {
                    return Some((name, data));
                }
            } else if let Some(value) = line.strip_prefix("event: ") {
                name = value.to_string();
            } else if let Some(value) = line.strip_prefix("data: ") {
                data.push_str(value);
            }
        }
    }

    fn expect(&mut self, wanted: &str) -> String {
        match self.next(EVENT) {
            Some((name, data)) if name == wanted => data,
            other => panic!("expected a {wanted} event, got {other:?}"),
        }
    }
}

fn edit(site: &TestSite, rel: &str, from: &str, to: &str) {
    let path = site.root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Every file under `dir` by slash path.
/// The files under `dir`. The served folder may change while it is read (the preview catches
/// up in the background): a file gone by the time it is read is left out, and the caller,
/// which polls, sees the difference and looks again.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            Some((rel, std::fs::read(e.path()).ok()?))
        })
        .collect()
}

/// The build id a page footer shows (`版本 …`).
fn footer_build_id(files: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
    let home = String::from_utf8_lossy(&files["index.html"]).into_owned();
    let at = home.find("版本 ").expect("build id in the footer") + "版本 ".len();
    home[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// The files that differ between two trees, after the served tree's footer build id is
/// replaced by the fresh build's.
fn differences(
    served: &std::collections::BTreeMap<String, Vec<u8>>,
    fresh: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let (old_id, new_id) = (
        format!("版本 {}<", footer_build_id(served)),
        format!("版本 {}<", footer_build_id(fresh)),
    );
    let mut differ: Vec<String> = Vec::new();
    for (rel, bytes) in served {
        let same = match fresh.get(rel) {
            None => false,
            Some(expected) if rel.ends_with(".html") => {
                String::from_utf8_lossy(bytes).replace(&old_id, &new_id)
                    == String::from_utf8_lossy(expected)
            }
            Some(expected) => bytes == expected,
        };
        if !same {
            differ.push(rel.clone());
        }
    }
    differ.extend(
        fresh
            .keys()
            .filter(|rel| !served.contains_key(*rel))
            .map(|rel| format!("{rel} (missing)")),
    );
    differ
}

/// The served folder equals a full `shuyuan build` of the same sources, byte for byte,
/// once handouts and the search indexes have caught up (they follow a pause, so this
/// waits). Only the build id in page footers may differ: an in-place update keeps the id
/// of the build it started from, since changing it would mean rewriting every page.
fn assert_same_as_a_full_build(site: &TestSite, server: &Server) {
    let fresh = TestSite::new();
    for entry in std::fs::read_dir(site.root()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "public" || name == ".shuyuan" || name == "themes" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            common::copy_dir(&entry.path(), &fresh.root().join(&name));
        } else {
            std::fs::copy(entry.path(), fresh.root().join(&name)).unwrap();
        }
    }
    fresh.build_ok();
    let expected = tree(&fresh.out());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let differ = differences(&tree(&server.output()), &expected);
        if differ.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let ids = (
                footer_build_id(&tree(&server.output())),
                footer_build_id(&expected),
            );
            let shown = differ
                .iter()
                .take(3)
                .map(|rel| {
                    // As a reader gets them: a search fragment unpacked, not its UTF-16 bytes.
                    let text = |path: std::path::PathBuf| {
                        common::readable_text(&path).unwrap_or_else(|| {
                            String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default())
                                .into_owned()
                        })
                    };
                    let (served, built) = (
                        text(server.output().join(rel)).replace(&ids.0, &ids.1),
                        text(fresh.out().join(rel)),
                    );
                    let first = served
                        .chars()
                        .zip(built.chars())
                        .take_while(|(a, b)| a == b)
                        .count();
                    let around = |text: &str| -> String {
                        text.chars()
                            .skip(first.saturating_sub(80))
                            .take(240)
                            .collect()
                    };
                    format!(
                        "{rel}\n  served: {}\n  built:  {}",
                        around(&served),
                        around(&built)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            panic!("served output differs from a full build in {differ:?}\n{shown}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_edit_reloads_open_pages_with_the_new_content() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (page, mut events) = server.open_page("/cases/qinghe.html");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(!html.contains("新增的一段话"));
    let script = html.find("<script data-shuyuan-serve>").unwrap();
    assert_eq!(
        &html[script..].matches("</body>").count(),
        &1,
        "script sits right before </body>"
    );
    assert!(html.contains("new EventSource(\"/__shuyuan/events?v=\""));
    assert!(
        events.next(Duration::from_millis(300)).is_none(),
        "an up-to-date page is not told to reload"
    );

    edit(
        &site,
        "content/cases/qinghe.md",
        "## 背景",
        "新增的一段话。\n\n## 背景",
    );
    events.expect("reload");
    assert!(
        server
            .get("/cases/qinghe.html")
            .text()
            .contains("新增的一段话")
    );
    server.wait_line("已局部更新：");
}

#[test]
fn body_edits_update_in_place_and_other_edits_rebuild_everything() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");

    // The first paragraph is the page's summary in lists: the section list follows it.
    edit(&site, "content/cases/qinghe.md", "依据", "首段改写后依据");
    events.expect("reload");
    server.wait_line("已局部更新：");
    assert!(
        server
            .get("/cases/qinghe.html")
            .text()
            .contains("首段改写后依据")
    );
    assert!(
        server
            .get("/cases/index.html")
            .text()
            .contains("首段改写后依据"),
        "the list shows the new summary"
    );
    assert!(
        server.get("/index.html").text().contains("首段改写后依据"),
        "so do recent updates on the home page"
    );

    // The search indexes catch up in the background.
    let query = "/api/search?q=%E9%A6%96%E6%AE%B5%E6%94%B9%E5%86%99";
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let body: serde_json::Value = serde_json::from_str(&server.get(query).text()).unwrap();
        if body["hits"].as_array().is_some_and(|h| !h.is_empty()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never reached the search index"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A new heading changes the page's anchors, which other pages may link to: still in
    // place, since the session knows which pages link here.
    edit(
        &site,
        "content/cases/qinghe.md",
        "## 背景",
        "## 新的小节\n\n文字。\n\n## 背景",
    );
    events.expect("reload");
    server.expect_in_place();

    // A template change rebuilds everything.
    let template = site.root().join("themes/default/templates/404.html");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, text + "\n").unwrap();
    events.expect("reload");
    server.wait_line("已重新构建：6 个页面");

    // A broken link in a body edit is an error, and the page stays as it was.
    edit(
        &site,
        "content/cases/qinghe.md",
        "文字。",
        "文字[[nowhere]]。",
    );
    events.expect("build-error");
    let html = server.get("/cases/qinghe.html").text();
    assert!(
        !common::article(&html).contains("nowhere"),
        "the last good page is still served"
    );
    assert!(
        html.contains("content/cases/qinghe.md:"),
        "with the error shown over it"
    );
    edit(
        &site,
        "content/cases/qinghe.md",
        "文字[[nowhere]]。",
        "文字。",
    );
    events.expect("reload");
    server.wait_line("已重新构建：6 个页面");
}

#[test]
fn front_matter_and_heading_edits_update_in_place_like_a_full_build() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    assert_same_as_a_full_build(&site, &server);

    // A title shows on the page, in its section list, in links to it and in references.
    let policy = "content/policies/xiachen-2024.md";
    let (old_title, new_title) = ("关于深化资源下沉社区的实施意见", "资源下沉实施意见（修订）");
    edit(&site, policy, old_title, new_title);
    events.expect("reload");
    server.expect_in_place();
    for (url, why) in [
        ("/policies/xiachen-2024.html", "the page"),
        ("/policies/index.html", "its section list"),
        ("/cases/qinghe.html", "a page linking to and citing it"),
        ("/policies/xiachen-2021.html", "the page it supersedes"),
        (
            "/tags/%E7%A4%BE%E5%8C%BA%E6%B2%BB%E7%90%86.html",
            "its tag's page",
        ),
    ] {
        let html = server.get(url).text();
        assert!(html.contains(new_title), "{why}: {url}");
        assert!(
            !html.contains(old_title),
            "{why} still shows the old title: {url}"
        );
    }
    assert_same_as_a_full_build(&site, &server);

    // A tag nobody else uses loses its page; a new one gets one.
    let case = "content/cases/qinghe.md";
    edit(
        &site,
        case,
        "tags: [网格, 社区治理]",
        "tags: [基层减负, 社区治理]",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/tags/%E7%BD%91%E6%A0%BC.html").status, 404);
    let new_tag = server.get("/tags/%E5%9F%BA%E5%B1%82%E5%87%8F%E8%B4%9F.html");
    assert_eq!(new_tag.status, 200);
    assert!(new_tag.text().contains("qinghe.html"));
    assert_same_as_a_full_build(&site, &server);

    // A date moves the page within its paginated list and changes its neighbours.
    edit(
        &site,
        "content/cases/liuan.md",
        "date: 2023-06-01",
        "date: 2025-03-01",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // A status moves a policy between status views.
    edit(
        &site,
        "content/policies/xiachen-2021.md",
        "status: 已修订",
        "status: 已废止",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // A heading's text shows in `[[xiachen-2024#work]]` on another page.
    edit(
        &site,
        policy,
        "## 第二条 工作要求 {#work}",
        "## 第二条 工作任务 {#work}",
    );
    events.expect("reload");
    server.expect_in_place();
    assert!(
        server
            .get("/cases/qinghe.html")
            .text()
            .contains("第二条 工作任务")
    );
    assert_same_as_a_full_build(&site, &server);

    // Old addresses come and go with the front matter.
    edit(
        &site,
        "content/cases/old.md",
        "aliases: [cases/jiu-dizhi.html]",
        "aliases: [jiu/zaoqi.html]",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/cases/jiu-dizhi.html").status, 404);
    assert_eq!(server.get("/jiu/zaoqi.html").status, 200);
    assert_same_as_a_full_build(&site, &server);

    // An old address onto the search page: a clash only the output plan sees, found because
    // the path is new to the paths the preview has checked.
    edit(
        &site,
        "content/cases/old.md",
        "aliases: [jiu/zaoqi.html]",
        "aliases: [search.html]",
    );
    events.expect("build-error");
    assert!(server.next_outcome().starts_with("构建失败：1 个错误"));
    edit(
        &site,
        "content/cases/old.md",
        "aliases: [search.html]",
        "aliases: [jiu/zaoqi.html]",
    );
    events.expect("reload");
    assert!(server.next_outcome().starts_with("已重新构建"));
    assert_same_as_a_full_build(&site, &server);

    // An anchor another page links to disappears: an error, as in a full build.
    edit(
        &site,
        policy,
        "## 第二条 工作任务 {#work}",
        "## 第二条 工作任务",
    );
    events.expect("build-error");
    // The summary names the page with the error, the one linking to the anchor, before the
    // page saved.
    let outcome = server.next_outcome();
    assert!(
        outcome.starts_with("构建失败：1 个错误，在 content/cases/qinghe.md（刚保存：")
            && outcome.contains("xiachen-2024.md"),
        "{outcome}"
    );
    edit(
        &site,
        policy,
        "## 第二条 工作任务",
        "## 第二条 工作任务 {#work}",
    );
    events.expect("reload");
    assert!(server.next_outcome().starts_with("已重新构建"));
    assert_same_as_a_full_build(&site, &server);

    // A deleted page is gone everywhere.
    std::fs::remove_file(site.root().join("content/cases/liuan.md")).unwrap();
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/cases/liuan.html").status, 404);
    assert!(
        !server
            .get("/cases/index.html")
            .text()
            .contains("liuan.html")
    );
    assert_same_as_a_full_build(&site, &server);
}

#[test]
fn front_matter_edits_keep_paths_glossary_and_related_pages_in_step() {
    let site = TestSite::fixture("training");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/anli-a.html");

    // anli-b is a path step after anli-a's page and linked from anli-a's body.
    edit(&site, "content/cases/anli-b.md", "title: ", "title: 新");
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // The glossary's `see` page and a page cited by others.
    edit(
        &site,
        "content/policies/xin-zhengce.md",
        "title: ",
        "title: 新",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // Tags decide related pages; a weight and a date reorder lists and the changes page.
    edit(
        &site,
        "content/cases/anli-a.md",
        "tags: [议事会, 停车]",
        "tags: [停车]",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);
    // anli-c held 议事会 with anli-a: retitled now, it is ranked against the pages that
    // hold the tag since the edit above.
    edit(
        &site,
        "content/cases/anli-c.md",
        "title: 丙社区",
        "title: 丁社区",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);
    edit(
        &site,
        "content/cases/anli-a.md",
        "date: 2024-05-10",
        "date: 2021-05-10",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // A new page takes its place among the others: the paths' and the glossary's page
    // numbers move, its glossary terms are marked, its tag's list grows.
    site.write(
        "content/cases/anli-b0.md",
        "---\ntitle: 乙零社区\ndate: 2024-06-01\ntags: [停车]\ncites: [xin-zhengce]\n---\n\n网格员和两委一起商量。\n",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);
    std::fs::remove_file(site.root().join("content/cases/anli-b0.md")).unwrap();
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // A path step names anli-c: removing it is an error only a full build reports.
    std::fs::remove_file(site.root().join("content/cases/anli-c.md")).unwrap();
    events.expect("build-error");
    assert!(server.next_outcome().starts_with("构建失败"));
}

#[test]
fn a_page_that_missed_a_build_reloads_when_it_connects() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let stale = version_of(&server.get("/index.html").text());
    edit(&site, "content/_index.md", "欢迎。", "欢迎光临。");
    server.wait_line("已重新构建");
    let mut events = Events::open(server.port, stale);
    events.expect("reload");
}

#[test]
fn broken_front_matter_shows_the_overlay_until_fixed() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");

    edit(
        &site,
        "content/cases/qinghe.md",
        "title: 清河街道的网格化实践",
        "title: \"清河 <b>粗体</b>\n  x: [",
    );
    let data = events.expect("build-error");
    let event: serde_json::Value = serde_json::from_str(&data).unwrap();
    let overlay = event["html"].as_str().unwrap();
    assert!(overlay.contains("content/cases/qinghe.md:2:8"), "{overlay}");
    assert!(overlay.contains("错误[front-matter-syntax]"), "{overlay}");
    assert!(overlay.contains("前置元数据（YAML）格式错误"), "{overlay}");
    assert!(
        overlay.contains("&lt;b&gt;粗体&lt;/b&gt;") && !overlay.contains("<b>"),
        "escaped: {overlay}"
    );
    assert_eq!(event["errors"], 1);
    server.wait_line("构建失败：1 个错误");

    let page = server.get("/cases/qinghe.html");
    assert_eq!(page.status, 200, "the last good build is still served");
    let html = page.text();
    assert!(html.contains("清河街道的网格化实践"), "old content");
    assert!(
        html.contains("<div id=\"shuyuan-overlay\""),
        "overlay injected"
    );
    assert!(html.contains("content/cases/qinghe.md:2:8"));
    assert_eq!(
        server.get("/policies/xiachen-2024.html").status,
        200,
        "every page stays served"
    );

    edit(
        &site,
        "content/cases/qinghe.md",
        "title: \"清河 <b>粗体</b>\n  x: [",
        "title: 清河街道的新标题",
    );
    events.expect("reload");
    let html = server.get("/cases/qinghe.html").text();
    assert!(html.contains("清河街道的新标题"));
    assert!(
        !html.contains("<div id=\"shuyuan-overlay\""),
        "overlay gone once fixed"
    );
}

#[test]
fn a_first_build_that_fails_shows_the_errors_then_the_site_once_fixed() {
    let site = TestSite::fixture("basic");
    edit(
        &site,
        "content/cases/liuan.md",
        "title: 柳岸社区议事厅",
        "title: [柳岸",
    );
    let server = Server::start(&site, &[]);
    let page = server.get("/");
    assert_eq!(page.status, 503);
    let html = page.text();
    assert!(html.contains("站点还没有构建成功"));
    // At the `[` left open, not on the next line where the YAML parser gives up.
    assert!(html.contains("content/cases/liuan.md:2:8"), "{html}");
    assert_eq!(
        server.get("/cases/qinghe.html").status,
        503,
        "every address shows the errors"
    );
    let mut events = Events::open(server.port, version_of(&html));

    edit(
        &site,
        "content/cases/liuan.md",
        "title: [柳岸",
        "title: 柳岸社区议事厅",
    );
    events.expect("reload");
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("欢迎"));
}

#[test]
fn added_renamed_and_deleted_pages_leave_no_stale_output() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/cases/liuan.html").status, 200);
    assert!(
        server
            .get("/cases/index.html")
            .text()
            .contains("liuan.html")
    );
    assert_eq!(
        server.get("/cases/index-2.html").status,
        200,
        "three cases, two per page"
    );
    let (_, mut events) = server.open_page("/cases/index.html");

    std::fs::remove_file(site.root().join("content/cases/liuan.md")).unwrap();
    events.expect("reload");
    server.expect_in_place();
    let gone = server.get("/cases/liuan.html");
    assert_eq!(gone.status, 404);
    assert!(
        gone.text().contains("抱歉，没有找到这个页面"),
        "the site's own 404 page"
    );
    assert!(
        !server
            .get("/cases/index.html")
            .text()
            .contains("liuan.html"),
        "gone from its section list"
    );
    let topic = server.get("/topics/%E5%8D%8F%E5%95%86%E6%B0%91%E4%B8%BB.html");
    assert_eq!(topic.status, 200);
    assert!(
        !topic.text().contains("liuan.html"),
        "gone from its topic list"
    );
    assert_eq!(
        server.get("/cases/index-2.html").status,
        404,
        "the section's second page went too"
    );

    assert_same_as_a_full_build(&site, &server);

    std::fs::rename(
        site.root().join("content/cases/old.md"),
        site.root().join("content/cases/zaoqi.md"),
    )
    .unwrap();
    // One batch or two (the file goes, then comes back under its new name): in place.
    events.expect("reload");
    assert_eq!(server.get("/cases/old.html").status, 404);
    assert_eq!(server.get("/cases/zaoqi.html").status, 200);
    assert!(
        server
            .get("/cases/index.html")
            .text()
            .contains("zaoqi.html")
    );

    assert_eq!(
        server.get("/cases/jiu-dizhi.html").status,
        200,
        "the old address follows the page"
    );
    assert_same_as_a_full_build(&site, &server);

    site.write(
        "content/cases/xinye.md",
        "---\ntitle: 新叶社区\ndate: 2025-02-01\nregion: 新区\ntopics: [协商民主]\n---\n\n正文。\n",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/cases/xinye.html").status, 200);
    assert!(
        server
            .get("/cases/index.html")
            .text()
            .contains("xinye.html")
    );
    assert_same_as_a_full_build(&site, &server);

    // A page others link to cannot go quietly: the full build reports the broken links.
    std::fs::remove_file(site.root().join("content/policies/xiachen-2024.md")).unwrap();
    events.expect("build-error");
    server.wait_line("构建失败");
}

#[test]
fn served_pages_equal_the_build_output_and_public_is_left_alone() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let before = std::fs::read(site.out().join("cases/qinghe.html")).unwrap();
    let server = Server::start(&site, &[]);
    for rel in [
        "index.html",
        "cases/qinghe.html",
        "cases/index.html",
        "tags/index.html",
        "404.html",
    ] {
        let served = server.get(&format!("/{rel}"));
        assert_eq!(served.status, 200, "{rel}");
        assert_eq!(without_script(&served.text()), site.read(rel), "{rel}");
    }
    for rel in ["static/style.css", "sitemap.xml", "guides/bundle/form.pdf"] {
        assert_eq!(
            server.get(&format!("/{rel}")).body,
            std::fs::read(site.out().join(rel)).unwrap(),
            "{rel}"
        );
    }

    let (_, mut events) = server.open_page("/");
    edit(
        &site,
        "content/cases/qinghe.md",
        "## 背景",
        "新的一段。\n\n## 背景",
    );
    events.expect("reload");
    assert_eq!(
        std::fs::read(site.out().join("cases/qinghe.html")).unwrap(),
        before,
        "public/ is the last real build"
    );
    assert_eq!(
        scratch_names(&server.scratch),
        ["serve-", "text-"],
        "serve builds into its own work folder, beside its text store"
    );
    assert_eq!(std::fs::read_dir(server.tmp.path()).unwrap().count(), 0);
}

#[test]
fn paths_outside_the_output_are_refused() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    for path in [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/%2E%2E/site.toml",
        "/..%2fsite.toml",
        "/static/..%2f..%2fsite.toml",
        "/..\\site.toml",
        "/..%5csite.toml",
        "/.shuyuan-output",
        "/%2eshuyuan-output",
        "/static/../../site.toml",
        "//etc/passwd",
        "/etc/passwd",
        "/%00",
    ] {
        let reply = server.get(path);
        assert!(
            matches!(reply.status, 400 | 404),
            "{path}: {}",
            reply.status
        );
        let text = reply.text();
        assert!(
            !text.contains("schema.fields") && !text.contains("built by shuyuan"),
            "{path}: {text}"
        );
        assert!(!text.contains("root:"), "{path}");
    }
    assert_eq!(server.get("/.shuyuan-output").status, 404);
    assert_eq!(server.get("/../site.toml").status, 400);
}

#[test]
fn mime_types_and_headers() {
    let site = TestSite::fixture("basic");
    for name in [
        "a.png", "a.jpg", "a.gif", "a.webp", "a.docx", "a.xlsx", "a.json", "a.txt",
    ] {
        site.write(&format!("content/guides/bundle/{name}"), "x");
    }
    site.write("static/fonts/a.woff2", "x");
    let server = Server::start(&site, &[]);
    for (path, expected) in [
        ("/", "text/html; charset=utf-8"),
        ("/cases/qinghe.html", "text/html; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/theme.js", "text/javascript; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/guides/bundle/map.svg", "image/svg+xml; charset=utf-8"),
        ("/guides/bundle/form.pdf", "application/pdf"),
        ("/guides/bundle/a.png", "image/png"),
        ("/guides/bundle/a.jpg", "image/jpeg"),
        ("/guides/bundle/a.gif", "image/gif"),
        ("/guides/bundle/a.webp", "image/webp"),
        (
            "/guides/bundle/a.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "/guides/bundle/a.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("/guides/bundle/a.json", "application/json; charset=utf-8"),
        ("/guides/bundle/a.txt", "text/plain; charset=utf-8"),
        ("/static/fonts/a.woff2", "font/woff2"),
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("Content-Type"), Some(expected), "{path}");
        assert_eq!(
            reply.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{path}"
        );
    }
    let missing = server.get("/nope.html");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(missing.header("X-Content-Type-Options"), Some("nosniff"));

    let head = request(server.port, "HEAD", "/static/style.css");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let post = request(server.port, "POST", "/index.html");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("Allow"), Some("GET, HEAD"));
}

#[test]
fn kept_alive_connections_answer_request_after_request() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let mut reader = BufReader::new(connect(server.port));
    for path in ["/", "/static/style.css", "/nope.html", "/cases/"] {
        write!(
            reader.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        .unwrap();
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            assert!(
                reader.read_line(&mut head).unwrap() > 0,
                "{path}: connection closed"
            );
        }
        assert!(head.contains("Connection: keep-alive"), "{path}: {head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{path}: {head}"));
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
}

#[test]
fn folder_urls_serve_their_index_page() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let redirect = server.get("/cases?x=1");
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("Location"), Some("/cases/?x=1"));
    let folder = server.get("/cases/");
    assert_eq!(folder.status, 200);
    assert_eq!(
        without_script(&folder.text()),
        without_script(&server.get("/cases/index.html").text())
    );
    assert!(server.get("/").text().contains("欢迎"));
    let chinese = server.get("/tags/%E8%B5%84%E6%BA%90%E4%B8%8B%E6%B2%89.html");
    assert_eq!(chinese.status, 200, "percent-encoded Chinese file names");
    assert_eq!(
        server.get("/static/").status,
        404,
        "a folder without index.html"
    );
}

#[test]
fn binds_to_loopback_by_default() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/").status, 200);
    // 127.0.0.2 is loopback too on Linux, but a server bound to 127.0.0.1 alone refuses it.
    if cfg!(target_os = "linux") {
        let other = SocketAddr::from(([127, 0, 0, 2], server.port));
        assert!(
            TcpStream::connect_timeout(&other, IO).is_err(),
            "listening beyond 127.0.0.1"
        );
    }
}

#[test]
fn no_watch_serves_the_output_plainly() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let server = Server::start(&site, &["--no-watch"]);
    let page = server.get("/cases/qinghe.html");
    assert_eq!(
        page.body,
        std::fs::read(site.out().join("cases/qinghe.html")).unwrap(),
        "no script injected"
    );
    assert_eq!(server.get("/__shuyuan/events").status, 404);
}

#[test]
fn no_watch_refuses_to_serve_a_broken_site() {
    let site = TestSite::fixture("basic");
    edit(
        &site,
        "content/cases/liuan.md",
        "title: 柳岸社区议事厅",
        "title: [柳岸",
    );
    let out = Command::new(BIN)
        .args(["serve", "--no-watch", "--port", "0", "--root"])
        .arg(site.root())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diagnostics = common::diagnostics(&out);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.location == "content/cases/liuan.md:2:8"),
        "{diagnostics:?}"
    );
}

#[test]
fn polling_notices_edits_too() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &["--poll"]);
    let (_, mut events) = server.open_page("/");
    edit(&site, "content/_index.md", "欢迎。", "欢迎轮询。");
    events.expect("reload");
    assert!(server.get("/").text().contains("欢迎轮询"));
}

#[test]
fn a_busy_port_is_reported() {
    let site = TestSite::fixture("basic");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["serve", "--port", &port, "--root"])
        .arg(site.root())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port 换一个端口"));
}

/// What the scratch folder holds, each entry named by its kind (the part before the process
/// id), sorted.
fn scratch_names(scratch: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(scratch)
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name[..=name.find('-').unwrap_or(name.len() - 1)].to_string()
        })
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_and_removes_its_builds() {
    let site = TestSite::fixture("basic");
    let mut server = Server::start(&site, &[]);
    assert_eq!(scratch_names(&server.scratch), ["serve-", "text-"]);
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_line("已停止预览");
    let deadline = Instant::now() + IO;
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    assert_eq!(
        std::fs::read_dir(&server.scratch).unwrap().count(),
        0,
        "build folders and the text store removed"
    );
    assert!(
        !site.root().join(".shuyuan/lock").exists(),
        "the lock is released"
    );
}

#[test]
fn the_search_api_answers_from_the_sites_index() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &["--no-watch"]);
    let reply = server.get("/api/search?q=%E7%BD%91%E6%A0%BC&limit=5");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let body: serde_json::Value = serde_json::from_str(&reply.text()).unwrap();
    let hits = body["hits"].as_array().unwrap();
    assert_eq!(
        hits[0]["url"].as_str().unwrap().split('#').next(),
        Some("cases/qinghe.html")
    );
    let reply = server.get("/api/search?q=%E8%B5%84%E6%BA%90%E4%B8%8B%E6%B2%89");
    let body: serde_json::Value = serde_json::from_str(&reply.text()).unwrap();
    let snippets: Vec<&str> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["snippet"].as_str().unwrap())
        .collect();
    assert!(
        snippets.iter().any(|s| s.contains("<mark>资源下沉</mark>")),
        "{snippets:?}"
    );
    let filtered = server.get("/api/search?q=%E7%BD%91%E6%A0%BC&kind=policy");
    let body: serde_json::Value = serde_json::from_str(&filtered.text()).unwrap();
    assert!(
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["kind"] == "policy")
    );
}

#[test]
fn a_retitled_page_moves_among_equally_related_pages_as_in_a_full_build() {
    let site = TestSite::fixture("basic");
    // Eight pages of one date sharing one tag and nothing else: each lists five of the
    // other seven, chosen among equal scores by title.
    for n in 0..8 {
        site.write(
            &format!("content/cases/dengfen-{n}.md"),
            &format!("---\ntitle: 等分{n}号\ndate: 2023-03-01\ntags: [等分]\n---\n\n正文。\n"),
        );
    }
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/dengfen-1.html");

    // The last by title becomes the first after 等分0号: it enters the others' lists.
    edit(
        &site,
        "content/cases/dengfen-7.md",
        "title: 等分7号",
        "title: 等分0号甲",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // The first by title becomes the last: it leaves them.
    edit(
        &site,
        "content/cases/dengfen-0.md",
        "title: 等分0号",
        "title: 等分9号",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);
}

#[test]
fn term_list_pages_follow_edits_in_place() {
    let site = TestSite::fixture("basic");
    site.write_cases("gongjian", 52, "共建");
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/tags/%E5%85%B1%E5%BB%BA/2.html").status, 200);
    let (_, mut events) = server.open_page("/tags/%E5%85%B1%E5%BB%BA.html");

    // The oldest page, on the second list page, becomes the newest: it moves to the first.
    edit(
        &site,
        "content/cases/gongjian-00.md",
        "date: 2023-01-01",
        "date: 2024-01-01",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);

    // Two pages fewer fit on one list page: the second one goes.
    for n in [50, 51] {
        std::fs::remove_file(
            site.root()
                .join(format!("content/cases/gongjian-{n:02}.md")),
        )
        .unwrap();
    }
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/tags/%E5%85%B1%E5%BB%BA/2.html").status, 404);
    assert_same_as_a_full_build(&site, &server);
}

/// Overwrites `path` in place (same inode) with `bytes`, then gives it the modification time
/// `modified`.
fn overwrite_in_place(path: &Path, bytes: &[u8], modified: std::time::SystemTime) {
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
    file.set_modified(modified).unwrap();
}

/// Spoils every search index file in the preview's folder whose name `spoil` picks, keeping
/// each file's inode: odd-numbered ones get a byte more, the others the same length of other
/// bytes, and each a modification time two seconds later (a file system's clock may not have
/// moved since the re-index wrote it). Returns how many.
fn spoil_index_files(output: &Path, spoil: impl Fn(&str) -> bool) -> usize {
    let mut spoiled = 0;
    for entry in walkdir::WalkDir::new(output.join("search")).min_depth(2) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(output)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if !entry.file_type().is_file() || !spoil(&rel) {
            continue;
        }
        let mut bytes = std::fs::read(entry.path()).unwrap();
        if spoiled % 2 == 1 {
            bytes.push(b' ');
        } else {
            bytes.iter_mut().for_each(|b| *b = b'x');
        }
        let later = entry.metadata().unwrap().modified().unwrap() + Duration::from_secs(2);
        overwrite_in_place(entry.path(), &bytes, later);
        spoiled += 1;
    }
    spoiled
}

/// The preview's re-index leaves unmade and unread the files it made of the same before,
/// trusting only files still as it left them: index files changed since, whatever their
/// length, are made again — both after the build's own index and after a re-index's — while
/// a file whose stamp (length, inode, modification time) is put back after a change is left
/// as it is, unread.
#[test]
fn the_preview_reindex_makes_again_index_files_changed_since() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    let fragments_and_a_shard = |rel: &str| rel.contains("/p0/") || rel.ends_with("/s0/0.js");
    for (round, word) in ["第一次改写", "第二次改写"].into_iter().enumerate() {
        let spoiled = spoil_index_files(&server.output(), fragments_and_a_shard);
        assert!(
            spoiled > 2,
            "round {round}: only {spoiled} index files to spoil"
        );
        edit(
            &site,
            "content/cases/qinghe.md",
            "依据",
            &format!("{word}依据"),
        );
        events.expect("reload");
        server.expect_in_place();
        assert_same_as_a_full_build(&site, &server);
    }

    // Another page's fragment, changed behind the preview's back with its stamp put back.
    let output = server.output();
    let meta = output.join("search/meta.js");
    // The index's folder, as `meta.js` names it.
    let build_now = || {
        let text = std::fs::read_to_string(&meta).unwrap();
        let build = text
            .split("\"build\":\"")
            .nth(1)
            .expect("meta.js names its build");
        build.chars().take_while(|&c| c != '"').collect::<String>()
    };
    let before = std::fs::read(&meta).unwrap();
    let build = build_now();
    let other = walkdir::WalkDir::new(output.join("search").join(&build).join("p0"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|path| {
            path.is_file()
                && common::readable_text(path).is_some_and(|text| !text.contains("qinghe"))
        })
        .expect("a fragment of a page other than qinghe");
    let original = std::fs::read(&other).unwrap();
    let modified = std::fs::metadata(&other).unwrap().modified().unwrap();
    let spoiled = vec![b'x'; original.len()];
    overwrite_in_place(&other, &spoiled, modified);
    edit(&site, "content/cases/qinghe.md", "第二次改写", "第三次改写");
    events.expect("reload");
    server.expect_in_place();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read(&meta).unwrap() == before {
        assert!(Instant::now() < deadline, "the edit was never re-indexed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        build_now(),
        build,
        "the edit moved the index to another folder"
    );
    assert!(
        std::fs::read(&other).unwrap() == spoiled,
        "the re-index made again, or read, {} though its stamp said it was as it left it",
        other.display()
    );
    overwrite_in_place(&other, &original, modified);
    assert_same_as_a_full_build(&site, &server);
}

#[test]
fn hostile_saves_leave_the_preview_answering() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    let path = site.root().join("content/cases/qinghe.md");
    let original = std::fs::read_to_string(&path).unwrap();

    // 12,000 nested `>` used to overflow the stack and take the preview down with it.
    let nested = format!("{original}\n{} 引文\n", ">".repeat(12_000));
    std::fs::write(&path, &nested).unwrap();
    let data = events.expect("build-error");
    let event: serde_json::Value = serde_json::from_str(&data).unwrap();
    let overlay = event["html"].as_str().unwrap();
    let line = nested.lines().position(|l| l.starts_with(">>>")).unwrap() + 1;
    assert!(overlay.contains("错误[nesting-too-deep]"), "{overlay}");
    assert!(
        overlay.contains(&format!("content/cases/qinghe.md:{line}:65")),
        "{overlay}"
    );
    assert!(
        overlay.len() < 20_000,
        "the line is quoted around the column only"
    );
    assert_eq!(server.get("/cases/qinghe.html").status, 200);
    assert_eq!(server.get("/policies/xiachen-2024.html").status, 200);

    // Thousands of links and emphasis markers on one line used to keep the preview busy for
    // minutes; now the page updates like any other.
    let links: String = (0..3_000).map(|i| format!("第{i}处[[qinghe]]")).collect();
    let stars = "*".repeat(20_000);
    std::fs::write(
        &path,
        format!("{original}\n{links}\n\n{stars}重点{stars}\n"),
    )
    .unwrap();
    events.expect("reload");
    let html = server.get("/cases/qinghe.html").text();
    assert!(html.contains("第2999处"), "the new body is served");
    assert!(
        !html.contains("<div id=\"shuyuan-overlay\""),
        "no error left"
    );
}

#[test]
fn a_redated_page_entering_a_capped_topic_list_ranks_every_holder_again_as_in_a_full_build() {
    let site = TestSite::fixture("basic");
    let page = |name: &str, date: &str, topics: &str, tags: &str| {
        site.write(
            &format!("content/cases/{name}.md"),
            &format!(
                "---\ntitle: {name}\ndate: {date}\ntopics: [{topics}]\ntags: [{tags}]\n---\n\n正文。\n"
            ),
        );
    };
    // 201 pages hold the topic 满员, one over the cap: only its 200 newest count. zhi-x is
    // the oldest of them and zhi-e, older still, is left out.
    for n in 0..194 {
        let date = format!("2022-{:02}-{:02}", n / 28 + 1, n % 28 + 1);
        page(&format!("tian-{n:03}"), &date, "满员", "填充");
    }
    // zhi-p, zhi-x and the zhi-y share a rarer tag: zhi-x is fifth on zhi-p's list, before
    // zhi-z, which holds that tag alone, because of the topic.
    page("zhi-p", "2024-01-01", "满员", "同组");
    for n in 1..=4 {
        page(
            &format!("zhi-y{n}"),
            &format!("2024-02-0{n}"),
            "满员",
            "同组",
        );
    }
    page("zhi-x", "2021-06-01", "满员", "同组");
    page("zhi-z", "2025-01-01", "其他", "同组");
    page("zhi-e", "2019-01-01", "满员", "独有");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/zhi-p.html");
    assert!(
        server
            .get("/cases/zhi-p.html")
            .text()
            .contains("zhi-x.html")
    );

    // zhi-e becomes the newest: it enters the topic's 200, zhi-x leaves them, and zhi-z
    // takes zhi-x's place on zhi-p's list, though zhi-e scores less than that list's last.
    edit(
        &site,
        "content/cases/zhi-e.md",
        "date: 2019-01-01",
        "date: 2025-06-01",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_same_as_a_full_build(&site, &server);
    let shown = server.get("/cases/zhi-p.html").text();
    assert!(shown.contains("zhi-z.html") && !shown.contains("zhi-x.html"));
}

#[test]
fn tag_edits_in_place_give_terms_the_file_names_of_a_full_build() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    let case = "content/cases/qinghe.md";
    let policy = "content/policies/xiachen-2021.md";

    // A new term whose name is free takes its file in place.
    edit(
        &site,
        case,
        "tags: [网格, 社区治理]",
        "tags: [网格, 社区治理, GIS]",
    );
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/tags/GIS.html").status, 200);
    assert_same_as_a_full_build(&site, &server);

    // `gis` is `GIS` on Windows: it sorts after `GIS` and takes `gis_`.
    edit(&site, policy, "tags: [资源下沉]", "tags: [资源下沉, gis]");
    events.expect("reload");
    server.expect_in_place();
    assert_eq!(server.get("/tags/gis_.html").status, 200);
    assert_same_as_a_full_build(&site, &server);

    // `GIS` goes, and `gis` no longer needs the `_`: every page showing it changes.
    edit(
        &site,
        case,
        "tags: [网格, 社区治理, GIS]",
        "tags: [网格, 社区治理]",
    );
    events.expect("reload");
    server.next_outcome();
    assert_eq!(server.get("/tags/GIS.html").status, 404);
    assert_eq!(server.get("/tags/gis.html").status, 200);
    assert_same_as_a_full_build(&site, &server);

    // A term named like the taxonomy's own page takes `index_`.
    edit(
        &site,
        case,
        "tags: [网格, 社区治理]",
        "tags: [网格, 社区治理, index]",
    );
    events.expect("reload");
    server.next_outcome();
    assert_eq!(server.get("/tags/index_.html").status, 200);
    assert_same_as_a_full_build(&site, &server);
}

#[test]
fn new_paths_that_clash_fail_in_place_as_in_a_full_build() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    let old = "content/cases/old.md";
    let fine = "aliases: [cases/jiu-dizhi.html]";
    // Only the preview's record of checked paths sees these: each path is new to it.
    for clash in [
        // The same file as a page's on Windows.
        "aliases: [CASES/QINGHE.html]",
        // A page's file as a folder.
        "aliases: [cases/qinghe.html/jiu.html]",
        // The theme's stylesheet as a folder, but for case.
        "aliases: [STATIC/style.css/jiu.html]",
        // Inside the search index's folder.
        "aliases: [search/jiu.html]",
        // A Windows device name.
        "aliases: [jiu/con.html]",
    ] {
        edit(&site, old, fine, clash);
        events.expect("build-error");
        let outcome = server.next_outcome();
        assert!(
            outcome.starts_with("构建失败：1 个错误"),
            "{clash}: {outcome}"
        );
        edit(&site, old, clash, fine);
        events.expect("reload");
        assert!(server.next_outcome().starts_with("已重新构建"), "{clash}");
    }
    // A new path that clashes with nothing goes in place, and so does the same edit again.
    for _ in 0..2 {
        edit(&site, old, fine, "aliases: [jiu/xin.html]");
        events.expect("reload");
        server.expect_in_place();
        edit(&site, old, "aliases: [jiu/xin.html]", fine);
        events.expect("reload");
        server.expect_in_place();
    }
    assert_same_as_a_full_build(&site, &server);
}

#[test]
fn in_place_edits_report_the_warnings_of_the_saved_pages() {
    let site = TestSite::fixture("basic");
    let server = Server::start(&site, &[]);
    let (_, mut events) = server.open_page("/cases/qinghe.html");
    let case = "content/cases/qinghe.md";

    // A full-width comma typed with the IME joins two tags into one: a warning at the mark.
    edit(
        &site,
        case,
        "tags: [网格, 社区治理]",
        "tags: [网格，社区治理]",
    );
    events.expect("reload");
    let outcome = server.expect_in_place();
    assert!(outcome.contains("1 个警告"), "{outcome}");
    assert_same_as_a_full_build(&site, &server);

    // Fixed, the page reports none.
    edit(
        &site,
        case,
        "tags: [网格，社区治理]",
        "tags: [网格, 社区治理]",
    );
    events.expect("reload");
    let outcome = server.expect_in_place();
    assert!(!outcome.contains("警告"), "{outcome}");
    assert_same_as_a_full_build(&site, &server);
}
