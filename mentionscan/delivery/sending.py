"""What a service said to one delivery (`Outcome`), and keeping a channel's secrets out of every line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

_FRAGMENT = re.compile(r"[^/:@?&=#;,+\s]{6,}")  # pieces of a URL long enough to be a token


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a service said to one delivery."""

    ok: bool
    reason: str = ""  # one line, secrets masked
    status: int | None = None
    retry_after: float | None = None  # seconds the service asked us to wait
    retryable: bool = False  # worth another try in this run: 5xx, 429, timeouts, a dropped connection


class Secrets:
    """The URL and secret of a channel, and `mask` to keep them (and any piece of them) out of text."""

    def __init__(self, *values: str | None) -> None:
        pieces = {v for v in values if v}
        for value in list(pieces):
            pieces.update(p for p in _FRAGMENT.findall(value.split("://", 1)[-1]))
        self._pieces = sorted(pieces, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for piece in self._pieces:
            text = text.replace(piece, "***")
        return text


def retryable(status: int | None) -> bool:
    """A status worth another try: none (the connection failed), a timeout, rate limiting, 5xx."""
    return status is None or status in (408, 425, 429) or status >= 500


def status_reason(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    hint = {401: ": the token is wrong", 403: ": the token is wrong", 404: ": check the URL"}.get(status, "")
    return f"HTTP {status} {phrase}".rstrip() + hint
