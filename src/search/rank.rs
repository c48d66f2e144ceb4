//! The ranking function, Rust side: the one scoring that `shuyuan search`, `/api/search` and
//! the site's search page (`search-core.js`, which carries the same function line for line) all use.
//!
//! Owns the scoring constants (the exporter quantises term frequencies with them) and two
//! steps: [`settle`] decides, once the shards have told each key's document frequency, which
//! keys of a loose term are worth loading; [`rank`] scores every candidate page from the
//! postings of the settled keys and of the terms' synonym alternatives. The specification, with its reasons and measurements, is
//! ARCHITECTURE.md's "Ranking"; `tests/vectors/ranking.json` pins both implementations to the
//! same top ten with the same scores.

use std::collections::HashMap;

use super::query::{Plan, Term};
use super::tokenizer::GRAM_PREFIX;

/// BM25's k1. High: a question's answer tends to repeat its words, and on judged questions
/// k1 = 8 ranked better than the textbook 1.2 (recall@10 0.226 against 0.205).
pub const BM25_K1: f64 = 8.0;
/// BM25's length normalisation.
pub const BM25_B: f64 = 0.75;
/// Bits of a posting's level: the quantised term-frequency part, then the title bit.
pub const LEVEL_BITS: u32 = 5;
/// Levels of the quantised term-frequency part (bits 0–3 of a posting's level).
pub const TF_LEVELS: u32 = 15;
/// Level bit set when the key occurs in the page title.
pub const TITLE_BIT: u8 = 16;
/// Added to a key's term-frequency part when the key is in the page title.
pub const TITLE_BONUS: f64 = 1.0;
/// A page holding every settled key of a term counts that term this many times.
pub const WHOLE_TERM: f64 = 2.0;
/// A page whose title holds every key of a term gets the term's key weights this many times
/// more: a keyword that names a page finds that page first.
pub const TITLE_TERM: f64 = 3.0;
/// What a page holding a term only through a synonym gets of what holding it would give:
/// less, so that a literal hit ranks first.
pub const SYNONYM: f64 = 0.5;
/// A loose term loads at most this many heavy keys (those whose postings have a file of their
/// own), the rarest first.
pub const MAX_HEAVY_KEYS: usize = 3;
/// How many of the best pages vote for their series (ARCHITECTURE.md, "Ranking", step 5).
pub const SERIES_TOP: usize = 20;
/// What a series' votes are worth: a page of a series holding all of the top pages would gain
/// this share of the best score.
pub const SERIES_WEIGHT: f64 = 1.0;

/// One key's postings: pages in ascending order and each page's level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Postings {
    pub pages: Vec<u32>,
    pub levels: Vec<u8>,
}

/// A candidate page: how many terms it holds every key of, and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    pub page: u32,
    pub held: u32,
    pub score: f64,
}

/// The quantised level of BM25's term-frequency part `part` (in `[0, k1 + 1)`): the square
/// root spreads the levels where most postings are, at one or two occurrences.
pub fn tf_level(part: f64) -> u8 {
    let x = (part / (BM25_K1 + 1.0)).sqrt() * f64::from(TF_LEVELS);
    1 + (x as u32).min(TF_LEVELS - 1) as u8
}

/// The term-frequency part a level stands for: the middle of its range.
fn tf_part(level: u8) -> f64 {
    let lv = f64::from(level & 15);
    if lv == 0.0 {
        return 0.0;
    }
    let x = (lv - 0.5) / f64::from(TF_LEVELS);
    x * x * (BM25_K1 + 1.0)
}

/// A key's inverse document frequency, rounded to six decimals so that the browser's
/// `Math.log` and Rust's `ln` (which may differ in the last bit) give the same weights.
pub fn idf(docs: u32, df: usize) -> f64 {
    let (n, df) = (f64::from(docs), df as f64);
    let raw = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    (raw * 1e6).round() / 1e6
}

/// A posting's weight before the key's IDF: the term-frequency part plus the title bonus.
fn weight(level: u8) -> f64 {
    tf_part(level)
        + if level & TITLE_BIT != 0 {
            TITLE_BONUS
        } else {
            0.0
        }
}

/// What the shards say of a key before its postings are loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyInfo {
    /// Postings inline in the shard, with this document frequency (0: the key is in no page).
    Light(usize),
    /// Postings in a file of their own, with this document frequency.
    Heavy(usize),
}

