#!/usr/bin/env python3
"""Search quality on a real corpus: the site's search page and `shuyuan search`, side by side.

    bench/search_eval.py CORPUS_DIR QUESTIONS.tsv [--binary PATH] [--keywords 200] [--seed 1]
                         [--bytes-sample 60] [--tabs 3] [--jobs 2] [--json OUT]

CORPUS_DIR holds `docs/`, a content folder of Markdown pages whose file names are their ids;
QUESTIONS.tsv has one `query<TAB>id,id,…` line per question (a first line whose query column
reads `query` is a header). Neither is part of the project: both are arguments, and what this
script writes stays in bench/out/ (or OUT). It
- makes bench/out/search-eval-<corpus folder name>/ with a neutral site.toml (a title, search
  on), `content` a symlink to CORPUS_DIR/docs (the loader follows symlinks) and the
  repository's current theme, and builds it with the release binary (built by cargo unless
  --binary is given);
- derives a keyword set from the corpus, the same for the same corpus and --seed: half
  navigational queries, a law's name without 中华人民共和国 and an article label as the
  corpus titles have them (`劳动合同法第四十七条`, right answer: the page with that title),
  half substrings of 2–4 Han characters taken from page bodies;
- asks the search page (search.html?q=… from file:// in Chromium, through
  bench/search_page.mjs) and `shuyuan search --json --limit 10` every question and keyword
  and keeps the top ten of each, in rank order;
- scores both: recall@10 and MRR@10 on the questions (a result counts for an id when the id
  occurs in its URL), MRR@10 of the right article on navigational keywords, and for
  substrings the substring recall@10 (pages containing it among the top ten, over
  min(10, pages containing it), "containing" meaning its title or body text) and the share
  of substrings whose first min(10, pages containing it) results all contain it;
- compares page and CLI per query: |page ∩ CLI| / max(|page|, |CLI|) over the top ten
  (pages compared without their #section; 1 when both are empty), averaged over the queries,
  and the share of queries whose first result is the same page;
- measures bytes per query on the full search page over HTTP: the site served on 127.0.0.1
  under /kb/, each query opened in a fresh browser context, every response body counted
  until the results are shown; for a seeded sample of --bytes-sample questions, navigational
  and substring keywords each (0: all of them).
Prints one Markdown table (page and CLI rows) and the agreement lines; --json OUT writes every
figure, and every query's results, to OUT. Needs Node, `npm ci --prefix tests/browser` and
/usr/bin/chromium (or SHUYUAN_CHROMIUM).
"""

import argparse
import concurrent.futures
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

from run import release_binary

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
TOP = 10
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
# `中华人民共和国劳动合同法 第四十七条`, `…刑法 第一百二十条之一`: a law's name and an article label.
ARTICLE_TITLE = re.compile(r"^(\S+)\s+(第[〇零一二三四五六七八九十百千两]+条(?:之[一二三四五六七八九十]+)?)$")
NATIONAL_PREFIX = "中华人民共和国"
# Inline Markdown marks that sit inside a run of text the reader sees whole (`**第一条**　为了`).
INLINE_MARKS = re.compile(r"[*_`]")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def log(message):
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- inputs

def read_questions(path):
    """[(query, [relevant id, …])] from QUESTIONS.tsv."""
    questions = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            query, _, ids = line.partition("\t")
            if number == 0 and query.strip().lower() == "query":
                continue
            questions.append((query, [i for i in ids.split(",") if i.strip()]))
    return questions


def split_front_matter(text):
    """(title, body) of a page with YAML front matter between `---` lines."""
    title, body = "", text
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end >= 0:
            for line in text[4:end].splitlines():
                if line.startswith("title:"):
                    value = line[len("title:"):].strip()
                    title = json.loads(value) if value.startswith('"') else value.strip("'")
            body = text[end + 4:].split("\n", 1)[1] if "\n" in text[end + 4:] else ""
    return title, body


def plain_text(markdown):
    """A page body as the reader sees its words: links as their text, inline marks, heading
    and quote markers and table bars gone (bars end a run, as cell borders do)."""
    lines = []
    for line in LINK.sub(r"\1", markdown).replace("|", "\n").splitlines():
        lines.append(INLINE_MARKS.sub("", line).lstrip("#> ").strip())
    return "\n".join(lines)


def read_corpus(corpus_dir):
    """{id: {"title", "body", "text"}} of every page under CORPUS_DIR/docs, `text` being the
    title and body text in which a substring keyword must occur."""
    docs = {}
    for folder, _, names in sorted(os.walk(os.path.join(corpus_dir, "docs"))):
        for name in sorted(names):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                title, body = split_front_matter(f.read())
            body = plain_text(body)
            docs[name[:-3]] = {"title": title, "body": body, "text": title + "\n" + body}
    return docs


