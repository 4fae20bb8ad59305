"""Identity of an item across runs, sources and URL forms: its dedup keys and its short id."""

from __future__ import annotations

import hashlib

from mentionscan.models import Entry
from mentionscan.text import fold
from mentionscan.urls import canonical_url

ID_LENGTH = 12
CONTENT = "c:"  # the prefix of a content key


def entry_keys(entry: Entry) -> list[str]:
    """Every key that identifies `entry`; two items sharing any key are the same item.

    `u:` canonical URL, `n:` a site's global id (`hn:123`), `g:` a feed GUID (only unique
    within its feed), `h:` a content hash when there is neither link nor id; last, for an item
    without a site's global id, its content key (`content_key`).
    """
    keys: list[str] = []
    if entry.url:
        keys.append(page_key(entry.url))
    if entry.native_id:
        if entry.key_scope == "global":
            keys.append("n:" + entry.native_id)
        else:
            keys.append(f"g:{entry.source}:{entry.native_id}")
    if not keys:
        digest = hashlib.sha256(f"{entry.title}\n{entry.text[:2000]}".encode()).hexdigest()[:32]
        keys.append(f"h:{entry.source}:{digest}")
    if not (entry.native_id and entry.key_scope == "global"):
        keys.append(content_key(entry))
    return keys


def link_key(url: str) -> str:
    """The key under which a discussion is found from the page it links to (`l:`, never a dedup key).

    Two discussions of one page are two mentions, so it is kept apart from `entry_keys`.
    """
    return "l:" + canonical_url(url)


def page_key(url: str) -> str:
    """The key a mention of the page at `url` holds: `page_key(d.link)` finds what discussion `d` is about."""
    return "u:" + canonical_url(url)


def about_key(link: str | None, url: str | None) -> str | None:
    """What `related` looks up for an item: the mention of the page a discussion links to
    (`page_key(link)`), else the discussions of this page (`link_key(url)`)."""
    return page_key(link) if link else link_key(url) if url else None


def content_key(entry: Entry) -> str:
    """`c:<source>:<hash>` of the author, title and text, folded: what an item is when its link and
    GUID change on every fetch (a random GUID, a `?sid=` in the link), as rss2email and Huginn do.

    Looked up last, so it decides only when no link or id is known; within one source only.
    """
    text = "\n".join(
        " ".join(fold(part).split()) for part in (entry.author or "", entry.title, entry.text[:2000])
    )
    return f"{CONTENT}{entry.source}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def is_content_key(key: str) -> bool:
    return key.startswith(CONTENT)


def mention_id(key: str, taken: object = None, length: int = ID_LENGTH) -> str:
    """A short, stable id from the mention's first key (hex, so any prefix is unambiguous to type)."""
    return hashlib.sha256(key.encode()).hexdigest()[:length]
