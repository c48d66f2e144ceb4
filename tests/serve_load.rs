//! `shuyuan serve` under load, on 127.0.0.1 only: more idle kept-alive sockets than the
//! server keeps connections, clients sending their request byte by byte or not at all, and
//! 500 requests at once. A fresh client must still get its page quickly, every one of the
//! 500 requests must be answered, and an event stream opened before must still deliver the
//! next reload. Everything is bounded: a few hundred sockets, a few seconds.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{BIN, TestSite};

/// More than the server keeps open at once (256).
const IDLE_SOCKETS: usize = 300;
const SLOW_CLIENTS: usize = 40;
const SILENT_CLIENTS: usize = 20;
const CONCURRENT: usize = 500;
/// How long a fresh client may wait for its page while all that goes on.
const FRESH_BOUND: Duration = Duration::from_secs(5);
const IO: Duration = Duration::from_secs(30);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(site: &TestSite) -> (Server, SocketAddr) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--root"])
        .arg(site.root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .find_map(|l| l.ok().filter(|l| l.starts_with("正在预览：")))
        .expect("the server's address");
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let addr = line
        .trim_start_matches("正在预览：http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    (Server(child), addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO).expect("connect");
    stream.set_read_timeout(Some(IO)).unwrap();
    stream.set_write_timeout(Some(IO)).unwrap();
    stream
}

/// Sends a GET and reads its response whole; the status, or 0 if the connection failed.
fn get_on(stream: &mut TcpStream, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return 0;
    }
    read_response(stream).map_or(0, |(status, _)| status)
}

fn read_response(stream: &mut TcpStream) -> Option<(u16, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))?
        .parse()
        .ok()?;
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some((status, body))
}

/// A fresh client's page, and how long it took.
fn fresh_page(addr: SocketAddr) -> (u16, Duration) {
    let started = Instant::now();
    let status = get_on(&mut connect(addr), "/cases/qinghe.html");
    (status, started.elapsed())
}

#[test]
fn pages_keep_coming_under_idle_slow_and_concurrent_clients() {
    let site = TestSite::fixture("basic");
    let (_server, addr) = start(&site);

    // An open page's event stream, from before the load.
    let mut events = connect(addr);
    events
        .write_all(b"GET /__shuyuan/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut events = BufReader::new(events).lines().map_while(Result::ok);
    // Without the page's version the server says `reload` at once; the next one is a build's.
    assert!(events.any(|line| line == "event: reload"));

    // Kept-alive sockets left idle after one page each.
    let mut idle = Vec::new();
    for _ in 0..IDLE_SOCKETS {
        let mut stream = connect(addr);
        assert_eq!(
            get_on(&mut stream, "/index.html"),
            200,
            "idle socket's page"
        );
        idle.push(stream);
    }
    let (status, took) = fresh_page(addr);
    assert_eq!(status, 200, "with {IDLE_SOCKETS} idle sockets");
    assert!(took < FRESH_BOUND, "{took:?} with idle sockets");

    // Clients that send their head a byte at a time, and clients that send nothing.
    let stop = Arc::new(AtomicBool::new(false));
    let silent: Vec<TcpStream> = (0..SILENT_CLIENTS).map(|_| connect(addr)).collect();
    let slow_clients = {
        let stop = Arc::clone(&stop);
        let mut slow: Vec<TcpStream> = (0..SLOW_CLIENTS).map(|_| connect(addr)).collect();
        std::thread::spawn(move || {
            let head = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: slowly\r\n\r\n";
            for &byte in head.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                // The server may close them: that is what it should do.
                slow.retain_mut(|s| s.write_all(&[byte]).is_ok());
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    let (status, took) = fresh_page(addr);
    assert_eq!(status, 200, "with slow clients");
    assert!(took < FRESH_BOUND, "{took:?} with slow clients");

    // 500 requests at once: 50 threads each connect 10 sockets and send a request on each,
    // then read the answers.
    let threads = 50;
    let barrier = Arc::new(Barrier::new(threads + 1));
    let storm: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let request = b"GET /cases/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                let mut sockets: Vec<Option<TcpStream>> = (0..CONCURRENT / threads)
                    .map(|_| {
                        let mut socket = TcpStream::connect_timeout(&addr, IO).ok()?;
                        socket.set_read_timeout(Some(IO)).ok()?;
                        socket.write_all(request).ok()?;
                        Some(socket)
                    })
                    .collect();
                sockets
                    .iter_mut()
                    .map(|s| {
                        s.as_mut()
                            .and_then(read_response)
                            .map_or(0, |(status, _)| status)
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    barrier.wait();
    let storm_started = Instant::now();
    let (status, took) = fresh_page(addr);
    assert_eq!(status, 200, "during 500 concurrent requests");
    assert!(
        took < FRESH_BOUND,
        "{took:?} during 500 concurrent requests"
    );
    let statuses: Vec<u16> = storm.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let answered = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(
        answered,
        CONCURRENT,
        "every concurrent request answered (others: {:?})",
        statuses.iter().filter(|&&s| s != 200).collect::<Vec<_>>()
    );
    let storm_took = storm_started.elapsed();
    assert!(storm_took < Duration::from_secs(15), "{storm_took:?}");
    stop.store(true, Ordering::Relaxed);
    slow_clients.join().unwrap();
    drop((idle, silent));

    // The event stream opened before all this still tells of the next build.
    let page = site.root().join("content/cases/qinghe.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, text + "\n负载之后的一段。\n").unwrap();
    assert!(
        events.any(|line| line == "event: reload"),
        "the event stream still works"
    );
}
