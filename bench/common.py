"""What the benchmarks share: the feed server, running a program and measuring it, the results table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
sys.path.insert(0, str(BENCH))
# Every command a benchmark starts starts as an installed mentionscan does: from cached bytecode.
# With PYTHONDONTWRITEBYTECODE (set in some sandboxes and CI images) each start compiles every
# module it imports again, 200 ms or more that no user pays.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@dataclass
class Row:
    """One line of the results table."""

    what: str
    mentionscan: str
    target: str
    met: bool | None  # None: nothing to meet (a figure shown for information)
    rss2email: str = ""
    feed2exec: str = ""
    ratio: str = ""


def show(rows: Sequence[Row]) -> str:
    header = ("what", "mentionscan", "rss2email", "feed2exec", "ratio", "target", "met")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        cells = (row.what, row.mentionscan, row.rss2email, row.feed2exec, row.ratio, row.target, met)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The feed server


class FeedServer:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port

    def _get(self, path: str) -> dict[str, int]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            data: dict[str, int] = json.loads(response.read())
        return data

    def stats(self) -> dict[str, int]:
        return self._get("/stats")

    def reset(self) -> None:
        self._get("/reset")


@contextmanager
def feed_server(feeds: int = 500, entries: int = 50, latency: float = 0.2) -> Iterator[FeedServer]:
    """The feed server on 127.0.0.1, in its own process, for the length of a `with` block."""
    process = subprocess.Popen(
        [
            PYTHON,
            str(BENCH / "server.py"),
            *("--feeds", str(feeds), "--entries", str(entries)),
            "--latency",
            str(latency),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield FeedServer(process, port)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Running a program


@dataclass
class Run:
    wall: float
    returncode: int
    peak_rss: int  # bytes: the largest single process (the program itself, or a worker it started)
    peak_tree_rss: int  # bytes: the largest sum (PSS) over the program and every process it started, sampled
    stdout: str
    stderr: str
    cpu: float = 0.0  # seconds of CPU (user and system) of the program and the processes it reaped


def run_program(args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `args`, timing it and sampling the memory of its whole process tree every 20 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(args),
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, tree_rss(process.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    for reader in readers:
        reader.join()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, process.returncode, usage.ru_maxrss * 1024, peak_tree, "".join(out), "".join(err), cpu)


def tree_rss(pid: int) -> int:
    """The memory of `pid` and all its descendants, in bytes (0 once it is gone).

    Proportional set size: a page that several of the processes share (the parse workers are
    forked from one server that imported the parser) counts once, split between them.
    """
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except OSError:
            continue
    return total


def under_hosts(entry: str, *args: str) -> list[str]:
    """The command that runs `module:function` with the benchmark's host names resolving to 127.0.0.1."""
    return [PYTHON, str(BENCH / "hosts.py"), entry, *args]


def mib(value: int) -> str:
    return f"{value / (1 << 20):.0f} MiB"