def keyword_set(docs, count, seed):
    """`count` queries from the corpus, the same for the same corpus and seed: half
    navigational {"query", "kind": "nav", "ids"}, half {"query", "kind": "substring"}."""
    rng = random.Random(seed)
    ids = sorted(docs)
    by_query = {}
    for doc_id in ids:
        match = ARTICLE_TITLE.match(docs[doc_id]["title"])
        if match:
            name, label = match.groups()
            short = name[len(NATIONAL_PREFIX):] if name.startswith(NATIONAL_PREFIX) and name != NATIONAL_PREFIX else name
            by_query.setdefault(short + label, []).append(doc_id)
    navigational = sorted(by_query)
    nav = rng.sample(navigational, min(count // 2, len(navigational)))
    keywords = [{"query": q, "kind": "nav", "ids": by_query[q]} for q in nav]
    seen = set(nav)
    attempts = 0
    while len(keywords) < count and attempts < 100 * count:
        attempts += 1
        length = rng.choice((2, 3, 4))
        runs = [r for r in HAN_RUN.findall(docs[rng.choice(ids)]["body"]) if len(r) >= length]
        if not runs:
            continue
        run = rng.choice(runs)
        start = rng.randrange(len(run) - length + 1)
        substring = run[start:start + length]
        if substring not in seen:
            seen.add(substring)
            keywords.append({"query": substring, "kind": "substring"})
    return keywords


# ------------------------------------------------------------------------------- site

def make_site(corpus_dir, binary):
    """Builds the corpus as a site under bench/out/; returns the site folder."""
    site = os.path.join(BENCH, "out", "search-eval-" + os.path.basename(os.path.abspath(corpus_dir)))
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "site.toml"), "w", encoding="utf-8") as f:
        # content/ is a symlink to the corpus, outside the site folder: allowed explicitly.
        f.write('title = "检索评测"\n\n[search]\nenabled = true\n\n[content]\nallow_symlinks_outside = true\n')
    content = os.path.join(site, "content")
    if os.path.lexists(content):
        os.remove(content)
    os.symlink(os.path.join(os.path.abspath(corpus_dir), "docs"), content)
    # Always the repository's current theme: the search page under test is its search.js.
    shutil.rmtree(os.path.join(site, "themes"), ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "themes"), os.path.join(site, "themes"))
    log(f"building {site}")
    started = time.monotonic()
    subprocess.run([binary, "build", "--root", site], check=True, stdout=subprocess.DEVNULL)
    return site, time.monotonic() - started


# ---------------------------------------------------------------------------- results

def browser(mode, public, queries, tabs):
    """Runs bench/search_page.mjs on `queries`: one dict per query, in order."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as listed:
        json.dump(queries, listed, ensure_ascii=False)
        listed.flush()
        command = ["node", os.path.join(BENCH, "search_page.mjs"), mode, public, listed.name, "--tabs", str(tabs)]
        rows = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, encoding="utf-8") as helper:
            for line in helper.stdout:
                rows.append(json.loads(line))
                if len(rows) % 50 == 0:
                    log(f"  {mode}: {len(rows)}/{len(queries)}")
        if helper.returncode != 0 or len(rows) != len(queries):
            sys.exit(f"bench/search_page.mjs {mode} failed (exit {helper.returncode}, {len(rows)} of {len(queries)} queries)")
    return rows


def cli_results(binary, site, queries, jobs):
    """{query: {"results": [url, …], "error"}} from `shuyuan search --json`, run in the site."""
    def one(query):
        done = subprocess.run([binary, "search", "--json", "--limit", str(TOP), "--", query],
                              cwd=site, capture_output=True, text=True, encoding="utf-8")
        if done.returncode != 0:
            return query, {"results": [], "error": done.stderr.strip()}
        return query, {"results": [hit["url"] for hit in json.loads(done.stdout)][:TOP], "error": None}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return dict(pool.map(one, queries))


# ---------------------------------------------------------------------------- scoring

def page_of(url):
    """The page a result links to, without its #section."""
    return url.split("#", 1)[0]


def doc_id(url):
    """`policy/art-05644.html#x` -> `art-05644`."""
    return page_of(url).rsplit("/", 1)[-1].removesuffix(".html")


def reciprocal_rank(results, ids):
    for rank, url in enumerate(results[:TOP], 1):
        if any(i in url for i in ids):
            return 1 / rank
    return 0.0


def relevance(results, ids):
    """(recall@10, reciprocal rank) of one ranked list against relevant ids."""
    top = results[:TOP]
    found = [i for i in ids if any(i in url for url in top)]
    return len(found) / len(ids), reciprocal_rank(results, ids)


