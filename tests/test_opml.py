"""`import-sources FILE.opml` and `export-sources --format opml`: feed lists in and out of the config."""

from __future__ import annotations

from pathlib import Path

import listparser
import pytest

from tests.conftest import PEERS, Cli

LISTS = PEERS / "listparser"  # listparser's own test lists: nested folders, duplicates, malformed XML
CONFIG = """# My mentionscan config: comments and layout must survive an import
[settings]
database = "mentions.json"   # next to this file
max_age_days = 0

[[queries]]
name = "acme"
match = 'acme -careers'

[[sources]]
name = "blog"      # my own blog
type = "feed"
url = "https://blog.example/feed"

# a closing comment, after the last table
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def opml(tmp_path: Path, body: str, name: str = "subscriptions.opml") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0"?>\n<opml version="2.0"><head/><body>{body}</body></opml>\n')
    return path


@pytest.mark.shared
def test_real_lists_round_trip_and_the_config_keeps_its_text(cli: Cli, config: Path) -> None:
    files = [
        "opml__categories__hier-2-nested.xml",  # a feed two folders deep
        "opml__outline-duplication-2.xml",  # one feed in two folders: imported once
        "malformed__html-entity-attribute.xml",  # an HTML entity XML lacks; two feeds of one title
        "opml__outline_title-text_missing.xml",  # a title but no text: the title names it
    ]
    imported = []
    for name in files:
        result = cli("import-sources", str(LISTS / name), "--config", str(config))
        assert result.exit_code == 0, result.stderr
        imported += [line.split()[1:3] for line in result.stdout.splitlines() if line.startswith("added")]

    text = config.read_text(encoding="utf-8")
    assert text.startswith(CONFIG)  # every byte the user wrote, where it was
    assert (config.parent / "config.toml.bak").exists()
    assert imported == [
        ["feedname", "http://domain/feed"],
        ["archaeology", "http://domain1/feed"],
        ["archaeology-2", "http://domain2/feed"],
        ["feedname-2", "http://domain.com/feed"],
    ]
    assert 'group = "grouping1/grouping2"' in text
    assert cli.json("list", "--config", str(config), "--format", "json") == []  # the config loads

    exported = cli("export-sources", "--config", str(config), "--format", "opml")
    assert exported.exit_code == 0, exported.stderr
    back = listparser.parse(exported.stdout.encode())
    assert not back.bozo
    assert [(f.url, f.title, f.categories) for f in back.feeds] == [
        ("https://blog.example/feed", "blog", []),
        ("http://domain/feed", "feedname", [["grouping1", "grouping2"]]),
        ("http://domain1/feed", "archaeology", []),
        ("http://domain2/feed", "archaeology-2", []),
        ("http://domain.com/feed", "feedname-2", []),
    ]


def test_an_export_imports_into_another_config_unchanged(cli: Cli, config: Path, tmp_path: Path) -> None:
    body = (
        '<outline text="Work"><outline text="Vendors">'
        '<outline type="rss" text="Acme blog" xmlUrl="https://acme.example/feed.xml"/></outline>'
        '<outline type="rss" text="Status" xmlUrl="https://status.example/rss"/></outline>'
        '<outline type="rss" text="Acme Blog" xmlUrl="https://other.example/atom"/>'
    )
    assert cli("import-sources", str(opml(tmp_path, body)), "--config", str(config)).exit_code == 0
    listing = tmp_path / "out.opml"
    result = cli("export-sources", "--config", str(config), "--output", str(listing))
    assert result.exit_code == 0 and "Exported 4 feed sources to" in result.stderr
    other = tmp_path / "other" / "config.toml"
    other.parent.mkdir()
    other.write_text('[settings]\ndatabase = "m.json"\n', encoding="utf-8")

    again = cli("import-sources", str(listing), "--config", str(other))

    assert again.exit_code == 0, again.stderr
    assert [line.split()[1] for line in again.stdout.splitlines()] == [
        "blog",
        "acme-blog",
        "status",
        "acme-blog-2",  # two titles one name: made unique
    ]
    assert again.stdout.splitlines()[1].endswith("[Work/Vendors]")
    assert cli("export-sources", "--config", str(other)).stdout == listing.read_text()


def test_dry_run_says_what_it_would_add_and_writes_nothing(cli: Cli, config: Path, tmp_path: Path) -> None:
    body = (
        '<outline type="rss" text="New" xmlUrl="https://new.example/feed"/>'
        '<outline type="rss" text="Mine again" xmlUrl="https://BLOG.example/feed#top"/>'
        '<outline type="rss" text="Gopher" xmlUrl="gopher://old.example/1"/>'
    )
    result = cli("import-sources", str(opml(tmp_path, body)), "--config", str(config), "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would add  new  https://new.example/feed",
        "skipped  https://BLOG.example/feed#top  (already configured)",
        "skipped  gopher://old.example/1  (not an http:// or https:// URL)",
    ]
    assert "1 feed source would be added to" in result.stderr and "dry run: nothing written" in result.stderr
    assert config.read_text(encoding="utf-8") == CONFIG
    assert not (config.parent / "config.toml.bak").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<html><body>Sign in</body></html>", "not an OPML subscription list"),
        ('<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>', "this OPML list holds no feeds"),
    ],
)
def test_a_file_that_is_no_list_is_one_line_and_changes_nothing(
    cli: Cli, config: Path, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "list.opml"
    path.write_text(content)

    result = cli("import-sources", str(path), "--config", str(config))

    assert result.exit_code == 2
    assert f"Error: {path}: {message}" in result.stderr
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_broken_config_is_never_edited(cli: Cli, config: Path, tmp_path: Path) -> None:
    config.write_text(CONFIG.replace('type = "feed"', 'type = "fede"'), encoding="utf-8")
    body = '<outline type="rss" text="New" xmlUrl="https://new.example/feed"/>'

    result = cli("import-sources", str(opml(tmp_path, body)), "--config", str(config))

    assert result.exit_code == 2
    assert "unknown type 'fede' (did you mean 'feed'?)" in result.stderr
    assert "fede" in config.read_text(encoding="utf-8")
    assert not (config.parent / "config.toml.bak").exists()
