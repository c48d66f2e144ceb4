#!/usr/bin/env python3
"""Incremental rebuild latency through the real dev server.

    python3 bench/serve_latency.py BIN SITE [--edits 20] [--edit body|title|tag|date]

Starts `BIN serve --root SITE --port 0`, opens a page's live-reload event stream as a
browser does, then edits one page (the first case, in path order) EDITS times: `body`
appends a sentence, `title` gives the page a new title in its front matter (so its section
list, neighbours, related lists and the pages linking to it change too), `tag` adds a tag no
other page has (a new term page, and the page's related lists are ranked again), `date`
gives it a new date (it moves in the newest-first lists: home, changes, term pages). Each edit is timed
from the write until the stream's `reload` event. Before
each edit it waits until the server is idle (no CPU used for half a second, after the
catch-up the server starts 0.5 s after a save), so every edit is measured from a quiet
server. The page is restored and the server stopped at the end. Prints one JSON object:
median and worst of the write-to-reload latencies and of the build times the server reports,
the median background work after an edit's reload (the catch-up 0.5 s after the save, then
the search re-index): the server's CPU time from the reload until it is idle again, the
cleaner figure, and the wall time until then less the idle half second (which holds the
catch-up's wait and up to 0.1 s of polling); and the server's peak resident memory (VmHWM)
once the last edit is re-indexed.
"""

import argparse
import http.client
import json
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

STARTUP = 3600  # seconds: the first build of a large site
EVENT = 600     # seconds: one edit's reload
IDLE = 0.5      # seconds without CPU that count as idle
IDLE_LIMIT = 1800  # seconds: longest wait for an idle server (re-indexing a large site)
CATCH_UP = 0.6  # the server catches up 0.5 s after the last save


def lines(stream, into):
    for line in stream:
        into.put(line.rstrip("\n"))


def wait_line(out, needle, timeout, server, log):
    """The server's next line holding `needle`; exits with the server's last words if it
    stops first (another run holding the site's lock, a failed first build)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"serve_latency: no line with {needle!r} within {timeout} s")
        try:
            line = out.get(timeout=min(left, 1.0))
        except queue.Empty:
            if server.poll() is not None:
                sys.exit(f"serve_latency: the server exited with code {server.returncode}:\n"
                         f"{last_lines(log)}")
            continue
        if needle in line:
            return line


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


def peak_rss_mb(pid):
    """The process's peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def wait_idle(pid):
    time.sleep(CATCH_UP)
    last, quiet_since = cpu_ticks(pid), time.monotonic()
    deadline = quiet_since + IDLE_LIMIT
    while time.monotonic() - quiet_since < IDLE:
        if time.monotonic() > deadline:
            sys.exit(f"serve_latency: server still busy after {IDLE_LIMIT} s")
        time.sleep(0.1)
        now = cpu_ticks(pid)
        if now != last:
            last, quiet_since = now, time.monotonic()


