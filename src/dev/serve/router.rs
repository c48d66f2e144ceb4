//! Router: decides what each request gets — the live-reload event stream, or a file of
//! the current build's output folder, and nothing else.
//!
//! A request path is percent-decoded first and then split into segments, each of which
//! must be a plain name — so `..`, `%2e%2e`, `..%2f`, backslashes, drive prefixes and
//! dotfiles (such as the `.shuyuan-output` marker) never reach the file system — and the
//! file found must still lie inside the output folder once symlinks are resolved.
//!
//! HTML pages get the reload script (and, after a failed build, the error overlay)
//! injected; every other file is sent as it is on disk.

use std::fs::File;
use std::path::{Component, Path};

use super::http::{Answer, Request, Response};
use super::{Live, Snapshot, reload};

pub fn route(request: &Request, live: &Live) -> Answer {
    if !matches!(request.method(), "GET" | "HEAD") {
        let response =
            Response::text(405, "只支持 GET 与 HEAD 请求\n").with_header("Allow", "GET, HEAD");
        return Answer::Response(response);
    }
    match request.path() {
        reload::EVENTS_PATH if live.watching => {
            // Subscribe before reading the version: a build published in between is then
            // either in the version read or in an event that reaches this stream.
            let events = live.events.subscribe();
            let current = live.snapshot().version.clone();
            let seen = query_param(request.query(), "v").map(str::to_string);
            Answer::Stream(Box::new(move |stream| {
                reload::stream(stream, &events, &current, seen.as_deref())
            }))
        }
        "/api/search" => Answer::Response(api_search(request.query(), live)),
        path => Answer::Response(serve_file(path, request.query(), live, &live.snapshot())),
    }
}

fn serve_file(path: &str, query: &str, live: &Live, snapshot: &Snapshot) -> Response {
    let Some(output) = &snapshot.output else {
        // No build has succeeded yet: every address shows the errors until one does.
        return Response::html(
            503,
            reload::error_page(&snapshot.version, snapshot.overlay.as_deref().unwrap_or("")),
        );
    };
    let target = match RequestPath::parse(path) {
        Ok(target) => target,
        Err(Refused::Malformed) => return Response::text(400, "请求路径无效\n"),
        Err(Refused::Hidden) => return not_found(output, live, snapshot),
    };
    let mut file = output.clone();
    file.extend(&target.segments);
    if file.is_dir() {
        if !target.trailing_slash {
            let location = target.encoded() + "/";
            return Response::redirect(if query.is_empty() {
                location
            } else {
                format!("{location}?{query}")
            });
        }
        file.push("index.html");
    }
    if !is_file_inside(&file, output) {
        return not_found(output, live, snapshot);
    }
    send_file(200, &file, live, snapshot)
}

/// The site's own 404 page, or a line of text if the site has none.
fn not_found(output: &Path, live: &Live, snapshot: &Snapshot) -> Response {
    let page = output.join("404.html");
    if page.is_file() {
        return send_file(404, &page, live, snapshot);
    }
    Response::text(404, "404：页面不存在\n")
}

fn send_file(status: u16, file: &Path, live: &Live, snapshot: &Snapshot) -> Response {
    let content_type = content_type(file);
    if live.watching && content_type.starts_with("text/html") {
        // A page that is not UTF-8 is sent as it is, without the script, rather than mangled.
        if let Ok(html) = std::fs::read_to_string(file) {
            return Response::html(
                status,
                reload::inject(&html, &snapshot.version, snapshot.overlay.as_deref()),
            );
        }
    }
    File::open(file)
        .and_then(|opened| Response::file(status, content_type, opened))
        .unwrap_or_else(|_| Response::text(500, "无法读取文件\n"))
}

/// `GET /api/search?q=…&kind=…&tag=…&limit=…`: ranked hits as JSON, from the served build's
/// static index and with the search page's ranking.
fn api_search(query: &str, live: &Live) -> Response {
    let param = |name| {
        query_param(query, name)
            .map(|v| crate::source::markdown::percent_decode(&v.replace('+', " ")))
    };
    let json = |status, value: serde_json::Value| {
        Response::bytes(status, "application/json; charset=utf-8", value.to_string())
    };
    let snapshot = live.snapshot();
    let Some(output) = &snapshot.output else {
        return json(503, serde_json::json!({ "error": "网站尚未生成" }));
    };
    let request = crate::search::SearchQuery {
        text: param("q").unwrap_or_default(),
        kind: param("kind"),
        tag: param("tag"),
        topic: param("topic"),
        region: param("region"),
        year: param("year"),
        status: param("status"),
        limit: param("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(20)
            .clamp(1, 100),
    };
    match live
        .search_index(output)
        .and_then(|index| index.search(&request))
    {
        Ok(found) => json(
            200,
            serde_json::json!({ "query": request.text, "hits": found.hits, "relaxed": found.relaxed }),
        ),
        Err(e) => json(503, serde_json::json!({ "error": e.to_string() })),
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn is_file_inside(file: &Path, output: &Path) -> bool {
    std::fs::canonicalize(file).is_ok_and(|real| real.starts_with(output) && real.is_file())
}

/// Why a request path does not name a file of the site.
#[derive(Debug, PartialEq)]
enum Refused {
    /// Bad percent-encoding, not UTF-8, or a segment that could step outside the folder.
    Malformed,
    /// A dotfile or dot-folder: never part of the published site.
    Hidden,
}

/// A request path, decoded and checked: plain names only.
#[derive(Debug, PartialEq)]
struct RequestPath {
    segments: Vec<String>,
    trailing_slash: bool,
}

impl RequestPath {
    fn parse(path: &str) -> Result<RequestPath, Refused> {
        let path = path.split('#').next().unwrap_or_default();
        if !path.starts_with('/') {
            return Err(Refused::Malformed);
        }
        // Decode before splitting, so an encoded `/` (`..%2f`) is a separator like any other.
        let decoded = String::from_utf8(percent_decode(path).ok_or(Refused::Malformed)?)
            .map_err(|_| Refused::Malformed)?;
        if decoded.contains(['\\', '\0']) {
            return Err(Refused::Malformed);
        }
        let mut segments = Vec::new();
        for segment in decoded.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." {
                return Err(Refused::Malformed);
            }
            if segment.starts_with('.') {
                return Err(Refused::Hidden);
            }
            // On Windows `C:` or `C:x` is a drive prefix, which would replace the folder.
            let mut components = Path::new(segment).components();
            if !matches!(
                (components.next(), components.next()),
                (Some(Component::Normal(_)), None)
            ) {
                return Err(Refused::Malformed);
            }
            segments.push(segment.to_string());
        }
        Ok(RequestPath {
            trailing_slash: decoded.ends_with('/'),
            segments,
        })
    }

    /// The path percent-encoded again, for a `Location` header.
    fn encoded(&self) -> String {
        let mut encoded = String::new();
        for segment in &self.segments {
            encoded.push('/');
            for byte in segment.bytes() {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    encoded.push(char::from(byte));
                } else {
                    encoded.push_str(&format!("%{byte:02X}"));
                }
            }
        }
        encoded
    }
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    Some(decoded)
}

