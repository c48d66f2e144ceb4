//! A real intranet server: Debian's nginx, started by the test on 127.0.0.1 with the
//! configuration documented in `docs/nginx.conf.example` (only its address and site folder
//! replaced), serving a built fixture under `/kb/` — pages, search files, the site's own 404
//! page, the documented cache headers and gzip, checked over plain HTTP.
//!
//! nginx runs in the foreground in one process (`daemon off`, `master_process off`) with its
//! prefix, pid file, logs and temp folders inside a temp dir: no system service is involved.
//! Nothing is skipped: without `/usr/sbin/nginx` the test fails and says what to install.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestSite, repo_root};

const NGINX: &str = "/usr/sbin/nginx";
const IO: Duration = Duration::from_secs(5);
const YEAR_IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The documented server block, with its two marked lines pointed at this test's site.
fn documented_config(site: &Path, port: u16) -> String {
    let example = std::fs::read_to_string(repo_root().join("docs/nginx.conf.example"))
        .expect("read docs/nginx.conf.example");
    let listen = "listen 80;";
    let alias = "alias /srv/shuyuan/public/;";
    for marked in [listen, alias] {
        assert_eq!(
            example.matches(marked).count(),
            1,
            "docs/nginx.conf.example must hold `{marked}` once"
        );
    }
    example
        .replace(listen, &format!("listen 127.0.0.1:{port};"))
        .replace(alias, &format!("alias {}/;", site.display()))
}

/// nginx in the foreground, killed when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(dir: &Path, site: &Path) -> Nginx {
        assert!(
            Path::new(NGINX).is_file(),
            "{NGINX} not found. This test runs Debian's nginx (not as a service):\n    \
             apt-get install -y nginx"
        );
        for sub in ["logs", "temp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("create nginx folders");
        }
        let port = free_port();
        std::fs::write(dir.join("shuyuan.conf"), documented_config(site, port))
            .expect("write the server block");
        let temp = dir.join("temp");
        let temp_paths: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|kind| format!("    {kind}_temp_path {};\n", temp.join(kind).display()))
            .collect();
        let main = format!(
            "daemon off;\nmaster_process off;\npid {pid};\nerror_log {log} warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n\
             \x20   access_log {access};\n{temp_paths}    include {server};\n}}\n",
            pid = dir.join("nginx.pid").display(),
            log = dir.join("logs/error.log").display(),
            access = dir.join("logs/access.log").display(),
            server = dir.join("shuyuan.conf").display(),
        );
        std::fs::write(dir.join("nginx.conf"), main).expect("write nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        nginx.wait_until_listening();
        nginx
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + IO;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited ({status}):\n{}", self.error_log());
            }
            let at = SocketAddr::from(([127, 0, 0, 1], self.port));
            if TcpStream::connect_timeout(&at, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not listen within {IO:?}:\n{}", self.error_log());
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }

    fn get(&self, path: &str, gzip: bool) -> Reply {
        let mut stream =
            TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], self.port)), IO)
                .expect("connect to nginx");
        stream.set_read_timeout(Some(IO)).unwrap();
        let accept = if gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{accept}Connection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        Reply::parse(path, &raw)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the kernel's choice, released for nginx to bind).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

struct Reply {
    path: String,
    status: u16,
    headers: Vec<(String, String)>,
    /// Decoded from chunked transfer, still compressed if the server compressed it.
    body: Vec<u8>,
}

impl Reply {
    fn parse(path: &str, raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("GET {path}: no header end"));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("GET {path}: bad status line in {head}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut reply = Reply {
            path: path.to_string(),
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        };
        if reply
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            reply.body = dechunk(&reply.body);
        }
        reply
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn assert(&self, status: u16, cache_control: &str) -> &Self {
        assert_eq!(self.status, status, "GET {}: {:?}", self.path, self.headers);
        assert_eq!(
            self.header("cache-control"),
            Some(cache_control),
            "GET {}: {:?}",
            self.path,
            self.headers
        );
        self
    }

    /// The body as the reader's browser sees it: gunzipped when the server compressed it.
    fn decoded(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .unwrap_or_else(|e| panic!("GET {}: bad gzip: {e}", self.path));
            out
        } else {
            self.body.clone()
        }
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("hex chunk size");
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[test]
fn debian_nginx_serves_the_site_under_kb_as_documented() {
    let site = TestSite::fixture("training");
    let config = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    site.write(
        "site.toml",
        &format!("base_url = \"http://intranet.example/kb/\"\n{config}"),
    );
    site.build_ok();
    let out = site.out();
    let tmp = tempfile::Builder::new()
        .prefix("shuyuan-nginx-")
        .tempdir()
        .expect("temp dir");
    let nginx = Nginx::start(tmp.path(), &out);

    // Pages: HTML is revalidated every time, and compressed for a browser that asks.
    for path in ["/kb/", "/kb/index.html", "/kb/paths/rumen.html"] {
        let plain = nginx.get(path, false);
        plain.assert(200, "no-cache");
        assert!(plain.header("content-encoding").is_none(), "{path}");
        let file = if path == "/kb/" {
            "index.html"
        } else {
            &path[4..]
        };
        assert_eq!(plain.body, std::fs::read(out.join(file)).unwrap(), "{path}");

        let zipped = nginx.get(path, true);
        zipped.assert(200, "no-cache");
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
        assert!(
            zipped.body.len() < plain.body.len(),
            "{path} is not smaller"
        );
        assert_eq!(zipped.decoded(), plain.body, "{path}");
    }
    assert_eq!(nginx.get("/kb", false).status, 301);

    // Search: the fixed meta.js is revalidated; the build folder it names is cached a year.
    // (Too small to be worth compressing: gzip_min_length.)
    let meta = nginx.get("/kb/search/meta.js", true);
    meta.assert(200, "no-cache");
    let meta_text = String::from_utf8(meta.decoded()).unwrap();
    let build = std::fs::read_dir(out.join("search"))
        .unwrap()
        .flatten()
        .find(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .expect("a search/<build>/ folder")
        .path();
    let build_id = build.file_name().unwrap().to_string_lossy().into_owned();
    assert!(meta_text.contains(&build_id), "meta.js names {build_id}");
    let shard = std::fs::read_dir(build.join("s0"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".js")
        })
        .max_by_key(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .expect("a shard, s0/<N>.js");
    let shard_url = format!(
        "/kb/search/{build_id}/s0/{}",
        shard.file_name().unwrap().to_string_lossy()
    );
    let loaded = nginx.get(&shard_url, true);
    loaded.assert(200, YEAR_IMMUTABLE);
    assert_eq!(loaded.header("content-encoding"), Some("gzip"));
    assert_eq!(loaded.decoded(), std::fs::read(&shard).unwrap());
    let style = nginx.get("/kb/static/style.css", true);
    style.assert(200, "no-cache");
    assert_eq!(style.header("content-encoding"), Some("gzip"));

    // A missing address in a folder that does not exist gets the site's own 404 page, with
    // links from /kb/ that work from there.
    let page_404 = std::fs::read(out.join("404.html")).unwrap();
    for (path, gzip) in [
        ("/kb/cases/sub/missing.html", false),
        ("/kb/missing.html", true),
    ] {
        let missing = nginx.get(path, gzip);
        missing.assert(404, "no-cache");
        assert_eq!(
            String::from_utf8_lossy(&missing.decoded()),
            String::from_utf8_lossy(&page_404),
            "{path} shows the site's 404 page"
        );
    }
    assert!(String::from_utf8_lossy(&page_404).contains("href=\"/kb/static/style.css\""));
}
