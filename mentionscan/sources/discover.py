"""Finding a site's feeds: the `<link rel="alternate">` a page advertises, and the usual paths.

Used where a person gave a web page instead of its feed: `fetch` and `doctor` name the feeds
the page advertises in their "not a feed" error, and `mentionscan add` offers them. Only the
page's head is read, by the standard library's tolerant HTML parser: nothing in it runs, and
only http and https addresses are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from mentionscan.text import one_line
from mentionscan.urls import safe_link

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
    "application/rdf+xml": "RSS",
}
# Where feeds usually are when a page does not say: WordPress, Ghost, Hugo, Jekyll, Substack, ...
COMMON_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json")
HEAD_BYTES = 512 * 1024  # the <link>s are in the head; a huge page is not read to its end


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str
    title: str = ""
    kind: str = ""  # RSS, Atom, JSON Feed; "" when not said

    def describe(self) -> str:
        """`https://example.com/feed.xml (Atom: "Example blog")`."""
        said = ", ".join(part for part in (self.kind, self.title and f'"{self.title}"') if part)
        return f"{self.url} ({said})" if said else self.url


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[FoundFeed] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href and safe_link(urljoin(self.base, href)):
                self.base = urljoin(self.base, href)
            return
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = FEED_TYPES.get(values.get("type", "").lower().split(";")[0].strip())
        if "alternate" not in rels or kind is None or not values.get("href"):
            return
        url = safe_link(urljoin(self.base, values["href"].strip()))
        if url and all(feed.url != url for feed in self.found):
            self.found.append(FoundFeed(url, one_line(values.get("title", ""))[:80], kind))


def advertised_feeds(body: bytes, url: str) -> list[FoundFeed]:
    """The feeds an HTML page advertises with `<link rel="alternate" type="...">`, in its order."""
    parser = _Links(url)
    try:
        parser.feed(body[:HEAD_BYTES].decode("utf-8", "replace"))
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser on markup broken beyond its tolerance
        pass
    return parser.found


def advertised_note(body: bytes, url: str) -> str:
    """`; it advertises a feed: URL` (or feeds) to add to a "not a feed" error, or ""."""
    found = advertised_feeds(body, url)
    if not found:
        return ""
    noun = "a feed" if len(found) == 1 else "feeds"
    return f"; it advertises {noun}: {', '.join(f.url for f in found[:5])} (put that in `url`)"
