#!/bin/sh
# Runs every fuzz target for SECONDS seconds each (default 60), one after another, starting
# from the committed seeds in fuzz/seeds/<target>/. New inputs go to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/ (both ignored by git). Prints one line per target with
# how long it ran and the crash files it left; exits 1 if any target crashed.
#
#   fuzz/run.sh [SECONDS]        needs `cargo +nightly` and `cargo install cargo-fuzz`
#
# SANITIZER=address runs under AddressSanitizer (slower); the default, none, suits safe Rust,
# where what fuzzing finds is panics, overflows (debug assertions are on), stack overflows,
# timeouts and memory blow-ups.
set -u
seconds=${1:-60}
sanitizer=${SANITIZER:-none}
cd "$(dirname "$0")" || exit 2
targets="front_matter markdown resolve tokenizer query"
cargo +nightly fuzz build --sanitizer "$sanitizer" || exit 2
failed=0
for target in $targets; do
    mkdir -p "corpus/$target" "artifacts/$target"
    start=$(date +%s)
    # -timeout: one input taking 10 s is a hang (quadratic or worse); -rss_limit_mb: memory.
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" >"artifacts/$target.log" 2>&1
    status=$?
    ran=$(( $(date +%s) - start ))
    crashes=$(find "artifacts/$target" -type f | wc -l)
    runs=$(grep -o 'Done [0-9]* runs' "artifacts/$target.log" | tail -1)
    echo "$target: ran ${ran} s, ${runs:-no summary}, exit $status, $crashes crash file(s)"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        tail -n 30 "artifacts/$target.log"
    fi
done
exit $failed
