//! Live reload: the server-sent events endpoint, the small script injected into served
//! pages, and the error overlay.
//!
//! Every build outcome has a version. A served page carries the version it was built
//! from and connects to `GET /__shuyuan/events?v=<version>`; if the server has moved on
//! in the meantime it answers `reload` at once, so a save that lands between serving a
//! page and its script connecting is never missed. After that the page gets `reload`
//! when a build succeeds and `build-error` (with the overlay's markup) when one fails.
//!
//! The overlay is rendered here, on the server, for both paths: injected into pages
//! served while the build is broken, and pushed through the event stream to pages that
//! are already open. One renderer means one place that escapes the diagnostics.

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::diagnostics::{Diagnostics, Severity};

/// Where pages listen for build events.
pub const EVENTS_PATH: &str = "/__shuyuan/events";

/// How often an idle stream gets a comment line. Writing is the only way to notice that a
/// browser went away, and it keeps the connection from looking dead to anything between.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// What a rebuild tells open pages.
pub enum Event<'a> {
    /// The build succeeded: load the page again.
    Reload { version: &'a str },
    /// The build failed: show the overlay; the page itself stays as it is.
    BuildError {
        version: &'a str,
        errors: usize,
        overlay: &'a str,
    },
}

#[derive(Serialize)]
struct Payload<'a> {
    v: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<&'a str>,
}

impl Event<'_> {
    /// The event as it goes on the wire. The data is JSON on one line, so the markup's
    /// own newlines cannot end the event early.
    fn frame(&self) -> String {
        let (name, payload) = match *self {
            Event::Reload { version } => (
                "reload",
                Payload {
                    v: version,
                    errors: None,
                    html: None,
                },
            ),
            Event::BuildError {
                version,
                errors,
                overlay,
            } => (
                "build-error",
                Payload {
                    v: version,
                    errors: Some(errors),
                    html: Some(overlay),
                },
            ),
        };
        let data =
            serde_json::to_string(&payload).expect("a struct of strings and numbers serializes");
        format!("event: {name}\ndata: {data}\n\n")
    }
}

/// Hands every event to every open event stream.
#[derive(Default)]
pub struct Broadcaster {
    streams: Mutex<Vec<Sender<Arc<str>>>>,
}

impl Broadcaster {
    pub fn send(&self, event: &Event) {
        let frame: Arc<str> = event.frame().into();
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        // A failed send means that stream's thread has ended (its browser went away).
        streams.retain(|stream| stream.send(Arc::clone(&frame)).is_ok());
    }

    /// A new stream's receiving end; it gets every event sent from now on.
    pub fn subscribe(&self) -> Receiver<Arc<str>> {
        let (sender, receiver) = mpsc::channel();
        self.streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sender);
        receiver
    }
}

/// Answers `GET /__shuyuan/events` on the connection's own thread: writes the response
/// head, then forwards events until the browser goes away.
///
/// `events` must be subscribed before `current` (the version being served now) was read;
/// `seen` is the version the page was built from.
pub fn stream(
    mut connection: TcpStream,
    events: &Receiver<Arc<str>>,
    current: &str,
    seen: Option<&str>,
) {
    let mut head = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
    );
    if seen != Some(current) {
        head.push_str(&Event::Reload { version: current }.frame());
    }
    let mut written = connection.write_all(head.as_bytes());
    while written.is_ok() {
        written = match events.recv_timeout(HEARTBEAT) {
            Ok(frame) => connection.write_all(frame.as_bytes()),
            Err(RecvTimeoutError::Timeout) => connection.write_all(b": ping\n\n"),
            Err(RecvTimeoutError::Disconnected) => return,
        };
    }
}

