"""`mentionscan fetch` and `list` end to end: a real HTTP server on 127.0.0.1, the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import DATA, Cli

ACME = 'acme OR "acme widgets" -"acme corp careers" -site:acme.example'


def serve(httpserver: HTTPServer, path: str, name: str, content_type: str = "application/xml") -> str:
    httpserver.expect_request(path).respond_with_data((DATA / name).read_bytes(), content_type=content_type)
    return httpserver.url_for(path)


@pytest.fixture
def four_feeds(httpserver: HTTPServer, write_config) -> Path:
    sources = [
        {"name": "blog", "type": "feed", "url": serve(httpserver, "/rss20", "rss20.xml")},
        {"name": "rdf", "type": "feed", "url": serve(httpserver, "/rss10", "rss10.rdf")},
        {"name": "forum", "type": "feed", "url": serve(httpserver, "/atom", "atom10.xml")},
        {
            "name": "micro",
            "type": "feed",
            "url": serve(httpserver, "/json", "jsonfeed11.json", "application/feed+json"),
        },
    ]
    return write_config({"acme": ACME, "support": "tag:acmequestion"}, sources)


def test_fetch_prints_only_real_matches_once_across_sources_and_url_forms(cli: Cli, four_feeds: Path) -> None:
    result = cli("fetch", "--config", str(four_feeds), "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    titles = sorted(r["title"] for r in records)
    # acmeville is not acme; the careers post is excluded; the forum thread is the blog post under
    # another URL form, so it is stored once, with both queries.
    assert titles == sorted(
        [
            "Acme launches Widgets 2 & more",
            "No date, no guid: still an acme story",
            "Review: ACME widgets after a year",
            "Support question",
            "A title with [bold]rich markup[/bold] and [/] about acme",
            "Trying Acme Widgets today. Première impression: très bien.",
        ]
    )
    launch = next(r for r in records if r["title"].startswith("Acme launches"))
    assert launch["queries"] == ["acme", "support"]
    assert list(launch) == [
        "id", "url", "link", "title", "snippet", "author", "author_url", "author_email", "published",
        "found_at", "source", "source_type", "queries", "status", "related",
    ]  # fmt: skip
    assert launch["status"] == "new"
    assert launch["published"] == "2026-11-16T09:30:00Z"
    assert launch["snippet"] == "Today Acme shipped Widgets 2."
    support = next(r for r in records if r["title"] == "Support question")
    assert support["queries"] == ["support"]
    assert support["author_email"] == "emile@example.fr"
    assert "blog: 4 entries, 2 matched, 2 new, 2 not a match" in result.stderr
    assert "6 new mentions" in result.stderr


def test_a_second_fetch_finds_nothing_new(cli: Cli, four_feeds: Path) -> None:
    assert cli("fetch", "--config", str(four_feeds), "--format", "json").exit_code == 0
    again = cli("fetch", "--config", str(four_feeds), "--format", "json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == []
    assert "0 new mentions" in again.stderr
    listed = cli.json("list", "--config", str(four_feeds), "--format", "json")
    assert len(listed) == 6


def test_a_feed_whose_guids_change_every_fetch_is_recognised_by_url(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    template = (
        '<rss version="2.0"><channel><title>t</title><item><title>acme news</title>'
        "<link>https://n.example/a?utm_campaign={n}</link><guid>random-{n}</guid></item></channel></rss>"
    )
    for n in (1, 2):
        httpserver.expect_ordered_request("/f").respond_with_data(
            template.format(n=n), content_type="application/rss+xml"
        )
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}])
    assert len(cli.json("fetch", "--config", str(config), "--format", "json")) == 1
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []


def test_a_query_that_later_matches_an_item_joins_it_without_announcing_it_again(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    url = serve(httpserver, "/rss20", "rss20.xml")
    config = write_config({"acme": "acme"}, [{"name": "blog", "type": "feed", "url": url}])
    first = cli.json("fetch", "--config", str(config), "--format", "json")
    config = write_config(
        {"acme": "acme", "widgets": '"widgets 2"'}, [{"name": "blog", "type": "feed", "url": url}]
    )
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    stored = cli.json("list", "--config", str(config), "--format", "json", "--all")
    assert len(stored) == len(first)
    launch = next(r for r in stored if r["title"].startswith("Acme launches"))
    assert launch["queries"] == ["acme", "widgets"]


def test_old_entries_are_skipped_and_undated_ones_count_as_new(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    url = serve(httpserver, "/rss20", "rss20.xml")
    config = write_config(
        {"acme": "acme"}, [{"name": "blog", "type": "feed", "url": url}], {"max_age_days": 1}
    )
    records = cli.json("fetch", "--config", str(config), "--format", "json")
    assert [r["title"] for r in records] == ["No date, no guid: still an acme story"]
    assert records[0]["published"] is None


def test_dry_run_stores_nothing(cli: Cli, four_feeds: Path) -> None:
    dry = cli("fetch", "--config", str(four_feeds), "--format", "json", "--dry-run")
    assert len(json.loads(dry.stdout)) == 6
    assert "dry run: nothing stored" in dry.stderr
    assert not (four_feeds.parent / "mentions.json").exists()
    assert len(cli.json("fetch", "--config", str(four_feeds), "--format", "json")) == 6


def test_one_failing_source_is_named_and_the_others_are_stored(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    httpserver.expect_request("/gone").respond_with_data("nope", status=404)
    httpserver.expect_request("/html").respond_with_data(
        "<html><body>hi</body></html>", content_type="text/html"
    )
    sources = [
        {"name": "blog", "type": "feed", "url": serve(httpserver, "/rss20", "rss20.xml")},
        {"name": "missing", "type": "feed", "url": httpserver.url_for("/gone")},
        {"name": "page", "type": "feed", "url": httpserver.url_for("/html")},
        {"name": "closed", "type": "feed", "url": "http://127.0.0.1:9/feed"},
    ]
    config = write_config({"acme": "acme"}, sources)
    result = cli("fetch", "--config", str(config), "--format", "jsonl")
    assert result.exit_code == 3
    assert len(result.stdout.splitlines()) == 3
    assert f"Error: missing: {httpserver.url_for('/gone')}: not found (HTTP 404)" in result.stderr
    assert "Error: page:" in result.stderr and "not a feed (the server sent an HTML page)" in result.stderr
    assert "Error: closed: http://127.0.0.1:9/feed: connection refused" in result.stderr
    assert "3 sources failed" in result.stderr
    assert len(cli.json("list", "--config", str(config), "--format", "json")) == 3


def test_formats_carry_the_record_fields_and_csv_defuses_formulas(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    feed = (
        '<rss version="2.0"><channel><title>t</title>'
        '<item><title>=HYPERLINK("http://evil.example","acme")</title><link>https://e.example/1</link></item>'
        "<item><title>+acme -2</title><link>https://e.example/2</link></item></channel></rss>"
    )
    httpserver.expect_request("/f").respond_with_data(feed, content_type="application/rss+xml")
    config = write_config({"acme": "acme"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}])
    assert cli("fetch", "--config", str(config), "--quiet").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(cli("list", "--config", str(config), "--format", "csv").stdout)))
    assert {r["title"] for r in rows} == {'\'=HYPERLINK("http://evil.example","acme")', "'+acme -2"}
    lines = cli("list", "--config", str(config), "--format", "jsonl").stdout.splitlines()
    assert {json.loads(line)["title"] for line in lines} == {
        '=HYPERLINK("http://evil.example","acme")',
        "+acme -2",
    }


def test_table_output_shows_hostile_titles_as_typed(cli: Cli, four_feeds: Path) -> None:
    result = cli("fetch", "--config", str(four_feeds), env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "[bold]rich markup[/bold] and [/]" in result.stdout
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


def test_quiet_prints_nothing_when_nothing_is_new(cli: Cli, four_feeds: Path) -> None:
    cli("fetch", "--config", str(four_feeds), "--quiet")
    again = cli("fetch", "--config", str(four_feeds), "--quiet")
    assert again.exit_code == 0
    assert again.stdout == "" and again.stderr == ""


def test_list_filters(cli: Cli, four_feeds: Path) -> None:
    cli("fetch", "--config", str(four_feeds), "--quiet")
    by_source = cli.json("list", "--config", str(four_feeds), "--source", "forum", "--format", "json")
    assert [r["source"] for r in by_source] == ["forum"]
    by_query = cli.json("list", "--config", str(four_feeds), "--query", "support", "--format", "json")
    assert {r["title"] for r in by_query} == {"Acme launches Widgets 2 & more", "Support question"}
    limited = cli.json("list", "--config", str(four_feeds), "--limit", "2", "--format", "json")
    assert len(limited) == 2
    dates = [
        r["published"] or r["found_at"] for r in cli.json("list", "--config", str(four_feeds), "-f", "json")
    ]
    assert dates == sorted(dates, reverse=True)
    since = cli.json(
        "list", "--config", str(four_feeds), "--published-since", "2026-11-21", "--format", "json"
    )
    assert all((r["published"] or r["found_at"]) >= "2026-11-21" for r in since)
    bad = cli("list", "--config", str(four_feeds), "--since", "yesterday")
    assert bad.exit_code == 2
    assert "Error: 'yesterday' is neither a duration (7d, 24h) nor a date (2026-01-01)" in bad.stderr


def test_db_option_and_env_override_the_database(
    cli: Cli, four_feeds: Path, tmp_path: Path, monkeypatch
) -> None:
    other = tmp_path / "other.json"
    cli("fetch", "--config", str(four_feeds), "--db", str(other), "--quiet")
    assert other.exists() and not (four_feeds.parent / "mentions.json").exists()
    monkeypatch.setenv("MENTIONSCAN_DB", str(other))
    assert len(cli.json("list", "--format", "json")) == 6


def test_config_errors_exit_2_and_fetch_nothing(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    config = write_config(
        {"acme": "acme OR"}, [{"name": "f", "type": "feed", "url": httpserver.url_for("/f")}]
    )
    result = cli("fetch", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "'acme OR'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert httpserver.log == []


def test_an_unreadable_database_is_never_overwritten(cli: Cli, four_feeds: Path) -> None:
    database = four_feeds.parent / "mentions.json"
    database.write_text('{"mentions": {"1": ', encoding="utf-8")
    result = cli("fetch", "--config", str(four_feeds))
    assert result.exit_code == 1
    assert str(database) in result.stderr
    assert database.read_text(encoding="utf-8") == '{"mentions": {"1": '


def test_init_writes_a_starter_config_and_never_overwrites(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "my" / "config.toml"
    result = cli("init", str(target))
    assert result.exit_code == 0
    assert "[[queries]]" in target.read_text(encoding="utf-8")
    target.write_text("# mine\n", encoding="utf-8")
    again = cli("init", str(target))
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_init_defaults_to_the_home_config(cli: Cli, isolated_home: Path) -> None:
    assert cli("init").exit_code == 0
    assert (isolated_home / "config.toml").exists()


def test_what_the_user_set_survives_later_fetches(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    url = serve(httpserver, "/rss20", "rss20.xml")
    config = write_config({"acme": "acme"}, [{"name": "blog", "type": "feed", "url": url}])
    first = cli.json("fetch", "--config", str(config), "--format", "json")
    launch = next(r for r in first if r["title"].startswith("Acme launches"))
    assert (
        cli("mark", launch["id"], "contacted", "--config", str(config), "--note", "wrote to Jane").exit_code
        == 0
    )
    config = write_config(
        {"acme": "acme", "launch": "launches"}, [{"name": "blog", "type": "feed", "url": url}]
    )
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    shown = json.loads(cli("show", launch["id"], "--config", str(config), "--format", "json").stdout)
    assert shown["status"] == "contacted"
    assert shown["queries"] == ["acme", "launch"]
    assert "wrote to Jane" in json.dumps(shown)
