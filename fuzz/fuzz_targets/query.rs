//! The query parser: any query (quotes, full-width marks, punctuation) parses into terms and
//! a key plan, with and without synonym groups, without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shuyuan::search::query::{expand, parse, plan};

fuzz_target!(|query: &str| {
    let terms = parse(query);
    let groups = vec![
        vec!["两委".to_string(), "村民委员会".to_string()],
        vec!["低保".to_string(), "最低生活保障".to_string()],
    ];
    for groups in [&[][..], &groups[..]] {
        let alternatives = expand(&terms, groups);
        let _ = plan(&terms, &alternatives);
    }
});
