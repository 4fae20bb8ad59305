"""Helpers for the follow-up tests: a blog's RSS feed served on 127.0.0.1, fetched through the CLI.

The feed has the shape WordPress writes (RSS 2.0 with `dc:creator`, `<author>` as
`address (Name)`, `content:encoded`, `<category>`), with its links pointing back at the test
server so that `contact` can read the posts.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pytest_httpserver import HTTPServer

from mentionscan.timeutil import utcnow
from tests.conftest import Cli

HOSTILE_TITLE = 'Acme <script>alert("x")</script> & $url ${title} {author} Bcc: victim@evil.example'


@dataclass
class Post:
    path: str
    title: str
    text: str
    author: str | None = None
    email: str | None = None
    hours_ago: int = 1
    tags: Sequence[str] = field(default_factory=tuple)


def rss(base: str, posts: Sequence[Post]) -> bytes:
    now = utcnow()
    items = []
    for post in posts:
        lines = [
            "<item>",
            f"<title>{escape(post.title)}</title>",
            f"<link>{escape(base + post.path)}</link>",
            f'<guid isPermaLink="false">{escape(base + post.path)}?p=1</guid>',
            f"<pubDate>{format_datetime(now - timedelta(hours=post.hours_ago))}</pubDate>",
            f"<description>{escape(post.text)}</description>",
            f"<content:encoded><![CDATA[<p>{escape(post.text)}</p>]]></content:encoded>",
        ]
        if post.email:
            lines.append(f"<author>{escape(post.email)} ({escape(post.author or '')})</author>")
        elif post.author:
            lines.append(f"<dc:creator><![CDATA[{post.author}]]></dc:creator>")
        lines += [f"<category><![CDATA[{tag}]]></category>" for tag in post.tags]
        items.append("\n".join([*lines, "</item>"]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Small tools blog</title>\n<link>{base}/</link>\n"
        "<description>Notes on small tools</description>\n<language>en-US</language>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    ).encode()


POSTS = [
    Post("/posts/broke", "Acme broke my build", "Acme 2.3 broke my CI build. Anyone else?",
         author="Jane Doe", email="jane@example.org", hours_ago=2),
    Post("/posts/again", "Acme again: still broken", "The Acme fix did not land. Día dos.",
         author="Jane Doe", email="jane@example.org", hours_ago=1, tags=("acmequestion",)),
    Post("/posts/hostile", HOSTILE_TITLE, "An acme post with a <b>hostile</b> title",
         author="Mallory", hours_ago=3),
    Post("/posts/contact-me", "Why I left Acme", "Acme widgets were slow for us.", hours_ago=4),
    Post("/posts/other", "Gardening notes", "Nothing about the product here.", hours_ago=5),
]  # fmt: skip


def local_base(httpserver: HTTPServer) -> str:
    """The server's address as an IP literal: no name lookup, nothing but 127.0.0.1."""
    return f"http://127.0.0.1:{httpserver.port}"


@dataclass
class Fetched:
    config: Path
    base: str
    ids: dict[str, str]  # title -> id

    def id(self, title_start: str) -> str:
        return next(i for t, i in self.ids.items() if t.startswith(title_start))


def fetch_posts(
    cli: Cli,
    httpserver: HTTPServer,
    write_config: Callable[..., Path],
    posts: Sequence[Post] = POSTS,
    settings: dict[str, Any] | None = None,
    extra: str = "",
) -> Fetched:
    """Serve `posts` as a feed, write a config for it, run `fetch` and return the stored ids."""
    base = local_base(httpserver)
    httpserver.expect_request("/feed/").respond_with_data(
        rss(base, posts), content_type="application/rss+xml"
    )
    config = write_config(
        {"acme": "acme", "support": "tag:acmequestion"},
        [{"name": "blog", "type": "feed", "url": base + "/feed/"}],
        settings=settings,
        extra=extra,
    )
    result = cli("fetch", "--config", str(config), "--quiet")
    assert result.exit_code == 0, result.stderr
    records = json.loads(cli("list", "--config", str(config), "--all", "--format", "json").stdout)
    return Fetched(config, base, {r["title"]: r["id"] for r in records})


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Run with the local time zone `name` (`TZ`), as a user in that zone would."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
