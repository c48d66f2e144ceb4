//! How a file of the static index is a script, `window.__shuyuan.<call>(arguments)`: UTF-8,
//! or UTF-16 after a little-endian byte-order mark (the fragments, [`super::fragment_code`]),
//! which makes a browser read it so whatever a server's charset says. The fragments are
//! written as UTF-16 here ([`utf16`]), the shards and heavy postings as UTF-8 ([`utf8_call`]);
//! the reader, a rebuild and the tests read every file back here ([`text`], [`arguments`]).

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

/// `window.__shuyuan.<head>"<text>")` and a line break as a UTF-8 file, `head` being the call's
/// name and its arguments before the last, `text` that last one as a JSON string.
pub(crate) fn utf8_call(head: &str, text: &str) -> Vec<u8> {
    const START: &str = "window.__shuyuan.";
    // The two quotes, `)` and the line break; an escape makes the text longer still.
    let mut file = Vec::with_capacity(START.len() + head.len() + text.len() + 4);
    file.extend_from_slice(START.as_bytes());
    file.extend_from_slice(head.as_bytes());
    push_json_string(&mut file, text);
    file.extend_from_slice(b")\n");
    file
}

/// Appends `text` as a JSON string, escaped byte for byte as `serde_json` escapes it. An index
/// file's text seldom holds anything to escape, so it is first checked whole, in a scan with
/// no early exit that the compiler vectorises, and then copied at once: `serde_json` looked
/// up every byte in a table, 1 % of a build.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    let needs_escape = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    out.push(b'"');
    if !text.bytes().fold(false, |any, b| any | needs_escape(b)) {
        out.extend_from_slice(text.as_bytes());
    } else {
        for b in text.bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xF)]);
                }
                _ => out.push(b),
            }
        }
    }
    out.push(b'"');
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
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        let every_ascii: String = (0..0x80u8).map(char::from).collect();
        for text in [
            "",
            "业主 AbC*物业+合同 -_09",
            every_ascii.as_str(),
            "引号\"反斜杠\\换行\n\u{1}\u{7f}\u{2028}\u{3000}𠀀",
        ] {
            let mut spelled = Vec::new();
            push_json_string(&mut spelled, text);
            assert_eq!(
                String::from_utf8(spelled).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
        let file = utf8_call("shard(\"b\",3,", "键 值\"");
        let text = text(&file).unwrap();
        assert_eq!(
            arguments(&text, "shard"),
            Some(serde_json::json!(["b", 3, "键 值\""]))
        );
    }

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
