"""Deterministic test data for the benchmarks: RSS feeds, entries and queries.

Feeds are RSS 2.0 with 50 entries of about 1 KB each (≈52 KB a feed, like a real blog's feed
with full descriptions). About one entry in forty names one of the benchmark's products, so a
cold run finds a few hundred mentions among 25,000 entries.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from hosts import HOST_SUFFIX  # names that bench/hosts.py resolves to 127.0.0.1, and nothing else does

VOCABULARY = (
    "the a of to and in for is on that with as it by this from at be are was or an have not but we "
    "release update server client feature review tutorial guide problem question answer install build "
    "performance memory database network python rust javascript design team project product launch "
    "support issue bug fix version open source community cloud storage search index cache queue "
    "today week month year people company market price customer user developer engineer manager "
    "review benchmark compare migrate deploy monitor alert report analysis data model feed reader"
)
WORDS = tuple(VOCABULARY.split())

# Ten products the queries look for; one entry in MENTION_EVERY names one of them, and another
# one in MENTION_EVERY a made-up product that only the 1,000-query benchmark looks for.
PRODUCTS = (
    "acme",
    "widgetron",
    "zorblax",
    "quillpad",
    "hyperloom",
    "brightdesk",
    "nimbusly",
    "cobaltdb",
    "parcelkit",
    "tinkerbox",
)
MENTION_EVERY = 40

QUERIES_10 = [
    ("acme", 'acme OR "acme widgets" -"acme corp careers"'),
    ("widgetron", "widgetron"),
    ("zorblax", "zorblax* -site:spam.example"),
    ("quillpad", '"quillpad" OR "quill pad"'),
    ("hyperloom", "hyperloom -title:hiring"),
    ("brightdesk", "brightdesk OR bright-desk"),
    ("nimbusly", "nimbusly"),
    ("cobaltdb", "cobaltdb OR (cobalt database)"),
    ("parcelkit", "parcelkit"),
    ("tinkerbox", 'tinkerbox -"tinkerbox giveaway"'),
]


def brand(number: int) -> str:
    """A made-up product name, as rare in the text as a real one: only entries about it name it."""
    return "brand" + "".join("bcdfghjklmnpqrstvwxz"[int(d)] for d in f"{number:04d}")


def queries(count: int) -> list[tuple[str, str]]:
    """`count` queries: the ten above, then one per made-up product in the shapes people write
    (a name; a phrase; either of two names; a name without a common word; in the title only;
    two names with a common word). Common words appear in nearly every entry, as they do."""
    found = list(QUERIES_10[:count])
    rng = random.Random(7)
    shapes = (
        lambda b, c, w: b,
        lambda b, c, w: f'"{b} {w}"',
        lambda b, c, w: f"{b} OR {c}",
        lambda b, c, w: f'{b} -{w} -"{w} {w}"',
        lambda b, c, w: f"title:{b}",
        lambda b, c, w: f"({b} OR {c}*) {w}",
        lambda b, c, w: b,
        lambda b, c, w: f"{b}*",
    )
    while len(found) < count:
        number = len(found)
        expression = shapes[number % len(shapes)](brand(number), brand(number + 5000), rng.choice(WORDS))
        found.append((f"q{number}", expression))
    return found


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def entry_text(rng: random.Random, index: int) -> tuple[str, str]:
    """A title and a plain-text body of about 780 characters; every MENTION_EVERY-th names a product."""
    title = paragraph(rng, 7).capitalize()
    body = paragraph(rng, 118)
    product = None
    if index % MENTION_EVERY == 0:
        product = PRODUCTS[(index // MENTION_EVERY) % len(PRODUCTS)].capitalize()
    elif index % MENTION_EVERY == MENTION_EVERY // 2:
        product = brand(10 + (index // MENTION_EVERY) % 990)  # what the other queries look for
    if product:
        cut = body.index(" ", len(body) // 2)
        body = f"{body[:cut]} We tried {product} this week.{body[cut:]}"
    return title, body


def feed_xml(feed: int, entries: int = 50, now: datetime | None = None, port: int = 80) -> bytes:
    """RSS 2.0 bytes of feed number `feed`, the same every time for the same arguments."""
    rng = random.Random(feed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    host = f"feed{feed}{HOST_SUFFIX}"
    items = []
    for i in range(entries):
        title, body = entry_text(rng, feed * entries + i)
        link = f"http://{host}:{port}/posts/{i}"
        published = format_datetime(now - timedelta(hours=i * 3 + feed % 7), usegmt=True)
        cut = body.index(" ", len(body) // 3)  # a word boundary before the product, which sits midway
        html = f"<p>{escape(body[:cut])}</p><p><em>{escape(body[cut:])}</em></p>"
        items.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">feed{feed}-entry{i}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<author>writer{i % 5}@{host} (Writer {i % 5})</author>"
            f"<category>{rng.choice(WORDS)}</category>"
            f"<description>{escape(html)}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Blog {feed}</title><link>http://{host}:{port}/</link>"
        f"<description>Benchmark feed {feed}</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def feed_url(feed: int, port: int) -> str:
    return f"http://feed{feed}{HOST_SUFFIX}:{port}/feeds/{feed}.xml"
