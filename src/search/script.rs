//! How a file of the static index is a script, `window.__shuyuan.<call>(arguments)`: UTF-8,
//! or UTF-16 after a little-endian byte-order mark (the fragments, [`super::fragment_code`]),
//! which makes a browser read it so whatever a server's charset says. The fragments are
//! written as UTF-16 here ([`utf16`]); the reader, a rebuild and the tests read every file
//! back here ([`text`], [`arguments`]).

/// `parts` as a UTF-16 file: a byte-order mark, then little-endian code units.
pub(crate) fn utf16(parts: &[&str]) -> Vec<u8> {
    let units = parts.iter().map(|part| part.len()).sum::<usize>();
    let mut body = Vec::with_capacity(2 + 2 * units);
    body.extend_from_slice(&[0xFF, 0xFE]);
    for unit in parts.iter().flat_map(|part| part.encode_utf16()) {
        body.extend_from_slice(&unit.to_le_bytes());
    }
    body
}

/// A script's text as a browser reads it: UTF-16 after a little-endian byte-order mark, else
/// UTF-8; `None` when it is neither.
pub fn text(bytes: &[u8]) -> Option<String> {
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(units) if units.len() % 2 == 0 => {
            let units: Vec<u16> = units
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Some(_) => None,
        None => String::from_utf8(bytes.to_vec()).ok(),
    }
}

/// The arguments of a script that calls `window.__shuyuan.<call>(…)`, as a JSON array; `None`
/// for a script that calls anything else, or whose arguments are not JSON.
pub fn arguments(text: &str, call: &str) -> Option<serde_json::Value> {
    let args = text
        .trim_end()
        .strip_prefix(&format!("window.__shuyuan.{call}("))?
        .strip_suffix(')')?;
    serde_json::from_str(&format!("[{args}]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf16_script_reads_back_as_written() {
        let file = utf16(&["window.__shuyuan.more(\"b\",1,2,", "\"续一\"", ")\n"]);
        assert_eq!(&file[..4], &[0xFF, 0xFE, b'w', 0]);
        let text = text(&file).unwrap();
        assert_eq!(
            arguments(&text, "more"),
            Some(serde_json::json!(["b", 1, 2, "续一"]))
        );
        assert_eq!(arguments(&text, "page"), None);
        // A byte short of a whole unit, and bytes that are neither encoding.
        assert_eq!(super::text(&file[..file.len() - 1]), None);
        assert_eq!(super::text(&[0xC3, 0x28]), None);
    }
}