/// A loose term leaves out keys found in fewer pages than this: in a typed question they are
/// mostly the pair of characters where two words meet, or a typing slip, and as the rarest
/// keys they would weigh most.
pub const LOOSE_MIN_DF: usize = 2;

/// The plan with the keys it will rank with: a loose term keeps its light keys and at most
/// [`MAX_HEAVY_KEYS`] heavy ones, those of lowest document frequency (earlier keys first on a
/// tie); a strict term keeps every key. Common keys of a typed question (怎么、可以、没有) are
/// left out this way by the corpus's own statistics, not by a list, and at a price the browser
/// can pay.
pub fn settle(plan: &Plan, info: &dyn Fn(&str) -> KeyInfo) -> Plan {
    let per_term = plan
        .per_term
        .iter()
        .zip(&plan.loose)
        .map(|(keys, &loose)| {
            if !loose {
                return keys.clone();
            }
            let mut heavy: Vec<(usize, usize)> = keys
                .iter()
                .enumerate()
                .filter_map(|(i, k)| match info(k) {
                    KeyInfo::Heavy(df) => Some((df, i)),
                    KeyInfo::Light(_) => None,
                })
                .collect();
            heavy.sort_unstable();
            let mut dropped: Vec<usize> = heavy.iter().skip(MAX_HEAVY_KEYS).map(|h| h.1).collect();
            dropped.extend(keys.iter().enumerate().filter_map(|(i, k)| {
                matches!(info(k), KeyInfo::Light(df) if df < LOOSE_MIN_DF).then_some(i)
            }));
            keys.iter()
                .enumerate()
                .filter(|(i, _)| !dropped.contains(i))
                .map(|(_, k)| k.clone())
                .collect()
        })
        .collect();
    Plan {
        per_term,
        alternatives: plan.alternatives.clone(),
        loose: plan.loose.clone(),
        boosts: plan.boosts.clone(),
    }
}

/// Ranks every page that answers the settled plan: pages holding more terms whole come first,
/// then higher scores, then lower page numbers. A page holding a term only through a synonym
/// alternative is found with [`SYNONYM`] of that alternative's score and does not count as
/// holding the term. `postings` must hold every settled key (a key in no page may be missing
/// or empty). `series` gives each page's series number (0: none; empty: the site has no
/// series), and [`lift_series`] then reorders.
pub fn rank(
    terms: &[Term],
    plan: &Plan,
    postings: &HashMap<String, Postings>,
    docs: u32,
    series: &[u32],
) -> Vec<Ranked> {
    let n = docs as usize;
    let empty = Postings::default();
    let get = |key: &str| postings.get(key).unwrap_or(&empty);
    let mut score = vec![0.0f64; n];
    let mut held = vec![0u32; n];
    let mut hit = vec![false; n];
    let mut excluded = vec![false; n];
    for (t, (term, keys)) in terms.iter().zip(&plan.per_term).enumerate() {
        let synonym_score = synonym_scores(plan.alternatives.get(t), &get, docs);
        let mut count = vec![0u32; n];
        let mut in_title = vec![0u32; n];
        let mut term_score = vec![0.0f64; n];
        let mut exact_score = vec![0.0f64; n];
        let mut title_score = vec![0.0f64; n];
        for key in keys {
            let p = get(key);
            let w = idf(docs, p.pages.len());
            let is_gram = key.starts_with(GRAM_PREFIX);
            for (&page, &level) in p.pages.iter().zip(&p.levels) {
                let d = page as usize;
                count[d] += 1;
                let s = w * weight(level);
                term_score[d] += s;
                if !is_gram {
                    exact_score[d] += s;
                }
                if level & TITLE_BIT != 0 {
                    in_title[d] += 1;
                    title_score[d] += w;
                }
            }
        }
        for d in 0..n {
            if !keys.is_empty() && count[d] as usize == keys.len() {
                held[d] += 1;
                hit[d] = true;
                score[d] += WHOLE_TERM * term_score[d];
                if in_title[d] == count[d] {
                    score[d] += TITLE_TERM * title_score[d];
                }
            } else {
                if term.quoted {
                    excluded[d] = true;
                }
                // Grams alone (shared characters or digits) do not make a partial answer.
                if exact_score[d] > 0.0 || synonym_score[d] > 0.0 {
                    hit[d] = true;
                    score[d] += exact_score[d] + SYNONYM * synonym_score[d];
                }
            }
        }
    }
    for key in &plan.boosts {
        let p = get(key);
        let w = idf(docs, p.pages.len());
        for (&page, &level) in p.pages.iter().zip(&p.levels) {
            if hit[page as usize] {
                score[page as usize] += w * weight(level);
            }
        }
    }
    let mut out: Vec<Ranked> = (0..n)
        .filter(|&d| hit[d] && !excluded[d])
        .map(|d| Ranked {
            page: d as u32,
            held: held[d],
            score: score[d],
        })
        .collect();
    out.sort_by(by_rank);
    lift_series(&mut out, series);
    out
}

