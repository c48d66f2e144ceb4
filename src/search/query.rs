//! Query syntax, query analysis and the key plan, shared by `shuyuan search`, `/api/search` and
//! (mirrored line for line in `search-core.js`) the site's search page.
//!
//! A query is split into terms: `"…"` (or `“…”`) quotes one term that must match in order,
//! whitespace separates the rest. Each term is analysed with the index tokenizer into what a page
//! must hold for the term's text to occur in it:
//! - `exact`: terms-namespace tokens at fixed relative positions (a phrase with gaps);
//! - `grams`: grams-namespace pieces for runs that the term's edge may cut (a lone Han character,
//!   or a word like `021` that may sit inside `2021` in the text), and the character pairs where
//!   a Han run and a word run touch (`3条`);
//! - `boosts`: those edge words as whole tokens, which rank pages holding the whole word higher.
//!
//! Every page whose normalised text contains the term holds all of `exact` (at those offsets) and
//! all of `grams`, so the index finds a superset of the exact matches and ranks them first.

use super::tokenizer::{Analysis, CharClass, GRAM_PREFIX, Span, pair_key};

/// One analysed query term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The term's normalised text (what "contains the exact text" checks).
    pub text: String,
    /// Quoted terms are required; unquoted ones may be missing from lower-ranked pages.
    pub quoted: bool,
    /// Terms-namespace tokens with their positions relative to the term.
    pub exact: Vec<(usize, String)>,
    /// Grams-namespace pieces the page must hold.
    pub grams: Vec<String>,
    /// Whole words cut by the term's edge; optional, raise the score when present.
    pub boosts: Vec<String>,
    /// Static-index pair keys of adjacent exact tokens (see [`Analysis::forms_pair`]).
    pub pairs: Vec<String>,
    /// For each `exact` token, whether a pair key already requires it.
    pub paired: Vec<bool>,
}

/// Characters that open or close a quoted term (after normalisation `＂` is `"`).
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

