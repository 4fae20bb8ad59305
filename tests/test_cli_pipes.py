"""The real `mentionscan` process in a pipe: data on stdout, quiet when the reader goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer


def big_feed(count: int) -> str:
    items = "".join(
        f"<item><title>acme note {n}</title><link>https://n.example/{n}</link><guid>{n}</guid></item>"
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def run(args: list[str], home: Path, **kwargs) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTIONSCAN_")}
    env.update(MENTIONSCAN_HOME=str(home), NO_PROXY="127.0.0.1")
    return subprocess.run(args, env=env, capture_output=True, timeout=60, check=False, **kwargs)


def test_head_closing_the_pipe_ends_quietly(
    httpserver: HTTPServer, write_config, isolated_home: Path
) -> None:
    httpserver.expect_request("/f").respond_with_data(big_feed(3000), content_type="application/rss+xml")
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}])
    fetch = run(
        [sys.executable, "-m", "mentionscan", "fetch", "--config", str(config), "--quiet"], isolated_home
    )
    assert fetch.returncode == 0, fetch.stderr
    command = f"'{sys.executable}' -m mentionscan list --config '{config}' --format jsonl | head -n 1"
    piped = run(["sh", "-c", command], isolated_home)
    assert piped.returncode == 0
    assert piped.stdout.count(b"\n") == 1
    assert b"acme note" in piped.stdout
    assert piped.stderr == b""


def test_errors_are_one_line_on_stderr_with_exit_2(isolated_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = run([sys.executable, "-m", "mentionscan", "fetch", "--config", str(missing)], isolated_home)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().strip() == f"Error: config file {missing} does not exist"