/// Pages holding more terms whole first, then higher scores, then lower page numbers.
fn by_rank(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
    b.held
        .cmp(&a.held)
        .then(b.score.total_cmp(&a.score))
        .then(a.page.cmp(&b.page))
}

/// The series vote: each of the [`SERIES_TOP`] best pages that belongs to a series gives it
/// its score as a share of the best one; every ranked page of a voted series then gains
/// [`SERIES_WEIGHT`] × best score × votes / [`SERIES_TOP`], and the list is sorted again. A
/// question is often answered by one law, and the articles around its best hits are likelier
/// answers than a lone page sharing some words (recall@10 0.227 → 0.247 on the judged
/// questions of the prototype, ARCHITECTURE.md).
pub fn lift_series(ranked: &mut [Ranked], series: &[u32]) {
    if series.is_empty() {
        return;
    }
    let top = &ranked[..ranked.len().min(SERIES_TOP)];
    let best = top.iter().fold(0.0f64, |m, r| m.max(r.score));
    if best <= 0.0 {
        return;
    }
    let mut votes: HashMap<u32, f64> = HashMap::new();
    for r in top {
        let s = series[r.page as usize];
        if s != 0 {
            *votes.entry(s).or_insert(0.0) += r.score / best;
        }
    }
    if votes.is_empty() {
        return;
    }
    for r in ranked.iter_mut() {
        if let Some(v) = votes.get(&series[r.page as usize]) {
            r.score += SERIES_WEIGHT * best * v / SERIES_TOP as f64;
        }
    }
    ranked.sort_by(by_rank);
}

/// Per page, what a term's synonym alternatives give it: for each alternative the page holds
/// whole (every key), twice its postings' sum. A page sharing only pieces of a synonym is not
/// a hit through it.
fn synonym_scores<'a>(
    alternatives: Option<&Vec<Vec<String>>>,
    get: &dyn Fn(&str) -> &'a Postings,
    docs: u32,
) -> Vec<f64> {
    let n = docs as usize;
    let mut out = vec![0.0f64; n];
    for keys in alternatives.into_iter().flatten() {
        let mut count = vec![0u32; n];
        let mut all = vec![0.0f64; n];
        for key in keys {
            let p = get(key);
            let w = idf(docs, p.pages.len());
            for (&page, &level) in p.pages.iter().zip(&p.levels) {
                count[page as usize] += 1;
                all[page as usize] += w * weight(level);
            }
        }
        for d in 0..n {
            if !keys.is_empty() && count[d] as usize == keys.len() {
                out[d] += WHOLE_TERM * all[d];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_to_the_middle_of_their_range() {
        for level in 1..=TF_LEVELS as u8 {
            assert_eq!(tf_level(tf_part(level)), level, "level {level}");
        }
        assert_eq!(tf_level(0.0), 1, "a body occurrence is never level 0");
        assert_eq!(tf_level(BM25_K1 + 1.0), TF_LEVELS as u8);
    }

    #[test]
    fn loose_terms_keep_only_their_rarest_heavy_keys() {
        let plan = Plan {
            alternatives: Vec::new(),
            per_term: vec![
                ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec(),
                ["b", "c"].map(String::from).to_vec(),
            ],
            loose: vec![true, false],
            boosts: Vec::new(),
        };
        let df = |k: &str| match k {
            "b" => KeyInfo::Heavy(900),
            "c" => KeyInfo::Heavy(100),
            "d" => KeyInfo::Heavy(500),
            "e" => KeyInfo::Heavy(500),
            "f" => KeyInfo::Light(1),
            _ => KeyInfo::Light(7),
        };
        let settled = settle(&plan, &df);
        assert_eq!(settled.per_term[0], ["a", "c", "d", "e"]);
        assert_eq!(
            settled.per_term[1],
            ["b", "c"],
            "strict terms keep every key"
        );
    }
}
