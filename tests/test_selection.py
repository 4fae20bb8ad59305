"""What the names and times a person types select: `--since` (found) and `--published-since`,
`--query`/`--source` names that must exist, a `--db` folder that must exist, the lock file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.hardening_tools import cli_env, rss
from tests.mailtools import email_table


@pytest.fixture
def config(cli: Cli, httpserver: HTTPServer, write_config: Any) -> Path:
    """Two mentions found now: one published ten days ago, one an hour ago."""
    now = datetime.now(UTC)
    items = [
        {"title": "acme old post", "link": "https://b.example/old", "guid": "old"},
        {"title": "acme new post", "link": "https://b.example/new", "guid": "new"},
    ]
    items[0]["pubDate"] = format_datetime(now - timedelta(days=10), usegmt=True)
    items[1]["pubDate"] = format_datetime(now - timedelta(hours=1), usegmt=True)
    httpserver.expect_request("/feed").respond_with_data(rss(items), content_type="application/rss+xml")
    path = write_config(
        {"acme": "acme"},
        [{"name": "blog", "type": "feed", "url": httpserver.url_for("/feed")}],
        extra=email_table(),
    )
    assert cli("fetch", "--config", str(path), "--quiet").exit_code == 0
    return path


def titles(records: list[dict[str, Any]]) -> list[str]:
    return sorted(r["title"] for r in records)


def test_since_is_when_found_and_published_since_when_written(cli: Cli, config: Path) -> None:
    cfg = ["--config", str(config), "--format", "json"]
    assert titles(cli.json("list", "--since", "1d", *cfg)) == ["acme new post", "acme old post"]
    assert titles(cli.json("list", "--published-since", "1d", *cfg)) == ["acme new post"]
    assert cli.json("list", "--since", "2099-01-01", *cfg) == []
    assert titles(cli.json("export", "--published-since", "3d", *cfg)) == ["acme new post"]
    assert titles(cli.json("export", "--since", "3d", *cfg)) == ["acme new post", "acme old post"]
    marked = cli("mark", "--published-since", "3d", "todo", "--config", str(config))
    assert marked.exit_code == 0 and "Marked 1 mention todo." in marked.stderr
    assert titles(cli.json("list", "--status", "todo", *cfg)) == ["acme new post"]


def test_digest_published_since_leaves_out_older_posts(cli: Cli, config: Path, tmp_path: Path) -> None:
    out = tmp_path / "digest.eml"
    result = cli("digest", "--published-since", "3d", "--output", str(out), "--config", str(config))
    assert result.exit_code == 0, result.stderr
    message = out.read_text()
    assert "acme new post" in message and "acme old post" not in message
    assert "Digest of 1 mention" in result.stderr


@pytest.mark.parametrize("command", [["list"], ["export"], ["mark", "todo"]])
def test_a_filter_naming_nothing_is_an_error_with_the_nearest_name(
    cli: Cli, config: Path, command: list[str]
) -> None:
    database = (config.parent / "mentions.json").read_bytes()
    typo = cli(*command, "--source", "blgo", "--config", str(config))
    assert typo.exit_code == 2 and typo.stdout == ""
    assert (
        typo.stderr == f"Error: no source named 'blgo' in {config} or the database (did you mean 'blog'?)\n"
    )
    query = cli(*command, "--query", "acmee", "--config", str(config))
    assert query.exit_code == 2 and "no query named 'acmee'" in query.stderr and "'acme'?" in query.stderr
    assert (config.parent / "mentions.json").read_bytes() == database


def test_a_name_gone_from_the_config_but_on_stored_mentions_still_selects_them(
    cli: Cli, config: Path
) -> None:
    text = config.read_text().replace('name = "blog"', 'name = "renamed"')
    config.write_text(text)
    records = cli.json("list", "--source", "blog", "--config", str(config), "--format", "json")
    assert len(records) == 2
    # with --db alone there is no config: the database's names count
    only_db = cli("list", "--source", "nope", "--db", str(config.parent / "mentions.json"))
    assert only_db.exit_code == 2 and "no source named 'nope' in the database" in only_db.stderr


def test_db_in_a_folder_that_does_not_exist_is_an_error(cli: Cli, config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "mentoins" / "mentions.json"
    for command in (["fetch"], ["list"], ["mark", "--status", "new", "todo"]):
        result = cli(*command, "--config", str(config), "--db", str(missing))
        assert result.exit_code == 2, result.stderr
        assert f"Error: --db {missing}: the folder {missing.parent} does not exist" in result.stderr
    assert not missing.parent.exists()
    env = cli("list", "--config", str(config), env={"MENTIONSCAN_DB": str(missing)})
    assert env.exit_code == 2 and f"MENTIONSCAN_DB={missing}: the folder" in env.stderr


def test_a_new_database_in_an_existing_folder_is_said_once(cli: Cli, config: Path, tmp_path: Path) -> None:
    new = tmp_path / "other.json"
    listed = cli("list", "--config", str(config), "--db", str(new))
    assert listed.exit_code == 0
    assert listed.stderr.count(f"no database at {new} yet") == 1
    fetched = cli("fetch", "--config", str(config), "--db", str(new))
    assert fetched.exit_code == 0
    assert fetched.stderr.count(f"new database {new}") == 1 and new.exists()
    again = cli("fetch", "--config", str(config), "--db", str(new))
    assert "new database" not in again.stderr
    quiet = cli("fetch", "--quiet", "--config", str(config), "--db", str(tmp_path / "third.json"))
    assert quiet.stderr == ""


def test_a_lock_file_that_cannot_be_created_is_an_error_at_once(cli: Cli, write_config: Any) -> None:
    config = write_config({"acme": "acme"}, [{"name": "b", "type": "feed", "url": "http://127.0.0.1:9/"}])
    result = cli("mark", "--status", "new", "todo", "--config", str(config), "--db", "/proc/m.json")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("Error: cannot lock database /proc/m.json: /proc/m.json.lock: ")
    assert "full" not in result.stderr  # /proc has no blocks: it is not a full disk


@pytest.mark.slow
def test_every_command_that_waits_for_the_lock_says_for_what(
    cli: Cli, config: Path, isolated_home: Path
) -> None:
    # A real second process holds the lock, as a long fetch would; `mark` and `note` wait.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from mentionscan.store import run_lock\n"
            "with run_lock(Path(sys.argv[1]), 5, purpose='fetch'):\n"
            "    print('held', flush=True); time.sleep(30)",
            str(config.parent / "mentions.json"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(isolated_home),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        text = config.read_text().replace("[settings]", "[settings]\nlock_timeout = 0.3")
        config.write_text(text)
        mentions = cli.json("list", "--config", str(config), "--format", "json")
        for command in (["mark", "--status", "new", "todo"], ["note", mentions[0]["id"][:7], "hi"]):
            result = cli(*command, "--config", str(config))
            assert result.exit_code == 4
            first = result.stderr.splitlines()[0]
            started = time.strftime("%H:%M")
            assert first.startswith("waiting for the fetch started ") and f"(pid {holder.pid})" in first
            assert first.endswith("to finish (up to 0.3 s) …") and started[:2] in first
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone (killed: its note is left behind, and not believed)
    assert json.loads((config.parent / "mentions.json.lock.holder").read_text())["pid"] == holder.pid
    assert cli("mark", "--status", "new", "todo", "--config", str(config)).exit_code == 0
    assert os.path.exists(config.parent / "mentions.json.lock")
