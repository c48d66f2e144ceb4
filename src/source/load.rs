//! Load: walks `content/` and reads every file once.
//!
//! Markdown files come back as text (UTF-8, BOM removed, CRLF turned into LF); every
//! other file is an asset to copy. Problems that stop a file from being read at all —
//! another encoding such as GBK, a file too large to be a page, a symlink loop — become
//! diagnostics here, and the walk goes on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};

/// Markdown files above this size are almost certainly a mistake (an exported database,
/// a pasted log) and would make every later stage slow for all pages.
pub const MAX_MARKDOWN_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct SourceFile {
    /// Relative to `content/`, with `/` separators on every platform.
    pub rel: String,
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug)]
pub struct Asset {
    pub rel: String,
    pub path: PathBuf,
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub markdown: Vec<SourceFile>,
    pub assets: Vec<Asset>,
}

/// Reads the content tree under `content_dir`. Paths in diagnostics are relative to `site_root`.
///
/// A symlink (to a file or a folder) whose target lies outside the site folder is an error
/// and is not read, unless `allow_symlinks_outside`: an author must not be able to publish
/// `/etc/passwd` or another user's documents by linking to them.
pub fn load(
    site_root: &Path,
    content_dir: &Path,
    allow_symlinks_outside: bool,
    diagnostics: &mut Diagnostics,
) -> Loaded {
    let mut markdown_paths = Vec::new();
    let mut assets = Vec::new();
    let canonical_root = std::fs::canonicalize(site_root).unwrap_or_else(|_| site_root.into());
    // `content` itself (or a folder above it) may be the link that leads out.
    if !allow_symlinks_outside && let Some(target) = leads_outside(content_dir, &canonical_root) {
        diagnostics.push(symlink_outside(site_root, content_dir, &target));
        return Loaded::default();
    }
    let mut walker = WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                diagnostics.push(walk_error(site_root, &e));
                continue;
            }
        };
        if entry.depth() > 0
            && entry.path_is_symlink()
            && !allow_symlinks_outside
            && let Some(target) = leads_outside(entry.path(), &canonical_root)
        {
            diagnostics.push(symlink_outside(site_root, entry.path(), &target));
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = relative_slash_path(content_dir, &path);
        if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
        {
            markdown_paths.push((rel, path));
        } else {
            assets.push(Asset { rel, path });
        }
    }

    let results: Vec<Result<SourceFile, Diagnostic>> = markdown_paths
        .into_par_iter()
        .map(|(rel, path)| read_markdown(site_root, rel, path))
        .collect();
    let mut markdown = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(file) => markdown.push(file),
            Err(d) => diagnostics.push(d),
        }
    }
    Loaded { markdown, assets }
}

fn walk_error(site_root: &Path, error: &walkdir::Error) -> Diagnostic {
    let path = error
        .path()
        .map(|p| p.strip_prefix(site_root).unwrap_or(p).to_path_buf())
        .unwrap_or_default();
    if let Some(ancestor) = error.loop_ancestor() {
        let ancestor = ancestor.strip_prefix(site_root).unwrap_or(ancestor);
        Diagnostic::error(
            Code::SymlinkLoop,
            path,
            format!(
                "符号链接形成了循环：它指回上级目录 {}，已跳过",
                ancestor.display()
            ),
        )
    } else {
        Diagnostic::error(Code::Io, path, format!("无法读取：{error}"))
    }
}

/// Where the symlink at `link` (or a symlinked folder above it) leads, when that is outside
/// `canonical_root`.
pub(crate) fn leads_outside(link: &Path, canonical_root: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(link)
        .ok()
        .filter(|target| !target.starts_with(canonical_root))
}

pub(crate) fn symlink_outside(site_root: &Path, link: &Path, target: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::SymlinkOutside,
        link.strip_prefix(site_root).unwrap_or(link),
        format!(
            "符号链接指向站点文件夹之外（{}）：为免把站外的文件发布出去，它没有被读取。\
             请把文件复制进 content/；确需引用站外文件时，在 site.toml 中写 [content] allow_symlinks_outside = true",
            target.display()
        ),
    )
}

pub fn relative_slash_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_markdown(site_root: &Path, rel: String, path: PathBuf) -> Result<SourceFile, Diagnostic> {
    let shown = path.strip_prefix(site_root).unwrap_or(&path).to_path_buf();
    let size = std::fs::metadata(&path)
        .map_err(|e| Diagnostic::error(Code::Io, &shown, format!("无法读取文件：{e}")))?
        .len();
    if size > MAX_MARKDOWN_BYTES {
        return Err(Diagnostic::error(
            Code::FileTooLarge,
            &shown,
            format!(
                "文件过大（{:.1} MB），超过单页上限 {} MB；请拆分成多个页面",
                size as f64 / 1_048_576.0,
                MAX_MARKDOWN_BYTES / 1_048_576
            ),
        ));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| Diagnostic::error(Code::Io, &shown, format!("无法读取文件：{e}")))?;
    let text =
        decode(&bytes).map_err(|message| Diagnostic::error(Code::NotUtf8, &shown, message))?;
    Ok(SourceFile { rel, path, text })
}

/// UTF-8 with or without BOM; CRLF and lone CR become LF so positions are line-based.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The fast check says only whether the text is UTF-8; where it stops being so is asked
    // only of a file that is not.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(normalize_newlines(text)),
        Err(_) => {
            let valid_up_to = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), str::len);
            Err(describe_encoding(bytes, valid_up_to))
        }
    }
}

fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

fn describe_encoding(bytes: &[u8], valid_up_to: usize) -> String {
    let line = bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
    let guess = if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        "UTF-16"
    } else {
        let (_, _, had_errors) = encoding_rs::GB18030.decode(bytes);
        if had_errors {
            "未知编码"
        } else {
            "GBK/GB18030（Windows 中文系统常见）"
        }
    };
    format!(
        "文件不是 UTF-8 编码（第 {line} 行起无法按 UTF-8 读取），看起来是 {guess}。\
         请在编辑器中“另存为”UTF-8 编码后重新构建"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_is_named() {
        let (gbk, _, _) = encoding_rs::GBK.encode("标题：社区治理\n正文");
        let message = decode(&gbk).unwrap_err();
        assert!(message.contains("GBK"), "{message}");
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let text = decode("\u{FEFF}---\r\ntitle: 甲\r\n---\r\n".as_bytes()).unwrap();
        assert_eq!(text, "---\ntitle: 甲\n---\n");
    }
}