def substring_scores(results, containing):
    """(substring recall@10, whether the first min(10, pages containing it) results all
    contain it, share of the top ten containing it or None when there are none)."""
    top = [doc_id(url) for url in results[:TOP]]
    held = sum(1 for d in top if d in containing)
    wanted = min(TOP, len(containing))
    first = all(d in containing for d in top[:wanted]) and len(top) >= wanted
    return held / wanted, first, held / len(top) if top else None


def agreement(page, cli):
    """(|page ∩ CLI| / max(|page|, |CLI|), same first result) over the top ten, by page."""
    a, b = [page_of(u) for u in page[:TOP]], [page_of(u) for u in cli[:TOP]]
    if not a and not b:
        return 1.0, True
    return len(set(a) & set(b)) / max(len(set(a)), len(set(b))), a[:1] == b[:1]


def mean(values):
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 3) if values else None


def score(questions, keywords, docs, page, cli):
    """Every figure except bytes: {"page": {…}, "cli": {…}, "agreement": {…}}."""
    containing = {}
    for k in keywords:
        if k["kind"] == "substring":
            containing[k["query"]] = {d for d, doc in docs.items() if k["query"] in doc["text"]}
    figures = {}
    for name, got in (("page", page), ("cli", cli)):
        q = [relevance(got[query]["results"], ids) for query, ids in questions]
        nav = [reciprocal_rank(got[k["query"]]["results"], k["ids"]) for k in keywords if k["kind"] == "nav"]
        sub = [substring_scores(got[k["query"]]["results"], containing[k["query"]])
               for k in keywords if k["kind"] == "substring"]
        figures[name] = {
            "recall@10": mean(r for r, _ in q), "mrr@10": mean(m for _, m in q),
            "answered": mean(1.0 if got[query]["results"] else 0.0 for query, _ in questions),
            "nav_mrr@10": mean(nav),
            "substring_recall@10": mean(r for r, _, _ in sub),
            "substring_first": mean(1.0 if f else 0.0 for _, f, _ in sub),
            "substring_contain@10": mean(c for _, _, c in sub),
            "errors": sum(1 for v in got.values() if v["error"]),
        }
    groups = {"questions": [q for q, _ in questions],
              "nav": [k["query"] for k in keywords if k["kind"] == "nav"],
              "substring": [k["query"] for k in keywords if k["kind"] == "substring"]}
    figures["agreement"] = {}
    for group, queries in groups.items():
        pairs = [agreement(page[q]["results"], cli[q]["results"]) for q in queries]
        figures["agreement"][group] = {"queries": len(queries), "overlap@10": mean(o for o, _ in pairs),
                                       "same_first": mean(1.0 if s else 0.0 for _, s in pairs)}
    return figures


def bytes_figures(rows):
    measured = [r["bytes"] for r in rows if r.get("bytes") is not None]
    if not measured:
        return {"queries": 0, "failed": len(rows)}
    return {"queries": len(measured), "failed": len(rows) - len(measured),
            "median_kb": round(statistics.median(measured) / 1024, 1), "max_kb": round(max(measured) / 1024, 1)}


# ----------------------------------------------------------------------------- report

