//! Pack: `shuyuan pack` builds the site into a work folder of its own and writes it as a
//! zip for distribution on USB sticks and shared drives — one top-level folder named after
//! the site, holding only three entries a reader can tell apart: the shortcut page
//! `打开知识库.html`, the short `使用说明.txt` on opening it offline, and the site itself in
//! `站点文件/` (its many English-named files and folders kept out of the reader's first view).
//!
//! Entry names are UTF-8 with the language-encoding flag set (the zip crate sets it for
//! every non-ASCII name), so Chinese file names survive Windows' built-in unzip. The zip is
//! written beside its destination as `.<name>.staging-<pid>` and renamed into place, so a
//! failed pack leaves an earlier zip as it was, as a failed build leaves `public/`. The
//! caller holds the site lock (see [`crate::output::lock`]), which also clears what a killed pack
//! left: its work folder under `.shuyuan/tmp/` and a half-written zip.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::build::{BuildOptions, BuildReport, Progress, build};
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::names::file_safe;

pub const README_NAME: &str = "使用说明.txt";
/// The page at the top of the pack that opens the site's home page.
pub const SHORTCUT_NAME: &str = "打开知识库.html";
/// The subfolder holding the built site.
pub const SITE_FOLDER: &str = "站点文件";

/// The zip comment of every pack: an existing file is replaced only if it ends with it, so a
/// mistyped `--output` cannot turn someone's document into a zip.
const PACK_COMMENT: &str = "shuyuan pack";

#[derive(Debug)]
pub struct PackReport {
    pub build: BuildReport,
    pub zip: PathBuf,
    /// The top-level folder inside the zip.
    pub folder: String,
    /// Files in the zip, the shortcut page and the usage notes included.
    pub files: usize,
    pub bytes: u64,
}

/// The folder inside the zip, and the zip's default name: the site's title, made safe
/// for file names on every system — no leading or trailing dots and spaces, no Windows
/// device name (`CON` → `CON_`, `Con.培训` → `Con_.培训`), and at most [`MAX_FOLDER_BYTES`].
pub fn folder_name(config: &Config) -> String {
    let name = file_safe(config.title.trim());
    let name = name.trim_matches(['.', ' ']);
    let mut cut = name.len().min(MAX_FOLDER_BYTES);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut name = name[..cut].trim_end_matches(['.', ' ']).to_string();
    if name.is_empty() {
        name = "site".to_string();
    }
    crate::names::avoid_device(&mut name);
    name
}

/// Where `pack` writes for the site at `root` when not told: `<root>/<site title>.zip`.
pub fn default_zip(root: &Path, config: &Config) -> PathBuf {
    root.join(format!("{}.zip", folder_name(config)))
}

/// The longest folder name a pack gets: room for the zip's `.zip` and the staging name
/// `.<name>.zip.staging-<pid>` within the 255 bytes of a file name.
const MAX_FOLDER_BYTES: usize = 224;

/// `path` with `.zip` added when its name has no extension and nothing is there, since
/// Windows opens a file by its extension: `--output 培训资料` writes `培训资料.zip`, as `new`
/// adds `.md`. Any other name is taken as written, so that a mistyped `site.toml`, an
/// editor's document or a folder is refused, not written beside.
pub fn with_zip_extension(path: &Path) -> PathBuf {
    let named = path.file_name().is_some() && path.extension().is_none();
    if !named || fs::symlink_metadata(path).is_ok() {
        return path.to_path_buf();
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".zip");
    path.with_file_name(name)
}

/// Builds the site under `root` and zips it to `zip` (default `<root>/<site title>.zip`;
/// `.zip` added to a name without it).
pub fn pack(
    root: &Path,
    zip: Option<&Path>,
    progress: Progress,
) -> Result<PackReport, Diagnostics> {
    let config = Config::load(root)?;
    let folder = folder_name(&config);
    let zip = zip.map_or_else(|| default_zip(root, &config), with_zip_extension);
    check_destination(root, &config.theme_dir(), &zip).map_err(one)?;
    let scratch = crate::output::lock::work_folder(root, "pack");
    // Marked as ours, like every folder we create, so that only ours is ever deleted.
    fs::create_dir_all(&scratch)
        .and_then(|()| {
            fs::write(
                scratch.join(crate::output::write::MARKER),
                b"shuyuan pack\n",
            )
        })
        .map_err(|e| {
            one(Diagnostic::error(
                Code::Io,
                &scratch,
                format!("创建临时目录失败：{e}"),
            ))
        })?;
    let mut options = BuildOptions::new(root);
    options.output = scratch.join("site");
    let result = build(&options, progress).and_then(|build| {
        progress("打包");
        let (files, bytes) = write_zip(&options.output, &zip, &folder, &build).map_err(|e| {
            one(Diagnostic::error(
                Code::Io,
                &zip,
                format!("写入压缩包失败：{e}"),
            ))
        })?;
        Ok(PackReport {
            build,
            zip: zip.clone(),
            folder: folder.clone(),
            files,
            bytes,
        })
    });
    let _ = crate::output::write::remove_owned_dir(&scratch);
    result
}

