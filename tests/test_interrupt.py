"""Ctrl-C and SIGTERM stop any command at once, in a real process, against servers that never answer.

A stuck server (it accepts connections and never says a word) would hold a request for the
whole `deadline`; a rate-limited source would keep queued searches waiting a minute each. The
signal ends the run anyway, keeps what was fully fetched and matched, and exits 130 (143 after
SIGTERM). How long the exit takes is measured by bench/interrupt.py, not asserted here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow

# Far longer than the test waits: a run that waited for the stuck server would time the test out.
SETTINGS = {"timeout": 120, "deadline": 300, "max_age_days": 0}


class StuckServer:
    """Accepts connections on 127.0.0.1 and never answers; `connected` is set at the first one."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def stuck() -> Iterator[StuckServer]:
    server = StuckServer()
    yield server
    server.close()


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mentionscan", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        # Ctrl-C as a terminal delivers it, even where these tests run with it ignored (a shell's
        # `&` starts a job with SIGINT ignored, and a child keeps that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(event: threading.Event, process: subprocess.Popen[bytes]) -> None:
    assert event.wait(30), process.communicate(timeout=5)


def stop(process: subprocess.Popen[bytes], signum: int) -> tuple[int, str, str]:
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running 30 s after the signal: {err.decode()[-2000:]}")
    return process.returncode, out.decode(), err.decode()


def mixed_config(write_config: Callable[..., Path], httpserver: Any, stuck: StuckServer) -> Path:
    """A quick feed, a feed on the stuck server, and a rate-limited search whose queries queue."""
    httpserver.expect_request("/blog.xml").respond_with_data(
        (DATA / "rss20.xml").read_bytes(), content_type="application/rss+xml"
    )
    return write_config(
        {"acme": "acme", "widgets": "widgets", "gadgets": "gadgets"},
        [
            {"name": "blog", "type": "feed", "url": httpserver.url_for("/blog.xml")},
            {"name": "stuck", "type": "feed", "url": f"http://127.0.0.1:{stuck.port}/feed.xml"},
            {
                "name": "slow-search",
                "type": "github",
                "base_url": f"http://127.0.0.1:{stuck.port}",
                "rate_per_minute": 1,
            },
        ],
        settings=SETTINGS,
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_fetch_and_keeps_what_was_fetched(
    write_config: Callable[..., Path], httpserver: Any, stuck: StuckServer, signum: int, code: int
) -> None:
    config = mixed_config(write_config, httpserver, stuck)
    process = start("fetch", "--config", str(config), "--format", "jsonl")
    wait_for(stuck.connected, process)
    deadline = time.monotonic() + 30
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the blog's answer parsed and matched
    returncode, out, err = stop(process, signum)

    assert returncode == code, err
    assert "Interrupted: 1 of 5 requests fetched and stored, 3 new mentions" in err
    assert "the rest is asked at the next fetch" in err
    assert "stuck: interrupted before it was done" in err
    assert "Traceback" not in err
    printed = [json.loads(line)["title"] for line in out.splitlines()]
    assert len(printed) == 3
    # What was printed is what was stored: the next `list` shows it.
    listed = subprocess.run(
        [sys.executable, "-m", "mentionscan", "list", "--config", str(config), "--format", "json"],
        capture_output=True,
        timeout=60,
    )
    assert sorted(m["title"] for m in json.loads(listed.stdout)) == sorted(printed)


def test_ctrl_c_while_waiting_for_the_lock_ends_the_command(
    write_config: Callable[..., Path], httpserver: Any, stuck: StuckServer
) -> None:
    config = mixed_config(write_config, httpserver, stuck)
    # Another command holds the database (as a fetch does while it saves a big one).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from mentionscan.store import run_lock\n"
            "with run_lock(Path(sys.argv[1]), 5, purpose='fetch'):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(config.parent / "mentions.json"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        waiter = start("mark", "--config", str(config), "--status", "new", "todo")
        time.sleep(1.5)  # it is waiting for the lock now (lock_timeout: 60 s)
        returncode, _, err = stop(waiter, signal.SIGINT)
    finally:
        holder.kill()
        holder.wait()
    assert returncode == 130, err
    assert "waiting for the fetch started" in err
    assert "interrupted: nothing from this command was saved" in err


def test_ctrl_c_ends_doctor_whose_source_never_answers(
    write_config: Callable[..., Path], stuck: StuckServer
) -> None:
    config = write_config(
        {"acme": "acme"},
        [{"name": "stuck", "type": "feed", "url": f"http://127.0.0.1:{stuck.port}/feed.xml"}],
        settings=SETTINGS,
    )
    process = start("doctor", "--config", str(config))
    wait_for(stuck.connected, process)
    returncode, _, err = stop(process, signal.SIGINT)
    assert returncode == 130, err
    assert "Traceback" not in err


# Ctrl-C can land anywhere; these put it at the two moments a sleep-then-signal test rarely hits.
# The script sends the process a real SIGINT at that moment, then runs mentionscan as usual.
AT_IMPORT = """
import os, signal, sys
class Hit:
    def find_spec(self, name, path=None, target=None):
        if name == "mentionscan.cli":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Hit())
from mentionscan.__main__ import run
run()
"""
WHILE_HANDING_OUT_PROBES = """
import os, signal, sys, time
from concurrent.futures import ThreadPoolExecutor
submit = ThreadPoolExecutor.submit
def submit_then_interrupt(self, *args, **kwargs):
    future = submit(self, *args, **kwargs)
    time.sleep(1)  # the first probe is now stuck on the server that never answers
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    return future
ThreadPoolExecutor.submit = submit_then_interrupt
from mentionscan.__main__ import run
run()
"""


@pytest.mark.parametrize("script", [AT_IMPORT, WHILE_HANDING_OUT_PROBES], ids=["at-import", "handing-out"])
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(
    write_config: Callable[..., Path], stuck: StuckServer, script: str
) -> None:
    config = write_config(
        {"acme": "acme"},
        [
            {"name": "stuck", "type": "feed", "url": f"http://127.0.0.1:{stuck.port}/feed.xml"},
            {"name": "stuck-too", "type": "feed", "url": f"http://127.0.0.1:{stuck.port}/other.xml"},
        ],
        settings=SETTINGS,
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "doctor", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,  # without the fix, doctor waits for the stuck probe: `deadline` is 300 s
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.endswith("Error: interrupted: nothing from this command was saved\n")
    assert "Traceback" not in done.stderr
