"""Crashes, overlapping runs, full disks, broken databases and secrets, through the real command."""

from __future__ import annotations

import ctypes
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pytest_httpserver import HTTPServer

from mentionscan.models import Event, Mention
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.hardening_tools import RawServer, cli_env, http_head, mentionscan_command, rss, run_mentionscan

RSS_TYPE = "application/rss+xml"
FEEDS = 4  # sources in the kill test, each answering after a pause
ITEMS = 10  # new matching items in each


def url_for(server: HTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def write_config(folder: Path, sources: dict[str, str], **settings: Any) -> Path:
    settings = {"database": "mentions.json", "max_age_days": 0, **settings}
    lines = ["[settings]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items())]
    lines += ["", "[[queries]]", 'name = "acme"', 'match = "acme"']
    for name, url in sources.items():
        lines += ["", "[[sources]]", f'name = "{name}"', 'type = "feed"', f"url = {json.dumps(url)}"]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_ids(database: Path) -> frozenset[str]:
    """The mention ids in `database`, after opening it the way every command does (raises if it cannot)."""
    with open_store(database, write=False) as store:
        assert store.get("000000000000") is not None  # the first old mention, read back whole
    return frozenset(doc["id"] for doc in orjson.loads(database.read_bytes())["mentions"].values())


def big_database(path: Path, count: int) -> None:
    """A database of `count` mentions (about 1.7 KB each), written in the store's own layout."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    template = Mention(
        id="",
        url="",
        title="An older acme story " * 3,
        snippet="acme widgets, reviewed " * 8,
        author="Someone",
        author_url=None,
        author_email=None,
        published=when,
        found_at=when,
        source="old",
        source_type="feed",
        queries=("acme",),
        text="lorem ipsum acme dolor " * 40,
        timeline=(Event(when, "found", "found by old for acme"),),
    ).to_dict()
    mentions = {
        str(n + 1): {
            **template,
            "id": f"{n:012x}",
            "url": f"https://old.example/{n}",
            "keys": [f"u:old.example/{n}"],
        }
        for n in range(count)
    }
    path.write_bytes(orjson.dumps({"_meta": {"1": {"schema": 1}}, "mentions": mentions, "state": {}}))


# Killed at any moment


@pytest.fixture
def slow_feeds() -> Iterator[RawServer]:
    """Feeds `/<run>/f<n>` of ITEMS new items each, answering after a pause (a threaded server)."""

    def handler(conn: socket.socket, path: str) -> None:
        n = int(path.rsplit("/f", 1)[1])
        time.sleep(0.2 + 0.1 * n)
        items = [{"title": f"acme {n}-{i}", "link": f"https://new.example/{n}/{i}"} for i in range(ITEMS)]
        body = rss(items)
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    with RawServer(handler) as server:
        yield server


def feeds_of(server: RawServer, run: str) -> dict[str, str]:
    return {f"f{n}": server.url(f"/{run}/f{n}") for n in range(FEEDS)}


def temp_files(folder: Path) -> list[Path]:
    """The database's own temp files: not those of `mentions.json.lock.holder`, which share its prefix."""
    return [
        p
        for p in folder.iterdir()
        if p.name.startswith(".mentions.json.")
        and not p.name.startswith(".mentions.json.lock.")
        and p.name.endswith(".tmp")
    ]


def killed_run(folder: Path, home: Path, server: RawServer, when: str, rng: random.Random) -> str:
    """Start a fetch in `folder` and SIGKILL it: while it fetches, or just as it writes."""
    process = subprocess.Popen(
        mentionscan_command("fetch", "--config", str(folder / "config.toml"), "--quiet"),
        env=cli_env(home),
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    try:
        if when == "fetching":  # once its first request arrived, within the ~0.6 s of fetching
            while not server.count(f"/{folder.name}/f0") and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.6))
        else:  # as soon as the new database file is being written, or a moment later
            while not temp_files(folder) and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.0005)
            time.sleep(rng.choice([0, 0, rng.uniform(0, 0.03)]))
        seen_temp = bool(temp_files(folder))
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    return "killed while writing" if seen_temp else f"killed {when} (rc {process.returncode})"


