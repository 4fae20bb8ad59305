"""What an entry from a source is to us, decided without I/O: too old, not a match, a new mention,
or another sighting of a stored one (which may add queries and keys to it).

`Intake.screen` cleans the entry and matches it; the run looks its keys up in the store; then
`Intake.merge` or `Intake.mention` says what to store. Everything here is a pure function of
its arguments (and `now`), so it is tested directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mentionscan.dedup import about_key, entry_keys, link_key, mention_id
from mentionscan.matching.language import language_tag
from mentionscan.matching.matcher import Document, Hit, Matcher
from mentionscan.models import Entry, Event, Mention
from mentionscan.sources.feedentry import MAX_TEXT
from mentionscan.text import clean, snippet, truncate
from mentionscan.urlrules import unwrap
from mentionscan.urls import MAX_URL, safe_link

MAX_KEYS = 8  # keys one mention keeps (a feed that changes GUIDs each fetch must not grow it forever)
MAX_SIGHTINGS = 3  # other items merged into one mention whose text is kept for `explain`
TOO_OLD, NOT_A_MATCH = "too old", "not a match"
# What one item may bring, whatever its feed sends (one hostile 15 MiB item must not be stored
# and rewritten every run, nor flood a digest): far past any real post, title, name or tag list.
MAX_TITLE, MAX_NAME, MAX_TAGS = 1_000, 300, 100  # and MAX_TEXT, the feeds' own limit, for every source


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry a query matched: what it is, when, its dedup keys and the queries that matched."""

    entry: Entry
    published: datetime | None
    keys: tuple[str, ...]
    hits: tuple[Hit, ...]
    # Worked out where the entry is screened (a parse worker) rather than by the run, which does
    # everything else in one thread: a canonical URL costs 60 µs, and its library 100 ms to load.
    linked: tuple[str, ...] = ()  # the key a discussion holds of the page it links to (`link_key`)
    about: str | None = None  # what `related` looks up: that page's mention, or this page's discussions

    @property
    def queries(self) -> tuple[str, ...]:
        return tuple(hit.query for hit in self.hits)


class Intake:
    """The decisions of one run: its matcher, its query order, its `now` and oldest date."""

    def __init__(
        self, matcher: Matcher, query_order: Sequence[str], now: datetime, max_age_days: int
    ) -> None:
        self.matcher = matcher
        self.order = {name: index for index, name in enumerate(query_order)}
        self.now = now
        self.oldest = now - timedelta(days=max_age_days) if max_age_days else None

    def screen(self, entry: Entry, names: Sequence[str]) -> Candidate | str:
        """The candidate `entry` is for the queries `names`, or why it is none (TOO_OLD, NOT_A_MATCH)."""
        entry = clean_entry(entry)
        published = entry.published
        if published is not None and published > self.now:
            published = self.now  # a date in the future sorts as "now"
        if self.oldest is not None and published is not None and published < self.oldest:
            return TOO_OLD
        document = Document(
            title=entry.title,
            text=entry.text,
            tags=entry.tags,
            url=entry.url,
            author=entry.author or "",
            link=entry.link,
            language=entry.language,
        )
        hits = self.matcher.match(document, names)
        if not hits:
            return NOT_A_MATCH
        linked = (link_key(entry.link),) if entry.link else ()
        about = about_key(entry.link, entry.url)
        return Candidate(entry, published, tuple(entry_keys(entry)), tuple(hits), linked, about)

    def merge(self, existing: Mention, seen: Candidate) -> Mention | None:
        """`existing` with what this sighting adds (queries, keys), or None when it adds nothing.

        A sighting that is another item (a forum post linking to a blog post's `#comments`) is
        kept beside the mention (`extra["sightings"]`: its source, link, title and text), so
        that `explain` shows what matched in it.
        """
        entry = seen.entry
        added = tuple(q for q in seen.queries if q not in existing.queries)
        room = max(0, MAX_KEYS - len(existing.keys))
        offered = seen.keys + seen.linked
        new_keys = tuple(k for k in offered if k not in existing.keys)[:room]
        if not added and not new_keys:
            return None
        queries = tuple(sorted(existing.queries + added, key=lambda q: self.order.get(q, len(self.order))))
        merged = replace(
            existing, queries=queries, keys=existing.keys + new_keys, link=existing.link or entry.link or None
        )
        if any(k not in existing.keys for k in seen.keys):  # another item, not this one seen again
            sighting = {
                "source": entry.source,
                "url": entry.url,
                "title": entry.title,
                "text": entry.text,
                "author": entry.author,
                "tags": list(entry.tags),
                "queries": list(seen.queries),
            }
            sightings = [*existing.extra.get("sightings", []), sighting][-MAX_SIGHTINGS:]
            merged = replace(merged, extra={**existing.extra, "sightings": sightings})
        if added:
            where = f" (in {entry.source}: {entry.url})" if entry.url and entry.url != existing.url else ""
            merged = merged.with_event("matched", "also matched " + ", ".join(added) + where, at=self.now)
        return merged

    def mention(self, seen: Candidate, mention_id: str) -> Mention:
        """The new mention `seen` is, under `mention_id`."""
        entry, names = seen.entry, seen.queries
        start, end = _first_text_span(seen.hits)
        return Mention(
            id=mention_id,
            url=entry.url,
            title=entry.title or snippet(entry.text, 0, 0, 80),
            snippet=snippet(entry.text or entry.title, start, end),
            author=entry.author,
            author_url=entry.author_url,
            author_email=entry.author_email,
            published=seen.published,
            found_at=self.now,
            source=entry.source,
            source_type=entry.source_type,
            queries=names,
            status="new",
            keys=seen.keys + seen.linked,
            text=entry.text,
            tags=entry.tags,
            link=entry.link or None,
            authors=entry.authors,
            language=entry.language or next((hit.language for hit in seen.hits if hit.language), ""),
            timeline=(Event(self.now, "found", f"found by {entry.source} for {', '.join(names)}"),),
        )


