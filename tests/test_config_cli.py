"""`config check`, `config path` and `add URL`: the config from the command line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import DATA, Cli
from tests.terminal import Terminal, mentionscan_command, needs_tmux
from tests.test_doctor_judges import HOME_PAGE

STARTER_TAIL = '\n# my own note, kept\n[email]\nto = "me@example.com"\nfrom = "scan@example.com"\n'


def serve_feed(httpserver: HTTPServer, path: str) -> str:
    httpserver.expect_request(path).respond_with_data(
        (DATA / "rss20.xml").read_bytes(), content_type="application/rss+xml"
    )
    return httpserver.url_for(path)


def test_config_check_lists_queries_and_sources_and_asks_nothing(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    config = write_config(
        {"acme": 'acme OR "acme widgets"', "support": "tag:acmehelp"},
        [
            {"name": "blog", "type": "feed", "url": httpserver.url_for("/feed.xml")},
            {"name": "hn", "type": "hackernews", "enabled": False},
        ],
    )
    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{config}: OK"
    assert '  acme     acme OR "acme widgets"' in lines
    assert "sources (2, 1 enabled):" in lines
    assert any(line.split()[:2] == ["hn", "hackernews"] and line.endswith("(disabled)") for line in lines)
    assert f"database: {config.parent / 'mentions.json'}" in lines
    assert httpserver.log == []  # offline


def test_config_check_fails_with_exit_2_naming_the_key(cli: Cli, write_config: Any, monkeypatch: Any) -> None:
    bad = write_config({"acme": "acme ("}, [])
    result = cli("config", "check", "--config", str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {bad}: [[queries]] #1 (\"acme\"): 'match':")
    monkeypatch.delenv("MISSING_TOKEN", raising=False)
    secret = write_config({"acme": "acme"}, [{"name": "gh", "type": "github", "token_env": "MISSING_TOKEN"}])
    unset = cli("config", "check", "--config", str(secret))
    assert unset.exit_code == 2 and "environment variable MISSING_TOKEN is not set" in unset.stderr


def test_config_path_says_which_file_is_read(cli: Cli, isolated_home: Path, tmp_path: Path) -> None:
    default = cli("config", "path")
    assert default.exit_code == 0
    assert default.stdout == f"{isolated_home / 'config.toml'}\n"
    assert "does not exist yet: `mentionscan init`" in default.stderr
    mine = tmp_path / "mine.toml"
    mine.write_text("")
    assert cli("config", "path", "--config", str(mine)).stdout == f"{mine}\n"
    assert cli("config", "path", env={"MENTIONSCAN_CONFIG": str(mine)}).stdout == f"{mine}\n"


@pytest.fixture
def starter(cli: Cli, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    assert cli("init", str(path)).exit_code == 0
    with path.open("a") as out:
        out.write(STARTER_TAIL)
    return path


def test_add_a_feed_url_keeps_the_comments_and_a_backup(
    cli: Cli, httpserver: HTTPServer, starter: Path
) -> None:
    before = starter.read_text()
    url = serve_feed(httpserver, "/feed.xml")
    result = cli("add", url, "--config", str(starter))
    assert result.exit_code == 0, result.stderr
    assert f"Added source '127.0.0.1' ({url} (RSS or Atom, \"Tech Blog\")) to {starter}" in result.stderr
    after = starter.read_text()
    assert after.startswith(before.split("[email]")[0].rstrip())  # every comment and line kept
    assert "# my own note, kept" in after and 'to = "me@example.com"' in after
    assert (starter.parent / "config.toml.bak").read_text() == before
    sources = tomllib.loads(after)["sources"]
    assert sources == [{"name": "127.0.0.1", "type": "feed", "url": url}]
    assert cli("config", "check", "--config", str(starter)).exit_code == 0
    fetched = cli("fetch", "--config", str(starter), "--format", "json")
    assert fetched.exit_code == 0 and "127.0.0.1: 4 entries" in fetched.stderr
    again = cli("add", url, "--config", str(starter))
    assert again.exit_code == 2 and f"{url} is already in {starter} as source '127.0.0.1'" in again.stderr
    named = cli("add", serve_feed(httpserver, "/other.xml"), "--name", "127.0.0.1", "--config", str(starter))
    assert named.exit_code == 2 and "--name '127.0.0.1' is taken" in named.stderr


def test_add_a_home_page_takes_its_only_feed_or_one_at_a_usual_path(
    cli: Cli, httpserver: HTTPServer, starter: Path
) -> None:
    serve_feed(httpserver, "/feed.xml")
    one = HOME_PAGE.replace('<link rel="alternate" type="application/atom+xml"', '<link rel="x"')
    httpserver.expect_request("/blog/").respond_with_data(one, content_type="text/html")
    result = cli("add", httpserver.url_for("/blog/"), "--name", "blog", "--config", str(starter))
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads(starter.read_text())["sources"][-1]["url"] == httpserver.url_for("/feed.xml")


def test_add_a_page_advertising_nothing_finds_a_feed_at_a_usual_path(
    cli: Cli, httpserver: HTTPServer, starter: Path
) -> None:
    httpserver.expect_request("/plain").respond_with_data("<html><p>hi</p></html>", content_type="text/html")
    serve_feed(httpserver, "/index.xml")  # Hugo's
    result = cli("add", httpserver.url_for("/plain"), "--name", "guessed", "--config", str(starter))
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads(starter.read_text())["sources"][-1] == {
        "name": "guessed",
        "type": "feed",
        "url": httpserver.url_for("/index.xml"),
    }


def test_add_a_page_without_a_feed_is_an_error_and_changes_nothing(
    cli: Cli, httpserver: HTTPServer, starter: Path
) -> None:
    httpserver.expect_request("/").respond_with_data("<html><p>hi</p></html>", content_type="text/html")
    before = starter.read_text()
    result = cli("add", httpserver.url_for("/"), "--config", str(starter))
    assert result.exit_code == 1
    assert "no feed found: it is not a feed, its page advertises none" in result.stderr
    assert starter.read_text() == before and not (starter.parent / "config.toml.bak").exists()


def test_add_a_page_with_several_feeds_lists_them_when_it_cannot_ask(
    cli: Cli, httpserver: HTTPServer, starter: Path
) -> None:
    httpserver.expect_request("/").respond_with_data(HOME_PAGE, content_type="text/html")
    result = cli("add", httpserver.url_for("/"), "--config", str(starter))
    assert result.exit_code == 2
    assert f'has 2 feeds: 1) {httpserver.url_for("/feed.xml")} (RSS, "Small tools: posts"); ' in result.stderr
    assert '2) https://blog.example/comments.atom (Atom, "Comments")' in result.stderr


@pytest.mark.slow
@needs_tmux
def test_add_asks_which_feed_on_a_terminal(httpserver: HTTPServer, starter: Path) -> None:
    httpserver.expect_request("/").respond_with_data(HOME_PAGE, content_type="text/html")
    terminal = Terminal(100, 20)
    try:
        terminal.start(mentionscan_command("add", httpserver.url_for("/"), "--config", str(starter)))
        terminal.wait_for("Which one (1-2)")
        terminal.keys("2", "Enter")
        screen = terminal.finish()
    finally:
        terminal.close()
    assert screen.code == 0, screen.lines
    assert tomllib.loads(starter.read_text())["sources"][-1] == {
        "name": "blog.example",
        "type": "feed",
        "url": "https://blog.example/comments.atom",
    }
