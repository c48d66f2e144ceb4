#!/usr/bin/env bash
# Build benchmark: median of RUNS release builds of a generated site.
#   bench/build.sh [PAGES] [MIX] [RUNS]     e.g. bench/build.sh 10000 uniform 3
# Prints wall time, user+sys CPU and peak RSS (median of the runs), output size and file count.
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-10000}; mix=${2:-uniform}; runs=${3:-3}
site="bench/out/site-${pages}-${mix}"
cargo build --release --quiet
[ -d "$site/content" ] || python3 bench/gen_corpus.py --pages "$pages" --mix "$mix" --out "$site"
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
search=$(du -sb "$site/public/search" 2>/dev/null | cut -f1 || echo 0)
printf 'pages=%s mix=%s runs=%s\n' "$pages" "$mix" "$runs"
printf 'wall_s=%s cpu_s=%s peak_rss_mb=%s\n' "$(median "${walls[@]}")" "$(median "${cpus[@]}")" "$(( $(median "${rss[@]}") / 1024 ))"
printf 'output_mb=%s files=%s search_index_mb=%s\n' "$(( size / 1048576 ))" "$files" "$(( search / 1048576 ))"