def table(figures, sizes):
    def cell(value):
        return "–" if value is None else str(value)

    def kb(group):
        b = figures.get("bytes", {}).get(group)
        return f"{b['median_kb']} / {b['max_kb']}" if b and b.get("queries") else "–"

    header = ["results from", "recall@10", "MRR@10", "nav MRR@10", "substring recall@10",
              "substring pages first", "agreement@10 (questions)", "KB/question median / max",
              "KB/2–4-char keyword median / max"]
    overlap = figures["agreement"]["questions"]["overlap@10"]
    rows = [
        ["page (search.html, file://)", *(cell(figures["page"][k]) for k in
         ("recall@10", "mrr@10", "nav_mrr@10", "substring_recall@10", "substring_first")),
         cell(overlap), kb("questions"), kb("substring")],
        ["CLI (`shuyuan search --json`)", *(cell(figures["cli"][k]) for k in
         ("recall@10", "mrr@10", "nav_mrr@10", "substring_recall@10", "substring_first")),
         cell(overlap), "–", "–"],
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines.append("")
    lines.append("Substring recall@10: pages whose title or body text contains the keyword among the top ten, "
                 "over min(10, such pages); substring pages first: share of keywords whose first "
                 "min(10, such pages) results all contain it.")
    lines.append(f"{sizes['questions']} questions, {sizes['nav']} navigational and {sizes['substring']} "
                 f"substring keywords (seed {sizes['seed']}). Page vs CLI over the top ten, by page "
                 "(#section ignored), averaged per query: |page ∩ CLI| / max(|page|, |CLI|), 1 when "
                 "both are empty; same first result likewise (both empty counts as the same):")
    for group, label in (("questions", "questions"), ("nav", "navigational keywords"),
                         ("substring", "2–4 character keywords")):
        a = figures["agreement"][group]
        lines.append(f"- {label} ({a['queries']}): overlap {cell(a['overlap@10'])}, same first result {cell(a['same_first'])}")
    lines.append(f"Questions with at least one result: page {figures['page']['answered']}, "
                 f"CLI {figures['cli']['answered']}.")
    failed = {name: figures[name]["errors"] for name in ("page", "cli") if figures[name]["errors"]}
    if failed:
        lines.append("Queries that failed (counted as no results; see --json): "
                     + ", ".join(f"{name} {n}" for name, n in failed.items()))
    measured = []
    for group, label in (("questions", "questions"), ("substring", "2–4 character keywords"),
                         ("nav", "navigational keywords")):
        b = figures.get("bytes", {}).get(group)
        if b and b["queries"]:
            extra = f", {b['failed']} failed" if b["failed"] else ""
            measured.append(f"{label} {b['median_kb']} / {b['max_kb']} ({b['queries']} queries{extra})")
        elif b:
            measured.append(f"{label}: all {b['failed']} failed")
    if measured:
        lines.append("Bytes per query, cold: every response body of search.html?q=… over HTTP in a fresh "
                     "browser context until the results show, KB median / max: " + "; ".join(measured))
    return "\n".join(lines)


def sample(items, size, rng):
    return list(items) if size == 0 or size >= len(items) else rng.sample(list(items), size)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", metavar="CORPUS_DIR")
    ap.add_argument("questions", metavar="QUESTIONS.tsv")
    ap.add_argument("--binary", metavar="PATH", help="a built shuyuan (default: cargo build --release)")
    ap.add_argument("--keywords", type=int, default=200, metavar="N")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bytes-sample", type=int, default=60, metavar="N",
                    help="queries of each group measured for bytes (0: all)")
    ap.add_argument("--tabs", type=int, default=3, help="browser tabs asking the search page")
    ap.add_argument("--jobs", type=int, default=2, help="CLI searches at a time")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.corpus, "docs")):
        ap.error(f"{args.corpus}/docs is not a folder")
    if not os.path.isfile(args.questions):
        ap.error(f"{args.questions} is not a file")
    if args.keywords < 0 or args.bytes_sample < 0 or args.tabs < 1 or args.jobs < 1:
        ap.error("--keywords and --bytes-sample take 0 or more, --tabs and --jobs 1 or more")
    started = time.monotonic()
    binary = os.path.abspath(args.binary) if args.binary else release_binary()
    questions = read_questions(args.questions)
    docs = read_corpus(args.corpus)
    keywords = keyword_set(docs, args.keywords, args.seed)
    log(f"{len(docs)} pages, {len(questions)} questions, {len(keywords)} keywords")
    site, build_s = make_site(args.corpus, binary)
    public = os.path.join(site, "public")
    queries = list(dict.fromkeys([q for q, _ in questions] + [k["query"] for k in keywords]))

    phases = {"build": round(build_s, 1)}
    log(f"search page: {len(queries)} queries")
    at = time.monotonic()
    page = {r["query"]: r for r in browser("results", public, queries, args.tabs)}
    phases["page"] = round(time.monotonic() - at, 1)
    log(f"CLI: {len(queries)} queries")
    at = time.monotonic()
    cli = cli_results(binary, site, queries, args.jobs)
    phases["cli"] = round(time.monotonic() - at, 1)
    figures = score(questions, keywords, docs, page, cli)

    rng = random.Random(args.seed)
    groups = {"questions": [q for q, _ in questions],
              "substring": [k["query"] for k in keywords if k["kind"] == "substring"],
              "nav": [k["query"] for k in keywords if k["kind"] == "nav"]}
    measured = {g: sample(dict.fromkeys(qs), args.bytes_sample, rng) for g, qs in groups.items()}
    log(f"bytes: {sum(map(len, measured.values()))} queries, each in a fresh browser context")
    at = time.monotonic()
    rows = browser("bytes", public, [q for qs in measured.values() for q in qs], 1)
    phases["bytes"] = round(time.monotonic() - at, 1)
    figures["bytes"], at = {}, 0
    for group, qs in measured.items():
        figures["bytes"][group] = bytes_figures(rows[at:at + len(qs)])
        at += len(qs)
    figures["phases_s"] = phases
    figures["run_s"] = round(time.monotonic() - started, 1)
    sizes = {"questions": len(questions), "nav": len(groups["nav"]), "substring": len(groups["substring"]),
             "seed": args.seed}
    print(table(figures, sizes))
    print(f"\n{len(docs)} pages; seconds: " + ", ".join(f"{k} {v}" for k, v in phases.items())
          + f", whole run {figures['run_s']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"figures": figures, "sizes": sizes, "keywords": keywords, "page": page, "cli": cli,
                       "bytes": rows}, f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
