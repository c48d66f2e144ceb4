//! HTTP: a small HTTP/1.1 server on `std::net`, one thread per connection.
//!
//! Only what a preview needs: `GET` and `HEAD` without request bodies, keep-alive, a
//! `Content-Length` on every response, and handing a connection over for good (the
//! live-reload event stream). What each request gets is decided by the router.
//!
//! Why not tiny_http: its connection pool hands a new connection to an idle thread only
//! if that thread wakes up before the next connection arrives; otherwise the connection
//! waits for a thread to finish one it already has. Browsers keep connections open for
//! minutes, so a page load could hang with a stylesheet never answered (seen in Chromium
//! about one start in three). It also drops a response's own `Connection` header, so
//! this cannot be worked around from outside. A thread per connection has no such queue.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::ServeError;

/// An idle keep-alive connection is closed after this long, so a browser that forgot a
/// connection does not hold a thread forever; a stalled write gives up after it too.
const IDLE: Duration = Duration::from_secs(30);
/// Request heads are a few hundred bytes; anything much larger is not a browser.
const MAX_HEAD: u64 = 16 * 1024;
/// A bound on threads: beyond it new connections get 503 and are closed.
const MAX_CONNECTIONS: usize = 256;

/// One request: the parts the router looks at.
pub struct Request {
    method: String,
    target: String,
    keep_alive: bool,
}

impl Request {
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path part of the target, still percent-encoded.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }
}

pub enum Body {
    Bytes(Vec<u8>),
    File { file: File, len: u64 },
}

pub struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