def events(port, version, into):
    """Reads the event stream, putting (name, arrival time) for every event."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /__shuyuan/events?v={version} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    reader = sock.makefile("r", encoding="utf-8", newline="\n")
    head = reader.readline()
    if not head.startswith("HTTP/1.1 200"):
        sys.exit(f"serve_latency: event stream answered {head!r}")
    while reader.readline() not in ("\r\n", ""):
        pass
    for line in reader:
        if line.startswith("event: "):
            into.put((line[len("event: "):].strip(), time.perf_counter()))


def first_case(site):
    pages = []
    for folder, _, files in os.walk(os.path.join(site, "content", "cases")):
        pages += [os.path.join(folder, f) for f in files if f.endswith(".md") and f != "_index.md"]
    if not pages:
        sys.exit(f"serve_latency: no page under {site}/content/cases")
    return min(pages)


FRONT_MATTER_EDITS = {
    "title": (r"(?m)^title: .*$", lambda n: f"title: 第 {n} 版标题"),
    "tag": (r"(?m)^tags: \[(.*)\]$", lambda n: rf"tags: [\1, 第{n}版标签]"),
    "date": (r"(?m)^date: .*$", lambda n: f"date: 2019-03-{n % 28 + 1:02}"),
}


def edited(text, kind, n):
    if kind == "body":
        return text + f"\n第 {n} 次修改：补充一句说明。\n"
    pattern, line = FRONT_MATTER_EDITS[kind]
    new, count = re.subn(pattern, line(n), text, count=1)
    if not count:
        sys.exit(f"serve_latency: the page's front matter has no line for a {kind} edit")
    return new


def last_lines(log, count=20):
    """The end of what the server wrote to its standard error: why a build failed."""
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-count:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("site")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--edit", choices=["body", *FRONT_MATTER_EDITS], default="body")
    args = ap.parse_args()
    page = first_case(args.site)
    with open(page, "rb") as f:
        original = f.read()
    # SIGTERM unwinds like Ctrl-C, so the page is restored either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="shuyuan-serve-") as tmp, \
            open(os.path.join(tmp, "stderr.log"), "w+", encoding="utf-8") as server_log:
        server = subprocess.Popen(
            [args.bin, "serve", "--root", args.site, "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=server_log,
            text=True, encoding="utf-8", env={**os.environ, "TMPDIR": tmp})
        try:
            out = queue.Queue()
            threading.Thread(target=lines, args=(server.stdout, out), daemon=True).start()
            url = wait_line(out, "正在预览：", STARTUP, server, server_log).split("正在预览：", 1)[1]
            port = int(url.rstrip("/").rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/")
            html = conn.getresponse().read().decode("utf-8")
            version = re.search(r'var version = "([^"]*)"', html).group(1)
            got = queue.Queue()
            threading.Thread(target=events, args=(port, version, got), daemon=True).start()
            latencies, builds, settles, settle_cpus = [], [], [], []
            text = original.decode("utf-8")
            wait_idle(server.pid)
            for i in range(args.edits):
                text = edited(text, args.edit, i + 1)
                started = time.perf_counter()
                with open(page, "w", encoding="utf-8") as f:
                    f.write(text)
                while True:
                    try:
                        name, at = got.get(timeout=EVENT)
                    except queue.Empty:
                        sys.exit(f"serve_latency: no reload within {EVENT} s of edit {i + 1}")
                    if name == "reload":
                        break
                    if name == "build-error":
                        sys.exit(f"serve_latency: edit {i + 1} failed to build:\n{last_lines(server_log)}")
                latencies.append((at - started) * 1000)
                line = wait_line(out, "用时 ", EVENT, server, server_log)
                builds.append(float(line.split("用时 ", 1)[1].split(" ", 1)[0]))
                ticks, since = cpu_ticks(server.pid), time.perf_counter()
                wait_idle(server.pid)
                settles.append(time.perf_counter() - since - IDLE)
                settle_cpus.append((cpu_ticks(server.pid) - ticks) / os.sysconf("SC_CLK_TCK"))
            # After the last edit's re-index: the preview's peak over its first build, every
            # edit and the background re-indexing.
            peak = peak_rss_mb(server.pid)
        finally:
            # A second SIGTERM (timeout(1) and a kill of the same group) must not cut the
            # page's restore short.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            with open(page, "wb") as f:
                f.write(original)
    print(json.dumps({
        "page": os.path.relpath(page, args.site),
        "edit": args.edit,
        "edits": len(latencies),
        "edit_median_ms": round(statistics.median(latencies), 1),
        "edit_worst_ms": round(max(latencies), 1),
        "build_median_ms": statistics.median(builds),
        "build_worst_ms": max(builds),
        "settle_median_s": round(statistics.median(settles), 2),
        "settle_cpu_median_s": round(statistics.median(settle_cpus), 2),
        "serve_peak_rss_mb": peak,
    }))


if __name__ == "__main__":
    main()
