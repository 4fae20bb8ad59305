"""Secrets in every encoding, and credentials in URLs: never in output, `doctor` or the database."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.masking import mask, remember
from tests.conftest import Cli
from tests.hardening_tools import rss

# The shape of key Stack Exchange's own documentation shows (`*` and `(` in it).
KEY = "U4DMV*8nvpm3EOpvf69Rxw(("


def spellings(secret: str) -> set[str]:
    encoded = quote(secret, safe="")
    lower = re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), encoded)
    return {secret, encoded, lower, quote_plus(secret), quote(secret), secret.replace("*", "%2a")}


def test_every_spelling_of_a_secret_is_masked() -> None:
    remember(KEY)
    remember("pass word+1")
    for spelled in spellings(KEY) | {"pass+word%2B1", "pass%20word%2b1", "pass word+1"}:
        assert mask(f"GET /x?key={spelled}&q=1 failed") == "GET /x?key=***&q=1 failed", spelled
    assert mask("U4DMV*8nvpm3EOpvf69Rxw(") == "U4DMV*8nvpm3EOpvf69Rxw("  # not the key: left as it is


def test_a_stack_exchange_key_with_star_and_parenthesis_never_shows_in_any_encoding(
    cli: Cli, httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SE_KEY", KEY)
    path = "/se/2.3/search/advanced"
    httpserver.expect_request(path).respond_with_data(f"upstream failed for key={quote(KEY)}", status=500)
    source = {
        "name": "so",
        "type": "stackexchange",
        "base_url": httpserver.url_for("/se"),
        "key_env": "SE_KEY",
    }
    config = write_config({"arrays": "array"}, [source], settings={"user_agent": "mentionscan-test/1"})
    fetched = cli("fetch", "--config", str(config))
    assert fetched.exit_code == 3
    assert (
        "Error: so: http://" in fetched.stderr
        and "key=***" in fetched.stderr
        and "HTTP 500" in fetched.stderr
    )
    doctor = cli("doctor", "--config", str(config))
    assert doctor.exit_code == 3 and "key=***" in doctor.stdout + doctor.stderr
    database = (config.parent / "mentions.json").read_text(encoding="utf-8")
    assert "key=***" in database  # the last error, as stored
    # The key really went out: the server received it, percent-encoded.
    sent = [r.query_string.decode() for r, _ in httpserver.log]
    assert sent and all(f"key={quote_plus(KEY)}" in q for q in sent)
    for text in (fetched.stdout + fetched.stderr, doctor.stdout + doctor.stderr, database):
        for spelled in spellings(KEY):
            assert spelled not in text, spelled


def test_credentials_in_a_feed_url_are_never_stored_after_a_relative_redirect(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    password = "pw-9c41e7"
    httpserver.expect_request("/private").respond_with_data("", status=301, headers={"Location": "/moved"})
    feed = rss(
        [
            {"title": "acme private", "link": "https://p.example/1"},
            {"title": "acme phish", "link": "https://bank.example:hunter22@evil.example/login"},
        ]
    )
    httpserver.expect_request("/moved").respond_with_data(feed, content_type="application/rss+xml")
    url = f"http://reader:{password}@127.0.0.1:{httpserver.port}/private"
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": url}])
    found = cli.json("fetch", "--config", str(config), "--format", "json")
    assert sorted(m["url"] for m in found) == ["https://evil.example/login", "https://p.example/1"]
    assert httpserver.log[-1][0].headers["Authorization"].startswith("Basic ")  # the redirect kept them
    database = (config.parent / "mentions.json").read_text(encoding="utf-8")
    states = [doc["value"] for doc in json.loads(database)["state"].values()]
    assert {"moved_to": f"http://127.0.0.1:{httpserver.port}/moved"} in states
    assert password not in database and "reader:" not in database and "hunter22" not in database
    again = cli("fetch", "--config", str(config))  # the notice is given once, not every run
    assert again.exit_code == 0 and "moved permanently" not in again.stderr
