"""What a request gives back: a `Response`, or a `FetchError` whose message says what went wrong."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from mentionscan.errors import FetchError
from mentionscan.urls import redact

ERROR_BODY = 64 * 1024  # bytes of an error response kept for the source to read
MAX_RETRY_AFTER = 7 * 24 * 3600.0  # a site asking for a longer pause is asked again after a week
_log = logging.getLogger("mentionscan.http")


@dataclass(slots=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    moved_to: str | None = None  # where a permanent redirect (301, 308) pointed

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FetchError(f"{redact(self.url)}: response is not JSON ({exc})") from None
        except RecursionError:  # json parses nesting by recursion: a hostile answer nests thousands deep
            raise FetchError(f"{redact(self.url)}: response is JSON nested too deeply to read") from None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now (seconds or an HTTP date), between 0 and a week."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
        seconds = when.timestamp() - (now if now is not None else time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


# What http.client says of an answer with more header lines than it reads (100).
_TOO_MANY_HEADERS = re.compile(r"got more than (\d+) headers")


def connection_error(url: str, exc: Exception) -> FetchError:
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        reason, transient = "connection timed out", True
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        reason, transient = "the server stopped answering (read timed out)", True
    elif isinstance(exc, requests.exceptions.SSLError):
        reason, transient = "TLS certificate or handshake failed", False
    elif isinstance(exc, requests.exceptions.ConnectionError):
        if match := _TOO_MANY_HEADERS.search(text):
            reason, transient = f"the server sent too many headers (more than {match.group(1)})", False
        elif "bytes when reading header line" in text:
            reason, transient = "the server sent a header line too long to read", False
        elif "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
            reason, transient = "host name not found", False
        elif "Connection refused" in text:
            reason, transient = "connection refused", False
        else:
            reason, transient = "connection failed or was reset", True
    elif isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        reason, transient = "not a valid URL", False
    else:
        reason, transient = type(exc).__name__, False
    error = FetchError(f"{redact(url)}: {reason}")
    error.transient = transient  # type: ignore[attr-defined]
    return error


_REASONS = {
    401: "the server wants credentials (HTTP 401)",
    403: "access refused (HTTP 403)",
    404: "not found (HTTP 404)",
    410: "gone for good (HTTP 410); remove this source",
    429: "rate limited (HTTP 429)",
}


def status_error(url: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchError:
    retry_after = retry_after_seconds(headers.get("retry-after")) if status in (429, 503) else None
    if (headers.get("cf-mitigated") or "").strip().lower() == "challenge":
        # A bot check for browsers: an HTML page, never a feed, whatever the status.
        reason = f"not a feed: the site answered with a Cloudflare challenge page (HTTP {status})"
    else:
        reason = _REASONS.get(status) or f"HTTP {status}"
    if retry_after is not None:
        reason += f", retry after {retry_after:.0f} s"
    return FetchError(
        f"{redact(url)}: {reason}",
        status=status,
        retry_after=retry_after,
        headers=CaseInsensitiveDict(headers),
        body=body[:ERROR_BODY],
    )


def said(method: str, url: str, params: Mapping[str, Any] | None, status: int | None, took: float) -> None:
    """Log one request as `--verbose` shows it: `GET URL -> 200 in 0.41 s`, secrets masked."""
    if _log.isEnabledFor(logging.DEBUG):
        answer = status if status is not None else "no answer"
        _log.debug("%s %s -> %s in %.2f s", method, sent_url(url, params), answer, took)


def sent_url(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL a request went to, parameters included, with its secrets masked."""
    if params:
        prepared = requests.models.PreparedRequest()
        try:
            prepared.prepare_url(url, params)
        except requests.exceptions.RequestException:
            return redact(url)
        url = prepared.url or url
    return redact(url)
