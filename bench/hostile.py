#!/usr/bin/env python3
"""Hostile inputs: one page each that used to take time or memory growing with the square of
its size (or gigabytes, or crash the build), built by the release binary with time and peak
memory.

    bench/hostile.py [--only NAME ...] [--scale 1.0] [--timeout 120] [--keep] [--cpu-only]
                     [--dir FOLDER]

For each case it creates a fresh site with `shuyuan init` in a temporary folder, adds
content/cases/hostile.md holding the generated body, runs `shuyuan build` and prints one
Markdown table row: exit code, wall time, user+sys CPU time and peak RSS of the build process
(from wait4's rusage, so only that process), the first error code it printed, and whether it
met the target: at most 2 s (the larger of wall and CPU time, or CPU time alone with
`--cpu-only`, for a machine busy with other work) and 500 MB, and no crash (a signal or a
panic). A case the guard rejects exits 1 with its error: that is a pass, the point is that it
fails fast and clearly. `--scale` multiplies every size (0.1 for a quick look); `--keep`
leaves the sites behind. The release binary is built once, with cargo, at the start. The exit
status is 1 when any case misses the target.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME_LIMIT_S = 2.0
RSS_LIMIT_MB = 500
# A page of `shuyuan init`'s starter site, the target of the wiki links.
LINK_TARGET = "shili-anli"


def footnotes(n):
    refs = "".join(f"注{i}[^{i}]，" for i in range(n))
    notes = "".join(f"[^{i}]: 第{i}条注释。\n" for i in range(n))
    return f"{refs}\n\n{notes}"


def wide_table(n):
    header = "|" + "|".join(f"列{i}" for i in range(n)) + "|\n"
    rule = "|" + "---|" * n + "\n"
    row = "|" + "|".join("值" for _ in range(n)) + "|\n"
    return header + rule + row


def wiki_links(n):
    return "依据" + "、".join(f"[[{LINK_TARGET}]]" for _ in range(n)) + "办理。\n"


def nested_stars(n):
    return "*" * n + "重点" + "*" * n + "\n"


def alternating_emphasis(n):
    return "*_" * n + "重点" + "_*" * n + "\n"


def nested_brackets(n):
    return "[" * n + "链接" + "]" * n + "\n"


def dense(unit, megabytes):
    """`unit` repeated to `megabytes`: markup as dense as a page gets (8 MB of `[^1]` took
    3.1 GB and 15 s before pages were limited to a million marks)."""
    return unit * int(megabytes * 1024 * 1024 / len(unit.encode())) + "\n"


def long_line(megabytes):
    unit = "社区议事会讨论加装电梯的费用分摊方案，业主 A 与 B 意见不一；"
    count = int(megabytes * 1024 * 1024 / len(unit.encode()))
    return unit * count + "\n"


CASES = [
    ("footnotes", "100,000 footnotes", lambda s: footnotes(int(100_000 * s))),
    ("wide-table", "table with a 20,000-column header", lambda s: wide_table(int(20_000 * s))),
    ("wiki-links", "30,000 [[slug]] links in one paragraph", lambda s: wiki_links(int(30_000 * s))),
    ("nested-stars", "100,000 nested * (each side)", lambda s: nested_stars(int(100_000 * s))),
    ("alternating", "12,000 alternating *_ pairs (each side)",
     lambda s: alternating_emphasis(int(12_000 * s))),
    ("nested-brackets", "100,000 nested [ (each side)",
     lambda s: nested_brackets(int(100_000 * s))),
    ("long-line", "5 MB single line", lambda s: long_line(5 * s)),
    ("dense-refs", "7.5 MB of footnote references [^1]", lambda s: dense("[^1]", 7.5 * s)),
    ("dense-emphasis", "7.5 MB of *a* emphasis", lambda s: dense("*a* ", 7.5 * s)),
    ("dense-headings", "7.5 MB of # a heading lines", lambda s: dense("# a\n", 7.5 * s)),
    ("dense-addresses", "7.5 MB of bare www.a.cn addresses", lambda s: dense("www.a.cn ", 7.5 * s)),
]


def release_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO,
                          check=True, capture_output=True, text=True)
    return os.path.join(json.loads(meta.stdout)["target_directory"], "release", "shuyuan")


def timed(command, timeout):
    """(exit code or signal name, wall seconds, CPU seconds, peak RSS in MB, stderr) of one
    process."""
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
        wall = time.monotonic() - start
        # Popen must not wait for a process wait4 has already reaped.
        process.returncode = 0
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if os.WIFSIGNALED(status):
        timed_out = wall > timeout
        code = "timeout" if timed_out else signal.Signals(os.WTERMSIG(status)).name
    else:
        code = os.WEXITSTATUS(status)
    # ru_maxrss is in kilobytes on Linux.
    return code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stderr


def run_case(binary, name, body, timeout, keep, cpu_only, parent):
    folder = tempfile.mkdtemp(prefix=f"shuyuan-hostile-{name}-", dir=parent)
    try:
        site = os.path.join(folder, "site")
        subprocess.run([binary, "init", site], check=True, capture_output=True)
        page = os.path.join(site, "content", "cases", "hostile.md")
        with open(page, "w", encoding="utf-8") as f:
            f.write("---\ntitle: 压力测试\n---\n" + body)
        size_mb = os.path.getsize(page) / 1024 / 1024
        code, wall, cpu, rss, stderr = timed([binary, "build", "--root", site], timeout)
        first_error = re.search(r"错误\[([a-z0-9-]+)\][^\n]*\n\s*--> ([^\n]*)", stderr)
        error = f"{first_error.group(1)} at {first_error.group(2)}" if first_error else ""
        crashed = not isinstance(code, int) or code not in (0, 1) or "panicked" in stderr
        # On a shared machine wall time mostly measures the neighbours; CPU time does not.
        seconds = cpu if cpu_only else max(wall, cpu)
        ok = not crashed and seconds <= TIME_LIMIT_S and rss <= RSS_LIMIT_MB
        return size_mb, code, wall, cpu, rss, error, ok
    finally:
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=[c[0] for c in CASES])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--dir", help="where the sites go (default the temp dir; /dev/shm "
                        "leaves the disk out of the figures)")
    parser.add_argument("--cpu-only", action="store_true",
                        help="judge time by CPU seconds alone (on a busy shared machine)")
    args = parser.parse_args()
    binary = release_binary()
    print("| case | input | page MB | exit | wall s | user+sys s | peak RSS MB | first error | ok |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    failed = 0
    for name, description, generate in CASES:
        if args.only and name not in args.only:
            continue
        body = generate(args.scale)
        size_mb, code, wall, cpu, rss, error, ok = run_case(binary, name, body, args.timeout,
                                                            args.keep, args.cpu_only, args.dir)
        failed += not ok
        print(f"| {name} | {description} | {size_mb:.1f} | {code} | {wall:.2f} | {cpu:.2f} "
              f"| {rss:.0f} | {error} | {'yes' if ok else 'NO'} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
