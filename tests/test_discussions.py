"""A discussion and the page it is about (issue 11): Hacker News stories that name a brand only in
their link, the `link` and `related` of a mention, merges, and answers none of which can be read.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.searchtools import FAST

BLOG_POST = "https://acme.example/blog/launch"


def story(object_id: str, title: str, url: str | None, hours_ago: float = 1) -> dict[str, Any]:
    """A story hit in the shape Algolia's search_by_date answers."""
    import time

    created = int(time.time() - hours_ago * 3600)
    return {
        "objectID": object_id,
        "title": title,
        "url": url,
        "author": "pg",
        "points": 12,
        "story_text": None,
        "created_at_i": created,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created)),
        "_tags": ["story", "author_pg", f"story_{object_id}"],
    }


def blog_feed() -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme blog</title>'
        f"<item><title>Launching Acme 2</title><link>{BLOG_POST}</link>"
        "<description>Acme 2 is out.</description></item></channel></rss>"
    ).encode()


def sources(httpserver: HTTPServer, order: tuple[str, ...] = ("blog", "hn")) -> list[dict[str, Any]]:
    made = {
        "blog": {"name": "blog", "type": "feed", "url": httpserver.url_for("/blog.xml")},
        "hn": {"name": "hn", "type": "hackernews", "base_url": httpserver.url_for("/hn")},
    }
    made["hn"]["rate_per_minute"] = FAST
    return [made[name] for name in order]


def serve(httpserver: HTTPServer, hits: list[dict[str, Any]]) -> None:
    httpserver.expect_request("/blog.xml").respond_with_data(blog_feed(), content_type="application/rss+xml")
    httpserver.expect_request("/hn/api/v1/search_by_date").respond_with_json(
        {"hits": hits, "nbHits": len(hits), "nbPages": 1, "page": 0, "hitsPerPage": 100}
    )


def test_a_story_naming_the_brand_only_in_its_link_is_kept_with_the_link_and_related_both_ways(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    serve(httpserver, [story("4242", "Show HN: a launch worth reading", BLOG_POST)])
    email = '\n[email]\nto = "me@acme.example"\nfrom = "mentionscan@acme.example"\n'
    path = write_config({"acme": "acme"}, sources(httpserver), extra=email)

    result = cli("fetch", "--config", str(path), "--format", "json")

    assert result.exit_code == 0, result.stderr
    found = {m["source"]: m for m in json.loads(result.stdout)}
    assert sorted(found) == ["blog", "hn"]  # the story is no longer "not a match"
    hn, blog = found["hn"], found["blog"]
    assert hn["url"] == "https://news.ycombinator.com/item?id=4242"  # the discussion
    assert hn["link"] == BLOG_POST  # the page it is about
    assert blog["link"] is None
    assert hn["related"] == [blog["id"]] and blog["related"] == [hn["id"]]
    cfg = ["--config", str(path)]

    shown = cli("show", hn["id"], *cfg)
    assert shown.exit_code == 0, shown.stderr
    assert f"link:      {BLOG_POST}\n" in shown.stdout
    assert f"related:   {blog['id']} {BLOG_POST} Launching Acme 2\n" in shown.stdout
    listed = cli("list", *cfg, env={"COLUMNS": "200"})
    assert f"(related: {hn['id'][:7]})" in listed.stdout and f"(related: {blog['id'][:7]})" in listed.stdout
    digest = cli("digest", "--no-mark", *cfg, "--always")
    assert digest.exit_code == 0, digest.stderr
    assert f"about {BLOG_POST}" in digest.stdout.replace("=\n", "")
    assert f"related: {blog['id'][:7]}" in digest.stdout.replace("=\n", "")

    site = cli("test-query", "site:acme.example", "--format", "json", *cfg)
    assert sorted(m["source"] for m in json.loads(site.stdout)) == ["blog", "hn"]  # site: sees the link


def test_a_page_stored_after_its_discussion_is_related_to_it(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    serve(httpserver, [story("4243", "Acme 2 launched", BLOG_POST)])
    path = write_config({"acme": "acme"}, sources(httpserver, ("hn", "blog")))

    found = {m["source"]: m for m in cli.json("fetch", "--config", str(path), "--format", "json", code=0)}

    assert found["blog"]["related"] == [found["hn"]["id"]]
    assert found["hn"]["related"] == [found["blog"]["id"]]


def test_an_answer_none_of_whose_items_can_be_read_warns(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    unreadable = [{**story("x1", "Acme", None), "objectID": "not-a-number"}, {"title": "Acme too"}]
    serve(httpserver, unreadable)
    path = write_config({"acme": "acme"}, sources(httpserver, ("hn",)))

    result = cli("fetch", "--config", str(path))

    assert result.exit_code == 0, result.stderr
    assert "hn: Hacker News answered 2 items, none of which could be read: has its format changed?" in (
        result.stderr
    )


FORUM = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>'
    f"<item><title>Thread: the new widgets</title><link>{BLOG_POST}#comments</link>"
    '<guid isPermaLink="false">forum-1</guid><description>Has anyone tried acme yet?</description>'
    "</item></channel></rss>"
)


def test_after_a_merge_explain_agrees_with_fetch_and_the_summary_counts_it(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    serve(httpserver, [])
    httpserver.expect_request("/forum.xml").respond_with_data(FORUM, content_type="application/rss+xml")
    forum = {"name": "forum", "type": "feed", "url": httpserver.url_for("/forum.xml")}
    path = write_config(
        {"launch": "launching", "acme": "tried acme"}, [*sources(httpserver, ("blog",)), forum]
    )

    result = cli("fetch", "--config", str(path), "--format", "json")

    assert result.exit_code == 0, result.stderr
    [post] = json.loads(result.stdout)  # the forum thread is the blog post's #comments: one mention
    assert post["queries"] == ["launch", "acme"]
    assert "forum: 1 entry, 1 matched, 0 new, 1 merged into an existing mention" in result.stderr
    explained = cli("explain", post["id"], "--config", str(path))
    assert explained.exit_code == 0, explained.stderr
    out = explained.stdout
    assert "no longer matches" not in out
    assert (
        f"query acme: tried acme\n  matches in forum: {BLOG_POST}#comments, merged into this mention\n" in out
    )
    assert "  text    acme                 Has anyone tried [acme] yet?" in out
