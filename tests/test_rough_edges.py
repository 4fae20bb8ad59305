"""The rough edges a new user meets: help text, config errors, credentials, cut-off HTML, `db info`,
the starter config."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.hardening_tools import rss

COMMANDS = [
    ["fetch"], ["list"], ["mark"], ["export"], ["digest"], ["reply"], ["contact"], ["doctor"], ["show"],
    ["followups"], ["search"], ["test-query"], ["demo"], ["db", "migrate"], ["db", "info"], ["note"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_metavars_are_plain_words(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert not re.search(r"<[a-z\[\]]+>", result.stdout), result.stdout
    for option, metavar in (
        ("--config", "PATH"),
        ("--db", "PATH"),
        ("--status", "STATUS"),
        ("--since", "WHEN"),
    ):
        if f"{option} " in result.stdout:
            assert f"{option} {metavar}" in result.stdout, (option, result.stdout)


def test_list_help_names_each_value(cli: Cli) -> None:
    help_text = cli("list", "--help", env={"COLUMNS": "80"}).stdout
    for shown in (
        "-s, --status STATUS",
        "--query NAME",
        "--source NAME",
        "-n, --limit N",
        "--published-since WHEN",
    ):
        assert shown in help_text


def test_the_command_list_is_not_cut_at_80_columns(cli: Cli) -> None:
    result = cli("--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "..." not in result.stdout.split("Commands:")[1]
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    text = " ".join(result.stdout.split())
    assert "Set the status of mentions, by id or by the filters of `list`." in text
    assert "Fetch every source, keep what the queries match, store and print what is new." in text


def test_a_bad_format_is_one_plain_sentence(cli: Cli) -> None:
    result = cli("list", "--format", "xml")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --format 'xml' is not one of table, json, jsonl or csv"


def test_an_unknown_type_lists_the_types(cli: Cli, write_config: Any) -> None:
    config = write_config({"acme": "acme"}, [{"name": "blog", "type": "rss", "url": "https://b.example/f"}])
    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith(f"Error: {config}: [[sources]] #1 (\"blog\"): unknown type 'rss'")
    assert 'RSS, Atom and JSON Feed are all type = "feed"' in line
    assert "the types are feed, hackernews, reddit" in line and "bluesky" in line


def test_a_missing_environment_variable_names_the_config_file(
    cli: Cli, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_GITHUB_TOKEN", raising=False)
    config = write_config(
        {"acme": "acme"}, [{"name": "gh", "type": "github", "token_env": "NO_SUCH_GITHUB_TOKEN"}]
    )
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f'Error: {config}: [[sources]] #1 ("gh"): environment variable NO_SUCH_GITHUB_TOKEN'
    )


def test_a_401_on_a_feed_says_how_to_give_credentials_and_headers_send_them(
    cli: Cli, httpserver: HTTPServer, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/private.xml", headers={"Authorization": "Bearer s3cret"}).respond_with_data(
        rss([{"title": "acme private", "link": "https://p.example/1"}]), content_type="application/rss+xml"
    )
    httpserver.expect_request("/private.xml").respond_with_data("no", status=401)
    url = httpserver.url_for("/private.xml")
    bare = write_config({"acme": "acme"}, [{"name": "private", "type": "feed", "url": url}])
    refused = cli("fetch", "--config", str(bare))
    assert refused.exit_code == 3
    assert (
        "the server wants credentials (HTTP 401): give credentials with headers = { Authorization"
        in refused.stderr
    )
    assert "or a URL with its token or user:password@" in refused.stderr
    with_headers = write_config(
        {"acme": "acme"},
        [{"name": "private", "type": "feed", "url": url}],
        extra='\n[sources.headers]\nAuthorization = "Bearer ${PRIVATE_FEED_TOKEN}"\n',
        name="with-headers.toml",
    )
    unset = cli("fetch", "--config", str(with_headers))
    assert unset.exit_code == 2 and "environment variable PRIVATE_FEED_TOKEN is not set" in unset.stderr
    monkeypatch.setenv("PRIVATE_FEED_TOKEN", "s3cret")
    fetched = cli("fetch", "--config", str(with_headers), "--format", "json")
    assert fetched.exit_code == 0, fetched.stderr
    assert "acme private" in fetched.stdout and "s3cret" not in fetched.stdout + fetched.stderr


def test_html_cut_off_mid_tag_never_reaches_a_title(
    cli: Cli, httpserver: HTTPServer, write_config: Any
) -> None:
    items = [
        {"title": 'Loving Go #golang &lt;a href="https:', "link": "https://m.example/1"},
        {"title": "5 &lt; 6 and acme", "link": "https://m.example/2"},
    ]
    httpserver.expect_request("/f").respond_with_data(rss(items), content_type="application/rss+xml")
    config = write_config(
        {"go": "golang OR acme"}, [{"name": "m", "type": "feed", "url": httpserver.url_for("/f")}]
    )
    records = cli.json("fetch", "--config", str(config), "--format", "json")
    assert sorted(r["title"] for r in records) == ["5 < 6 and acme", "Loving Go #golang"]


def test_db_info_explains_states(cli: Cli, tmp_path: Path) -> None:
    result = cli("db", "info", "--db", str(tmp_path / "m.json"))
    assert result.exit_code == 0
    assert "states:   0 (what fetches and digests remember: each source's health" in result.stdout


def test_the_starter_config_fetches_nothing_and_points_at_demo(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def record(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", record)
    path = tmp_path / "config.toml"
    made = cli("init", str(path))
    assert made.exit_code == 0 and "mentionscan demo" in made.stderr
    assert "mentionscan demo" in path.read_text()
    fetched = cli("fetch", "--config", str(path))
    assert fetched.exit_code == 2
    assert "no enabled [[sources]]" in fetched.stderr
    assert looked_up == []  # not one DNS lookup
