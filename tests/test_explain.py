"""`explain`, `test-query` and `search` through the CLI, on mentions fetched from 127.0.0.1."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.followuptools import Post, fetch_posts, local_base, rss


def test_explain_names_the_query_the_field_and_the_words(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    result = cli("explain", fetched.id("Acme again")[:6], "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{fetched.id('Acme again')}  Acme again: still broken"
    assert "query acme: acme" in lines
    assert "query support: tag:acmequestion" in lines
    assert "  title   acme                 [Acme] again: still broken" in lines
    assert "  text    acme                 The [Acme] fix did not land. Día dos." in lines
    assert "  tag     tag:acmequestion     [acmequestion]" in lines


def test_explain_after_the_config_changed(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    # The same database, under a config that renamed one query and narrowed the other.
    config = write_config(
        {"acme": "title:widgets", "acme-support": "tag:acmequestion"},
        [{"name": "blog", "type": "feed", "url": fetched.base + "/feed/"}],
    )
    assert config == fetched.config
    result = cli("explain", fetched.id("Acme again"), "--config", str(config))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "query acme: title:widgets\n  no longer matches (the query or the entry changed)\n" in out
    assert "query acme-support: tag:acmequestion\n  matches (it did not when stored)\n" in out
    assert "query support: stored for it, but no longer in the config\n" in out


def test_test_query_on_stored_mentions(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]
    result = cli("test-query", "acme -title:broke -title:broken", "--format", "json", *cfg)
    assert result.exit_code == 0, result.stderr
    titles = [r["title"] for r in json.loads(result.stdout)]
    assert titles[1:] == ["Why I left Acme"] and titles[0].startswith("Acme <script>")
    assert "2 stored mentions match" in result.stderr

    table = cli("test-query", '"dia dos"', *cfg)  # accents and case do not count
    assert table.exit_code == 0
    assert table.stdout.splitlines()[1].rstrip().endswith("Día dos")
    assert "1 stored mention matches" in table.stderr

    only = cli("test-query", "acme", "--source", "nowhere", *cfg)
    assert only.exit_code == 2 and only.stdout == ""
    assert "Error: no source named 'nowhere' in" in only.stderr


def test_test_query_syntax_error_points_at_the_spot(cli: Cli, tmp_path) -> None:
    result = cli("test-query", 'acme OR (widgets "x', "--db", str(tmp_path / "m.json"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: unbalanced quote at position 18 in 'acme OR (widgets \"x'\n"
        '  acme OR (widgets "x\n'
        "                   ^\n"
    )


def test_test_query_with_a_live_fetch_stores_nothing(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]
    before = cli("list", "--all", "--format", "json", *cfg).stdout
    # The feed has changed since: a new post about gardening and Acme.
    base = local_base(httpserver)
    httpserver.clear()
    posts = [
        Post("/posts/broke", "Acme broke my build", "Acme 2.3 broke my CI build.", hours_ago=2),
        Post("/posts/garden", "Gardening with Acme", "Acme hoses and gardening.", hours_ago=1),
    ]
    httpserver.expect_request("/feed/").respond_with_data(
        rss(base, posts), content_type="application/rss+xml"
    )
    result = cli("test-query", "acme", "--fetch", *cfg)
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [(row[0], row[-2], row[-1]) for row in rows] == [
        (rows[0][0], "Acme", "no"),
        (fetched.id("Acme broke")[:7], "Acme", "yes"),
    ]
    assert "Gardening with Acme" in result.stdout.splitlines()[1]
    assert "2 fetched entries match (nothing stored)" in result.stderr
    assert cli("list", "--all", "--format", "json", *cfg).stdout == before


def test_search_is_case_and_accent_blind(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]
    result = cli("search", "DIA acm", "--format", "json", *cfg)
    assert result.exit_code == 0, result.stderr
    assert [r["title"] for r in json.loads(result.stdout)] == ["Acme again: still broken"]
    both = json.loads(cli("search", "build", "--format", "json", *cfg).stdout)
    assert [r["title"] for r in both] == ["Acme broke my build"]
    none = cli("search", "nowhere to be found", *cfg)
    assert none.stdout == ""
    assert "No stored mention holds those words." in none.stderr
    for nothing in ("", "  ", "--- !!"):  # not "no mention holds them": there was nothing to look for
        empty = cli("search", *cfg, "--", nothing)
        assert (empty.exit_code, empty.stdout) == (2, "")
        said = f"Error: search {nothing!r}: no word to look for (words are letters and digits)\n"
        assert empty.stderr == said
    # Any status: a resolved mention is still found.
    cli("mark", fetched.id("Acme broke"), "resolved", *cfg)
    assert "resolved" in cli("search", "build", *cfg).stdout


def test_search_finds_authors_notes_and_contacts(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]

    def titles(text: str) -> list[str]:
        return [r["title"] for r in cli.json("search", text, "--format", "json", *cfg)]

    assert titles("jane doe") == ["Acme again: still broken", "Acme broke my build"]  # the author
    assert titles("jane example org") == titles("jane doe")  # the author's address
    assert titles("callback") == []
    assert cli("note", fetched.id("Why I left"), "Promised a callback on Friday", *cfg).exit_code == 0
    assert titles("callback friday") == ["Why I left Acme"]  # our note
    httpserver.expect_request("/posts/contact-me").respond_with_data(
        '<html><body><p>Write to <a href="mailto:sam@samdev.example">Sam</a></p></body></html>',
        content_type="text/html",
    )
    assert cli("contact", fetched.id("Why I left"), *cfg).exit_code == 0
    assert titles("samdev") == ["Why I left Acme"]  # the contact `contact` found
    assert titles("samdev gardening") == []  # every word, in one mention
