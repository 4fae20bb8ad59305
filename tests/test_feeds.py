"""Feed documents to entries: the four formats and their awkward cases."""

from datetime import UTC, datetime

import pytest

from mentionscan.sources.feedparse import FeedError, parse_feed
from tests.conftest import DATA, fixture_bytes


def parse(name: str, content_type: str = "application/xml") -> list:
    body = (DATA / name).read_bytes()
    return parse_feed(body, {"Content-Type": content_type}, url="https://feed.example/x", source="s").entries


def test_rss20_titles_lose_markup_and_keep_text() -> None:
    first, undated, *_ = parse("rss20.xml")
    assert first.title == "Acme launches Widgets 2 & more"
    assert first.text == "Today Acme shipped Widgets 2."
    assert first.author == "Jane Doe"
    assert first.native_id == "post-1"
    assert first.published == datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
    assert first.tags == ("launches",)
    assert undated.published is None
    assert undated.native_id is None
    assert undated.url == "https://blog.example.com/posts/undated"


def test_rss20_author_email_is_split_from_the_name() -> None:
    hiring = parse("rss20.xml")[3]
    assert hiring.author == "Acme HR"
    assert hiring.author_email == "hr@acme.example"


def test_rss10_is_read() -> None:
    (entry,) = parse("rss10.rdf")
    assert entry.title == "Review: ACME widgets after a year"
    assert entry.author == "Ravi Kumar"
    assert entry.published == datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def test_atom_entries_fall_back_to_the_feed_author_and_use_updated() -> None:
    first, second = parse("atom10.xml")
    assert first.title == "Is acme down? #acmequestion"
    assert first.author == "Forum Staff"
    assert first.published == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert second.author == "Émile Zola"
    assert second.author_email == "emile@example.fr"
    assert second.author_url == "https://forum.example/u/emile"
    assert second.published == datetime(2026, 11, 21, 6, 15, tzinfo=UTC)
    assert second.tags == ("acmequestion",)


def test_json_feed_items_map_and_hostile_links_are_dropped() -> None:
    first, second = parse("jsonfeed11.json", "application/feed+json")
    assert first.title == ""
    assert first.text.startswith("Trying Acme Widgets today.")
    assert first.author == "Feed Owner"
    assert first.published == datetime(2026, 11, 22, 23, 45, tzinfo=UTC)
    assert second.native_id == "1002"
    assert second.url == ""  # javascript: is never a link
    assert second.title.startswith("A title with [bold]rich markup[/bold]")


@pytest.mark.shared
def test_the_shared_spec_example_json_feed_parses() -> None:
    result = parse_feed(fixture_bytes("jsonfeed/jsonfeed_1_1_spec_example.json"), {}, url="u", source="s")
    assert result.entries


def test_duplicate_guids_with_different_links_stay_two_entries() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>https://x.example/1</link><guid>same</guid></item>
    <item><title>b</title><link>https://x.example/2</link><guid>same</guid></item>
    </channel></rss>"""
    entries = parse_feed(body, {}, url="u", source="s").entries
    assert len({e.native_id for e in entries}) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/rss+xml", "empty response"),
        (b"   \n", "application/rss+xml", "empty response"),
        (
            b"<!DOCTYPE html><html><body>Just a moment...</body></html>",
            "text/html",
            "not a feed (the server sent an HTML page)",
        ),
        (b'{"hello": "world"}', "application/json", "JSON, but not a JSON Feed"),
        (b"\x00\x01\x02\xff\xfe binary", "application/octet-stream", "not a feed"),
    ],
)
def test_what_is_not_a_feed_is_an_error_naming_the_url(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, {"Content-Type": content_type}, url="https://u:pw@feed.example/x", source="s")
    assert message in str(caught.value)
    assert "https://***@feed.example/x" in str(caught.value)


def test_a_truncated_feed_yields_its_entries_with_a_warning() -> None:
    body = (DATA / "rss20.xml").read_bytes()[:1000]
    result = parse_feed(body, {}, url="https://feed.example/x", source="s")
    assert result.entries
    assert not result.clean
    assert "malformed feed" in result.warnings[0]


def test_a_body_that_is_a_local_path_is_not_opened(tmp_path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes((DATA / "rss20.xml").read_bytes())
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), {}, url="https://feed.example/x", source="s")
