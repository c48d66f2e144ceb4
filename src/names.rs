//! Names: which file and folder names the output may hold. Readers copy the site to Windows
//! PCs and unzip it there, so a name must work on Windows as well as here: no device name
//! (`CON`, `aux.html`, `COM1` …, which Windows cannot create), no name longer than 255 bytes
//! (the limit of ext4 and of most other file systems), no hidden name (a leading dot: `pack`
//! leaves such files out), no characters Windows cannot take, and no trailing dot or space
//! (Windows drops them, so two names would become one).

/// The longest file or folder name, in bytes, that common file systems accept.
pub const MAX_NAME_BYTES: usize = 255;

/// Names Windows reserves for devices, with or without an extension, in any case: Microsoft's
/// file-naming rules list the superscript digits ¹ ² ³ after COM and LPT too.
const DEVICE_NAMES: [&str; 28] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "COM¹", "COM²", "COM³", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
    "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// `name` with the characters that cannot stand in a file name on Windows or would break a
/// URL replaced by `-`.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(
                c,
                '/' | '\\' | '?' | '#' | '%' | ':' | '*' | '"' | '<' | '>' | '|'
            ) || c.is_control()
            {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// Whether Windows treats `name` (one file or folder name) as a device: its part before the
/// first dot, trailing spaces aside, is a device name in any case (`con`, `Aux.html`).
pub fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    DEVICE_NAMES
        .iter()
        .any(|device| stem.eq_ignore_ascii_case(device))
}

/// Why `name` cannot be one file or folder name in the output, in the editor's words, or
/// `None` when every system takes it.
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("名字为空")
    } else if name.starts_with('.') {
        Some("以点开头的名字是隐藏文件，打包时会被略去")
    } else if is_windows_device(name) {
        Some(
            "CON、PRN、AUX、NUL、COM1–COM9、LPT1–LPT9（以及 COM¹–COM³、LPT¹–LPT³）是 Windows 保留的设备名（不论大小写、带不带扩展名），Windows 上无法解压或打开这样的文件",
        )
    } else if name.len() > MAX_NAME_BYTES {
        Some("名字超过 255 字节（一个汉字占 3 字节），多数系统无法保存这样长的文件名")
    } else if name.ends_with(['.', ' ']) {
        Some("Windows 会去掉名字末尾的点和空格，两个不同的名字会变成同一个")
    } else if name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|'])
        || name.contains(char::is_control)
    {
        Some("含有 Windows 文件名不能用的字符（\\ / : * ? \" < > | 或控制字符）")
    } else {
        None
    }
}

/// A file name for a word an editor wrote (a tag, a topic): the same word where it is safe,
/// otherwise a fixed variant — forbidden characters become `-`, leading and trailing dots and
/// spaces become `-`, and a Windows device name gets a `_` before its first dot (`CON` →
/// `CON_`, `Con.txt` → `Con_.txt`). Too long a word
/// stays too long: [`problem`] then reports it at the page.
pub fn safe_file_stem(word: &str) -> String {
    let mut name = file_safe(word);
    let leading = name.len() - name.trim_start_matches(['.', ' ']).len();
    name.replace_range(..leading, &"-".repeat(leading));
    let kept = name.trim_end_matches(['.', ' ']).len();
    let trailing = name.len() - kept;
    name.replace_range(kept.., &"-".repeat(trailing));
    if name.is_empty() {
        name.push('_');
    }
    avoid_device(&mut name);
    name
}

/// Adds a `_` to a Windows device name where Windows looks for the device, before the
/// first dot: `CON` → `CON_`, `Con.txt` → `Con_.txt` (`Con.txt_` would still be `CON`).
pub fn avoid_device(name: &mut String) {
    if is_windows_device(name) {
        let stem_end = name.find('.').unwrap_or(name.len());
        name.insert(stem_end, '_');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_found_in_any_case_and_with_any_extension() {
        for name in [
            "CON",
            "con",
            "Aux.html",
            "nul.tar.gz",
            "COM1",
            "lpt9.pdf",
            "PRN .txt",
            "com¹",
            "LPT³.html",
        ] {
            assert!(is_windows_device(name), "{name}");
        }
        for name in [
            "CONSOLE", "com10", "COM", "lpt0", "icon", "网格", "COM⁴", "com¹¹",
        ] {
            assert!(!is_windows_device(name), "{name}");
        }
    }

    #[test]
    fn safe_stems_are_deterministic_and_safe() {
        assert_eq!(safe_file_stem("网格"), "网格");
        assert_eq!(safe_file_stem("CON"), "CON_");
        assert_eq!(safe_file_stem("aux"), "aux_");
        assert_eq!(safe_file_stem("..x."), "--x-");
        assert_eq!(safe_file_stem("a/b"), "a-b");
        assert_eq!(safe_file_stem("Con.txt"), "Con_.txt");
        for word in [
            "CON",
            "aux",
            "..",
            ".hidden",
            "x.",
            "nul ",
            "Con.txt",
            "aux.tar.gz",
            "COM1 .x",
        ] {
            let stem = safe_file_stem(word);
            assert_eq!(problem(&format!("{stem}.html")), None, "{word} → {stem}");
            assert_eq!(problem(&stem), None, "{word} → {stem}");
        }
    }
}
