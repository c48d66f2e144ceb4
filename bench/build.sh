#!/usr/bin/env bash
# Build benchmark: median of RUNS release builds of a generated site.
#   bench/build.sh [PAGES] [MIX] [RUNS]     e.g. bench/build.sh 10000 uniform 3
# Prints one table row: wall time, user+sys CPU and peak RSS (medians of the runs), output
# size, file count and index sizes. BENCH_JSON=FILE also writes the figures as JSON.
# Bytes a browser loads per query: bench/search.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-10000}; mix=${2:-uniform}; runs=${3:-3}
site="bench/out/site-${pages}-${mix}"
cargo build --release --quiet
[ -d "$site/content" ] || python3 bench/gen_corpus.py --pages "$pages" --mix "$mix" --out "$site"
# Always the repository's current theme, not the copy made when the corpus was generated.
rm -rf "$site/themes" && cp -r themes "$site/themes"
bin="$PWD/target/release/shuyuan"
walls=(); cpus=(); rss=()
for _ in $(seq "$runs"); do
  rm -rf "$site/public"
  /usr/bin/time -f "%e %U %S %M" -o /tmp/shuyuan-bench-time "$bin" build --root "$site" >/dev/null
  read -r wall user sys maxkb < /tmp/shuyuan-bench-time
  walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)"); rss+=("$maxkb")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
size=$(du -sb "$site/public" | cut -f1)
files=$(find "$site/public" -type f | wc -l)
static=$(du -sb "$site/public/search" 2>/dev/null | cut -f1 || echo 0)
tantivy=$(du -sb "$site/.shuyuan/index" 2>/dev/null | cut -f1 || echo 0)
wall=$(median "${walls[@]}"); cpu=$(median "${cpus[@]}"); peak=$(( $(median "${rss[@]}") / 1024 ))
printf '| pages | mix | runs | wall s | user+sys s | peak RSS MB | output MB | files | static index MB | tantivy MB |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$pages" "$mix" "$runs" "$wall" "$cpu" "$peak" \
  "$(( size / 1048576 ))" "$files" "$(( static / 1048576 ))" "$(( tantivy / 1048576 ))"
if [ -n "${BENCH_JSON:-}" ]; then
  printf '{"pages":%s,"mix":"%s","runs":%s,"wall_s":%s,"cpu_s":%s,"peak_rss_mb":%s,"output_bytes":%s,"files":%s,"static_index_bytes":%s,"tantivy_bytes":%s}\n' \
    "$pages" "$mix" "$runs" "$wall" "$cpu" "$peak" "$size" "$files" "$static" "$tantivy" > "$BENCH_JSON"
fi