/// The script every served page gets: listen for events, reload or show the overlay.
/// Hidden tabs close their stream, because browsers allow only about six connections to
/// one server and each open stream holds one; coming back reconnects, and the version
/// check then reloads a page that missed a build.
const CLIENT_SCRIPT: &str = r#"<script data-shuyuan-serve>(function () {
  var version = "__VERSION__";
  var source = null;
  function show(html) {
    var old = document.getElementById("shuyuan-overlay");
    if (old) old.parentNode.removeChild(old);
    var holder = document.createElement("div");
    holder.innerHTML = html;
    if (holder.firstElementChild) document.body.appendChild(holder.firstElementChild);
  }
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  function connect() {
    if (source || document.hidden) return;
    source = new EventSource("/__shuyuan/events?v=" + encodeURIComponent(version));
    source.addEventListener("reload", function () { disconnect(); location.reload(); });
    source.addEventListener("build-error", function (e) {
      var data = JSON.parse(e.data);
      version = data.v;
      show(data.html);
    });
    source.onerror = function () {
      disconnect();
      setTimeout(connect, 1000);
    };
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) disconnect(); else connect();
  });
  connect();
})();</script>"#;

fn client_script(version: &str) -> String {
    // Versions are hex digits and a dash; nothing in them needs escaping in a JS string.
    CLIENT_SCRIPT.replace("__VERSION__", version)
}

/// Puts the overlay (when there is one) and the reload script before the page's last
/// `</body>`, or at the end of a page that has none.
pub fn inject(html: &str, version: &str, overlay: Option<&str>) -> String {
    let script = client_script(version);
    let insert = overlay.unwrap_or("").len() + script.len();
    let at = html
        .to_ascii_lowercase()
        .rfind("</body>")
        .unwrap_or(html.len());
    let mut page = String::with_capacity(html.len() + insert);
    page.push_str(&html[..at]);
    page.push_str(overlay.unwrap_or(""));
    page.push_str(&script);
    page.push_str(&html[at..]);
    page
}

/// The page served for every request while there has not yet been a good build.
pub fn error_page(version: &str, overlay: &str) -> String {
    let page = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
        <title>构建失败 - 书院预览</title>\n</head>\n<body>\n\
        <h1 style=\"font: 600 1.4rem system-ui, sans-serif; margin: 2rem\">站点还没有构建成功</h1>\n\
        <p style=\"font: 1rem system-ui, sans-serif; margin: 0 2rem\">请按下方提示修改文件并保存，本页会自动刷新。</p>\n\
        </body>\n</html>\n";
    inject(page, version, Some(overlay))
}

