#!/usr/bin/env python3
"""The benchmark: generated sites, release builds, output and index sizes, bytes a browser
loads per query, and the dev server's latency for a one-page edit.

    bench/run.py [SIZES...] [--mix realistic|uniform] [--runs 3] [--edits 20] [--json FILE]

SIZES are page counts (default 1000 10000 100000), each optionally with its own mix and
number of edits: `10000:uniform`, `100000:realistic:3` (one run builds every size first and
cleans up only at the end; see timed_build). `--edits 0` skips the server. For each size it generates
bench/out/site-<size>-<mix> with bench/gen_corpus.py unless that folder holds the same corpus
already (its corpus.json names the arguments and the generator's hash), copies the
repository's current theme into it, then:
- runs RUNS clean release builds (public/ and .shuyuan/ moved aside first, deleted at the
  end) under /usr/bin/time:
  medians of wall time, user+sys CPU and peak RSS;
- measures the output (bytes and files) and the static search index (public/search);
- runs bench/search_page.mjs (Node, Chromium) on the output: bytes the full search page
  (search.html?q=…) loads per query over HTTP, in a fresh browser context each, until its
  results show;
- runs bench/serve_latency.py twice through `shuyuan serve`: write-to-reload latency of EDITS
  one-page body edits, then of EDITS title (front-matter) edits.
Prints one Markdown table, one row per size; --json FILE writes every figure as JSON.
The release binary is built once, with cargo, at the start.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import gen_corpus

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
QUERIES = {
    "2-char": "业主",
    "4-char": "加装电梯",
    "two-term": "物业 合同",
    "1-char": "党",
    "doc-number": "〔2021〕16号",
    "question": "物业公司中标以后还要和每位业主签合同吗",
}
COLUMNS = [
    ("pages", "pages"), ("mix", "mix"), ("runs", "runs"), ("wall s", "wall_s"),
    ("user+sys s", "cpu_s"), ("peak RSS MB", "peak_rss_mb"), ("output MB", "output_mb"),
    ("files", "files"), ("static index MB", "static_index_mb"),
    ("2-char KB", "query_2-char_kb"), ("4-char KB", "query_4-char_kb"),
    ("two-term KB", "query_two-term_kb"), ("question KB", "query_question_kb"),
    ("edit median ms", "edit_median_ms"), ("edit worst ms", "edit_worst_ms"),
    ("title edit median ms", "title_edit_median_ms"), ("title edit worst ms", "title_edit_worst_ms"),
]
MB = 1024 * 1024


def tree(path):
    """(bytes, files) under `path`."""
    size = files = 0
    for folder, _, names in os.walk(path):
        for name in names:
            size += os.path.getsize(os.path.join(folder, name))
            files += 1
    return size, files


def release_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO,
                          check=True, capture_output=True, text=True)
    return os.path.join(json.loads(meta.stdout)["target_directory"], "release", "shuyuan")


TRASH = os.path.join(BENCH, "out", "trash")
# When TRASH was last emptied; a run starting soon after waits (see timed_build and settle).
EMPTIED = os.path.join(BENCH, "out", "trash-emptied")
# ext4 without a journal avoids reusing an inode for a minute after it was freed (six while
# its inode table block is unwritten): until then, creating a file walks past every recently
# freed one. On the machines these figures come from, that made a clean 10,000-page build
# 40% slower and the 100,000-page build 33 s slower.
SETTLE_S = 6 * 60


def settle():
    """Waits until the last emptying of TRASH is SETTLE_S seconds old."""
    try:
        wait = SETTLE_S - (time.time() - os.path.getmtime(EMPTIED))
    except OSError:
        return
    if wait > 0:
        print(f"waiting {wait:.0f} s: files were deleted moments ago (see SETTLE_S)", file=sys.stderr, flush=True)
        time.sleep(wait)


def timed_build(binary, site):
    """One clean build: (wall s, user+sys s, peak RSS KB).

    The previous output is moved into TRASH, which is emptied only when the benchmark ends:
    on some file systems (ext4 without a journal, as on the machines these figures come
    from) creating files within minutes of deleting as many is several times slower, and
    that would time the benchmark's own clean-up rather than the build."""
    os.makedirs(TRASH, exist_ok=True)
    for generated in ("public", ".shuyuan"):
        path = os.path.join(site, generated)
        if os.path.exists(path):
            os.rename(path, tempfile.mkdtemp(prefix=generated.strip(".") + "-", dir=TRASH) + "/old")
    with tempfile.NamedTemporaryFile("r") as times:
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", times.name, binary, "build", "--root", site],
                       check=True, stdout=subprocess.DEVNULL)
        wall, user, system, rss = times.read().split()
    return float(wall), float(user) + float(system), int(rss)


def builds(binary, pages, mix, runs):
    """Generates the corpus if needed and times RUNS clean builds of it."""
    site = os.path.join(BENCH, "out", f"site-{pages}-{mix}")
    try:
        with open(os.path.join(site, "corpus.json"), encoding="utf-8") as f:
            current = json.load(f) == gen_corpus.stamp(pages, mix, gen_corpus.SEED)
    except (OSError, ValueError):
        current = False
    if not current:
        print(f"{pages} pages ({mix}): generating {site}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, os.path.join(BENCH, "gen_corpus.py"), "--pages", str(pages),
                        "--mix", mix, "--out", site], check=True, stdout=subprocess.DEVNULL)
    # Always the repository's current theme, not the copy made when the corpus was generated.
    shutil.rmtree(os.path.join(site, "themes"), ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "themes"), os.path.join(site, "themes"))
    print(f"{pages} pages ({mix}): {runs} builds", file=sys.stderr, flush=True)
    walls, cpus, rss = zip(*(timed_build(binary, site) for _ in range(runs)))
    return site, walls, cpus, rss


