//! The one tokenizer definition, Rust side.
//!
//! Owns the character normalisation, the character classes and the two token namespaces that the
//! static index and the query planner share. `search-core.js` carries
//! the same rules for the browser; `tests/vectors/tokenizer.json` pins both to the same output.
//! Normalisation folds traditional characters to simplified with a table that `build.rs` derives
//! from OpenCC's `TSCharacters`; the browser gets the same table written into `search-core.js`
//! ([`with_fold_table`]).
//!
//! - **Terms** (`terms`): Han bigrams (a lone Han character stands for itself) and whole word runs
//!   (Latin, digits, other scripts), lowercased and cut to [`MAX_WORD_CHARS`]. Positions count
//!   emitted tokens, so phrase queries mean "adjacent in the text".
//! - **Grams** (`grams`): every Han or word character on its own, the character bigrams inside
//!   word runs, and the two characters where a Han run and a word run touch (`3条` in `第3条`).
//!   A query piece that may be only part of a longer run in the text (a single Han character,
//!   or a word cut by the query's edge such as `021` inside `2021`) is matched through grams,
//!   which is what makes substring recall exact; the touching pairs keep mixed text like `第3条`
//!   precise without positions.

/// Word runs longer than this many characters are cut to their first `MAX_WORD_CHARS`.
pub const MAX_WORD_CHARS: usize = 32;

/// Prefix of grams-namespace keys in the static index. Like [`PAIR_MARK`], a separator that no
/// token holds, printable so that JSON writes it as one byte: the control characters both marks
/// were (`\u0001`, `\u0002`) took six each, a seventh of the shards at 10,000 pages (nearly all
/// of it in pair keys, which had two).
pub const GRAM_PREFIX: char = '*';
/// Joins the two tokens of a pair key (`a + "+" + b`) in the static index; see
/// [`Analysis::forms_pair`]. No token holds it, so a key holding it is a pair.
pub const PAIR_MARK: char = '+';

include!(concat!(env!("OUT_DIR"), "/fold_table.rs"));

/// The simplified form of a traditional character (OpenCC's first candidate, kept only when it
/// is one character of the same UTF-16 length); any other character is returned as it is.
pub fn fold_to_simplified(c: char) -> char {
    let code = c as u32;
    if code < 0x10000 {
        let folded = code
            .checked_sub(FOLD_BMP_FIRST)
            .and_then(|i| FOLD_BMP.get(i as usize))
            .copied()
            .unwrap_or(0);
        return if folded == 0 {
            c
        } else {
            char::from_u32(u32::from(folded)).unwrap_or(c)
        };
    }
    match FOLD_ASTRAL.binary_search_by_key(&c, |&(from, _)| from) {
        Ok(i) => FOLD_ASTRAL[i].1,
        Err(_) => c,
    }
}

/// Marks where `search-core.js` takes the folding table: `/*shuyuan:fold*/""`.
const FOLD_SLOT: &str = "/*shuyuan:fold*/\"\"";

/// `search-core.js` with [`FOLD_PAIRS`] written into its slot, or `None` when the file has no slot
/// (a site's own script that does not fold).
pub fn with_fold_table(script: &str) -> Option<String> {
    script
        .contains(FOLD_SLOT)
        .then(|| script.replacen(FOLD_SLOT, &format!("/*shuyuan:fold*/\"{FOLD_PAIRS}\""), 1))
}

/// Normalises one character: full-width ASCII to half-width, the ideographic space to a space,
/// traditional characters to simplified ([`fold_to_simplified`]), then lowercase when that maps
/// to exactly one character of the same UTF-16 length. The length rules keep character offsets
/// identical in Rust and in the browser's UTF-16 strings.
pub fn normalize_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let c = fold_to_simplified(c);
    // CJK punctuation, kana and ideographs have no case; skipping the case tables for them
    // speeds up indexing Chinese text without changing any result.
    if ('\u{3000}'..='\u{9FFF}').contains(&c) {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) if l.len_utf16() == c.len_utf16() => l,
        _ => c,
    }
}

/// Normalises a whole text, character for character (so character indices carry over).
pub fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

/// What a (normalised) character does in tokenisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharClass {
    /// CJK unified ideographs (basic, extension A, compatibility, and planes 2–3).
    Han,
    /// Letters and digits of any other script; consecutive ones form one word.
    Word,
    /// Everything else: spaces, punctuation, symbols, emoji.
    Separator,
}

/// Classifies a normalised character. Han is tested first because ideographs are alphabetic too.
pub fn classify(c: char) -> CharClass {
    match c {
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FFFF}' => CharClass::Han,
        'a'..='z' | '0'..='9' => CharClass::Word,
        c if c.is_alphanumeric() => CharClass::Word,
        _ => CharClass::Separator,
    }
}

/// A maximal run of Han or word characters, as indices into the text's normalised characters.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub class: CharClass,
    /// Index of the first character of the run.
    pub start: usize,
    /// Index one past the last character of the run.
    pub end: usize,
}

/// Where a token sits: its position and its character range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub position: usize,
    pub start: usize,
    pub end: usize,
}

