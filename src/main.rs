//! The `shuyuan` command: parses arguments, runs the library, prints diagnostics and
//! chooses the exit code (0 success, 1 content errors, 2 usage errors).

use std::io::IsTerminal;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use shuyuan::build::{BuildOptions, build};
use shuyuan::config::{Config, SiteFolder};
use shuyuan::diagnostics::Diagnostics;
use shuyuan::output::lock::SiteLock;
use shuyuan::schema::Kind;

/// glibc's allocator spent over a quarter of a 10,000-page build in malloc and free across
/// rayon's threads; mimalloc's per-thread heaps remove most of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli_chinese;

#[derive(Parser)]
#[command(
    name = "shuyuan",
    version,
    about = "书院：把 Markdown 培训资料库构建成可离线使用的静态网站"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 构建站点（默认输出到 public/）
    Build {
        /// 站点根目录（含 site.toml 与 content/）
        #[arg(long, default_value = ".", value_name = "目录")]
        root: PathBuf,
        /// 输出目录（默认为根目录下的 public/）
        #[arg(long, value_name = "目录")]
        output: Option<PathBuf>,
        /// 同时构建草稿（draft: true）
        #[arg(long)]
        drafts: bool,
        /// 构建后在浏览器中打开首页
        #[arg(long)]
        open: bool,
        /// 显示每个阶段的开始时间与内存用量（排查大型站点构建慢或占内存多时用）
        #[arg(long)]
        timings: bool,
    },
    /// 检查全部内容与配置，不写任何文件
    Check {
        /// 站点根目录（含 site.toml 与 content/）
        #[arg(long, default_value = ".", value_name = "目录")]
        root: PathBuf,
        /// 同时检查草稿（draft: true）
        #[arg(long)]
        drafts: bool,
    },
    /// 构建站点并打包成一个 zip，便于拷到U盘或共享目录离线使用
    Pack {
        /// 站点根目录（含 site.toml 与 content/）
        #[arg(long, default_value = ".", value_name = "目录")]
        root: PathBuf,
        /// zip 文件路径（默认为根目录下的“站点标题.zip”）
        #[arg(long, value_name = "文件")]
        output: Option<PathBuf>,
    },
    /// 新建一个页面，按类型预填前置元数据
    New {
        /// 类型：case（案例）、guide（操作指南）、policy（政策摘编）
        #[arg(value_name = "类型")]
        kind: KindArg,
        /// 相对 content/ 的路径，如 cases/xin-anli.md
        #[arg(value_name = "路径")]
        path: PathBuf,
        /// 标题（默认取文件名）
        #[arg(long, value_name = "标题")]
        title: Option<String>,
        /// 站点根目录（含 site.toml 与 content/）
        #[arg(long, default_value = ".", value_name = "目录")]
        root: PathBuf,
    },
    /// 在已构建站点的全文索引中搜索（与网站搜索页的结果和排序相同）
    Search {
        /// 查询词：空格分隔多个词，用 "…" 表示精确短语
        #[arg(value_name = "查询词")]
        query: String,
        /// 只看某一类型：case、guide、policy
        #[arg(long, value_name = "类型")]
        kind: Option<KindArg>,
        /// 只看带有该标签的页面
        #[arg(long, value_name = "标签")]
        tag: Option<String>,
        /// 最多显示的结果数
        #[arg(long, default_value_t = 10, value_name = "条数")]
        limit: usize,
        /// 以 JSON 输出
        #[arg(long)]
        json: bool,
        /// 站点根目录（含 site.toml 与 content/）
        #[arg(long, default_value = ".", value_name = "目录")]
        root: PathBuf,
        /// 已构建站点的目录（默认为根目录下的 public/）
        #[arg(long, value_name = "目录")]
        output: Option<PathBuf>,
    },
    /// 新建一个站点（含示例内容与默认主题）
    Init {
        /// 新站点所在目录
        #[arg(value_name = "目录")]
        dir: PathBuf,
    },
    /// 本地预览：构建后在浏览器中查看，保存文件后页面自动刷新
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// 站点根目录（含 site.toml 与 content/）
    #[arg(long, default_value = ".", value_name = "目录")]
    root: PathBuf,
    /// 监听地址（127.0.0.1 只允许本机访问）
    #[arg(long, default_value = "127.0.0.1", value_name = "地址")]
    bind: std::net::IpAddr,
    /// 端口（0 表示由系统挑一个空闲端口）
    #[arg(long, default_value_t = 1111, value_name = "端口")]
    port: u16,
    /// 启动后用默认浏览器打开
    #[arg(long)]
    open: bool,
    /// 同时预览草稿（draft: true）
    #[arg(long)]
    drafts: bool,
    /// 不监视文件变动，原样提供构建结果（用于托管）
    #[arg(long)]
    no_watch: bool,
    /// 定时检查文件变动，代替系统通知（网络盘等场合）
    #[arg(long)]
    poll: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Case,
    Guide,
    Policy,
}

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Kind {
        match kind {
            KindArg::Case => Kind::Case,
            KindArg::Guide => Kind::Guide,
            KindArg::Policy => Kind::Policy,
        }
    }
}