/// Splits a query into analysed terms. Terms without any token (pure punctuation) are dropped.
/// A quote without a closing one separates terms like a space: in a typed question it is a
/// slip, and taking the rest of the question as one exact phrase would find nothing.
pub fn parse(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let chars: Vec<char> = query
        .chars()
        .map(super::tokenizer::normalize_char)
        .collect();
    let mut current = String::new();
    let push = |text: &str, quoted: bool, terms: &mut Vec<Term>| {
        if let Some(t) = analyse(text.trim(), quoted) {
            terms.push(t);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if is_quote(c) {
            push(&current, false, &mut terms);
            current.clear();
            if let Some(len) = chars[i..].iter().position(|&c| is_quote(c)) {
                let quoted: String = chars[i..i + len].iter().collect();
                push(&quoted, true, &mut terms);
                i += len + 1;
            }
        } else if c.is_whitespace() {
            push(&current, false, &mut terms);
            current.clear();
        } else {
            current.push(c);
        }
    }
    push(&current, false, &mut terms);
    terms
}

/// The query with its quotes taken out: what runs when the quoted query finds nothing.
pub fn without_quotes(query: &str) -> String {
    query
        .chars()
        .map(super::tokenizer::normalize_char)
        .map(|c| if is_quote(c) { ' ' } else { c })
        .collect()
}

/// Analyses one term's text (already normalised) into what a matching page must hold.
fn analyse(text: &str, quoted: bool) -> Option<Term> {
    let analysis = Analysis::new(text);
    let len = analysis.len();
    let mut term = Term {
        text: text.to_string(),
        quoted,
        exact: Vec::new(),
        grams: Vec::new(),
        boosts: Vec::new(),
        pairs: Vec::new(),
        paired: Vec::new(),
    };
    let mut exact: Vec<Span> = Vec::new();
    let mut position = 0;
    for run in &analysis.runs {
        let spans = analysis.run_term_spans(run, position);
        position += spans.len();
        let at_edge = run.start == 0 || run.end == len;
        let single_han = run.class == CharClass::Han && run.end - run.start == 1;
        if at_edge && (single_han || run.class == CharClass::Word) {
            // The text's run may continue past the term's edge, so only the characters
            // (and, for words, their bigrams) are certain to be there.
            let grams = analysis.run_gram_spans(run);
            let wanted = grams
                .iter()
                .filter(|g| run.end - run.start == 1 || g.end - g.start == 2);
            for g in wanted {
                let g = analysis.span_text(g);
                if !term.grams.iter().any(|x| x == g) {
                    term.grams.push(g.to_string());
                }
            }
            if run.class == CharClass::Word {
                term.boosts
                    .extend(spans.iter().map(|s| analysis.span_text(s).to_string()));
            }
        } else {
            exact.extend(spans);
        }
    }
    for span in analysis.touching_spans() {
        let g = analysis.span_text(&span);
        if !term.grams.iter().any(|x| x == g) {
            term.grams.push(g.to_string());
        }
    }
    term.paired = vec![false; exact.len()];
    for (i, w) in exact.windows(2).enumerate() {
        if analysis.forms_pair(&w[0], &w[1]) {
            let (a, b) = (analysis.span_text(&w[0]), analysis.span_text(&w[1]));
            term.pairs.push(pair_key(a, b));
            term.paired[i] = true;
            term.paired[i + 1] = true;
        }
    }
    term.exact = exact
        .iter()
        .map(|s| (s.position, analysis.span_text(s).to_string()))
        .collect();
    (!term.exact.is_empty() || !term.grams.is_empty()).then_some(term)
}

/// Most keys a query loads: each costs about one shard file, so a pasted paragraph must not
/// load hundreds (a typed question has forty or so).
pub const MAX_KEYS: usize = 64;
/// An unquoted term with more keys than this is ranked loosely ([`Plan::loose`]).
pub const STRICT_MAX_KEYS: usize = 16;

/// Most synonym alternatives one term gets.
pub const MAX_ALTERNATIVES: usize = 8;

/// Per term, the terms a page may hold instead, through the site's synonym groups (`groups`:
/// each the typed word first, then its synonyms, normalised): a term that is or holds a
/// group's word gets its synonyms, a term that is or holds a synonym gets the word. A word is
/// looked for inside a term only from two characters on; quoted terms mean exactly what they
/// say and get none.
pub fn expand(terms: &[Term], groups: &[Vec<String>]) -> Vec<Vec<Term>> {
    let holds = |t: &Term, w: &str| t.text == w || (w.chars().count() >= 2 && t.text.contains(w));
    terms
        .iter()
        .map(|t| {
            let mut words: Vec<&str> = Vec::new();
            for group in groups.iter().filter(|_| !t.quoted) {
                let (word, synonyms) = (group[0].as_str(), &group[1..]);
                if holds(t, word) {
                    words.extend(synonyms.iter().map(String::as_str));
                }
                if synonyms.iter().any(|s| holds(t, s)) {
                    words.push(word);
                }
            }
            let mut alternatives: Vec<Term> = Vec::new();
            for w in words {
                if alternatives.len() < MAX_ALTERNATIVES
                    && w != t.text
                    && !alternatives.iter().any(|a| a.text == w)
                    && let Some(a) = analyse(w, false)
                {
                    alternatives.push(a);
                }
            }
            alternatives
        })
        .collect()
}

/// The keys a query loads and ranks with: per term the keys a page must hold to hold the
/// term, the keys of each of its synonym alternatives, then optional boost keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub per_term: Vec<Vec<String>>,
    /// Per term, per synonym alternative (see [`expand`]), its keys.
    pub alternatives: Vec<Vec<Vec<String>>>,
    /// Per term: whether it is loose, a typed sentence rather than a keyword. A loose term's
    /// common keys may be left out (`rank::settle`), since they say little and cost much.
    pub loose: Vec<bool>,
    pub boosts: Vec<String>,
}

