"""Unattended runs, as cron and systemd make them: real processes, pipes instead of a terminal.

The README's recipes are read from the README and run as written through `sh -c`, against a
local feed server and a local SMTP server.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Request, Response

from tests.conftest import ROOT
from tests.mailtools import (
    QUERIES,
    MailServer,
    blog_rss,
    email_table,
    fake_sendmail,
    read_store,
    sendmail_table,
    serve_feeds,
    smtp_server,
)

BIN = Path(sys.executable).parent


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """`mentionscan ARGS` in its own process, stdin, stdout and stderr not a terminal (as under cron)."""
    return subprocess.run(
        [sys.executable, "-m", "mentionscan", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env or cron_env(),
        timeout=timeout,
    )


def cron_env(**extra: str) -> dict[str, str]:
    """The test's environment (its own HOME), with a TERM that would allow colour on a terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS")}
    env.update(TERM="xterm-256color", **extra)
    return env


def no_escapes(*streams: bytes) -> None:
    for stream in streams:
        assert b"\x1b" not in stream and b"\x9b" not in stream, stream[:500]


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def feeds(httpserver: Any) -> list[dict[str, Any]]:
    return serve_feeds(httpserver)


def test_fetch_from_cron_has_no_colour_and_quiet_is_silent_when_nothing_is_new(
    httpserver: Any, write_config: Callable[..., Path], feeds: list[dict[str, Any]]
) -> None:
    # A title carrying an escape sequence must not reach the pipe either.
    httpserver.expect_request("/esc.json").respond_with_json(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Escapes",
            "items": [{"id": "e1", "url": "https://e.example/1", "title": "acme \x1b[2J\x1b[31mred"}],
        }
    )
    sources = [*feeds, {"name": "esc", "type": "feed", "url": httpserver.url_for("/esc.json")}]
    path = write_config(QUERIES, sources)

    first = run("fetch", "--config", str(path))
    assert first.returncode == 0, first.stderr
    no_escapes(first.stdout, first.stderr)
    # The table (80 columns wide without a terminal: titles wrap, ids and sources do not).
    assert first.stdout.startswith(b"id ") and b" blog " in first.stdout and b" esc " in first.stdout
    assert b"5 new mentions" in first.stderr  # the summary goes to stderr, without a progress bar
    assert b"fetching" not in first.stderr

    again = run("fetch", "--config", str(path), "--quiet")
    assert again.returncode == 0
    assert (again.stdout, again.stderr) == (b"", b"")


def test_quiet_fetch_prints_only_errors_and_the_data(
    httpserver: Any, write_config: Callable[..., Path], feeds: list[dict[str, Any]]
) -> None:
    httpserver.expect_request("/broken.rss").respond_with_data("oops", status=500)
    sources = [*feeds, {"name": "broken", "type": "feed", "url": httpserver.url_for("/broken.rss")}]
    path = write_config(QUERIES, sources)
    for attempt in (1, 2):
        result = run("fetch", "--config", str(path), "--quiet")
        assert result.returncode == 3
        no_escapes(result.stdout, result.stderr)
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: broken: "), lines
        assert "500" in lines[0] and "/broken.rss" in lines[0]
        assert (b" blog " in result.stdout) == (attempt == 1)
        assert (result.stdout == b"") == (attempt == 2)


