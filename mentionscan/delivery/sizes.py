"""How big a digest may grow: caps on each mention's part and on the whole message.

One hostile fetch can store tens of thousands of mentions, or links a megabyte long; a digest of
them all would be refused by every mail server (552), every day. So a digest shows at most
MAX_SHOWN mentions in at most MAX_MESSAGE_BYTES, and counts the rest; a server that still
refuses the size gets a smaller one, down to a digest of counts alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, Protocol, TypeVar, cast

from mentionscan.errors import MessageTooLarge, SendError
from mentionscan.models import Mention
from mentionscan.urls import safe_link


class Shown(Protocol):
    """What sizing needs of a digest (`digest.Digest`, a frozen dataclass, is one)."""

    @property
    def groups(self) -> tuple[tuple[str, tuple[Mention, ...]], ...]: ...

    @property
    def shown(self) -> int | None: ...

    @property
    def count(self) -> int: ...


Digest = TypeVar("Digest", bound=Shown)

MAX_SHOWN = 300  # mentions shown in one digest; the rest are counted and left to `mentionscan list`
MAX_MESSAGE_BYTES = 2_000_000  # well under the 10 MB or more that mail servers commonly accept
LINK_LIMIT = 2_000  # characters: a longer link is shown as none (browsers and servers cut them anyway)
ADDRESS_LIMIT = 254  # the longest address RFC 5321 allows in a path


def hidden(digest: Shown) -> int:
    """How many mentions `digest` only counts: more than fit in one message."""
    return 0 if digest.shown is None else max(0, digest.count - digest.shown)


def shown_groups(digest: Shown) -> list[tuple[str, tuple[Mention, ...]]]:
    """The groups as shown: the first `shown` mentions in group order; a group with none left out."""
    left = digest.count if digest.shown is None else digest.shown
    groups = []
    for name, group in digest.groups:
        if left > 0:
            groups.append((name, group[:left]))
        left -= len(group)
    return groups


def more_line(digest: Shown) -> str:
    """What a digest says of the mentions it only counts."""
    count = hidden(digest)
    noun = "mention" if count == 1 else "mentions"
    return (
        f"… and {count:,} more {noun}, not shown so that this email stays small enough to be "
        "delivered: `mentionscan list` shows them all."
    )


def capped_link(url: str | None) -> str:
    """`safe_link(url)`, or "" when it is too long to be a real page's address."""
    link = safe_link(url)
    return link if len(link) <= LINK_LIMIT else ""


def size_of(message: EmailMessage) -> int:
    """The message's size as an SMTP server counts it (CRLF line ends)."""
    return len(message.as_bytes(policy=SMTP))


def fitted(
    digest: Digest, build: Callable[[Digest], EmailMessage], limit: int | None = None
) -> tuple[EmailMessage, Digest]:
    """The message of `digest` showing as many mentions as fit in `limit` bytes (our cap at most).

    Shows none, and only counts them, when not even one fits.
    """
    limit = min(limit or MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES)
    shown = min(digest.count, MAX_SHOWN if digest.shown is None else digest.shown)
    while True:
        # `digest` is a frozen dataclass (a Protocol cannot say so to `replace`).
        current: Digest = replace(cast(Any, digest), shown=None if shown >= digest.count else shown)
        message = build(current)
        size = size_of(message)
        if size <= limit or shown == 0:
            return message, current
        # Mentions take about the same room each: aim just under the limit in one step or two.
        shown = max(0, min(shown - 1, int(shown * limit / size * 0.9)))


def too_large(error: MessageTooLarge, message: EmailMessage, digest: Shown) -> int:
    """The size to aim for after the server refused `message` as too large (SendError when even
    a digest of counts alone was refused)."""
    if digest.shown == 0:
        raise SendError(f"{error}; even a digest that only counts the mentions was too large") from None
    size = size_of(message)
    return error.limit if error.limit and error.limit < size else size // 2


def deliver_fitted(
    digest: Digest, build: Callable[[Digest], EmailMessage], deliver: Callable[[EmailMessage], str]
) -> tuple[str, Digest]:
    """Deliver the largest message of `digest` that fits: within our cap, then within what the
    server accepts (it answered 552, or announced a smaller SIZE). Where it went, and what was sent."""
    limit: int | None = None
    while True:
        message, sent = fitted(digest, build, limit)
        try:
            return deliver(message), sent
        except MessageTooLarge as exc:
            limit = too_large(exc, message, sent)