/// The error overlay: a panel fixed to the bottom of the page listing every diagnostic
/// of the failed build. Everything taken from the diagnostics is HTML-escaped.
/// `stale` says whether the page beneath is an earlier good build (or the error page).
pub fn overlay(diagnostics: &Diagnostics, stale: bool) -> String {
    let mut html = String::from(
        "<div id=\"shuyuan-overlay\" role=\"alert\" lang=\"zh-CN\"><style>\
        #shuyuan-overlay{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:55vh;overflow:auto;\
        box-sizing:border-box;padding:12px 16px 16px;background:#fff8f7;color:#3b0d0c;border-top:4px solid #c62828;\
        box-shadow:0 -4px 16px rgba(0,0,0,.2);font:14px/1.6 system-ui,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;text-align:left}\
        #shuyuan-overlay .sy-ov-head{display:flex;gap:12px;align-items:baseline;margin-bottom:8px}#shuyuan-overlay .sy-ov-head span{flex:1}\
        #shuyuan-overlay button{font:inherit;padding:2px 12px;cursor:pointer}\
        #shuyuan-overlay ol{margin:0;padding-left:1.5em}#shuyuan-overlay li{margin:6px 0}\
        #shuyuan-overlay code,#shuyuan-overlay pre{font:13px/1.5 ui-monospace,Menlo,Consolas,monospace}\
        #shuyuan-overlay .sy-ov-code{color:#8a1c1a;margin-left:.5em}\
        #shuyuan-overlay pre{margin:4px 0 0;padding:4px 8px;background:#fdecea;white-space:pre-wrap}\
        </style>",
    );
    let note = if stale {
        "页面显示的是上次成功构建的内容；"
    } else {
        ""
    };
    html.push_str(&format!(
        "<div class=\"sy-ov-head\"><strong>构建失败：{} 个错误</strong><span>{note}改好文件并保存后会自动刷新。\
         </span><button type=\"button\" onclick=\"this.parentNode.parentNode.style.display='none'\">关闭</button>\
         </div><ol>",
        diagnostics.error_count()
    ));
    for diagnostic in diagnostics.iter() {
        let label = match diagnostic.severity {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        };
        html.push_str(&format!(
            "<li><code class=\"sy-ov-loc\">{}</code><code class=\"sy-ov-code\">{label}[{}]</code><div>{}</div>",
            crate::html::escape(&diagnostic.location()),
            diagnostic.code,
            crate::html::escape(&diagnostic.message)
        ));
        if let Some(line) = &diagnostic.source_line {
            html.push_str(&format!("<pre>{}</pre>", crate::html::escape(line)));
        }
        html.push_str("</li>");
    }
    html.push_str("</ol></div>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Code, Diagnostic};

    fn broken() -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        let source = "---\nkind: <b>x</b>\n---\n";
        diagnostics.push(
            Diagnostic::error(
                Code::UnknownKind,
                "content/cases/a&b.md",
                "未知的内容类型 `<b>x</b>`",
            )
            .at(source, 2, 7),
        );
        diagnostics
    }

    #[test]
    fn overlay_escapes_everything_taken_from_diagnostics() {
        let html = overlay(&broken(), true);
        assert!(html.contains("content/cases/a&amp;b.md:2:7"), "{html}");
        assert!(
            html.contains("未知的内容类型 `&lt;b&gt;x&lt;/b&gt;`"),
            "{html}"
        );
        assert!(
            html.contains("<pre>kind: &lt;b&gt;x&lt;/b&gt;</pre>"),
            "{html}"
        );
        assert!(html.contains("错误[unknown-kind]"));
        assert!(html.contains("构建失败：1 个错误</strong><span>页面显示的是上次成功构建的内容"));
        assert!(overlay(&broken(), false).contains("<span>改好文件并保存后会自动刷新。"));
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn inject_goes_before_the_last_closing_body_tag() {
        let page = "<html><body><p>&lt;/body&gt;</p></BODY></html>";
        let injected = inject(page, "v-1", Some("<div id=\"shuyuan-overlay\"></div>"));
        let at = injected.find("<div id=\"shuyuan-overlay\">").unwrap();
        assert_eq!(&injected[..at], "<html><body><p>&lt;/body&gt;</p>");
        assert!(
            injected.ends_with("})();</script></BODY></html>"),
            "{injected}"
        );
        assert!(injected.contains("var version = \"v-1\";"));
        assert_eq!(
            inject("plain", "v", None),
            format!("plain{}", client_script("v"))
        );
    }

    #[test]
    fn frames_are_single_line_json() {
        let overlay = overlay(&broken(), true);
        let frame = Event::BuildError {
            version: "a-2",
            errors: 1,
            overlay: &overlay,
        }
        .frame();
        assert!(
            frame.starts_with("event: build-error\ndata: {\"v\":\"a-2\",\"errors\":1,\"html\":")
        );
        assert_eq!(
            frame.matches('\n').count(),
            3,
            "one event line, one data line, one blank line"
        );
        assert_eq!(
            Event::Reload { version: "a-3" }.frame(),
            "event: reload\ndata: {\"v\":\"a-3\"}\n\n"
        );
    }

    #[test]
    fn broadcaster_forgets_streams_that_ended() {
        let broadcaster = Broadcaster::default();
        let kept = broadcaster.subscribe();
        drop(broadcaster.subscribe());
        broadcaster.send(&Event::Reload { version: "x-1" });
        assert_eq!(broadcaster.streams.lock().unwrap().len(), 1);
        assert_eq!(
            &*kept.recv().unwrap(),
            "event: reload\ndata: {\"v\":\"x-1\"}\n\n"
        );
    }
}