class SlowFeed:
    """A feed whose first request takes `delay` seconds; `started` is set when that request arrives."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.started = threading.Event()
        self.calls = 0

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            time.sleep(self.delay)
        body = blog_rss(datetime.now(UTC).replace(microsecond=0))
        return Response(body, content_type="application/rss+xml; charset=utf-8")


def test_a_slow_run_and_the_next_never_overlap(httpserver: Any, write_config: Callable[..., Path]) -> None:
    slow = SlowFeed(delay=4)
    httpserver.expect_request("/slow.rss").respond_with_handler(slow)
    sources = [{"name": "slow", "type": "feed", "url": httpserver.url_for("/slow.rss")}]
    patient = write_config(QUERIES, sources)  # lock_timeout: 60 s by default
    impatient = write_config(QUERIES, sources, settings={"lock_timeout": 0.5}, name="impatient.toml")

    first = subprocess.Popen(
        [sys.executable, "-m", "mentionscan", "fetch", "--config", str(patient), "--quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cron_env(),
    )
    try:
        assert slow.started.wait(30), "the first run never asked for the feed"
        # The first run holds the lock while it waits for the feed.
        second = subprocess.Popen(
            [sys.executable, "-m", "mentionscan", "fetch", "--config", str(patient), "--quiet"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cron_env(),
        )
        locked = run("fetch", "--config", str(impatient), "--quiet")
        assert first.poll() is None, "the first run should still be running"
        assert locked.returncode == 4
        assert locked.stdout == b""
        message = locked.stderr.decode()
        assert re.fullmatch(
            r"Error: database .*mentions\.json is in use by another mentionscan run "
            r"\(waited 0\.5 s\); try again when it ends\n",
            message,
        ), message

        first_out, first_err = first.communicate(timeout=60)
        first_done = time.monotonic()
        second_out, second_err = second.communicate(timeout=60)
        second_done = time.monotonic()
    finally:
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert first.returncode == 0, first_err
    assert first_out.startswith(b"id ") and b" slow " in first_out
    # The second run waited for the lock, then read what the first had stored: nothing new.
    assert second.returncode == 0, second_err
    assert (second_out, second_err) == (b"", b"")
    assert second_done >= first_done
    assert slow.calls == 2


def readme_section(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"<!-- section:{name} -->", 1)[1].split(f"<!-- /section:{name} -->", 1)[0]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def crontab(block: str) -> tuple[dict[str, str], str]:
    """A crontab's variable lines, and the command of its one schedule line."""
    variables: dict[str, str] = {}
    commands = []
    for line in block.splitlines():
        if match := re.fullmatch(r"([A-Z_]+)=(.*)", line):
            variables[match.group(1)] = match.group(2)
        elif line.strip():
            commands.append(line.split(None, 5)[5])
    assert len(commands) == 1, commands
    return variables, commands[0]


def recipe_env(variables: dict[str, str], config: Path) -> dict[str, str]:
    """The crontab's variables, pointed at this test's config and this environment's `mentionscan`."""
    assert set(variables) == {"MAILTO", "PATH", "MENTIONSCAN_CONFIG"}, variables
    assert (BIN / "mentionscan").exists()
    return cron_env(PATH=f"{BIN}:{variables['PATH']}", MENTIONSCAN_CONFIG=str(config))


def run_shell(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["sh", "-c", command], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
    )


