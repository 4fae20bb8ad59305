"""Where a database lives: through a symlink, on a full disk, a read-only file system or folder.

Each place is real: a small tmpfs mounted in a mount namespace of its own (`unshare -m`), so
the disk really fills up and the file system really is read-only, and the mount goes away with
the process. Commands run as a subprocess, as a user (or cron) runs them.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.hardening_tools import RawServer, cli_env, http_head, mentionscan_command, rss, run_mentionscan

RSS_TYPE = "application/rss+xml"
BACKENDS = {"json": "mentions.json", "sqlite": "sqlite:///mentions.db"}


def config_in(folder: Path, feed: str, database: str) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[settings]\ndatabase = "{database}"\nmax_age_days = 0\n\n'
        '[[queries]]\nname = "acme"\nmatch = "acme"\n\n'
        f'[[sources]]\nname = "f"\ntype = "feed"\nurl = "{feed}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def feed(httpserver: HTTPServer) -> str:
    """Two mentions on the first request, a third on every later one."""
    items = [{"title": f"acme {n}", "link": f"https://a.example/{n}"} for n in range(2)]
    httpserver.expect_ordered_request("/feed").respond_with_data(rss(items), content_type=RSS_TYPE)
    more = [*items, {"title": "acme 2", "link": "https://a.example/2"}]
    httpserver.expect_request("/feed").respond_with_data(rss(more), content_type=RSS_TYPE)
    return f"http://127.0.0.1:{httpserver.port}/feed"


PLACES = {
    "full disk": "dd if=/dev/zero of=$MNT/filler bs=4k 2>/dev/null || true",
    "read-only file system": "mount -o remount,ro $MNT",
    "read-only folder": "chmod 555 $MNT",
}
# In a read-only folder, root would write anyway: commands run without the powers that allow it.
NO_ROOT_POWERS = "setpriv --bounding-set -dac_override,-dac_read_search,-fowner"


def run_in_place(seed: Path, out: Path, place: str, home: Path) -> dict[str, tuple[int, str, str]]:
    """Copy `seed` (config and database) onto a fresh 4 MiB tmpfs, make it `place`, run list and fetch."""
    mnt = out / "mnt"
    mnt.mkdir()
    steps = [
        "set -e",
        "mount -t tmpfs -o size=4m,mode=755 tmpfs $MNT",
        f"cp -a {shlex.quote(str(seed))}/. $MNT/",
        PLACES[place],
        "set +e",
    ]
    for name, args in {"list": ["list", "--format", "json"], "fetch": ["fetch", "--format", "json"]}.items():
        command = " ".join(
            shlex.quote(a) for a in mentionscan_command(*args, "--config", f"{mnt}/config.toml")
        )
        steps.append(
            f"{NO_ROOT_POWERS} {command} >{out}/{name}.out 2>{out}/{name}.err; echo $? >{out}/{name}.rc"
        )
    env = cli_env(home, MNT=str(mnt))
    done = subprocess.run(["unshare", "-m", "sh", "-c", "\n".join(steps)], env=env, timeout=120, check=False)
    assert done.returncode == 0, (out / "fetch.err").read_text() if (out / "fetch.err").exists() else ""
    return {
        name: (
            int((out / f"{name}.rc").read_text()),
            (out / f"{name}.out").read_text(),
            (out / f"{name}.err").read_text(),
        )
        for name in ("list", "fetch")
    }


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_full_disk_or_a_read_only_place_says_what_is_wrong_and_the_database_is_still_read(
    feed: str, tmp_path: Path, isolated_home: Path, backend: str
) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    config = config_in(seed, feed, BACKENDS[backend])
    first = run_mentionscan("fetch", "--config", str(config), "--quiet", home=isolated_home)
    assert first.returncode == 0, first.stderr
    database = "mentions.json" if backend == "json" else "mentions.db"
    for place in PLACES:
        out = tmp_path / place.replace(" ", "-")
        out.mkdir()
        ran = run_in_place(seed, out, place, isolated_home)
        mnt = out / "mnt"
        # Everything stored can still be read.
        code, stdout, stderr = ran["list"]
        assert (code, stderr) == (0, ""), place
        assert sorted(m["title"] for m in json.loads(stdout)) == ["acme 0", "acme 1"], place
        # And a run that would store says what is wrong with the place, not with the database.
        code, stdout, stderr = ran["fetch"]
        expected = {
            ("json", "full disk"): f"cannot save database {mnt}/{database}: No space left on device",
            ("json", "read-only file system"): (
                f"cannot lock database {mnt}/{database}: the file system of {mnt} is read-only"
            ),
            ("json", "read-only folder"): f"cannot save database {mnt}/{database}: Permission denied",
            ("sqlite", "full disk"): (
                f"cannot open database {mnt}/{database} for writing: the disk holding {mnt} is full; "
                "the database itself was not changed"
            ),
            ("sqlite", "read-only file system"): (
                f"cannot lock database {mnt}/{database}: the file system of {mnt} is read-only"
            ),
            ("sqlite", "read-only folder"): (
                f"cannot open database {mnt}/{database} for writing: the folder {mnt} is not writable "
                "(Permission denied); the database itself was not changed"
            ),
        }[backend, place]
        assert (code, stdout, stderr) == (1, "", f"Error: {expected}\n"), place
        assert "move it away" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_runs_through_a_symlink_and_through_its_target_take_turns_and_lose_nothing(
    tmp_path: Path, isolated_home: Path, backend: str
) -> None:
    release = threading.Event()

    def handler(conn: socket.socket, path: str) -> None:
        if path == "/slow":  # the first run holds the database while this answers
            release.wait(20)
        body = rss([{"title": f"acme {path[1:]}", "link": f"https://x.example{path}"}])
        conn.sendall(http_head(headers={"Content-Type": RSS_TYPE, "Content-Length": str(len(body))}) + body)

    real = tmp_path / "data"
    real.mkdir()
    name = "mentions.json" if backend == "json" else "mentions.db"
    (tmp_path / "link").symlink_to(real / name)
    prefix = "" if backend == "json" else "sqlite:///"
    with RawServer(handler) as server:
        runs = []
        for path, feed in ((tmp_path / "link", "slow"), (real / name, "quick")):
            folder = tmp_path / feed
            folder.mkdir()
            config_in(folder, server.url(f"/{feed}"), f"{prefix}{path}")
            command = mentionscan_command(
                "fetch", "--config", str(folder / "config.toml"), "--format", "json"
            )
            runs.append(
                subprocess.Popen(
                    command, env=cli_env(isolated_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            )
            deadline = time.monotonic() + 20
            while feed == "slow" and not server.count("/slow"):
                assert time.monotonic() < deadline and runs[0].poll() is None
                time.sleep(0.01)
        time.sleep(0.5)
        waited = runs[1].poll() is None and server.count("/quick") == 0  # the lock the first one holds
        release.set()
        outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert waited
    assert [[m["title"] for m in json.loads(out)] for out, _ in outputs] == [["acme slow"], ["acme quick"]]
    assert (tmp_path / "link").is_symlink()
    listed = run_mentionscan(
        "list", "--db", f"{prefix}{tmp_path / 'link'}", "--format", "json", home=isolated_home
    )
    assert sorted(m["title"] for m in json.loads(listed.stdout)) == ["acme quick", "acme slow"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_read_only_database_file_is_listed_but_a_fetch_refuses_to_write_it(
    feed: str, tmp_path: Path, isolated_home: Path, backend: str
) -> None:
    config = config_in(tmp_path, feed, BACKENDS[backend])
    assert run_mentionscan("fetch", "--config", str(config), "--quiet", home=isolated_home).returncode == 0
    database = tmp_path / ("mentions.json" if backend == "json" else "mentions.db")
    database.chmod(0o444)
    before = database.read_bytes()
    fetched = run_mentionscan("fetch", "--config", str(config), home=isolated_home)
    assert (fetched.returncode, fetched.stdout) == (1, b"")
    assert fetched.stderr.decode() == (
        f"Error: database {database} is read-only (mode 0444): it was left as it is; make it writable "
        f"(chmod u+w {database}) to store in it, or only read it (list, show, export)\n"
    )
    assert database.read_bytes() == before and database.stat().st_mode & 0o777 == 0o444
    listed = run_mentionscan("list", "--config", str(config), "--format", "json", home=isolated_home)
    assert listed.returncode == 0 and sorted(m["title"] for m in json.loads(listed.stdout)) == [
        "acme 0",
        "acme 1",
    ]
