//! The search tokenizer: any text normalises and splits into terms and grams without a
//! panic, and every span it reports lies inside the analysed text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shuyuan::search::tokenizer::{Analysis, grams, normalize, terms};

fuzz_target!(|text: &str| {
    let _ = normalize(text);
    let _ = terms(text);
    let _ = grams(text);
    let analysis = Analysis::new(text);
    for span in analysis.term_spans().iter().chain(&analysis.gram_spans()) {
        let _ = analysis.span_text(span);
        let _ = analysis.token(span);
    }
    for span in analysis.touching_spans() {
        let _ = analysis.span_text(&span);
    }
});