def test_the_readme_crontab_recipe_mails_the_digest(
    write_config: Callable[..., Path], feeds: list[dict[str, Any]], mail: MailServer, tmp_path: Path
) -> None:
    blocks = code_blocks(readme_section("cron"), "crontab")
    variables, command = crontab(blocks[0])
    assert command == "mentionscan fetch --quiet >/dev/null; mentionscan digest --send --quiet"
    config = write_config(QUERIES, feeds, extra=email_table(mail))
    env = recipe_env(variables, config)

    result = run_shell(command, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == (b"", b"")  # cron has nothing to mail but the digest
    message = mail.only().message
    assert message["Subject"] == "mentionscan: 4 new mentions (acme 3, acme-support 1)"

    again = run_shell(command, env, tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, b"", b"")
    assert len(mail.received) == 1  # nothing new: no second email


@pytest.mark.slow
def test_the_readme_crontab_recipe_through_a_local_mail_program(
    write_config: Callable[..., Path], feeds: list[dict[str, Any]], tmp_path: Path
) -> None:
    variables, command = crontab(code_blocks(readme_section("cron"), "crontab")[0])
    sendmail = fake_sendmail(tmp_path)
    config = write_config(QUERIES, feeds, extra=sendmail_table(sendmail.program))
    env = recipe_env(variables, config)

    for _ in range(2):
        result = run_shell(command, env, tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b""), result.stderr
    [message] = sendmail.received  # the second morning had nothing new
    assert message["Subject"] == "mentionscan: 4 new mentions (acme 3, acme-support 1)"

    # The pipe the README warns about: a preview that records nothing, and says so to cron.
    fresh = write_config(QUERIES, feeds, extra=sendmail_table(sendmail.program), name="fresh.toml")
    fresh.write_text(fresh.read_text().replace('"mentions.json"', '"fresh.json"'))
    piped = run_shell(
        "mentionscan fetch --quiet >/dev/null; mentionscan digest >/dev/null",
        recipe_env(variables, fresh),
        tmp_path,
    )
    assert piped.returncode == 0
    assert b"(a preview: nothing recorded; --send sends and records it)" in piped.stderr
    assert [m.digested_at for m in read_store(tmp_path / "fresh.json").values()] == [None] * 4


def test_with_a_broken_source_the_recipe_still_sends_the_digest(
    httpserver: Any,
    write_config: Callable[..., Path],
    feeds: list[dict[str, Any]],
    mail: MailServer,
    tmp_path: Path,
) -> None:
    httpserver.expect_request("/broken.rss").respond_with_data("gone fishing", status=503)
    sources = [*feeds, {"name": "broken", "type": "feed", "url": httpserver.url_for("/broken.rss")}]
    config = write_config(QUERIES, sources, extra=email_table(mail))
    variables, command = crontab(code_blocks(readme_section("cron"), "crontab")[0])
    env = recipe_env(variables, config)

    # What the README warns about: with `&&`, fetch's exit 3 holds the digest back.
    held_back = run_shell(command.replace(";", " &&"), env, tmp_path)
    assert held_back.returncode == 3
    assert mail.received == []

    result = run_shell(command, env, tmp_path)
    assert result.returncode == 0
    assert result.stdout == b""
    errors = result.stderr.decode().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: broken: ") and "503" in errors[0]
    assert mail.only().message["Subject"] == "mentionscan: 4 new mentions (acme 3, acme-support 1)"


def test_the_readme_jsonl_recipe_appends_each_mention_once(
    write_config: Callable[..., Path], feeds: list[dict[str, Any]], isolated_home: Path, tmp_path: Path
) -> None:
    blocks = code_blocks(readme_section("cron"), "crontab")
    variables, _ = crontab(blocks[0])
    _, command = crontab(blocks[1])
    assert command == 'mentionscan fetch --quiet --format jsonl >> "$HOME/mentions.jsonl"'
    env = recipe_env(variables, write_config(QUERIES, feeds))
    assert env["HOME"] == str(isolated_home)

    for _ in range(2):
        result = run_shell(command, env, tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    lines = (isolated_home / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4
    assert {r["title"] for r in records} >= {"Acme export lost our tables"}


def test_the_readme_systemd_service_mails_the_digest_with_a_password_from_its_env_file(
    write_config: Callable[..., Path], feeds: list[dict[str, Any]], isolated_home: Path, tmp_path: Path
) -> None:
    service, timer = code_blocks(readme_section("cron"), "ini")
    assert service.startswith("# mentionscan.service") and timer.startswith("# mentionscan.timer")
    assert "OnCalendar=*-*-* 07:00" in timer and "Persistent=true" in timer
    settings = [line.split("=", 1) for line in service.splitlines() if "=" in line and line[0] != "#"]
    home = str(isolated_home)
    environment = dict(v.replace("%h", home).split("=", 1) for k, v in settings if k == "Environment")
    [env_file] = [v.replace("%h", home) for k, v in settings if k == "EnvironmentFile"]
    [exec_start] = [v for k, v in settings if k == "ExecStart"]
    assert set(environment) == {"PATH", "MENTIONSCAN_CONFIG"}

    # Where the unit expects them: the config, and the password in the optional env file.
    config_path = Path(environment["MENTIONSCAN_CONFIG"])
    config_path.parent.mkdir(parents=True)
    password = "pw-from-env-file"
    secrets = Path(env_file.removeprefix("-"))
    secrets.write_text(f"MENTIONSCAN_SMTP_PASSWORD={password}\n")
    with smtp_server(auth=("scan", password)) as server:
        written = write_config(
            QUERIES,
            feeds,
            extra=email_table(server, username="scan", password_env="MENTIONSCAN_SMTP_PASSWORD"),
        )
        config_path.write_text(
            written.read_text().replace('"mentions.json"', json.dumps(str(tmp_path / "db.json")))
        )
        file_env = dict(line.split("=", 1) for line in secrets.read_text().splitlines())
        env = cron_env(**environment, **file_env)
        env["PATH"] = f"{BIN}:{env['PATH']}"
        result = subprocess.run(
            shlex.split(exec_start), env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
        )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b""), result.stderr
    assert server.only().message["Subject"] == "mentionscan: 4 new mentions (acme 3, acme-support 1)"
    assert password.encode() not in result.stderr
