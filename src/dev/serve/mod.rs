//! Serve: the editors' loop. `shuyuan serve` builds the site, serves it on
//! http://127.0.0.1:1111/, rebuilds whenever a source is saved, and makes open pages
//! reload — or show the build's errors — by themselves.
//!
//! The parts, in the order a save travels through them:
//! - [`watch`] turns file-system events into [`watch::Changes`];
//! - the serve loop (here, on the main thread) runs [`rebuild::Builder`] — a full build
//!   into a private folder, never `public/` — and publishes the outcome as a new
//!   [`Snapshot`];
//! - [`reload`] tells open pages through server-sent events: `reload` after a good
//!   build, `build-error` with an overlay after a bad one;
//! - [`http`] and [`router`] answer requests from whatever snapshot is current.
//!
//! A failed build never replaces a good snapshot: the last good build stays served, with
//! the overlay injected. If the very first build fails, every address shows the errors
//! until a save fixes them. Ctrl-C (or the terminal closing) stops the loop, which stops
//! the watcher and removes the build folders.

mod http;
mod rebuild;
mod reload;
mod router;
mod watch;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use notify_debouncer_full::DebounceEventResult;

use crate::diagnostics::Diagnostics;
use rebuild::{Builder, Built};
use reload::{Broadcaster, Event};
use watch::{Changes, Watcher};

/// What `shuyuan serve` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 lets the system choose a free port; the one chosen is printed.
    pub port: u16,
    pub open: bool,
    pub drafts: bool,
    /// `false` (`--no-watch`): build once and serve the output as it is, without the
    /// reload script — for hosting.
    pub watch: bool,
    /// Poll for changes instead of using the system's notifications.
    pub poll: bool,
}

/// Why the server could not start. Once it runs, nothing stops it but Ctrl-C.
#[derive(Debug)]
pub enum ServeError {
    Root {
        root: PathBuf,
        source: io::Error,
    },
    Bind {
        addr: SocketAddr,
        /// What went wrong, for the advice: a busy port, an address this machine lacks …
        kind: std::io::ErrorKind,
        reason: String,
    },
    BuildFolder(io::Error),
    Thread(io::Error),
    Watch(notify_debouncer_full::notify::Error),
    Signal(ctrlc::Error),
    /// With `--no-watch` there is nothing to serve if the build fails.
    Build(Diagnostics),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Root { root, source } => {
                write!(f, "找不到站点目录 {}：{source}", root.display())
            }
            ServeError::Bind { addr, kind, reason } => {
                let advice = match kind {
                    std::io::ErrorKind::AddrNotAvailable => format!(
                        "这台电脑没有地址 {}：--bind 只能用本机的地址，例如 127.0.0.1（只允许本机访问）或 0.0.0.0（局域网内都能访问）",
                        addr.ip()
                    ),
                    std::io::ErrorKind::PermissionDenied => format!(
                        "端口 {} 需要管理员权限：请用 1024 以上的端口，例如 --port 1111",
                        addr.port()
                    ),
                    _ => "端口可能已被占用，可以用 --port 换一个端口".to_string(),
                };
                write!(f, "无法在 {addr} 上启动预览（{reason}）。{advice}")
            }
            ServeError::BuildFolder(e) => write!(f, "无法创建预览用的临时目录：{e}"),
            ServeError::Thread(e) => write!(f, "无法启动预览所需的线程：{e}"),
            ServeError::Watch(e) => write!(f, "无法监视文件变动：{e}"),
            ServeError::Signal(e) => write!(f, "无法接管 Ctrl-C：{e}"),
            ServeError::Build(d) => write!(f, "构建失败：{} 个错误", d.error_count()),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Root { source, .. } => Some(source),
            ServeError::BuildFolder(e) | ServeError::Thread(e) => Some(e),
            ServeError::Watch(e) => Some(e),
            ServeError::Signal(e) => Some(e),
            ServeError::Bind { .. } | ServeError::Build(_) => None,
        }
    }
}

/// What the server shows right now. Replaced whole after every build, never changed in
/// place, so a request sees one consistent build from start to end.
pub(crate) struct Snapshot {
    /// Output folder of the last good build; `None` until one succeeds.
    output: Option<PathBuf>,
    /// The error overlay, when the latest build failed.
    overlay: Option<String>,
    /// Changes with every build outcome. Pages carry it, so one that missed an event
    /// while it was loading notices when it connects.
    version: String,
    builds: u64,
}

/// State shared by the serve loop and the HTTP workers.
pub(crate) struct Live {
    snapshot: RwLock<Arc<Snapshot>>,
    events: Broadcaster,
    /// Inject the reload script and answer the event stream.
    watching: bool,
    /// Differs between runs, so a page left open across a restart reloads.
    instance: String,
    /// The static index last read for `GET /api/search`, kept while its build is current
    /// (it caches the shards and fragments it has read).
    search: std::sync::Mutex<Option<Arc<crate::search::StaticIndex>>>,
}

