#!/usr/bin/env bash
# Search benchmark: builds a deterministic 10,000-page Chinese corpus with `search::build` and
# reports build time, index sizes, shard count and the bytes a browser loads per query.
# Usage: bench/search.sh [PAGES] [OUT_DIR]   (run from anywhere; output goes to bench/out by default)
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --example search_bench -- "$@"