def fresh_id(key: str, taken: Callable[[str], bool]) -> str:
    """The short id of the mention whose first key is `key`, salted past any id `taken` says is used.

    A hash prefix collision is rare, but two different items must never be merged by it.
    """
    new_id = mention_id(key)
    salt = 0
    while taken(new_id):
        salt += 1
        new_id = mention_id(f"{key}#{salt}")
    return new_id


def clean_entry(entry: Entry) -> Entry:
    """`entry` with control characters removed from every text, only http(s) links, and each
    field cut to its limit (MAX_TEXT, MAX_TITLE, MAX_NAME; at most MAX_TAGS tags and authors).

    The parsers already clean; doing it again here, once, makes it hold for every source.
    A redirector's link (Google, Facebook, an AMP cache) becomes the page it leads to, so that
    `site:` and the reader see the real host.
    """
    url = safe_link(unwrap(entry.url))
    title = truncate(clean(entry.title), MAX_TITLE)
    text = truncate(clean(entry.text), MAX_TEXT)
    author = truncate(clean(entry.author), MAX_NAME) or None
    author_url = safe_link(entry.author_url) or None
    author_email = _short(clean(entry.author_email)) or None
    link = safe_link(unwrap(entry.link))
    authors = _names(entry.authors) if entry.authors else ()
    tags = _names(entry.tags) if entry.tags else ()
    native_id = _short(clean(entry.native_id), MAX_URL) or None
    language = language_tag(entry.language)
    # A parser's entry is clean already: most come out as they went in, and stay the same object.
    if (
        url == entry.url
        and title == entry.title
        and text == entry.text
        and author == entry.author
        and author_url == entry.author_url
        and author_email == entry.author_email
        and link == entry.link
        and authors == entry.authors
        and tags == entry.tags
        and native_id == entry.native_id
        and language == entry.language
    ):
        return entry
    return replace(
        entry,
        url=url,
        title=title,
        text=text,
        author=author,
        author_url=author_url,
        author_email=author_email,
        link=link,
        authors=authors,
        tags=tags,
        native_id=native_id,
        language=language,
    )


def _names(names: tuple[str, ...]) -> tuple[str, ...]:
    """At most MAX_TAGS of `names` (authors, tags), each clean and cut to MAX_NAME; none empty."""
    return tuple(n for n in (truncate(clean(name), MAX_NAME) for name in names[:MAX_TAGS]) if n)


def _short(value: str, limit: int = MAX_NAME) -> str:
    """`value`, or "" when it is too long to be what it claims (an address, an id): cut, it would be wrong."""
    return value if len(value) <= limit else ""


def _first_text_span(hits: Sequence[Hit]) -> tuple[int, int]:
    spans = [s for hit in hits for s in hit.spans if s.field == "text"]
    if not spans:
        return 0, 0
    first = min(spans, key=lambda s: s.start)
    return first.start, first.end
