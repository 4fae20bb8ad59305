"""Ctrl-C and SIGTERM: the time from the signal to the end of the process, for commands that wait.

    python bench/interrupt.py [--runs 5]

Each case starts `mentionscan` in its own process against a server on 127.0.0.1 that accepts
connections and never answers (a request would wait the whole 300 s deadline), plus a
rate-limited search whose queued queries would wait a minute each: `fetch` with a feed that
answered and one that hangs, `doctor`, and a second `fetch` waiting for the one running (one fetch
at a time runs: it waits for `mentions.json.fetch.lock`).
Once the command is blocked, the signal is sent and the wall time to its exit measured;
target: 2 s at most (the median of the runs, and every run under 2 s).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import PYTHON, ROOT, Row, median, say, seconds, show

TARGET = 2.0
FEED = (ROOT / "tests" / "data" / "rss20.xml").read_bytes()


class _Feed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _config(folder: Path, feed_port: int, stuck_port: int) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f"""[settings]
database = "mentions.json"
timeout = 120
deadline = 300
max_age_days = 0

[[queries]]
name = "acme"
match = "acme"

[[queries]]
name = "widgets"
match = "widgets"

[[sources]]
name = "blog"
type = "feed"
url = "http://127.0.0.1:{feed_port}/blog.xml"

[[sources]]
name = "stuck"
type = "feed"
url = "http://127.0.0.1:{stuck_port}/feed.xml"

[[sources]]
name = "slow-search"
type = "github"
base_url = "http://127.0.0.1:{stuck_port}"
rate_per_minute = 1
""",
        encoding="utf-8",
    )
    return path


def _start(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "mentionscan", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _time_to_exit(process: subprocess.Popen[bytes], signum: int, expected: int) -> float:
    started = time.perf_counter()
    process.send_signal(signum)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return float("inf")
    took = time.perf_counter() - started
    if process.returncode != expected:
        raise SystemExit(
            f"exit {process.returncode}, not {expected}: {process.stderr.read().decode()[-500:]}"
        )
    return took


def main(runs: int = 5) -> list[Row]:
    say(f"interrupt: time from the signal to the exit, median of {runs}")
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen(256)  # the kernel completes the handshakes; nobody ever reads or answers
    feeds = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=feeds.serve_forever, daemon=True).start()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-interrupt-") as home:
            env = {**os.environ, "MENTIONSCAN_HOME": home, "NO_PROXY": "127.0.0.1"}
            config = str(_config(Path(home), feeds.server_address[1], stuck.getsockname()[1]))
            cases = {
                "`fetch`, Ctrl-C": (["fetch", "--config", config], signal.SIGINT, 130),
                "`fetch`, SIGTERM": (["fetch", "--config", config], signal.SIGTERM, 143),
                "`doctor`, Ctrl-C": (["doctor", "--config", config], signal.SIGINT, 130),
                "a second `fetch` waiting for the first, Ctrl-C": (
                    ["fetch", "--config", config],
                    signal.SIGINT,
                    130,
                ),
            }
            for what, (args, signum, code) in cases.items():
                times = []
                for _ in range(runs):
                    holder = _start("fetch", "--config", config, env=env) if "waiting" in what else None
                    if holder is not None:
                        time.sleep(1.5)  # it holds the lock and is stuck on the hanging server
                    process = _start(*args, env=env)
                    time.sleep(1.5)  # started, asked, and stuck
                    times.append(_time_to_exit(process, signum, code))
                    if holder is not None:
                        _time_to_exit(holder, signal.SIGTERM, 143)
                taken = median(times)
                say(f"  {what}: median {seconds(taken)}, slowest {seconds(max(times))}")
                rows.append(
                    Row(
                        f"{what}: signal to exit (slowest of {runs})",
                        f"{seconds(taken)} ({seconds(max(times))})",
                        f"≤ {TARGET:g} s",
                        max(times) <= TARGET,
                    )
                )
    finally:
        feeds.shutdown()
        stuck.close()
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(show(main(args.runs)))
