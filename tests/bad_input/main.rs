//! Bad input: one case per failure mode, each on a real site in a temporary folder built by
//! the real binary. Every case first builds a good site, then breaks it, runs the command
//! and checks the exit code, the `错误[code]` at its `path:line:col`, that nothing panicked,
//! that every message is Chinese, and that `public/` (whatever was there before the failing
//! run) is byte for byte as it was (see [`harness::run_case`]).
//!
//! The cases are grouped by what goes wrong: `escapes` (a file replacing another producer's,
//! paths leading out of the site), `ownership` (what a build or pack may replace), `names`
//! (names that break on Windows), `content` (bodies, front matter, links and settings an
//! editor gets wrong), and `commands` (the place a command works on: an output at a file
//! system's root, a damaged search index, a theme without templates, an address to serve on
//! that the machine lacks). `still_builds` holds the other side: what must keep building,
//! warnings and all.

#[path = "../common/mod.rs"]
mod common;

mod commands;
mod content;
mod escapes;
mod harness;
mod names;
mod ownership;
mod still_builds;

use harness::Case;

fn all_cases() -> impl Iterator<Item = &'static Case> {
    [
        escapes::CASES,
        ownership::CASES,
        names::CASES,
        content::CASES,
    ]
    .into_iter()
    .flatten()
}

#[test]
fn every_bad_input_fails_cleanly_where_it_is_written() {
    let mut failures = Vec::new();
    let mut count = 0;
    for case in all_cases() {
        count += 1;
        if let Err(why) = std::panic::catch_unwind(|| harness::run_case(case)) {
            let why = why
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| why.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("— {}: {why}", case.name));
        }
    }
    let _ = std::fs::remove_dir_all(harness::outside());
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Issue #12 asks for at least 60 failure modes, one case each: no two cases share a name.
#[test]
fn the_suite_holds_sixty_distinct_failure_modes() {
    let mut names: Vec<&str> = all_cases().map(|case| case.name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two cases share a name");
    // Symlink cases run on Unix only.
    if cfg!(unix) {
        assert!(count >= 60, "{count} cases");
    }
}
