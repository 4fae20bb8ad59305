"""One item that sends megabytes in its fields: each field is cut at intake, so a hostile feed can
neither bloat the database (rewritten every run) nor a digest, and the item is still kept."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer

from mentionscan.fetching.intake import MAX_NAME, MAX_TAGS, MAX_TEXT, MAX_TITLE
from tests.conftest import Cli


def test_an_item_with_megabytes_in_every_field_is_stored_cut_to_size(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    huge = "acme rocks " * 500_000  # 5.5 MB
    item = {
        "id": "x" * 100_000,
        "url": "https://blog.example/" + "a" * 100_000,
        "title": huge[:200_000],
        "content_text": huge,
        "authors": [{"name": "Ann " * 50_000}] + [{"name": f"n{n}"} for n in range(5_000)],
        "tags": ["acme"] * 20_000,
    }
    body = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [item]}
    httpserver.expect_request("/feed.json").respond_with_json(body)
    url = f"http://127.0.0.1:{httpserver.port}/feed.json"
    config = write_config({"acme": "acme"}, [{"name": "big", "type": "feed", "url": url}])

    found = cli.json("fetch", "--config", str(config), "--format", "json")
    assert len(found) == 1
    (mention,) = found
    assert mention["url"] == ""  # no link anyone wrote is 100,000 characters long
    assert len(mention["title"]) <= MAX_TITLE and mention["title"].startswith("acme rocks acme")
    assert mention["title"].endswith("…")
    assert len(mention["author"]) <= MAX_NAME and mention["author"].startswith("Ann Ann")
    stored = next(iter(json.loads((tmp_path / "mentions.json").read_text())["mentions"].values()))
    assert len(stored["text"]) <= MAX_TEXT
    assert len(stored["tags"]) <= MAX_TAGS and len(stored["authors"]) <= MAX_TAGS
    assert all(len(key) < 200 for key in stored["keys"])  # the 100,000-character id is no id
    assert (tmp_path / "mentions.json").stat().st_size < 200_000  # of 6 MB sent
    # and it is the same item on the next run: nothing new, nothing stored twice
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    assert len(cli.json("list", "--config", str(config), "--all", "--format", "json")) == 1