def measure(binary, pages, mix, edits, runs, site, walls, cpus, rss):
    """The row of a size: build times from `builds`, then sizes, query bytes and edits."""
    public = os.path.join(site, "public")
    output, files = tree(public)
    static_index, _ = tree(os.path.join(public, "search"))
    with open(os.path.join(public, "search", "meta.js"), encoding="utf-8") as f:
        build = json.loads(f.read().split("(", 1)[1].rsplit(")", 1)[0])["build"]
    folder = os.path.join(public, "search", build)
    shards = [os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder) if n.startswith("s")]
    row = {
        "pages": pages, "mix": mix, "runs": runs,
        "wall_s": statistics.median(walls), "cpu_s": round(statistics.median(cpus), 2),
        "peak_rss_mb": round(statistics.median(rss) / 1024, 1),
        "walls_s": walls, "cpus_s": [round(c, 2) for c in cpus], "peak_rss_kb": rss,
        "output_bytes": output, "output_mb": round(output / MB, 1), "files": files,
        "static_index_bytes": static_index, "static_index_mb": round(static_index / MB, 1),
        "shards": len(shards), "shard_bytes": sum(shards),
    }
    print(f"{pages} pages ({mix}): queries", file=sys.stderr, flush=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as listed:
        json.dump(list(QUERIES.values()), listed, ensure_ascii=False)
        listed.flush()
        measured = subprocess.run(["node", os.path.join(BENCH, "search_page.mjs"), "bytes", public, listed.name],
                                  check=True, capture_output=True, text=True)
    row["queries"] = {}
    for name, line in zip(QUERIES, measured.stdout.splitlines()):
        q = json.loads(line)
        if q["bytes"] is None:
            sys.exit(f"bench/search_page.mjs: {q['query']}: {q['error']}")
        row["queries"][name] = {k: q[k] for k in ("query", "bytes", "shards", "fragments", "top")}
        row[f"query_{name}_kb"] = round(q["bytes"] / 1024, 1)
    for kind, prefix in (("body", ""), ("title", "title_")) if edits else ():
        print(f"{pages} pages ({mix}): {edits} {kind} edits through serve", file=sys.stderr, flush=True)
        latency = subprocess.run([sys.executable, os.path.join(BENCH, "serve_latency.py"), binary, site,
                                  "--edits", str(edits), "--edit", kind],
                                 capture_output=True, text=True)
        if latency.returncode != 0:
            # The build figures stand on their own; say what failed and go on.
            print(latency.stderr, file=sys.stderr, flush=True)
            row[prefix + "edit_error"] = latency.stderr.strip().splitlines()[-1:]
            continue
        row.update({prefix + k: v for k, v in json.loads(latency.stdout).items()})
    return row


def size_spec(spec, mix, edits):
    """`PAGES[:MIX[:EDITS]]` -> (pages, mix, edits), the defaults filling what is left out."""
    parts = spec.split(":")
    if len(parts) > 3 or parts[1:2] not in ([], ["realistic"], ["uniform"]):
        sys.exit(f"bench/run.py: bad size {spec!r} (PAGES[:realistic|uniform[:EDITS]])")
    return (int(parts[0]), parts[1] if len(parts) > 1 else mix,
            int(parts[2]) if len(parts) > 2 else edits)


def table(rows):
    out = ["| " + " | ".join(c for c, _ in COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    out += ["| " + " | ".join(str(r.get(k, "–")) for _, k in COLUMNS) + " |" for r in rows]
    return "\n".join(out)


def write_json(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"queries": QUERIES, "rows": rows}, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", default=["1000", "10000", "100000"], metavar="SIZES")
    ap.add_argument("--mix", choices=["realistic", "uniform"], default="realistic")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    if args.runs < 1 or args.edits < 0:
        ap.error("--runs must be at least 1 and --edits at least 0 (0: no edits through serve)")
    for tool in ("node", "/usr/bin/time", os.environ.get("SHUYUAN_CHROMIUM", "/usr/bin/chromium")):
        if not shutil.which(tool):
            sys.exit(f"bench/run.py needs {tool}")
    binary = release_binary()
    settle()
    specs = [size_spec(size, args.mix, args.edits) for size in args.sizes]
    try:
        # Every size is built before any server runs: a server deletes its build folders when
        # it stops, and creating files soon after deleting many is slow here (see timed_build).
        built = [builds(binary, pages, mix, args.runs) for pages, mix, _ in specs]
        rows = []
        for spec, b in zip(specs, built):
            rows.append(measure(binary, *spec, args.runs, *b))
            # Each row as soon as it is known: a long run keeps what it measured.
            print(table(rows[-1:]), file=sys.stderr, flush=True)
            if args.json:
                write_json(args.json, rows)
    finally:
        if os.path.exists(TRASH):
            shutil.rmtree(TRASH, ignore_errors=True)
            with open(EMPTIED, "w", encoding="utf-8"):
                pass
    print(table(rows))
    print("\nKB per query = every response of search.html?q=… over HTTP in a fresh browser context until "
          "its results show (HTML, CSS, scripts, meta.js, facets, shards, the first 10 results' fragments); "
          + ", ".join(f"{k}: {v}" for k, v in QUERIES.items()) + " (all in --json)")


if __name__ == "__main__":
    main()
