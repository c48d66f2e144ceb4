//! Embeds the default theme into the binary, so `shuyuan init` works without this repo, and
//! derives the search analysis's traditional-to-simplified folding table from OpenCC's
//! `TSCharacters` (through the `ferrous-opencc` build dependency), once for Rust and once as the
//! compact string that `search-core.js` receives, so both languages fold from one source.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

fn main() {
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let out = Path::new(&out);
    embed_theme(out);
    write_fold_table(out);
}

fn embed_theme(out: &Path) {
    let theme = Path::new("themes/default");
    println!("cargo:rerun-if-changed=themes/default");
    let mut files = Vec::new();
    collect(theme, theme, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Files of the default theme: path relative to the theme folder, contents.\npub const DEFAULT_THEME: &[(&str, &[u8])] = &[\n",
    );
    for rel in files {
        let abs = std::fs::canonicalize(theme.join(&rel)).expect("theme file");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    std::fs::write(out.join("default_theme.rs"), code).expect("write embedded theme");
}

fn collect(base: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(base, &path, files);
        } else if let Ok(rel) = path.strip_prefix(base) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The Han ranges the tokenizer knows (`tokenizer::classify`).
const HAN_RANGES: [(char, char); 4] = [
    ('\u{3400}', '\u{4DBF}'),
    ('\u{4E00}', '\u{9FFF}'),
    ('\u{F900}', '\u{FAFF}'),
    ('\u{20000}', '\u{2FFFF}'),
];

/// Every Han character that OpenCC's t2s conversion turns, on its own, into one other character
/// of the same UTF-16 length (OpenCC picks the first candidate of `TSCharacters`), with chains
/// followed to their end so that folding twice changes nothing.
fn fold_pairs() -> BTreeMap<char, char> {
    let t2s = OpenCC::from_config(BuiltinConfig::T2s).expect("OpenCC t2s configuration");
    let han: Vec<char> = HAN_RANGES.iter().flat_map(|&(a, b)| a..=b).collect();
    // One conversion for all of them: a line break between characters keeps OpenCC's phrase
    // table from matching across two of them.
    let text: String = han.iter().flat_map(|&c| [c, '\n']).collect();
    let converted = t2s.convert(&text);
    let mut pairs = BTreeMap::new();
    for (&from, line) in han.iter().zip(converted.split('\n')) {
        let mut chars = line.chars();
        if let (Some(to), None) = (chars.next(), chars.next())
            && to != from
            && to.len_utf16() == from.len_utf16()
        {
            pairs.insert(from, to);
        }
    }
    let resolved: BTreeMap<char, char> = pairs
        .iter()
        .map(|(&from, &to)| {
            let mut end = to;
            while let Some(&next) = pairs.get(&end) {
                end = next;
            }
            (from, end)
        })
        .collect();
    assert!(resolved.len() > 3000, "OpenCC's table looks empty");
    resolved
}

/// Writes `fold_table.rs`: a dense `u16` table over the BMP keys (0 = unchanged), a sorted slice
/// for the supplementary planes, and `FOLD_PAIRS`, the browser's copy: for each pair in code
/// point order, the distance from the previous traditional character in decimal (left out when
/// it is 1), then the simplified character.
fn write_fold_table(out: &Path) {
    let pairs = fold_pairs();
    let bmp: Vec<(u32, u32)> = pairs
        .iter()
        .map(|(&f, &t)| (f as u32, t as u32))
        .filter(|&(f, _)| f <= 0xFFFF)
        .collect();
    let first = bmp.first().expect("BMP pairs").0;
    let last = bmp.last().expect("BMP pairs").0;
    let mut dense = vec![0u16; (last - first + 1) as usize];
    for &(f, t) in &bmp {
        dense[(f - first) as usize] = u16::try_from(t).expect("same UTF-16 length");
    }
    let mut code = String::new();
    let _ = writeln!(code, "/// First code point of [`FOLD_BMP`].");
    let _ = writeln!(code, "const FOLD_BMP_FIRST: u32 = {first:#x};");
    let _ = writeln!(
        code,
        "/// Simplified form of each BMP character from [`FOLD_BMP_FIRST`] on (0: unchanged)."
    );
    let _ = write!(code, "static FOLD_BMP: [u16; {}] = [", dense.len());
    for (i, v) in dense.iter().enumerate() {
        if i % 16 == 0 {
            code.push_str("\n    ");
        }
        let _ = write!(code, "{v},");
    }
    code.push_str("\n];\n");
    let _ = writeln!(
        code,
        "/// Traditional and simplified forms in the supplementary planes, sorted."
    );
    code.push_str("static FOLD_ASTRAL: &[(char, char)] = &[\n");
    for (&f, &t) in pairs.iter().filter(|(f, _)| u32::from(**f) > 0xFFFF) {
        let _ = writeln!(code, "    ({f:?}, {t:?}),");
    }
    code.push_str("];\n");
    let mut compact = String::new();
    let mut previous = 0;
    for (&f, &t) in &pairs {
        let gap = f as u32 - previous;
        if gap != 1 {
            let _ = write!(compact, "{gap}");
        }
        compact.push(t);
        previous = f as u32;
    }
    let _ = writeln!(
        code,
        "/// The same pairs as `search-core.js` reads them (see `with_fold_table`)."
    );
    let _ = writeln!(code, "pub const FOLD_PAIRS: &str = {compact:?};");
    let _ = writeln!(code, "/// Number of folded characters.");
    let _ = writeln!(code, "pub const FOLD_COUNT: usize = {};", pairs.len());
    std::fs::write(out.join("fold_table.rs"), code).expect("write the folding table");
}
