"""A real `fetch` killed at random moments, on each backend: the database is the old one or the new
one (nothing broken, lost or doubled; after a SIGTERM, the old one and what the run had fully
fetched), and no process of the run is left behind (RELIABILITY A-34).

Enough feeds that the run parses them in its process pool (a fork server and its workers), so a
kill lands while they live. Each run's stdout and stderr go to one pipe, read to its end: that
end comes only once every process holding the pipe is gone, as `mentionscan fetch 2>&1 | cat`.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mentionscan.errors import MentionscanError
from mentionscan.fetching.scheduler import run_tasks
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.interface import TaskResult
from mentionscan.store import open_store
from tests.hardening_tools import RawServer, cli_env, http_head, mentionscan_command, rss
from tests.store.tools import populate

RSS_TYPE = "application/rss+xml"
FEEDS = 10  # more than PARSE_IN_PROCESSES_AFTER: parsed in the process pool
ITEMS = 5
KILLS = 20
DATABASES = {"json": "mentions.json", "sqlite": "sqlite:///mentions.db"}


def descendants(pid: int) -> set[int]:
    """Every living process under `pid` (read from /proc, children of every thread)."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found |= {child} | descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def seed_location(folder: Path, backend: str) -> str:
    path = folder / DATABASES[backend].removeprefix("sqlite:///")
    return f"sqlite:///{path}" if backend == "sqlite" else str(path)


def stored(location: str) -> list[str]:
    """The ids in the database, opened as every command opens it (raises if it is broken)."""
    with open_store(location, write=False) as store:
        return [m.id for m in store.mentions()]


def write_config(folder: Path, server: RawServer, backend: str) -> Path:
    lines = ["[settings]", f'database = "{DATABASES[backend]}"', "max_age_days = 0", ""]
    lines += ["[[queries]]", 'name = "acme"', 'match = "acme"']
    for n in range(FEEDS):
        lines += ["", "[[sources]]", f'name = "f{n}"', 'type = "feed"', f'url = "{server.url(f"/{n}")}"']
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def feeds() -> RawServer:
    def handler(conn: socket.socket, path: str) -> None:
        n = int(path.strip("/"))
        time.sleep(0.02 * (n % 3))
        items = [{"title": f"acme {n}-{i}", "link": f"https://new.example/{n}/{i}"} for i in range(ITEMS)]
        body = rss(items)
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    with RawServer(handler) as server:
        yield server


