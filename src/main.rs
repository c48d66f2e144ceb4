//! The `shuyuan` command: parses arguments, runs the library, prints diagnostics and
//! chooses the exit code (0 success, 1 content errors, 2 usage errors).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use shuyuan::build::{BuildOptions, build};
use shuyuan::config::Config;
use shuyuan::diagnostics::Diagnostics;
use shuyuan::schema::Kind;

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
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// 输出目录（默认为根目录下的 public/）
        #[arg(long)]
        output: Option<PathBuf>,
        /// 同时构建草稿（draft: true）
        #[arg(long)]
        drafts: bool,
        /// 构建后在浏览器中打开首页
        #[arg(long)]
        open: bool,
    },
    /// 检查全部内容与配置，不写任何文件
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long)]
        drafts: bool,
    },
    /// 构建站点并打包成一个 zip，便于拷到U盘或共享目录离线使用
    Pack {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// zip 文件路径（默认为根目录下的“站点标题.zip”）
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// 新建一个页面，按类型预填前置元数据
    New {
        /// 类型：case（案例）、guide（操作指南）、policy（政策摘编）
        kind: KindArg,
        /// 相对 content/ 的路径，如 cases/xin-anli.md
        path: PathBuf,
        /// 标题（默认取文件名）
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// 新建一个站点（含示例内容与默认主题）
    Init {
        /// 新站点所在目录
        dir: PathBuf,
    },
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
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            root,
            output,
            drafts,
            open,
        } => {
            let mut options = BuildOptions::new(&root);
            if let Some(output) = output {
                options.output = output;
            }
            options.include_drafts = drafts;
            let code = run_build(&options);
            if open && code == ExitCode::SUCCESS {
                open_in_browser(&options.output.join("index.html"));
            }
            code
        }
        Command::Check { root, drafts } => {
            let mut options = BuildOptions::new(&root);
            options.include_drafts = drafts;
            options.write = false;
            run_build(&options)
        }
        Command::Pack { root, output } => run_pack(&root, output.as_deref()),
        Command::New {
            kind,
            path,
            title,
            root,
        } => {
            let config = match Config::load(&root) {
                Ok(config) => config,
                Err(diagnostics) => return report_failure(&diagnostics),
            };
            match shuyuan::scaffold::new_page(&root, &config, kind.into(), &path, title.as_deref())
            {
                Ok(path) => {
                    println!("已创建 {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("错误：{e}");
                    ExitCode::from(1)
                }
            }
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
    }
}

/// Names each stage on stderr while a person is watching.
fn progress() -> impl Fn(&str) + Sync {
    let show = std::io::stderr().is_terminal();
    move |stage: &str| {
        if show {
            eprintln!("  · {stage}…");
        }
    }
}

fn run_build(options: &BuildOptions) -> ExitCode {
    match build(options, &progress()) {
        Ok(report) => {
            print_diagnostics(&report.diagnostics);
            let action = if options.write {
                "构建完成"
            } else {
                "检查通过"
            };
            let written = if options.write {
                format!("，{} 个文件写入 {}", report.files, display(&options.output))
            } else {
                String::new()
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
    match shuyuan::pack::pack(root, output, &progress()) {
        Ok(report) => {
            print_diagnostics(&report.build.diagnostics);
            println!(
                "打包完成：{}（{} 个页面，{} 个文件，{:.1} MB），解压后是文件夹“{}”，双击其中的 index.html 即可离线使用",
                display(&report.zip),
                report.build.pages,
                report.files,
                report.bytes as f64 / 1_048_576.0,
                report.folder
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => report_failure(&diagnostics),
    }
}

fn report_failure(diagnostics: &Diagnostics) -> ExitCode {
    print_diagnostics(diagnostics);
    eprintln!(
        "失败：{} 个错误，{} 个警告；未写入任何文件，原有输出保持不变",
        diagnostics.error_count(),
        diagnostics.warning_count()
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