/// The `Content-Type` for a file, by extension. Text types say they are UTF-8, which is
/// what the build writes; anything unknown is offered as a download.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The file a request path names inside `output`, without touching the disk.
    fn file_for(output: &Path, path: &str) -> Result<PathBuf, Refused> {
        let target = RequestPath::parse(path)?;
        let mut file = output.to_path_buf();
        file.extend(&target.segments);
        Ok(file)
    }

    #[test]
    fn plain_and_chinese_paths_map_into_the_output() {
        let out = Path::new("/srv/out");
        assert_eq!(
            file_for(out, "/cases/qinghe.html"),
            Ok(out.join("cases/qinghe.html"))
        );
        assert_eq!(
            file_for(out, "/tags/%E8%B5%84%E6%BA%90.html"),
            Ok(out.join("tags/资源.html"))
        );
        assert_eq!(file_for(out, "/a%20b.pdf#top"), Ok(out.join("a b.pdf")));
        assert_eq!(
            file_for(out, "//etc/passwd"),
            Ok(out.join("etc/passwd")),
            "absolute paths stay inside"
        );
        assert!(RequestPath::parse("/cases/").unwrap().trailing_slash);
        assert!(!RequestPath::parse("/cases").unwrap().trailing_slash);
        assert_eq!(
            RequestPath::parse("/").unwrap().segments,
            Vec::<String>::new()
        );
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for path in [
            "/../site.toml",
            "/%2e%2e/site.toml",
            "/%2E%2E/site.toml",
            "/..%2fsite.toml",
            "/..%2Fsite.toml",
            "/static/../../site.toml",
            "/static/%2e%2e%2f%2e%2e%2fsite.toml",
            "/..\\site.toml",
            "/..%5csite.toml",
            "/./index.html",
            "/%00",
            "/%zz",
            "/%e8",
            "relative/path",
        ] {
            assert_eq!(RequestPath::parse(path), Err(Refused::Malformed), "{path}");
        }
        for path in [
            "/.shuyuan-output",
            "/%2eshuyuan-output",
            "/static/.hidden/x.css",
            "/.git/config",
        ] {
            assert_eq!(RequestPath::parse(path), Err(Refused::Hidden), "{path}");
        }
    }

    #[test]
    fn redirect_locations_are_ascii() {
        let target = RequestPath::parse("/tags/资源 下沉").unwrap();
        assert_eq!(
            target.encoded(),
            "/tags/%E8%B5%84%E6%BA%90%20%E4%B8%8B%E6%B2%89"
        );
    }

    #[test]
    fn content_types() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("A.HTM", "text/html; charset=utf-8"),
            ("s.css", "text/css; charset=utf-8"),
            ("s.js", "text/javascript; charset=utf-8"),
            ("m.svg", "image/svg+xml; charset=utf-8"),
            ("p.png", "image/png"),
            ("p.JPG", "image/jpeg"),
            ("p.gif", "image/gif"),
            ("p.webp", "image/webp"),
            ("f.pdf", "application/pdf"),
            (
                "f.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                "f.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            ("d.json", "application/json; charset=utf-8"),
            ("sitemap.xml", "application/xml; charset=utf-8"),
            ("r.txt", "text/plain; charset=utf-8"),
            ("f.woff2", "font/woff2"),
            ("noext", "application/octet-stream"),
        ];
        for (file, expected) in cases {
            assert_eq!(content_type(Path::new(file)), expected, "{file}");
        }
    }

    #[test]
    fn query_parameters() {
        assert_eq!(query_param("v=abc-3", "v"), Some("abc-3"));
        assert_eq!(query_param("x=1&v=2", "v"), Some("2"));
        assert_eq!(query_param("vv=1", "v"), None);
        assert_eq!(query_param("", "v"), None);
    }
}