def killed_run(
    config: Path, home: Path, delay: float, how: signal.Signals, in_pool: bool
) -> tuple[set[int], set[int]]:
    """Start a fetch, kill it after `delay` s (counted from when its parse pool runs, if `in_pool`):
    the processes it had, and those of them still alive after."""
    process = subprocess.Popen(
        mentionscan_command("fetch", "--config", str(config)),
        env=cli_env(home),
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen: set[int] = set()
    started = time.monotonic()
    while in_pool and len(seen) < 3 and process.poll() is None:  # a fork server, a worker, a tracker
        assert time.monotonic() < started + 60
        seen |= descendants(process.pid)
        time.sleep(0.005)
    stop = time.monotonic() + delay
    while time.monotonic() < stop and process.poll() is None:
        seen |= descendants(process.pid)
        time.sleep(0.02)
    seen |= descendants(process.pid)
    process.send_signal(how)
    try:
        # Read to the end: it comes once no process holds the pipe (`| cat` would end here).
        process.communicate(timeout=20)
        deadline = time.monotonic() + 10
        while (left := {pid for pid in seen if alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for pid in {pid for pid in seen if alive(pid)}:  # never leave them to other tests
            os.kill(pid, signal.SIGKILL)
        process.kill()
        process.wait()
    return seen, left


@pytest.mark.slow
@pytest.mark.parametrize("backend", DATABASES)
def test_random_kills_of_fetch_leave_a_whole_database_and_no_process(
    feeds: RawServer, tmp_path: Path, isolated_home: Path, backend: str
) -> None:
    original = tmp_path / "original"
    original.mkdir()
    populate(seed_location(original, backend), 50)  # an older history, kept whole whatever happens
    before = stored(seed_location(original, backend))
    complete = tmp_path / "complete"
    shutil.copytree(original, complete)
    started = time.monotonic()
    done = subprocess.run(
        mentionscan_command("fetch", "--config", str(write_config(complete, feeds, backend)), "--quiet"),
        env=cli_env(isolated_home),
        capture_output=True,
        timeout=120,
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    after = stored(seed_location(complete, backend))
    assert len(after) == len(before) + FEEDS * ITEMS
    rng = random.Random(f"kills-{backend}")
    # Half at any moment of the run, half while the parse pool runs; one in four a SIGTERM.
    plans = [
        (
            rng.uniform(0, 0.3) if n % 2 else rng.uniform(0.1, took),
            signal.SIGTERM if n % 4 == 3 else signal.SIGKILL,
            bool(n % 2),
        )
        for n in range(KILLS)
    ]
    lock = threading.Lock()
    sizes: list[int] = []

    def one(n: int) -> str:
        folder = tmp_path / f"try{n}"
        shutil.copytree(original, folder)
        seen, left = killed_run(write_config(folder, feeds, backend), isolated_home, *plans[n])
        assert not left, f"try {n}: processes left behind: {sorted(left)}"
        with lock:
            sizes.append(len(seen))
        ids = stored(seed_location(folder, backend))  # it opens: nothing half-written
        assert len(ids) == len(set(ids)), f"try {n}: a mention stored twice"
        if plans[n][1] == signal.SIGTERM:
            # SIGTERM is a stop, as Ctrl-C: the run keeps what it had fully fetched and matched
            # (README, "Exit status"), so the old database plus some of the new, each whole.
            assert set(before) <= set(ids) <= set(after), (n, len(ids))
        else:
            assert sorted(ids) in (sorted(before), sorted(after)), (n, len(ids))
        return "after" if len(ids) == len(after) else "before" if len(ids) == len(before) else "part"

    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(one, range(KILLS)))
    # Kills landed while the fork server, its workers and the resource tracker ran.
    assert sum(size >= 3 for size in sizes) >= KILLS // 2, (took, sizes)
    assert "before" in outcomes
    # The next run after a kill finishes the job: nothing was lost for good.
    survivor = tmp_path / f"try{outcomes.index('before')}"
    again = subprocess.run(
        mentionscan_command("fetch", "--config", str(survivor / "config.toml"), "--quiet"),
        env=cli_env(isolated_home),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert sorted(stored(seed_location(survivor, backend))) == sorted(after)


@pytest.mark.slow
def test_ctrl_c_stops_fetch_at_once_and_no_worker_prints_a_traceback(
    tmp_path: Path, isolated_home: Path
) -> None:
    def handler(conn: socket.socket, path: str) -> None:
        if path != "/0":
            time.sleep(10)  # the parse pool waits for these while Ctrl-C comes
        body = rss([{"title": "acme", "link": f"https://new.example{path}"}])
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    with RawServer(handler) as slow:
        config = write_config(tmp_path, slow, "json")
        # A terminal's Ctrl-C signals the whole foreground process group: the run and its parse pool.
        process = subprocess.Popen(
            mentionscan_command("fetch", "--config", str(config)),
            env=cli_env(isolated_home),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # as from a terminal, even when these tests run where Ctrl-C is ignored (a shell's `&`)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        started = time.monotonic()
        while len(seen := descendants(process.pid)) < 4:  # a fork server, a tracker and workers
            assert process.poll() is None and time.monotonic() < started + 60
            time.sleep(0.005)
        time.sleep(0.8)  # the workers have started and wait for a job
        try:
            asked = len(slow.paths)  # the first feed, and as many as may be asked of one host at once
            os.killpg(process.pid, signal.SIGINT)
            output, _ = process.communicate(timeout=60)
        finally:
            for pid in {pid for pid in seen if alive(pid)}:
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()
    text = output.decode()
    assert process.returncode == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text  # no worker prints its own
    # What was fully fetched is kept and said; the last line says how far the run got.
    assert "f0: 1 entry, 1 matched, 1 new" in text
    assert text.splitlines()[-1].startswith("Interrupted: "), text
    assert len(slow.paths) == asked < FEEDS  # the feeds not yet asked for never are


def parse_or_die(n: int) -> ParsedFeed:
    """A parse job: document 3 kills its worker (every time, as the OOM killer would)."""
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return ParsedFeed([Entry(source=f"f{n}", source_type="feed", url=f"https://e.example/{n}", title="acme")])


@pytest.mark.slow
def test_a_parse_worker_killed_fails_only_the_document_it_was_parsing() -> None:
    documents = 12  # past PARSE_IN_PROCESSES_AFTER: parsed in the pool
    outcomes: dict[int, object] = {}
    run_tasks(
        [f"f{n}" for n in range(documents)],
        lambda n: TaskResult(parse=functools.partial(parse_or_die, n)),
        outcomes.__setitem__,
        workers=4,
        documents=documents,
    )
    assert sorted(outcomes) == list(range(documents))  # every task finished, none lost
    failed = {n: str(o) for n, o in outcomes.items() if isinstance(o, MentionscanError)}
    # Each document its pool held was parsed again alone: the one that killed it again is the one.
    assert failed == {
        3: "the process parsing it was killed (out of memory?); it is fetched and parsed again next run"
    }
    parsed = {n: [e.url for e in o.entries] for n, o in outcomes.items() if isinstance(o, TaskResult)}
    assert parsed == {n: [f"https://e.example/{n}"] for n in range(documents) if n != 3}


@pytest.mark.slow
def test_a_parse_worker_killed_in_a_real_fetch_loses_nothing(tmp_path: Path, isolated_home: Path) -> None:
    def handler(conn: socket.socket, path: str) -> None:
        if path not in ("/0", "/1"):
            time.sleep(1)  # answered once the pool runs, and its worker was killed
        body = rss([{"title": f"acme {path}", "link": f"https://new.example{path}"}])
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    with RawServer(handler) as server:
        config = write_config(tmp_path, server, "json")
        process = subprocess.Popen(
            mentionscan_command("fetch", "--config", str(config), "--format", "json"),
            env=cli_env(isolated_home),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started = time.monotonic()
        while not (workers := parse_workers(process.pid)):
            assert process.poll() is None and time.monotonic() < started + 60
            time.sleep(0.005)
        os.kill(workers[0], signal.SIGKILL)
        output, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors.decode()
    assert sorted(m["title"] for m in json.loads(output)) == sorted(f"acme /{n}" for n in range(FEEDS))


def parse_workers(run: int) -> list[int]:
    """The parse workers of the run `run`: the processes under it whose parent is not the run."""
    found = []
    for pid in descendants(run):
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if parent != run:
            found.append(pid)
    return found