/// The static-index keys of each term (pair keys, exact tokens no pair covers, grams with the
/// `*` prefix, each once), then of its synonym alternatives, then the optional boost keys.
/// While the terms fit in [`MAX_KEYS`] every key is used; beyond that each term keeps an even
/// share, spread evenly over its keys (dropping keys only widens the candidate set, so it still
/// holds every page containing the text). Alternatives and boosts come whole, while room is
/// left.
pub fn plan(terms: &[Term], alternatives: &[Vec<Term>]) -> Plan {
    let keys = |t: &Term| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let unpaired = t
            .exact
            .iter()
            .zip(&t.paired)
            .filter(|(_, paired)| !**paired)
            .map(|((_, k), _)| k.clone());
        let grams = t.grams.iter().map(|g| format!("{GRAM_PREFIX}{g}"));
        for key in t.pairs.iter().cloned().chain(unpaired).chain(grams) {
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    };
    let mut per_term: Vec<Vec<String>> = terms.iter().map(keys).collect();
    let loose = terms
        .iter()
        .zip(&per_term)
        .map(|(t, k)| !t.quoted && k.len() > STRICT_MAX_KEYS)
        .collect();
    let count = |p: &[Vec<String>]| p.iter().map(Vec::len).sum::<usize>();
    if count(&per_term) > MAX_KEYS {
        let share = (MAX_KEYS / terms.len()).max(1);
        for keys in &mut per_term {
            if keys.len() > share {
                let step = keys.len() as f64 / share as f64;
                *keys = (0..share)
                    .map(|i| keys[(i as f64 * step) as usize].clone())
                    .collect();
            }
        }
    }
    let mut room = MAX_KEYS.saturating_sub(count(&per_term));
    let mut alternative_keys: Vec<Vec<Vec<String>>> = vec![Vec::new(); terms.len()];
    for (t, alts) in alternatives.iter().enumerate().take(terms.len()) {
        for alt in alts {
            let k = keys(alt);
            if k.len() <= room {
                room -= k.len();
                alternative_keys[t].push(k);
            }
        }
    }
    let mut boosts = Vec::new();
    for b in terms.iter().flat_map(|t| &t.boosts) {
        if room > 0 && !boosts.contains(b) {
            boosts.push(b.clone());
            room -= 1;
        }
    }
    Plan {
        per_term,
        alternatives: alternative_keys,
        loose,
        boosts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(t: &Term) -> Vec<(usize, &str)> {
        t.exact.iter().map(|(p, s)| (*p, s.as_str())).collect()
    }

    #[test]
    fn han_run_is_a_phrase_of_bigrams() {
        let t = &parse("社区治理")[0];
        assert_eq!(exact(t), [(0, "社区"), (1, "区治"), (2, "治理")]);
        assert!(t.grams.is_empty() && t.boosts.is_empty());
    }

    #[test]
    fn single_han_char_uses_the_unigram() {
        let t = &parse("党")[0];
        assert!(t.exact.is_empty());
        assert_eq!(t.grams, ["党"]);
    }

    #[test]
    fn edges_fall_back_to_grams_and_interior_stays_exact() {
        // 〔2021〕16号: 2021 and 16 are bounded inside the term; 号 touches the end.
        let t = &parse("〔2021〕16号")[0];
        assert_eq!(exact(t), [(0, "2021"), (1, "16")]);
        assert_eq!(t.grams, ["号", "6号"]);
        // Without positions, the browser keeps their order through a pair key instead.
        assert_eq!(t.pairs, ["2021+16"]);
        assert_eq!(
            plan(&parse("国办发〔2021〕16号"), &[]).per_term[0],
            ["办发+2021", "2021+16", "国办", "*号", "*6号"]
        );
        // 021 may be the tail of 2021: its bigrams are required, the word itself only boosts.
        let t = &parse("021〕16")[0];
        assert_eq!(exact(t), []);
        assert_eq!(t.grams, ["02", "21", "16"]);
        assert_eq!(t.boosts, ["021", "16"]);
    }

    #[test]
    fn questions_keep_their_keys_up_to_the_bound() {
        let terms = parse("物业公司中标以后还要和每位业主签合同吗");
        let p = plan(&terms, &[]);
        assert_eq!(p.per_term[0].len(), 18, "every bigram, once");
        assert_eq!(p.per_term[0][..3], ["物业", "业公", "公司"]);
        assert_eq!(p.loose, [true]);
        assert!(p.boosts.is_empty());
        let long = "业主".repeat(40) + &"物业公司服务合同签订以后还要交费吗".repeat(5);
        let keys = &plan(&parse(&long), &[]).per_term[0];
        let mut distinct = keys.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len(), "each key once");
        assert!(keys.len() < 25, "{} keys", keys.len());
        let pasted: String = ('一'..='龥').step_by(7).take(200).collect();
        assert_eq!(plan(&parse(&pasted), &[]).per_term[0].len(), MAX_KEYS);
        let p = plan(&parse("covid 党"), &[]);
        assert_eq!(p.per_term, [vec!["*co", "*ov", "*vi", "*id"], vec!["*党"]]);
        assert_eq!(p.loose, [false, false]);
        assert_eq!(p.boosts, ["covid"]);
    }

    #[test]
    fn quotes_and_spaces_split_terms() {
        let terms = parse("社区 “居委 会” ＂业主＂  ，");
        let texts: Vec<(&str, bool)> = terms.iter().map(|t| (t.text.as_str(), t.quoted)).collect();
        assert_eq!(texts, [("社区", false), ("居委 会", true), ("业主", true)]);
        assert_eq!(exact(&terms[1]), [(0, "居委")]);
        assert_eq!(terms[1].grams, ["会"]);
        let unclosed = parse("要这笔借款吗“关键是 血糖");
        let texts: Vec<(&str, bool)> = unclosed
            .iter()
            .map(|t| (t.text.as_str(), t.quoted))
            .collect();
        assert_eq!(
            texts,
            [("要这笔借款吗", false), ("关键是", false), ("血糖", false)],
            "an unclosed quote separates like a space"
        );
    }

    #[test]
    fn synonyms_expand_words_both_ways_and_never_quoted_terms() {
        let groups = vec![
            vec!["低保".to_string(), "最低生活保障".to_string()],
            vec![
                "两委".to_string(),
                "村民委员会".to_string(),
                "村党组织委员会".to_string(),
            ],
            vec!["党".to_string(), "中国共产党".to_string()],
        ];
        let texts = |q: &str| -> Vec<Vec<String>> {
            expand(&parse(q), &groups)
                .into_iter()
                .map(|alts| alts.into_iter().map(|a| a.text).collect())
                .collect()
        };
        assert_eq!(texts("低保"), [vec!["最低生活保障"]]);
        assert_eq!(texts("最低生活保障"), [vec!["低保"]]);
        assert_eq!(
            texts("两委 换届"),
            [vec!["村民委员会", "村党组织委员会"], vec![]]
        );
        assert_eq!(
            texts("怎么申请低保"),
            [vec!["最低生活保障"]],
            "inside a question"
        );
        assert_eq!(
            texts("党建"),
            [Vec::<String>::new()],
            "one character only as a whole term"
        );
        assert_eq!(texts("党"), [vec!["中国共产党"]]);
        assert_eq!(texts("\"低保\""), [Vec::<String>::new()]);
        let p = plan(&parse("低保"), &expand(&parse("低保"), &groups));
        assert_eq!(
            p.alternatives,
            [vec![vec!["最低", "低生", "生活", "活保", "保障"]]]
        );
    }
}
