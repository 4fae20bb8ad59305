"""`--verbose` says each request and each site search; `open ID` starts $BROWSER; typer's completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from tests.conftest import DATA, Cli

FAST = 6000
EMPTY_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>search</title></channel></rss>'
EMPTY_SEARCH = {"items": [], "has_more": False, "quota_remaining": 299}


def sources(httpserver: HTTPServer) -> list[dict[str, Any]]:
    port = httpserver.port
    return [
        {
            "name": "so",
            "type": "stackexchange",
            "base_url": httpserver.url_for("/se"),
            "key_env": "SE_KEY",
            "rate_per_minute": FAST,
        },
        {"name": "gn", "type": "google_news", "base_url": httpserver.url_for("/gn"), "rate_per_minute": FAST},
        {
            "name": "blog",
            "type": "feed",
            "url": f"http://reader:pw@127.0.0.1:{port}/feed.xml?token=t0ps3cret&x=1",
        },
    ]


def test_verbose_says_each_request_masked_and_each_search_as_asked(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    httpserver.expect_request("/se/2.3/search/advanced").respond_with_json(EMPTY_SEARCH)
    httpserver.expect_request("/feed.xml").respond_with_data(
        (DATA / "rss20.xml").read_bytes(), content_type="application/rss+xml"
    )
    httpserver.expect_request("/gn/rss/search").respond_with_data(
        EMPTY_FEED, content_type="application/rss+xml"
    )
    config = write_config({"acme": '"acme corp" OR acmecorp -jobs'}, sources(httpserver))
    env = {"SE_KEY": "k3yk3yk3y"}

    result = cli("fetch", "-v", "--config", str(config), "--quiet", env=env)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    base = f"http://127.0.0.1:{httpserver.port}"
    search = "/2.3/search/advanced?site=stackoverflow&sort=creation&order=desc&pagesize=100"
    search += "&filter=withbody&key=***"
    # Stack Exchange has no OR: two searches, each shown as asked; Google News takes the whole query
    assert f"so: query 'acme' asked as {search}&q=\"acme corp\" -jobs" in lines
    assert f"so: query 'acme' asked as {search}&q=acmecorp -jobs" in lines
    news = '/rss/search?q=("acme corp" OR acmecorp) -jobs&hl=en-US&gl=US&ceid=US:en'
    assert f"gn: query 'acme' asked as {news}" in lines
    said = [line for line in lines if line.startswith("GET ")]
    assert sorted(line.rsplit(" in ", 1)[0] for line in said) == [
        f"GET http://***@127.0.0.1:{httpserver.port}/feed.xml?token=***&x=1 -> 200",
        f"GET {base}/gn/rss/search?q=%28%22acme+corp%22+OR+acmecorp%29+-jobs&hl=en-US&gl=US&ceid=US%3Aen"
        " -> 200",
        f"GET {base}/se{search}&q=%22acme+corp%22+-jobs -> 200",
        f"GET {base}/se{search}&q=acmecorp+-jobs -> 200",
    ]
    assert all(line.endswith(" s") for line in said)
    assert (
        "k3yk3yk3y" not in result.stderr and "t0ps3cret" not in result.stderr and "pw@" not in result.stderr
    )
    # one command's choice: the next run without -v says nothing of its requests
    plain = cli("fetch", "--config", str(config), "--quiet", env=env)
    assert plain.exit_code == 0, plain.stderr
    assert plain.stderr == ""


def test_verbose_names_a_request_that_got_no_answer(cli: Cli, write_config: Any) -> None:
    config = write_config(
        {"acme": "acme"}, [{"name": "gone", "type": "feed", "url": "http://127.0.0.1:9/feed"}]
    )
    result = cli("doctor", "--verbose", "--config", str(config))
    assert result.exit_code == 3
    assert "GET http://127.0.0.1:9/feed -> no answer in " in result.stderr


def stored_id(cli: Cli, httpserver: HTTPServer, write_config: Any, link: str) -> tuple[Path, str]:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>acme is great</title><link>{link}</link></item></channel></rss>"
    )
    httpserver.expect_request("/feed.xml").respond_with_data(feed, content_type="application/rss+xml")
    config = write_config(
        {"acme": "acme"}, [{"name": "blog", "type": "feed", "url": httpserver.url_for("/feed.xml")}]
    )
    (record,) = cli.json("fetch", "--config", str(config), "--format", "json")
    return config, record["id"]


def run_open(config: Path, mention_id: str, browser: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    return subprocess.run(
        [sys.executable, "-m", "mentionscan", "open", mention_id, "--config", str(config)],
        env={**env, "BROWSER": browser},
        capture_output=True,
        text=True,
        timeout=60,
    )


def browser_script(tmp_path: Path, code: int) -> tuple[Path, Path]:
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{opened}"\nexit {code}\n', encoding="utf-8")
    script.chmod(0o755)
    return script, opened


def test_open_starts_the_browser_on_the_mentions_page(
    cli: Cli, httpserver: HTTPServer, write_config: Any, tmp_path: Path
) -> None:
    link = "https://blog.example/posts/acme?ref=1"
    config, mention_id = stored_id(cli, httpserver, write_config, link)
    script, opened = browser_script(tmp_path, 0)
    result = run_open(config, mention_id[:7], str(script))
    assert result.returncode == 0, result.stderr
    assert opened.read_text(encoding="utf-8") == f"{link}\n"
    assert result.stdout == f"{link}\n"
    assert f"Opening {mention_id[:7]}: acme is great" in result.stderr

    failing, _ = browser_script(tmp_path / "..", 1)
    broken = run_open(config, mention_id, str(failing))
    assert broken.returncode == 1
    assert "Error: no browser could be started: set $BROWSER, or open the link printed above" in broken.stderr

    unknown = cli("open", "fffffff", "--config", str(config))
    assert unknown.exit_code != 0 and "fffffff" in unknown.stderr


def test_open_refuses_a_link_that_is_not_http(
    cli: Cli, httpserver: HTTPServer, write_config: Any, tmp_path: Path
) -> None:
    config, mention_id = stored_id(cli, httpserver, write_config, "https://blog.example/acme")
    database = config.parent / "mentions.json"
    data = json.loads(database.read_text(encoding="utf-8"))
    for table in data.values():
        for row in table.values():
            if row.get("id") == mention_id:
                row["url"] = "file:///etc/passwd"
    database.write_text(json.dumps(data), encoding="utf-8")
    script, opened = browser_script(tmp_path, 0)
    result = run_open(config, mention_id, str(script))
    assert result.returncode == 1
    assert f"Error: mention {mention_id[:7]} has no http or https link to open" in result.stderr
    assert not opened.exists()


def test_shell_completion_is_typers_own(cli: Cli) -> None:
    top = cli("--help")
    assert "--install-completion" in top.stdout and "--show-completion" in top.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "mentionscan", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SHELL": "/bin/bash"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "_MENTIONSCAN_COMPLETE=complete_bash" in shown.stdout
    completed = subprocess.run(
        [sys.executable, "-m", "mentionscan"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "_MENTIONSCAN_COMPLETE": "complete_bash",
            "COMP_WORDS": "mentionscan fe",
            "COMP_CWORD": "1",
        },
    )
    assert completed.stdout.split() == ["fetch"]
