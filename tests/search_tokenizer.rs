//! The shared tokenizer vectors (`tests/vectors/tokenizer.json`) against the Rust tokenizer.
//! The browser test harness checks the same file against `window.__shuyuan.tokenize`.

use serde::Deserialize;
use shuyuan::search::tokenizer::terms;

#[derive(Deserialize)]
struct Vector {
    text: String,
    tokens: Vec<String>,
}

#[test]
fn tokenizer_matches_the_shared_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/tokenizer.json");
    let vectors: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors file")).expect("JSON");
    assert!(vectors.len() >= 30, "the spec asks for at least 30 vectors");
    let mut failures = Vec::new();
    for v in &vectors {
        let got: Vec<String> = terms(&v.text).into_iter().map(|t| t.text).collect();
        if got != v.tokens {
            failures.push(format!(
                "{:?}: expected {:?}, got {:?}",
                v.text, v.tokens, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn positions_are_consecutive_across_separators() {
    let toks = terms("国办发〔2021〕16号");
    let positions: Vec<usize> = toks.iter().map(|t| t.position).collect();
    assert_eq!(positions, [0, 1, 2, 3, 4]);
}