def test_killing_fetch_at_any_moment_leaves_the_old_database_or_the_new_one(
    slow_feeds: RawServer, tmp_path: Path, isolated_home: Path
) -> None:
    original = tmp_path / "original"
    original.mkdir()
    big_database(original / "mentions.json", 6_000)
    before = stored_ids(original / "mentions.json")
    # The state after a run that was left alone.
    complete = tmp_path / "complete"
    shutil.copytree(original, complete)
    write_config(complete, feeds_of(slow_feeds, "complete"))
    finished = run_mentionscan(
        "fetch", "--config", str(complete / "config.toml"), "--quiet", home=isolated_home
    )
    assert finished.returncode == 0, finished.stderr
    after = stored_ids(complete / "mentions.json")
    assert len(after) == len(before) + FEEDS * ITEMS

    rng = random.Random(20261123)
    plans = [("fetching" if n % 2 else "writing", random.Random(rng.random())) for n in range(20)]

    def one(n: int) -> tuple[str, str]:
        when, try_rng = plans[n]
        # A write of 10 MB can finish between seeing its temp file and the kill: try again, in
        # a fresh copy, so that the kills inside the write do not depend on the machine's speed.
        for attempt in range(4):
            folder = tmp_path / (f"try{n}" if attempt == 0 else f"try{n}-{attempt}")
            shutil.copytree(original, folder)
            write_config(folder, feeds_of(slow_feeds, folder.name))
            how = killed_run(folder, isolated_home, slow_feeds, when, try_rng)
            ids = stored_ids(folder / "mentions.json")  # it opens: never half-written
            assert ids in (before, after), (n, how, len(ids))
            if when == "fetching" or how == "killed while writing":
                break
        return how, "after" if ids == after else "before"

    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(one, range(20)))
    # The kills really landed in both phases, and in the write itself.
    assert sum(how == "killed fetching (rc -9)" and state == "before" for how, state in outcomes) >= 8, (
        outcomes
    )
    assert sum(how == "killed while writing" for how, _ in outcomes) >= 8, outcomes
    # And the next run after a kill finishes the job: nothing was lost for good.
    survivor = tmp_path / "try0"
    again = run_mentionscan("fetch", "--config", str(survivor / "config.toml"), "--quiet", home=isolated_home)
    assert again.returncode == 0, again.stderr
    assert stored_ids(survivor / "mentions.json") == after
    assert temp_files(survivor) == []


# Two runs at once


