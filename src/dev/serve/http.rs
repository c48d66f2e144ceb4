//! HTTP: a small HTTP/1.1 server on `std::net`, one thread per connection, a bounded
//! number of connections.
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
//!
//! Under load the server keeps answering new clients instead of refusing them: at most
//! [`MAX_CONNECTIONS`] are open (each with its thread); when all are taken, a new one takes
//! the place of a connection that is only waiting — idle between requests, or slow to send
//! its request — and closes it (HTTP lets a server close an idle connection at any time; a
//! browser sends its request again). A request head must arrive whole within
//! [`HEAD_TIMEOUT`] however slowly its bytes trickle in, and event streams may hold at most
//! [`MAX_STREAMS`] of the connections.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::ServeError;

/// Open connections, event streams included; each has a thread, so this bounds the threads.
const MAX_CONNECTIONS: usize = 256;
/// Event streams among them: every open page of a preview holds one; beyond this the
/// oldest is closed (its page connects again when it is looked at).
const MAX_STREAMS: usize = 64;
/// A request head must be complete this long after its first byte (and a new connection
/// must start one within this long): a client sending its head byte by byte is cut off.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle keep-alive connection is closed after this long, so a browser that forgot a
/// connection does not hold a thread forever; a stalled write gives up after it too.
const IDLE: Duration = Duration::from_secs(30);
/// When every connection is taken, one waiting this long for its request's first bytes, or
/// still reading its head after this long, may be closed for a new one. Browsers send a
/// head in one packet; kept-alive connections between requests may be closed at once.
const SLOW: Duration = Duration::from_secs(1);
/// A new connection waits at most this long for a place, then gets 503: only when every
/// connection is busy answering.
const ADMIT_PATIENCE: Duration = Duration::from_secs(10);
/// Request heads are a few hundred bytes; anything much larger is not a browser.
const MAX_HEAD: u64 = 16 * 1024;

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
        kind: e.kind(),
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
        let connections = Arc::new(Connections::default());
        let accept = move || {
            for stream in self.listener.incoming() {
                let Ok(mut stream) = stream else {
                    // Too many open files, say: pause rather than spin, then go on.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                let Some(place) = Connections::admit(&connections, &stream) else {
                    let _ = stream.set_write_timeout(Some(SLOW));
                    let _ = Response::text(503, "连接过多，请稍后再试\n").write_to(
                        &mut stream,
                        false,
                        false,
                    );
                    continue;
                };
                let router = Arc::clone(&router);
                // Without a thread the connection is dropped, which closes it (and the
                // place is given back).
                let _ = std::thread::Builder::new()
                    .name("shuyuan-http".into())
                    .spawn(move || connection(stream, &place, &*router));
            }
        };
        std::thread::Builder::new()
            .name("shuyuan-accept".into())
            .spawn(accept)
            .map_err(ServeError::Thread)?;
        Ok(())
    }
}

/// What an open connection is doing, for choosing one to close when all are taken.
#[derive(Clone, Copy)]
enum State {
    /// Waiting for a request; `kept` once it has had a response (kept alive).
    Waiting {
        since: Instant,
        kept: bool,
    },
    /// Reading a request head that has begun.
    Reading {
        since: Instant,
    },
    Answering,
    /// Handed over to the event stream.
    Streaming {
        since: Instant,
    },
}

struct Open {
    /// A handle on the socket to close it from another thread: a thread blocked reading
    /// from it then sees the end of the stream.
    socket: TcpStream,
    state: State,
    closing: bool,
}

/// The open connections, shared by the accepting thread and the connections' own.
#[derive(Default)]
struct Connections {
    open: Mutex<HashMap<u64, Open>>,
    /// Signalled whenever a connection ends.
    ended: Condvar,
    next_id: AtomicU64,
}

/// A connection's place among the open ones; given back when dropped.
struct Place {
    connections: Arc<Connections>,
    id: u64,
}