/// Refuses a zip destination in the site's sources (`content/`, the theme, `templates/`,
/// `static/`, `site.toml`), in what a build replaces (`public/`, `.shuyuan/`), and any
/// existing file or folder that is not an earlier pack.
fn check_destination(root: &Path, theme_dir: &Path, zip: &Path) -> Result<(), Diagnostic> {
    use crate::output::write::{DEFAULT_OUTPUT, STATE_DIR};
    let refuse = |message: &str| Err(Diagnostic::error(Code::UnsafeOutput, zip, message));
    let target = crate::output::write::canonical(zip);
    // The next build replaces public/ whole and clears .shuyuan/: a zip there would be lost
    // without a word.
    if [DEFAULT_OUTPUT, STATE_DIR]
        .iter()
        .any(|name| target.starts_with(crate::output::write::canonical(&root.join(name))))
    {
        return refuse(
            "压缩包不能写到 public/ 或 .shuyuan/ 之中：下一次构建会整个替换 public/、清理 .shuyuan/，压缩包会随之消失。\
             请换一个位置，例如 --output 培训资料.zip",
        );
    }
    let in_sources = crate::output::write::protected_paths(root, theme_dir)
        .iter()
        .any(|protected| target.starts_with(protected));
    if in_sources || crate::output::write::canonical(root).starts_with(&target) {
        return refuse(
            "压缩包不能写到 content/、themes/（主题）、templates/、static/ 之中，也不能是 site.toml 或站点目录本身：那里是站点的源文件。\
             请换一个位置，例如 --output 培训资料.zip",
        );
    }
    let Ok(metadata) = fs::symlink_metadata(zip) else {
        return Ok(());
    };
    if !metadata.is_file() || !is_earlier_pack(zip) {
        return refuse(
            "这个位置已有一个不是书院打包生成的文件或文件夹，打包不会覆盖它，什么也没有改动。请换一个文件名，或先自行移走它",
        );
    }
    Ok(())
}

/// Whether the file at `path` is a zip this command wrote: its last bytes, the zip comment,
/// are [`PACK_COMMENT`].
fn is_earlier_pack(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let tail = PACK_COMMENT.len() as u64;
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut end = vec![0; PACK_COMMENT.len()];
    file.seek(SeekFrom::End(-(tail as i64))).is_ok()
        && file.read_exact(&mut end).is_ok()
        && end == PACK_COMMENT.as_bytes()
}

fn one(diagnostic: Diagnostic) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(diagnostic);
    diagnostics
}

/// Already compressed: deflating them again costs time and saves nothing.
fn stored(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "png"
                | "jpg"
                | "jpeg"
                | "gif"
                | "webp"
                | "avif"
                | "zip"
                | "gz"
                | "7z"
                | "rar"
                | "mp3"
                | "mp4"
                | "woff"
                | "woff2"
                | "docx"
                | "xlsx"
                | "pptx"
        )
    })
}