impl Response {
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: Body::Bytes(body.into()),
        }
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::bytes(status, "text/plain; charset=utf-8", text)
    }

    pub fn html(status: u16, page: String) -> Response {
        Response::bytes(status, "text/html; charset=utf-8", page)
    }

    pub fn file(status: u16, content_type: &str, file: File) -> io::Result<Response> {
        let len = file.metadata()?.len();
        Ok(Response {
            body: Body::File { file, len },
            ..Response::bytes(status, content_type, Vec::new())
        })
    }

    pub fn redirect(location: String) -> Response {
        Response {
            status: 302,
            headers: vec![("Location", location)],
            body: Body::Bytes(Vec::new()),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Response {
        self.headers.push((name, value.to_string()));
        self
    }

    fn write_to(self, stream: &mut TcpStream, head_only: bool, keep_alive: bool) -> io::Result<()> {
        let len = match &self.body {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File { len, .. } => *len,
        };
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        // Always revalidate (`no-cache`): after a rebuild a reload must fetch the new stylesheet too.
        head.push_str(&format!(
            "Content-Length: {len}\r\nConnection: {}\r\nX-Content-Type-Options: nosniff\r\n\
             Cache-Control: no-cache\r\n\r\n",
            if keep_alive { "keep-alive" } else { "close" }
        ));
        let mut head = head.into_bytes();
        match self.body {
            _ if head_only => stream.write_all(&head),
            Body::Bytes(bytes) => {
                head.extend_from_slice(&bytes);
                stream.write_all(&head)
            }
            Body::File { file, len } => {
                stream.write_all(&head)?;
                io::copy(&mut file.take(len), stream).map(drop)
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// What the router makes of a request.
pub enum Answer {
    Response(Response),
    /// The connection is handed over as it is, nothing written yet, and closed when the
    /// function returns: for the event stream.
    Stream(Box<dyn FnOnce(TcpStream)>),
}

pub struct Server {
    listener: TcpListener,
    /// The address actually bound: with `--port 0` the system picks the port.
    pub addr: SocketAddr,
}

pub fn bind(addr: SocketAddr) -> Result<Server, ServeError> {
    let bind_error = |e: io::Error| ServeError::Bind {
        addr,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(addr).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    Ok(Server { listener, addr })
}

impl Server {
    /// Accepts connections on a thread of its own, each served on a thread of its own,
    /// until the process ends: a thread may be sending a large file to a slow browser,
    /// and stopping must not wait for that.
    pub fn spawn<F>(self, router: F) -> Result<(), ServeError>
    where
        F: Fn(&Request) -> Answer + Send + Sync + 'static,
    {
        let router = Arc::new(router);
        let open = Arc::new(AtomicUsize::new(0));
        let accept = move || {
            for stream in self.listener.incoming() {
                let Ok(mut stream) = stream else {
                    // Too many open files, say: pause rather than spin, then go on.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                let guard = Open::count(&open);
                if guard.0.load(Ordering::Relaxed) > MAX_CONNECTIONS {
                    let _ = Response::text(503, "连接过多，请稍后再试\n").write_to(
                        &mut stream,
                        false,
                        false,
                    );
                    continue;
                }
                let router = Arc::clone(&router);
                // Without a thread the connection is dropped, which closes it.
                let _ = std::thread::Builder::new()
                    .name("shuyuan-http".into())
                    .spawn(move || {
                        let _guard = guard;
                        connection(stream, &*router);
                    });
            }
        };
        std::thread::Builder::new()
            .name("shuyuan-accept".into())
            .spawn(accept)
            .map_err(ServeError::Thread)?;
        Ok(())
    }
}

/// Counts open connections while it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn count(open: &Arc<AtomicUsize>) -> Open {
        open.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(open))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn connection(stream: TcpStream, router: &dyn Fn(&Request) -> Answer) {
    // Heads and small bodies go out in one write; without this a second response on a
    // kept-alive connection can wait 40 ms for the previous one's acknowledgement.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_write_timeout(Some(IDLE));
    let (Ok(reader), mut writer) = (stream.try_clone(), stream) else {
        return;
    };
    let mut reader = BufReader::new(reader);
    loop {
        let request = match read_request(&mut reader) {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Malformed) => {
                let _ = Response::text(400, "请求格式错误\n").write_to(&mut writer, false, false);
                return;
            }
        };
        match router(&request) {
            Answer::Response(response) => {
                let head_only = request.method == "HEAD";
                if response
                    .write_to(&mut writer, head_only, request.keep_alive)
                    .is_err()
                    || !request.keep_alive
                {
                    return;
                }
            }
            Answer::Stream(stream) => return stream(writer),
        }
    }
}

enum ReadError {
    /// The browser closed the connection, or it sat idle too long.
    Closed,
    Malformed,
}

fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut head = Vec::new();
    let mut limited = reader.take(MAX_HEAD);
    loop {
        let start = head.len();
        match limited.read_until(b'\n', &mut head) {
            Ok(0) if head.is_empty() => return Err(ReadError::Closed),
            Ok(0) => return Err(ReadError::Malformed),
            Ok(_) => {}
            Err(_) => return Err(ReadError::Closed),
        }
        if head[start..].iter().all(|b| matches!(b, b'\r' | b'\n')) {
            if start == 0 {
                // Blank lines before a request are allowed (RFC 9112, 2.2).
                head.clear();
                continue;
            }
            break;
        }
    }
    let head = String::from_utf8(head).map_err(|_| ReadError::Malformed)?;
    let mut lines = head.lines();
    let mut parts = lines.next().unwrap_or_default().split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed);
    };
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(ReadError::Malformed),
    };
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "connection" if value.contains("close") => keep_alive = false,
            "connection" if value.contains("keep-alive") => keep_alive = true,
            // A body is never read, so the connection cannot be reused after one.
            "content-length" if value != "0" => keep_alive = false,
            "transfer-encoding" => keep_alive = false,
            _ => {}
        }
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        keep_alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Request, ReadError> {
        read_request(&mut BufReader::new(raw.as_bytes()))
    }

    #[test]
    fn requests_parse_with_their_connection_semantics() {
        let Ok(request) = parse("\r\nGET /a/b.html?v=1 HTTP/1.1\r\nHost: x\r\n\r\n") else {
            panic!()
        };
        assert_eq!(
            (request.method(), request.path(), request.query()),
            ("GET", "/a/b.html", "v=1")
        );
        assert!(request.keep_alive);
        let Ok(request) = parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n") else {
            panic!()
        };
        assert!(!request.keep_alive);
        let Ok(request) = parse("GET / HTTP/1.0\r\n\r\n") else {
            panic!()
        };
        assert!(!request.keep_alive);
        let Ok(request) = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") else {
            panic!()
        };
        assert!(request.keep_alive);
        let Ok(request) = parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") else {
            panic!()
        };
        assert!(!request.keep_alive, "a body is never read");
    }

    #[test]
    fn bad_and_closed_requests() {
        assert!(matches!(parse(""), Err(ReadError::Closed)));
        assert!(
            matches!(
                parse("GET / HTTP/1.1\r\nHost: x\r\n"),
                Err(ReadError::Malformed)
            ),
            "cut short"
        );
        assert!(matches!(parse("GET /\r\n\r\n"), Err(ReadError::Malformed)));
        assert!(matches!(
            parse("GET / HTTP/2.0\r\n\r\n"),
            Err(ReadError::Malformed)
        ));
        assert!(matches!(
            parse("GET / / HTTP/1.1\r\n\r\n"),
            Err(ReadError::Malformed)
        ));
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD as usize));
        assert!(
            matches!(parse(&long), Err(ReadError::Malformed)),
            "head too large"
        );
    }
}