impl Connections {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection: at once if there is room, else once a connection
    /// that is only waiting has been closed for it; `None` after [`ADMIT_PATIENCE`].
    fn admit(connections: &Arc<Connections>, stream: &TcpStream) -> Option<Place> {
        let socket = stream.try_clone().ok()?;
        let started = Instant::now();
        let mut open = connections.lock();
        let mut last_closed: Option<Instant> = None;
        while open.len() >= MAX_CONNECTIONS {
            let now = Instant::now();
            if now.duration_since(started) > ADMIT_PATIENCE {
                return None;
            }
            // One closing at a time is enough for one place; another is picked only if
            // that one is slow to go.
            let none_closing = !open.values().any(|c| c.closing);
            if (none_closing || last_closed.is_some_and(|t| now.duration_since(t) > SLOW))
                && let Some(victim) = idlest(&open, now).and_then(|id| open.get_mut(&id))
            {
                victim.closing = true;
                let _ = victim.socket.shutdown(Shutdown::Both);
                last_closed = Some(now);
            }
            open = connections
                .ended
                .wait_timeout(open, Duration::from_millis(20))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let id = connections.next_id.fetch_add(1, Ordering::Relaxed);
        let state = State::Waiting {
            since: Instant::now(),
            kept: false,
        };
        open.insert(
            id,
            Open {
                socket,
                state,
                closing: false,
            },
        );
        Some(Place {
            connections: Arc::clone(connections),
            id,
        })
    }
}

/// The connection to close for a new one: the longest idle between requests, else the one
/// that has waited longest for, or in the middle of, a request head beyond [`SLOW`].
fn idlest(open: &HashMap<u64, Open>, now: Instant) -> Option<u64> {
    let rank = |state: State| match state {
        State::Waiting { since, kept: true } => Some((0, since)),
        State::Waiting { since, kept: false } | State::Reading { since }
            if now.duration_since(since) >= SLOW =>
        {
            Some((1, since))
        }
        _ => None,
    };
    open.iter()
        .filter(|(_, c)| !c.closing)
        .filter_map(|(id, c)| Some((rank(c.state)?, *id)))
        .min()
        .map(|(_, id)| id)
}

impl Place {
    fn set(&self, state: State) {
        let mut open = self.connections.lock();
        if let Some(me) = open.get_mut(&self.id) {
            me.state = state;
        }
        if matches!(state, State::Streaming { .. }) {
            let mut streams: Vec<(Instant, u64)> = open
                .iter()
                .filter(|(_, c)| !c.closing)
                .filter_map(|(id, c)| match c.state {
                    State::Streaming { since } => Some((since, *id)),
                    _ => None,
                })
                .collect();
            streams.sort();
            let excess = streams.len().saturating_sub(MAX_STREAMS);
            for (_, id) in &streams[..excess] {
                if let Some(oldest) = open.get_mut(id) {
                    oldest.closing = true;
                    let _ = oldest.socket.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.connections.lock().remove(&self.id);
        self.connections.ended.notify_all();
    }
}

/// Reads from a connection, giving up once `deadline` has passed however the bytes trickle in.
struct Timed {
    stream: TcpStream,
    deadline: Instant,
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

fn connection(stream: TcpStream, place: &Place, router: &dyn Fn(&Request) -> Answer) {
    // Heads and small bodies go out in one write; without this a second response on a
    // kept-alive connection can wait 40 ms for the previous one's acknowledgement.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(IDLE));
    let (Ok(reader), mut writer) = (stream.try_clone(), stream) else {
        return;
    };
    let mut reader = BufReader::new(Timed {
        stream: reader,
        deadline: Instant::now(),
    });
    let mut kept = false;
    loop {
        let now = Instant::now();
        place.set(State::Waiting { since: now, kept });
        reader.get_mut().deadline = now + if kept { IDLE } else { HEAD_TIMEOUT };
        if !reader.fill_buf().is_ok_and(|bytes| !bytes.is_empty()) {
            return;
        }
        let now = Instant::now();
        place.set(State::Reading { since: now });
        reader.get_mut().deadline = now + HEAD_TIMEOUT;
        let request = match read_request(&mut reader) {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Malformed) => {
                let _ = Response::text(400, "请求格式错误\n").write_to(&mut writer, false, false);
                return;
            }
        };
        place.set(State::Answering);
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
            Answer::Stream(stream) => {
                place.set(State::Streaming {
                    since: Instant::now(),
                });
                return stream(writer);
            }
        }
        kept = true;
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
    fn the_connection_closed_for_a_new_one_is_the_idlest() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let now = Instant::now();
        let ago = |ms| now - Duration::from_millis(ms);
        let states = [
            State::Answering,
            State::Streaming { since: ago(60_000) },
            State::Reading { since: ago(500) },
            State::Waiting {
                since: ago(2_000),
                kept: false,
            },
            State::Reading { since: ago(3_000) },
            State::Waiting {
                since: ago(10),
                kept: true,
            },
        ];
        let mut open: HashMap<u64, Open> = states
            .into_iter()
            .enumerate()
            .map(|(id, state)| {
                let socket = TcpStream::connect(addr).unwrap();
                let closing = false;
                (
                    id as u64,
                    Open {
                        socket,
                        state,
                        closing,
                    },
                )
            })
            .collect();
        let mut closed = Vec::new();
        while let Some(id) = idlest(&open, now) {
            open.get_mut(&id).unwrap().closing = true;
            closed.push(id);
        }
        assert_eq!(
            closed,
            [5, 4, 3],
            "kept-alive idle first, then the slowest heads; never one answering, streaming or young"
        );
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