def test_a_second_run_while_one_is_in_progress_says_so_exits_4_and_loses_nothing(
    cli: Cli, tmp_path: Path, isolated_home: Path
) -> None:
    release = threading.Event()

    def handler(conn: socket.socket, path: str) -> None:
        if path == "/slow":
            release.wait(20)
        name = path.strip("/")
        body = rss([{"title": f"acme from {name}", "link": f"https://x.example/{name}"}])
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    database = tmp_path / "shared" / "mentions.json"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with RawServer(handler) as server:
        config_a = write_config(tmp_path / "a", {"slow": server.url("/slow")}, database=str(database))
        config_b = write_config(
            tmp_path / "b", {"quick": server.url("/quick")}, database=str(database), lock_timeout=0.5
        )
        first = subprocess.Popen(
            mentionscan_command("fetch", "--config", str(config_a), "--format", "json"),
            env=cli_env(isolated_home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 20
            while not server.count("/slow"):  # the first run holds the database while it fetches
                assert time.monotonic() < deadline and first.poll() is None
                time.sleep(0.01)
            second = cli("fetch", "--config", str(config_b), "--format", "json")
        finally:
            release.set()
            out, err = first.communicate(timeout=30)
        assert second.exit_code == 4
        assert second.stdout == ""
        waiting, error = second.stderr.splitlines(keepends=True)
        assert re.fullmatch(
            rf"waiting for the fetch started \d\d:\d\d \(pid {first.pid}\) to finish \(up to 0.5 s\) …\n",
            waiting,
        )
        assert error == (
            f"Error: database {database} is in use by another mentionscan run (waited 0.5 s); "
            "try again when it ends\n"
        )
        assert server.count("/quick") == 0  # it stopped before asking anything
        assert first.returncode == 0, err
        assert [m["title"] for m in json.loads(out)] == ["acme from slow"]
        # The second run, run again, stores its own; the first run's mention is still there.
        again = cli("fetch", "--config", str(config_b), "--format", "json")
        assert again.exit_code == 0
        assert [m["title"] for m in json.loads(again.stdout)] == ["acme from quick"]
    listed = cli.json("list", "--db", str(database), "--format", "json")
    assert sorted(m["title"] for m in listed) == ["acme from quick", "acme from slow"]


# The disk refuses the write


def limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def without_root_powers() -> None:
    """In the child: a root user loses the power to write where permissions say no."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def growing_feed(httpserver: HTTPServer) -> dict[str, str]:
    """A feed with one item on the first request and three more on every later one."""
    first = rss([{"title": "acme first", "link": "https://g.example/1"}])
    more = rss(
        [{"title": "acme first", "link": "https://g.example/1"}]
        + [{"title": f"acme later {n}", "link": f"https://g.example/later/{n}"} for n in range(3)]
    )
    httpserver.expect_ordered_request("/feed").respond_with_data(first, content_type=RSS_TYPE)
    httpserver.expect_request("/feed").respond_with_data(more, content_type=RSS_TYPE)
    return {"g": url_for(httpserver, "/feed")}


@pytest.mark.parametrize("fault", ["disk full", "read-only folder"])
def test_a_save_the_disk_refuses_keeps_the_old_database_and_reports_nothing_as_saved(
    growing_feed: dict[str, str], isolated_home: Path, fault: str
) -> None:
    # Not under tmp_path: a folder whose permissions this test changes, in a plain temp folder.
    folder = Path(tempfile.mkdtemp(prefix="mentionscan-save-"))
    try:
        config = write_config(folder, growing_feed)
        database = folder / "mentions.json"
        first = run_mentionscan("fetch", "--config", str(config), "--format", "json", home=isolated_home)
        assert first.returncode == 0, first.stderr
        old = database.read_bytes()
        if fault == "disk full":
            kwargs: dict[str, Any] = {"preexec_fn": limit_file_size(len(old) + 100)}
            reason = "File too large"
        else:
            folder.chmod(0o555)
            kwargs = {"preexec_fn": without_root_powers}
            reason = "Permission denied"
        second = run_mentionscan("fetch", "--config", str(config), home=isolated_home, **kwargs)
        folder.chmod(0o755)
        stderr = second.stderr.decode()
        assert second.returncode == 1, stderr
        assert stderr == f"Error: cannot save database {database}: {reason}\n"
        assert second.stdout == b""  # the new mentions are not shown as if they were stored
        assert database.read_bytes() == old
        assert sorted(p.name for p in folder.iterdir()) == [  # no temp file left behind
            "config.toml",
            "mentions.json",
            "mentions.json.fetch.lock",
            "mentions.json.lock",
        ]
        # When the disk has room again, the same mentions are found and stored: none was lost.
        third = run_mentionscan("fetch", "--config", str(config), "--format", "json", home=isolated_home)
        assert third.returncode == 0, third.stderr
        assert sorted(m["title"] for m in json.loads(third.stdout)) == [f"acme later {n}" for n in range(3)]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


# A database that cannot be read


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"_meta": {"1": {"schema": 1}}, "mentions": {"1": {"id": "a"', "it is not valid JSON"),
        (b"", "the file is empty"),
        (b"[]", "expected a JSON object of tables, found a list"),
        (b"\x00\x00\x00\x00", "it is not valid JSON"),
    ],
)
def test_an_unreadable_database_is_never_overwritten_nor_replaced(
    cli: Cli, httpserver: HTTPServer, write_config, content: bytes, reason: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        rss([{"title": "acme", "link": "https://u.example/"}]), content_type=RSS_TYPE
    )
    config = write_config(
        {"acme": "acme"}, [{"name": "f", "type": "feed", "url": url_for(httpserver, "/feed")}]
    )
    database = config.parent / "mentions.json"
    database.write_bytes(content)
    for command in (["fetch"], ["list"]):
        result = cli(*command, "--config", str(config))
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: cannot read database {database}: {reason}")
        assert "left untouched" in result.stderr and "Traceback" not in result.stderr
        assert database.read_bytes() == content
    assert len(httpserver.log) == 0  # the run stopped before asking any source
    # nothing beside it but the locks: no new database, no temp file
    beside = {p.name for p in config.parent.iterdir() if p.name.startswith("mentions")}
    assert beside - {"mentions.json.lock", "mentions.json.fetch.lock"} == {"mentions.json"}


# Secrets


def test_credentials_in_a_feed_url_and_tokens_never_appear_in_output(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    password, token = "pw-4f9e1c", "tok-7d3b2a"
    monkeypatch.setenv("MASTODON_TOKEN", token)
    monkeypatch.delenv("MENTIONSCAN_TRACEBACK", raising=False)
    base = f"http://reader:{password}@127.0.0.1:{httpserver.port}"
    feed = rss([{"title": "acme private", "link": "https://p.example/1"}])
    httpserver.expect_request("/private").respond_with_data("", status=301, headers={"Location": "/moved"})
    httpserver.expect_request("/moved").respond_with_data(feed, content_type=RSS_TYPE)
    httpserver.expect_request("/denied").respond_with_data(f"bad password {password}", status=401)
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    httpserver.expect_request("/html").respond_with_data("<html>hi</html>", content_type="text/html")
    echo = json.dumps({"error": f"The access token Bearer {token} is invalid"})
    httpserver.expect_request("/api/v2/search").respond_with_data(
        echo, status=401, content_type="application/json"
    )
    sources = [
        {"name": n, "type": "feed", "url": f"{base}/{n}"} for n in ("private", "denied", "loop", "html")
    ]
    sources.append({"name": "refused", "type": "feed", "url": f"http://reader:{password}@127.0.0.1:9/feed"})
    sources.append(
        {
            "name": "masto",
            "type": "mastodon",
            "instance": url_for(httpserver, ""),
            "token_env": "MASTODON_TOKEN",
        }
    )
    config = write_config({"acme": "acme"}, sources)
    outputs = []
    for fmt in ("table", "json", "csv"):
        result = cli("fetch", "--config", str(config), "--format", fmt)
        assert result.exit_code == 3
        outputs.append(result.stdout + result.stderr)
    outputs.append(cli("list", "--config", str(config), "--format", "json").stdout)
    first = outputs[0]
    redacted = f"http://***@127.0.0.1:{httpserver.port}"
    assert f"Error: denied: {redacted}/denied: the server wants credentials (HTTP 401)" in first
    assert f"Error: loop: {redacted}/loop: more than 5 redirects" in first
    assert f"Warning: private: moved permanently to {redacted}/moved" in first
    assert "Error: refused: http://***@127.0.0.1:9/feed: connection refused" in first
    assert "Error: masto: " in first
    for text in outputs:
        assert password not in text and token not in text and "reader:" not in text
    # The secrets were really in play: the sites received them.
    authorizations = {r.path: r.headers.get("Authorization", "") for r, _ in httpserver.log}
    assert (
        authorizations["/moved"].startswith("Basic ")
        and authorizations["/api/v2/search"] == f"Bearer {token}"
    )