fn main() -> ExitCode {
    // The caches are keyed by this binary as it was when started: a preview left running
    // while shuyuan is upgraded must not write caches under the new binary's name.
    let _ = shuyuan::cache::this_program();
    let cli = cli_chinese::localize(Cli::command())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|e| e.apply::<cli_chinese::ChineseErrors>().exit());
    match cli.command {
        Command::Build {
            root,
            output,
            drafts,
            open,
            timings,
        } => {
            if let Err(code) = check_site_folder(&root) {
                return code;
            }
            let mut options = BuildOptions::new(&root);
            if let Some(output) = output {
                options.output = output;
            }
            options.include_drafts = drafts;
            let code = run_build(&options, timings);
            if open && code == ExitCode::SUCCESS {
                open_in_browser(&options.output.join("index.html"));
            }
            code
        }
        Command::Check { root, drafts } => {
            if let Err(code) = check_site_folder(&root) {
                return code;
            }
            let mut options = BuildOptions::new(&root);
            options.include_drafts = drafts;
            options.write = false;
            run_build(&options, false)
        }
        Command::Pack { root, output } => match check_site_folder(&root) {
            Ok(()) => run_pack(&root, output.as_deref()),
            Err(code) => code,
        },
        Command::New {
            kind,
            path,
            title,
            root,
        } => {
            if let Err(code) = check_site_folder(&root) {
                return code;
            }
            let config = match Config::load(&root) {
                Ok(config) => config,
                Err(diagnostics) => return report_failure(&diagnostics),
            };
            match shuyuan::scaffold::new_page(&root, &config, kind.into(), &path, title.as_deref())
            {
                Ok(created) => {
                    println!("已创建 {}", created.path.display());
                    if created.draft {
                        println!(
                            "这是草稿：请填写标着“必填”的字段，再删去 `draft: true` 一行；`shuyuan check --drafts` 会指出还没填写的字段"
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("错误：{e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Search {
            query,
            kind,
            tag,
            limit,
            json,
            root,
            output,
        } => {
            let output =
                output.unwrap_or_else(|| root.join(shuyuan::output::write::DEFAULT_OUTPUT));
            run_search(&output, query, kind, tag, limit, json)
        }
        Command::Init { dir } => match shuyuan::scaffold::init_site(&dir) {
            Ok(count) => {
                println!(
                    "已在 {} 创建新站点（{count} 个文件）。接下来：",
                    dir.display()
                );
                println!("  cd {} && shuyuan build", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("错误：{e}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => run_serve(args),
    }
}

/// A folder that is no site is refused in one line (most likely the command was run in the
/// wrong folder); a folder of Markdown without `site.toml` builds with the defaults, which
/// one line says.
fn check_site_folder(root: &Path) -> Result<(), ExitCode> {
    let shown = if root == Path::new(".") {
        "当前文件夹".to_string()
    } else {
        format!("文件夹 {} ", display(root))
    };
    match SiteFolder::of(root) {
        SiteFolder::Configured => Ok(()),
        SiteFolder::ContentOnly => {
            eprintln!(
                "提示：{shown}没有 site.toml，使用默认设置（站点标题“{}”）；要改标题等设置，请新建 site.toml",
                shuyuan::config::DEFAULT_TITLE
            );
            Ok(())
        }
        SiteFolder::NotASite => {
            eprintln!(
                "错误：{shown}不是书院站点（既没有 site.toml，也没有 content/ 文件夹）：请进入站点文件夹再运行，或用 --root 指定站点文件夹；新建站点请用 shuyuan init 目录"
            );
            Err(ExitCode::from(2))
        }
    }
}

fn run_serve(args: ServeArgs) -> ExitCode {
    if let Err(code) = check_site_folder(&args.root) {
        return code;
    }
    let _lock = match lock_site(&args.root, "serve") {
        Ok(lock) => lock,
        Err(code) => return code,
    };
    let options = shuyuan::dev::serve::Options {
        root: args.root,
        bind: args.bind,
        port: args.port,
        open: args.open,
        drafts: args.drafts,
        watch: !args.no_watch,
        poll: args.poll,
    };
    match shuyuan::dev::serve::run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(shuyuan::dev::serve::ServeError::Build(diagnostics)) => report_failure(&diagnostics),
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::from(1)
        }
    }
}

/// Names each stage on stderr while a person is watching; with `timings`, always, with the
/// time since the start and the memory in use (for finding what makes a large site slow).
fn progress(timings: bool) -> impl Fn(&str) + Sync {
    let show = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    move |stage: &str| {
        if timings {
            eprintln!(
                "  {:>7.2} s  {stage}{}",
                started.elapsed().as_secs_f64(),
                memory_in_use()
            );
        } else if show {
            eprintln!("  · {stage}…");
        }
    }
}

/// `（处理器 C s，内存 N MB，峰值 M MB）` where the system tells (Linux), else nothing: the CPU
/// time so far (user + system, all threads) shows which stages keep both cores busy.
fn memory_in_use() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the parenthesised command name; utime and stime are the 12th and
            // 13th of them, in clock ticks (100 per second on Linux).
            let rest = stat.rsplit_once(')')?.1;
            let mut fields = rest.split_whitespace().skip(11);
            let user: u64 = fields.next()?.parse().ok()?;
            let system: u64 = fields.next()?.parse().ok()?;
            Some(format!("处理器 {:.2} s，", (user + system) as f64 / 100.0))
        })
        .unwrap_or_default();
    let megabytes = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    match (megabytes("VmRSS:"), megabytes("VmHWM:")) {
        (Some(now), Some(peak)) => format!("（{cpu}内存 {now} MB，峰值 {peak} MB）"),
        _ => String::new(),
    }
}

/// Takes the site's lock for `command` (see `shuyuan::output::lock`) and prints its notes; a folder
/// that is no site (no `site.toml`) gets none, and its build fails on the missing file.
fn lock_site(root: &Path, command: &str) -> Result<Option<SiteLock>, ExitCode> {
    // A folder that is no site gets no `.shuyuan/` made in it (a mistyped --root).
    if matches!(SiteFolder::of(root), SiteFolder::NotASite) {
        return Ok(None);
    }
    match SiteLock::acquire(root, command) {
        Ok((lock, notes)) => {
            print_notes(&notes);
            Ok(Some(lock))
        }
        Err(e) => {
            eprintln!("错误：{e}");
            Err(ExitCode::from(1))
        }
    }
}

/// For `build` and `pack`: clears what killed runs left beside `target`, and on Ctrl-C or
/// SIGTERM removes what this run has made so far before it ends.
fn guard_target(lock: Option<&SiteLock>, target: &Path) {
    let Some(lock) = lock else {
        return;
    };
    print_notes(&lock.clear_beside(target));
    if let Err(e) = lock.release_on_interrupt(vec![target.to_path_buf()]) {
        eprintln!("提示：无法接管 Ctrl-C（{e}），中断时临时文件要等下次运行才清理");
    }
}

fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("提示：{note}");
    }
}

fn run_build(options: &BuildOptions, timings: bool) -> ExitCode {
    let lock = if options.write {
        match lock_site(&options.root, "build") {
            Ok(lock) => lock,
            Err(code) => return code,
        }
    } else {
        None
    };
    guard_target(lock.as_ref(), &options.output);
    let progress = progress(timings);
    let result = build(options, &progress);
    if timings {
        progress("结束");
    }
    match result {
        Ok(report) => {
            print_diagnostics(&report.diagnostics);
            let action = if options.write {
                "构建完成"
            } else {
                "检查通过"
            };
            let written = if !options.write {
                String::new()
            } else if report.written < report.files {
                // An in-place rebuild: what it wrote is what an editor wants to know.
                format!(
                    "，{} 个文件在 {}（更新了其中 {} 个）",
                    report.files,
                    display(&options.output),
                    report.written
                )
            } else {
                format!("，{} 个文件写入 {}", report.files, display(&options.output))
            };
            println!(
                "{action}：{} 个页面{written}，用时 {} 毫秒，{} 个警告",
                report.pages,
                report.elapsed.as_millis(),
                report.diagnostics.warning_count()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => report_failure(&diagnostics),
    }
}

fn run_pack(root: &Path, output: Option<&Path>) -> ExitCode {
    let lock = match lock_site(root, "pack") {
        Ok(lock) => lock,
        Err(code) => return code,
    };
    let zip = match output {
        Some(zip) => shuyuan::pack::with_zip_extension(zip),
        None => match Config::load(root) {
            Ok(config) => shuyuan::pack::default_zip(root, &config),
            Err(diagnostics) => return report_failure(&diagnostics),
        },
    };
    guard_target(lock.as_ref(), &zip);
    match shuyuan::pack::pack(root, Some(&zip), &progress(false)) {
        Ok(report) => {
            print_diagnostics(&report.build.diagnostics);
            println!(
                "打包完成：{}（{} 个页面，{} 个文件，{:.1} MB），解压后是文件夹“{}”，双击其中的“{}”即可离线使用",
                display(&report.zip),
                report.build.pages,
                report.files,
                report.bytes as f64 / 1_048_576.0,
                report.folder,
                shuyuan::pack::SHORTCUT_NAME
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => report_failure(&diagnostics),
    }
}

fn run_search(
    output: &Path,
    text: String,
    kind: Option<KindArg>,
    tag: Option<String>,
    limit: usize,
    json: bool,
) -> ExitCode {
    if limit == 0 {
        eprintln!("错误：--limit 表示最多显示几条结果，至少为 1");
        return ExitCode::from(2);
    }
    let query = shuyuan::search::SearchQuery {
        text,
        kind: kind.map(|k| Kind::from(k).as_str().to_string()),
        tag,
        limit,
        ..Default::default()
    };
    match shuyuan::search::search(output, &query) {
        Ok(found) if json => match serde_json::to_string_pretty(&found.hits) {
            Ok(text) => {
                if found.relaxed {
                    eprintln!("{}", shuyuan::search::RELAXED_NOTE);
                }
                // A reader piping into `head` closes the pipe early: that is no error.
                let _ = writeln!(std::io::stdout().lock(), "{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("错误：{e}");
                ExitCode::from(1)
            }
        },
        Ok(found) => {
            let color = std::io::stdout().is_terminal();
            let mut out = std::io::stdout().lock();
            if found.relaxed {
                let _ = writeln!(out, "{}", shuyuan::search::RELAXED_NOTE);
            }
            let _ = shuyuan::search::print_hits(&mut out, &found.hits, color);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::from(1)
        }
    }
}

fn report_failure(diagnostics: &Diagnostics) -> ExitCode {
    print_diagnostics(diagnostics);
    let partly = diagnostics
        .iter()
        .any(|d| d.code == shuyuan::diagnostics::Code::OutputPartlyUpdated);
    eprintln!(
        "失败：{} 个错误，{} 个警告；{}",
        diagnostics.error_count(),
        diagnostics.warning_count(),
        if partly {
            "输出目录只更新了一部分，请解决上面的问题后重新构建"
        } else {
            "未写入任何文件，原有输出保持不变"
        }
    );
    ExitCode::from(1)
}

fn print_diagnostics(diagnostics: &Diagnostics) {
    for diagnostic in diagnostics.iter() {
        eprintln!("{diagnostic}\n");
    }
}

/// Best effort: a missing opener must not turn a good build into a failure.
fn open_in_browser(path: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener)
        .arg(path)
        .spawn()
        .is_err()
    {
        eprintln!("请用浏览器打开 {}", path.display());
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