/// A text split into normalised characters and runs; tokens are spans into it, so counting
/// them (the static index export) needs no allocation per token.
pub struct Analysis {
    /// Byte offset in the original text of every character (plus the text's length).
    original: Vec<usize>,
    /// The normalised text, and the byte offset in it of every character (plus its length).
    norm: String,
    offsets: Vec<usize>,
    pub runs: Vec<Run>,
}

impl Analysis {
    pub fn new(text: &str) -> Analysis {
        let mut original = Vec::with_capacity(text.len() / 2);
        let mut norm = String::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len() / 2);
        let mut runs = Vec::new();
        // The run being read (separators make none).
        let (mut run_class, mut run_start) = (CharClass::Separator, 0);
        for (k, (i, c)) in text.char_indices().enumerate() {
            let c = normalize_char(c);
            original.push(i);
            offsets.push(norm.len());
            norm.push(c);
            let class = classify(c);
            if class != run_class {
                if run_class != CharClass::Separator {
                    runs.push(Run {
                        class: run_class,
                        start: run_start,
                        end: k,
                    });
                }
                (run_class, run_start) = (class, k);
            }
        }
        if run_class != CharClass::Separator {
            runs.push(Run {
                class: run_class,
                start: run_start,
                end: offsets.len(),
            });
        }
        original.push(text.len());
        offsets.push(norm.len());
        Analysis {
            original,
            norm,
            offsets,
            runs,
        }
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The normalised characters.
    pub fn chars(&self) -> std::str::Chars<'_> {
        self.norm.chars()
    }

    /// The normalised text of characters `start..end`.
    pub fn text(&self, start: usize, end: usize) -> &str {
        &self.norm[self.offsets[start]..self.offsets[end]]
    }

    /// The normalised text of a span.
    pub fn span_text(&self, s: &Span) -> &str {
        self.text(s.start, s.end)
    }

    /// The terms-namespace spans of one run, with positions starting at `position`.
    pub fn run_term_spans(&self, run: &Run, position: usize) -> Vec<Span> {
        let span = |k: usize, start: usize, end: usize| Span {
            position: position + k,
            start,
            end,
        };
        match run.class {
            CharClass::Han if run.end - run.start == 1 => vec![span(0, run.start, run.end)],
            CharClass::Han => (run.start..run.end - 1)
                .enumerate()
                .map(|(k, i)| span(k, i, i + 2))
                .collect(),
            CharClass::Word => vec![span(0, run.start, run.end.min(run.start + MAX_WORD_CHARS))],
            CharClass::Separator => Vec::new(),
        }
    }

    /// The grams-namespace spans of one run: single characters, and bigrams inside word runs.
    pub fn run_gram_spans(&self, run: &Run) -> Vec<Span> {
        let mut out: Vec<Span> = (run.start..run.end)
            .map(|i| Span {
                position: 0,
                start: i,
                end: i + 1,
            })
            .collect();
        if run.class == CharClass::Word {
            out.extend((run.start..run.end - 1).map(|i| Span {
                position: 0,
                start: i,
                end: i + 2,
            }));
        }
        out
    }

    /// All terms-namespace spans, positions counted across the whole text.
    pub fn term_spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        for run in &self.runs {
            let spans = self.run_term_spans(run, out.len());
            out.extend(spans);
        }
        out
    }

    /// The spans of the two characters where consecutive runs touch (no separator between, so
    /// one is Han and the other a word).
    pub fn touching_spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.runs
            .windows(2)
            .filter(|w| w[0].end == w[1].start)
            .map(|w| Span {
                position: 0,
                start: w[0].end - 1,
                end: w[1].start + 1,
            })
    }

    /// All grams-namespace spans (positions are sequential and carry no meaning).
    pub fn gram_spans(&self) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .runs
            .iter()
            .flat_map(|r| self.run_gram_spans(r))
            .chain(self.touching_spans())
            .collect();
        for (k, s) in out.iter_mut().enumerate() {
            s.position = k;
        }
        out
    }

    /// Whether two terms spans make a pair key: adjacent positions, different runs, and at least
    /// one of them a word. The static index has no positions, so these keys stand in for phrase
    /// order where bigram overlap cannot (`〔2021〕16号` holds the pair `2021`,`16`).
    pub fn forms_pair(&self, a: &Span, b: &Span) -> bool {
        let is_word = |s: &Span| {
            self.text(s.start, s.end).chars().next().map(classify) == Some(CharClass::Word)
        };
        b.position == a.position + 1 && a.end <= b.start && (is_word(a) || is_word(b))
    }

    /// A span as an owned token with byte offsets into the original text.
    pub fn token(&self, s: &Span) -> Tok {
        Tok {
            text: self.span_text(s).to_string(),
            position: s.position,
            from: self.original[s.start],
            to: self.original[s.end],
        }
    }

    fn tokens(&self, spans: Vec<Span>) -> Vec<Tok> {
        spans.iter().map(|s| self.token(s)).collect()
    }
}