fn write_zip(
    site: &Path,
    zip: &Path,
    folder: &str,
    build: &BuildReport,
) -> io::Result<(usize, u64)> {
    let _writing = crate::output::write::writing();
    if let Some(parent) = zip.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let partial = zip.with_file_name(format!(
        ".{}.staging-{}",
        zip.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let written = write_entries(site, &partial, folder, build);
    match written {
        Ok(files) => {
            fs::rename(&partial, zip)?;
            Ok((files, fs::metadata(zip)?.len()))
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_entries(site: &Path, to: &Path, folder: &str, build: &BuildReport) -> io::Result<usize> {
    let now = now();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(now.1);
    let mut writer = ZipWriter::new(BufWriter::new(File::create(to)?));
    writer.add_directory(format!("{folder}/"), options.unix_permissions(0o755))?;
    writer.add_directory(
        format!("{folder}/{SITE_FOLDER}/"),
        options.unix_permissions(0o755),
    )?;
    let mut files = 0;
    for entry in walkdir::WalkDir::new(site).sort_by_file_name().min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let rel = crate::source::load::relative_slash_path(site, entry.path());
        if rel.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        let name = format!("{folder}/{SITE_FOLDER}/{rel}");
        if entry.file_type().is_dir() {
            writer.add_directory(format!("{name}/"), options.unix_permissions(0o755))?;
        } else {
            let method = if stored(entry.path()) {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            writer.start_file(
                name,
                options.compression_method(method).unix_permissions(0o644),
            )?;
            io::copy(&mut File::open(entry.path())?, &mut writer)?;
            files += 1;
        }
    }
    writer.start_file(
        format!("{folder}/{README_NAME}"),
        options.unix_permissions(0o644),
    )?;
    writer.write_all(&readme(folder, &now.0, build))?;
    writer.start_file(
        format!("{folder}/{SHORTCUT_NAME}"),
        options.unix_permissions(0o644),
    )?;
    writer.write_all(shortcut(folder).as_bytes())?;
    writer.set_comment(PACK_COMMENT)?;
    writer.finish()?.flush()?;
    Ok(files + 2)
}

/// The current local time as a date for people and as a zip timestamp (a zip stores no
/// time zone; unzip tools show its times as local time).
fn now() -> (String, DateTime) {
    use chrono::Timelike;
    let now = chrono::Local::now().naive_local();
    let date = crate::schema::Date::of(now.date());
    let stamp = DateTime::from_date_and_time(
        date.year,
        date.month,
        date.day,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .unwrap_or_default();
    (date.to_string(), stamp)
}

/// The shortcut page: sends the browser on to the site's home page at once (a meta refresh
/// works from file:// in every browser, with no script), and shows a link in case it does not.
fn shortcut(folder: &str) -> String {
    let href = format!("{SITE_FOLDER}/index.html");
    let title = crate::html::escape(folder);
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>打开《{title}》</title><meta http-equiv=\"refresh\" content=\"0; url={href}\"></head>\
         <body style=\"font-size:1.25rem;line-height:1.8;margin:3rem auto;max-width:36rem;padding:0 1rem\">\
         <p>正在打开《{title}》……</p><p>如果没有自动打开，请点击：<a href=\"{href}\">进入《{title}》首页</a></p>\
         </body></html>\n"
    )
}

/// The usage notes, for Windows Notepad first: UTF-8 with a byte-order mark, CRLF lines.
fn readme(folder: &str, date: &str, build: &BuildReport) -> Vec<u8> {
    let text = format!(
        "《{folder}》离线使用说明

一、打开方法
1. 先把压缩包完整解压（Windows：右键压缩包，选“全部解压缩”）。不要在压缩软件里直接双击网页，那样页面之间的链接和搜索无法使用。
2. 打开解压出的“{folder}”文件夹，双击其中的“{SHORTCUT_NAME}”，浏览器就会打开首页。网站的全部文件在“{SITE_FOLDER}”文件夹里，其中的 index.html 也是首页。
3. 整个文件夹可以拷到U盘、移动硬盘或共享目录，在任何电脑上双击“{SHORTCUT_NAME}”使用；移动或拷贝时请保持文件夹完整。

二、不需要联网
浏览、搜索、学习路径和术语解释都在本文件夹内完成，不需要联网，也不会访问任何外部网站。
· 搜索：在页首搜索框输入关键词，或在任意页面按 / 键。
· 学习路径：在“学习路径”中按顺序学习，勾选“已学完”后，进度保存在本机浏览器中；换一台电脑或换一个浏览器需要重新勾选。
· 打印讲义：每个栏目和每条学习路径都有“打印讲义”，可以直接打印，或在打印对话框中选择“另存为 PDF”。

三、推荐浏览器
新版的 Chrome、Edge、Firefox、Safari，或国产浏览器的极速模式（如 360 安全浏览器、奇安信可信浏览器）。不支持 IE 浏览器和兼容模式。

四、放到单位内网
把“{SITE_FOLDER}”文件夹整体复制到内网网站的任意目录下即可访问，不需要数据库或其他服务端程序。

本资料包生成于 {date}，共 {pages} 个页面。
",
        pages = build.pages,
    );
    let mut bytes = Vec::with_capacity(text.len() + 64);
    bytes.extend_from_slice(b"\xEF\xBB\xBF");
    bytes.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    bytes
}