impl Live {
    fn new(watching: bool) -> Live {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let instance = format!("{:x}", nanos ^ std::process::id());
        let snapshot = Snapshot {
            output: None,
            overlay: None,
            version: format!("{instance}-0"),
            builds: 0,
        };
        Live {
            snapshot: RwLock::new(Arc::new(snapshot)),
            events: Broadcaster::default(),
            watching,
            instance,
            search: std::sync::Mutex::new(None),
        }
    }

    /// The static index of the current output, read again when the site was re-indexed.
    fn search_index(
        &self,
        output: &std::path::Path,
    ) -> Result<Arc<crate::search::StaticIndex>, crate::search::SearchError> {
        let fresh = crate::search::StaticIndex::open(output)?;
        let mut cached = self.search.lock().unwrap_or_else(|e| e.into_inner());
        match cached.as_ref() {
            Some(index) if index.version() == fresh.version() => Ok(Arc::clone(index)),
            _ => {
                let index = Arc::new(fresh);
                *cached = Some(Arc::clone(&index));
                Ok(index)
            }
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes a build's outcome current, then tells open pages. In that order: a page that
    /// reloads on the event must get the new build.
    fn publish(&self, outcome: &Result<Built, Diagnostics>) {
        let next = {
            let mut current = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
            let builds = current.builds + 1;
            let version = format!("{}-{builds}", self.instance);
            let next = match outcome {
                Ok(built) => Snapshot {
                    output: Some(built.output.clone()),
                    overlay: None,
                    version,
                    builds,
                },
                Err(diagnostics) => Snapshot {
                    output: current.output.clone(),
                    overlay: Some(reload::overlay(diagnostics, current.output.is_some())),
                    version,
                    builds,
                },
            };
            *current = Arc::new(next);
            Arc::clone(&current)
        };
        let event = match outcome {
            Ok(_) => Event::Reload {
                version: &next.version,
            },
            Err(diagnostics) => Event::BuildError {
                version: &next.version,
                errors: diagnostics.error_count(),
                overlay: next.overlay.as_deref().unwrap_or_default(),
            },
        };
        self.events.send(&event);
    }
}

enum Message {
    Changed(DebounceEventResult),
    Stop,
}

/// Runs the server until Ctrl-C.
pub fn run(options: &Options) -> Result<(), ServeError> {
    let root = std::fs::canonicalize(&options.root).map_err(|source| ServeError::Root {
        root: options.root.clone(),
        source,
    })?;
    // Bind first: a port in use is reported before any time goes into building.
    let server = http::bind(SocketAddr::new(options.bind, options.port))?;
    let (sender, messages) = mpsc::channel();
    let stop = sender.clone();
    ctrlc::set_handler(move || {
        let _ = stop.send(Message::Stop);
    })
    .map_err(ServeError::Signal)?;
    // Watch before the first build, so a save made while it runs is not lost.
    let watcher = if options.watch {
        let notify = move |batch| {
            let _ = sender.send(Message::Changed(batch));
        };
        Some(Watcher::start(&root, options.poll, notify).map_err(ServeError::Watch)?)
    } else {
        None
    };

    let mut builder = Builder::new(&root, options.drafts).map_err(ServeError::BuildFolder)?;
    let first = builder.rebuild();
    if !options.watch
        && let Err(diagnostics) = first
    {
        return Err(ServeError::Build(diagnostics));
    }
    print_outcome(&first, "已构建", None);
    let live = Arc::new(Live::new(options.watch));
    live.publish(&first);
    let addr = server.addr;
    let routed = Arc::clone(&live);
    server.spawn(move |request| router::route(request, &routed))?;

    let url = url(addr);
    println!("正在预览：{url}");
    match &watcher {
        Some(w) if w.is_polling() => {
            println!("保存文件后页面会自动刷新（轮询检查文件变动）。按 Ctrl-C 停止。")
        }
        Some(_) => println!("保存文件后页面会自动刷新。按 Ctrl-C 停止。"),
        None => println!("不监视文件变动。按 Ctrl-C 停止。"),
    }
    if options.open {
        open_browser(&url);
    }

    match watcher {
        Some(watcher) => serve_loop(watcher, &mut builder, &live, &messages),
        None => {
            let _ = messages.recv();
        }
    }
    println!("已停止预览。");
    Ok(())
}

/// Rebuilds after each batch of changes until told to stop. Dropping the watcher and the
/// builder on the way out stops the watching and removes the build folders.
fn serve_loop(
    mut watcher: Watcher,
    builder: &mut Builder,
    live: &Live,
    messages: &Receiver<Message>,
) {
    loop {
        // Handouts and search catch up once the editor pauses, not between quick saves.
        let message = if builder.has_pending_work() {
            match messages.recv_timeout(CATCH_UP_AFTER) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    builder.catch_up();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match messages.recv() {
                Ok(message) => message,
                Err(_) => return,
            }
        };
        let Message::Changed(batch) = message else {
            return;
        };
        let mut changes = watcher.changes(batch);
        // Saves that arrived during the last build are taken together: one build covers them.
        for message in messages.try_iter() {
            match message {
                Message::Changed(batch) => changes.merge(watcher.changes(batch)),
                Message::Stop => return,
            }
        }
        if changes.is_empty() {
            continue;
        }
        let changed: Vec<PathBuf> = changes.paths.iter().cloned().collect();
        let outcome = builder.update(&changed, changes.rescan);
        print_outcome(&outcome, "已重新构建", Some(&changes));
        live.publish(&outcome);
    }
}

/// How long the editor must pause before in-place updates' handouts and search catch up.
const CATCH_UP_AFTER: Duration = Duration::from_millis(500);

/// One summary line on stdout; diagnostics in full on stderr, as `shuyuan build` prints them.
fn print_outcome(outcome: &Result<Built, Diagnostics>, verb: &str, changes: Option<&Changes>) {
    let changed = changes
        .map(|c| format!("（{}）", c.describe()))
        .unwrap_or_default();
    match outcome {
        Ok(built) => {
            for diagnostic in built.report.diagnostics.iter() {
                eprintln!("{diagnostic}\n");
            }
            let warnings = match built.report.diagnostics.warning_count() {
                0 => String::new(),
                n => format!("，{n} 个警告"),
            };
            if built.in_place {
                // The warnings of the pages saved; the site's others stand as reported.
                println!(
                    "已局部更新：{} 个文件，用时 {} 毫秒{warnings}{changed}",
                    built.report.files,
                    built.report.elapsed.as_millis()
                );
            } else {
                println!(
                    "{verb}：{} 个页面，用时 {} 毫秒{warnings}{changed}",
                    built.report.pages,
                    built.report.elapsed.as_millis()
                );
            }
        }
        Err(diagnostics) => {
            for diagnostic in diagnostics.iter() {
                eprintln!("{diagnostic}\n");
            }
            // Where the errors are, then what was saved: a page saved may break another (an
            // anchor another page links to), and the saved file alone read as the culprit.
            let mut files: Vec<&Path> = Vec::new();
            for d in diagnostics.iter().filter(|d| d.is_error()) {
                if !files.contains(&d.path.as_path()) {
                    files.push(&d.path);
                }
            }
            let at = match files.as_slice() {
                [] => String::new(),
                [one] => format!("，在 {}", one.display()),
                [first, ..] => format!("，在 {} 等 {} 个文件", first.display(), files.len()),
            };
            let saved = changes
                .map(|c| format!("（刚保存：{}）", c.describe()))
                .unwrap_or_default();
            println!(
                "构建失败：{} 个错误{at}{saved}；详情见上方，浏览器中也会显示",
                diagnostics.error_count()
            );
        }
    }
}

/// The address to open: a server listening on every interface is still reached locally.
fn url(addr: SocketAddr) -> String {
    let shown = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    format!("http://{shown}/")
}

/// Opens the page in the default browser. Failing is fine: the address is printed.
fn open_browser(url: &str) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Ok(mut child) = command.spawn() {
        // Reap it when it exits, so it does not linger as a zombie while we serve.
        std::thread::spawn(move || child.wait());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn urls_name_a_reachable_host() {
        assert_eq!(
            url("127.0.0.1:1111".parse().unwrap()),
            "http://127.0.0.1:1111/"
        );
        assert_eq!(
            url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(url("[::]:80".parse().unwrap()), "http://[::1]:80/");
        assert_eq!(url("[::1]:1111".parse().unwrap()), "http://[::1]:1111/");
    }

    #[test]
    fn a_failed_build_keeps_the_last_good_output_and_bumps_the_version() {
        let live = Live::new(true);
        let stream = live.events.subscribe();
        let mut broken = Diagnostics::default();
        broken.push(crate::diagnostics::Diagnostic::error(
            crate::diagnostics::Code::FrontMatterSyntax,
            "content/a.md",
            "坏了",
        ));
        let good = || {
            Ok(Built {
                output: PathBuf::from("/builds/1"),
                report: crate::build::BuildReport {
                    pages: 1,
                    files: 1,
                    written: 1,
                    elapsed: std::time::Duration::ZERO,
                    diagnostics: Diagnostics::default(),
                },
                in_place: false,
            })
        };

        live.publish(&Err(broken.clone()));
        let first = live.snapshot();
        assert!(first.output.is_none(), "nothing good to serve yet");
        assert!(first.overlay.as_deref().is_some_and(|o| o.contains("坏了")));
        assert!(stream.recv().unwrap().starts_with("event: build-error\n"));

        live.publish(&good());
        let second = live.snapshot();
        assert_eq!(second.output.as_deref(), Some(Path::new("/builds/1")));
        assert!(second.overlay.is_none());
        assert!(stream.recv().unwrap().starts_with("event: reload\n"));

        live.publish(&Err(broken));
        let third = live.snapshot();
        assert_eq!(
            third.output, second.output,
            "the last good build stays served"
        );
        assert!(
            third
                .overlay
                .as_deref()
                .is_some_and(|o| o.contains("上次成功构建"))
        );
        let versions = [&first.version, &second.version, &third.version];
        assert!(versions[0] != versions[1] && versions[1] != versions[2]);
    }
}