/// One emitted token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok {
    /// The normalised token text.
    pub text: String,
    /// Token position (terms: shared counter over the text).
    pub position: usize,
    /// Byte range in the original text.
    pub from: usize,
    pub to: usize,
}

/// The static-index key of an adjacent pair of terms tokens.
pub fn pair_key(a: &str, b: &str) -> String {
    format!("{a}{PAIR_MARK}{b}")
}

/// Terms-namespace tokens of a text (the ones the test vectors pin).
pub fn terms(text: &str) -> Vec<Tok> {
    let a = Analysis::new(text);
    a.tokens(a.term_spans())
}

/// Grams-namespace pieces of a text.
pub fn grams(text: &str) -> Vec<Tok> {
    let a = Analysis::new(text);
    a.tokens(a.gram_spans())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(toks: &[Tok]) -> Vec<&str> {
        toks.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn runs_are_the_maximal_stretches_of_one_class_but_separators() {
        for text in [
            "",
            "，",
            "电",
            "a",
            "电动车",
            "电a",
            "a电",
            "。电动，车 ab12。",
            "Ａｂ电𠀀x",
            " x ",
        ] {
            let a = Analysis::new(text);
            let classes: Vec<CharClass> = a.chars().map(classify).collect();
            let mut expected = Vec::new();
            let mut start = 0;
            for k in 1..=classes.len() {
                if k == classes.len() || classes[k] != classes[start] {
                    if classes[start] != CharClass::Separator {
                        expected.push((classes[start], start, k));
                    }
                    start = k;
                }
            }
            let runs: Vec<_> = a.runs.iter().map(|r| (r.class, r.start, r.end)).collect();
            assert_eq!(runs, expected, "{text:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＡＢ社区治理";
        let toks = terms(text);
        assert_eq!(texts(&toks), ["ab", "社区", "区治", "治理"]);
        assert_eq!(&text[toks[0].from..toks[0].to], "ＡＢ");
        assert_eq!(&text[toks[2].from..toks[2].to], "区治");
        assert_eq!(
            toks.iter().map(|t| t.position).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn the_cjk_fast_path_matches_the_case_tables() {
        for c in ('\u{3001}'..='\u{9FFF}').filter(|c| !c.is_ascii()) {
            let mut lower = c.to_lowercase();
            assert_eq!((lower.next(), lower.next()), (Some(c), None), "{c:?}");
        }
    }

    #[test]
    fn traditional_characters_fold_to_simplified() {
        assert_eq!(normalize("網格員、國務院辦公廳"), "网格员、国务院办公厅");
        // OpenCC's first candidate; characters shared by both scripts stay.
        assert_eq!(normalize("乾著"), "干著");
        // 㑮's simplified form lies outside the BMP: folding it would move UTF-16 offsets.
        assert_eq!(normalize("㑮"), "㑮");
    }

    fn han_chars() -> impl Iterator<Item = char> {
        ('\u{3400}'..='\u{9FFF}')
            .chain('\u{F900}'..='\u{FAFF}')
            .chain('\u{20000}'..='\u{2FFFF}')
    }

    #[test]
    fn folding_keeps_utf16_length_and_is_idempotent() {
        let mut folded = 0;
        for c in han_chars() {
            let once = normalize_char(c);
            assert_eq!(once.len_utf16(), c.len_utf16(), "{c:?}");
            assert_eq!(
                normalize_char(once),
                once,
                "{c:?} folds to {once:?}, which folds again"
            );
            folded += usize::from(once != c);
        }
        assert_eq!(folded, FOLD_COUNT);
    }

    /// Reads [`FOLD_PAIRS`] the way `search-core.js` does.
    fn browser_table() -> std::collections::HashMap<char, char> {
        let (mut table, mut code, mut gap) = (std::collections::HashMap::new(), 0u32, 0u32);
        for c in FOLD_PAIRS.chars() {
            if let Some(d) = c.to_digit(10) {
                gap = gap * 10 + d;
                continue;
            }
            code += if gap == 0 { 1 } else { gap };
            gap = 0;
            table.insert(char::from_u32(code).expect("a character"), c);
        }
        table
    }

    #[test]
    fn the_browser_table_folds_exactly_like_rust() {
        let table = browser_table();
        assert_eq!(table.len(), FOLD_COUNT);
        for c in han_chars() {
            assert_eq!(
                table.get(&c).copied().unwrap_or(c),
                fold_to_simplified(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_theme_script_receives_the_table() {
        let theme = include_str!("../../themes/default/static/search-core.js");
        let script = with_fold_table(theme).expect("search-core.js has the fold slot");
        assert!(script.contains(&format!("/*shuyuan:fold*/\"{FOLD_PAIRS}\"")));
        assert_eq!(script.len(), theme.len() + FOLD_PAIRS.len());
        assert!(with_fold_table("function normChar(ch) {}").is_none());
    }

    #[test]
    fn grams_cover_han_chars_and_word_bigrams() {
        assert_eq!(
            texts(&grams("党建2021")),
            ["党", "建", "2", "0", "2", "1", "20", "02", "21", "建2"]
        );
    }
}
