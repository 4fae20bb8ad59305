"""Other projects' recorded answers of the sites (../shared/realworld/), read by each source's own
mapping and held to what their items say: how many, and each one's URL, title, author and date,
with no HTML left in what is stored (issue 11). PROVENANCE.txt in each folder says where each
answer comes from.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mentionscan.config.model import Settings, SourceSpec
from mentionscan.models import Entry
from mentionscan.sources import SOURCE_TYPES
from mentionscan.sources.feedparse import parse_feed
from mentionscan.timeutil import parse_time
from tests.conftest import REALWORLD

pytestmark = pytest.mark.shared

OPTIONS = {
    "mastodon": {"instance": "https://mastodon.example"},
    "lemmy": {"instance": "https://lemmy.example"},
}
OPTIONS["bluesky"] = {"handle": "me.bsky.social", "app_password_env": "BSKY"}
# HTML's own elements: text may well hold "<UserSearchResult [{0}]>" or "a <b> c" as words
_TAG = re.compile(
    r"</?(?:a|b|i|p|br|hr|ul|ol|li|em|strong|code|pre|div|span|img|h[1-6]|table|tr|td|th"
    r"|blockquote|details|summary|sup|sub|font|small|strike|del|ins|iframe|script|style)(?:\s[^<>]*)?/?>",
    re.I,
)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


def source_of(kind: str) -> Any:
    spec = SourceSpec(name=kind, type=kind, index=1, options=OPTIONS.get(kind, {}))
    return SOURCE_TYPES[kind](spec, Settings())


def at(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def when(value: Any) -> datetime | None:
    return parse_time(value)


def plain(value: Any) -> str:
    """What a field says, as a person reads it: entities decoded, white space folded, and no
    invisible characters (a word joiner or a zero-width non-joiner inside Latin text)."""
    text = html.unescape(html.unescape(str(value or "")))
    return " ".join(re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text).split())


# What each answer's items say: (url, title or None when derived from the text, author, date).
Said = tuple[str, str | None, str | None, datetime | None]


def hackernews(data: Any) -> Iterator[Said]:
    for hit in data["hits"]:
        story = hit.get("title") or ""
        title = story if story and not hit.get("comment_text") else f"Re: {hit.get('story_title')}"
        url = f"https://news.ycombinator.com/item?id={hit['objectID']}"
        yield url, plain(title), hit.get("author"), when(hit.get("created_at_i") or hit.get("created_at"))


def github(data: Any) -> Iterator[Said]:
    for item in data["items"]:
        yield item["html_url"], plain(item["title"]), at(item, "user", "login"), when(item["created_at"])


def stackexchange(data: Any) -> Iterator[Said]:
    for item in data["items"]:
        owner = plain(at(item, "owner", "display_name")) or None
        yield item["link"], plain(item["title"]), owner, when(item["creation_date"])


def devto(data: Any) -> Iterator[Said]:
    for article in data:
        author = at(article, "user", "name") or at(article, "user", "username")
        published = article.get("published_at") or article.get("published_timestamp")
        yield article["url"], plain(article["title"]), author, when(published)


def lobsters(data: Any) -> Iterator[Said]:
    for story in data:
        user = story["submitter_user"]
        user = user["username"] if isinstance(user, dict) else user
        yield story["comments_url"], plain(story["title"]), user, when(story["created_at"])


def mastodon(data: Any) -> Iterator[Said]:
    for status in data if isinstance(data, list) else data.get("statuses", []):
        account = status["account"]
        author = account.get("display_name") or account.get("acct")
        yield status.get("url") or status["uri"], None, author, when(status["created_at"])


def lemmy(data: Any) -> Iterator[Said]:
    for view in [*data.get("posts", []), *data.get("comments", [])]:
        item = view.get("comment") or view["post"]
        creator = view["creator"]
        name = at(view, "post", "name")
        title = f"Comment on {name}" if "comment" in view else name
        published = item.get("published") or item.get("published_at")
        yield item["ap_id"], plain(title), creator.get("display_name") or creator["name"], when(published)


def bluesky(data: Any) -> Iterator[Said]:
    for post in data["posts"]:
        author = post["author"]
        rkey = post["uri"].rsplit("/", 1)[-1]
        url = f"https://bsky.app/profile/{author['handle']}/post/{rkey}"
        name = author.get("displayName") or author["handle"]
        yield url, None, name, when(at(post, "record", "createdAt") or post.get("indexedAt"))


def feed_items(body: bytes) -> list[str]:
    """The raw <item>/<entry> elements of an XML feed, each as text."""
    return [m.group(0) for m in re.finditer(r"<(item|entry)[\s>].*?</\1>", body.decode("utf-8"), re.S)]


def reddit(body: bytes) -> Iterator[Said]:
    for entry in feed_items(body):
        thing = re.search(r"<id>[^<]*?(t[13]_\w+)</id>", entry)
        if thing is None:
            continue  # a subreddit (t5_), not a post
        url = html.unescape(re.search(r'<link href="([^"]+)"', entry).group(1))
        title = plain(re.search(r"<title>(.*?)</title>", entry, re.S).group(1))
        author = re.search(r"<author>\s*<name>/?u/([^<]+)</name>", entry)
        date = re.search(r"<(?:updated|published)>([^<]+)<", entry)
        yield url, title, author.group(1) if author else None, when(date.group(1)) if date else None


def google_news(body: bytes) -> Iterator[Said]:
    for item in feed_items(body):
        title = plain(re.search(r"<title>(.*?)</title>", item, re.S).group(1))
        publisher = plain(re.search(r"<source[^>]*>(.*?)</source>", item, re.S).group(1))
        url = plain(re.search(r"<link>(.*?)</link>", item, re.S).group(1))
        yield (
            url,
            title.removesuffix(f" - {publisher}"),
            publisher,
            when(re.search(r"<pubDate>(.*?)<", item).group(1)),
        )


SAYS: dict[str, Callable[[Any], Iterator[Said]]] = {
    "hackernews": hackernews, "github": github, "stackexchange": stackexchange, "devto": devto,
    "lobsters": lobsters, "mastodon": mastodon, "lemmy": lemmy, "bluesky": bluesky,
    "reddit": reddit, "google_news": google_news,
}  # fmt: skip


def answers() -> list[Path]:
    return sorted(p for p in REALWORLD.glob("*/*") if p.name != "PROVENANCE.txt")


def read(kind: str, path: Path) -> list[Entry]:
    """The entries the source makes of this answer, through its own parsing."""
    source = source_of(kind)
    body = path.read_bytes()
    if path.suffix == ".xml":
        headers = {"content-type": "application/atom+xml" if "atom" in path.name else "application/rss+xml"}
        url = f"https://{kind}.example/search.rss"
        return parse_feed(body, headers, url=url, source=kind, source_type=kind, adapt=source.adapt).entries
    found = source.items(json.loads(body))
    return [e for e in (source.entry(item) for item in found or []) if e is not None]


def test_the_recorded_answers_are_all_here() -> None:
    assert len(answers()) >= 28, REALWORLD
    assert {p.parent.name for p in answers()} == set(SAYS)


@pytest.mark.parametrize("path", answers(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_recorded_answer_is_read_as_its_items_say(path: Path) -> None:
    kind = path.parent.name
    data = path.read_bytes() if path.suffix == ".xml" else json.loads(path.read_bytes())
    said = list(SAYS[kind](data))
    entries = read(kind, path)

    assert len(entries) == len(said), [e.url for e in entries]
    for entry, (url, title, author, date) in zip(entries, said, strict=True):
        assert entry.url == url
        if title is not None:
            assert entry.title == title
        assert entry.author == (plain(author) or None)
        assert entry.published == date
        for text in (entry.title, entry.text, entry.author or ""):
            assert not _TAG.search(text), text  # no markup left, in what is shown or matched
            assert not _ENTITY.search(text), text
