"""URL helpers: the canonical form used as a dedup key, hosts, schemes, redaction."""

from __future__ import annotations

import contextlib
import functools
import re
from typing import TypeGuard
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from mentionscan.text import clean
from mentionscan.urlrules import is_tracking, site_rules, unwrap

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL = 8_192  # longer is no link anyone wrote (sitemaps stop at 2,048; servers refuse past 8 KiB)
# An entry's link is checked by the parser, by the intake and by each key made of it: the same
# few strings again and again, each taken apart by urlsplit. Pure functions: their answers are kept.
_SEEN = 4096
# http(s)://host[:port] then the path, query or fragment or nothing: surely an http URL with a host.
_PLAIN_HTTP = re.compile(r"https?://[a-z0-9.-]+(?::[0-9]+)?(?:[/?#]|$)", re.IGNORECASE | re.ASCII)


@functools.lru_cache(maxsize=_SEEN)
def is_http_url(url: str | None) -> bool:
    """True for an absolute http or https URL with a host, and no white space or control character
    inside it: a newline in a link would end a Markdown link, a mail's line or a terminal's escape."""
    if not url:
        return False
    url = url.strip()
    if not url.isprintable() or " " in url:
        return False
    if _PLAIN_HTTP.match(url):  # most links: a host name and nothing urlsplit could refuse
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def safe_link(url: str | None) -> str:
    """`url` if it may be rendered as a link (http or https, at most MAX_URL characters), else "";
    control characters and any `user:password@` removed (a credential is never stored or shown,
    and `https://bank.example@evil` then reads as where it goes)."""
    # Most links are new to the cache, and keeping them costs more than saying they are plain
    return url if is_plain_link(url) else _safe_link(url)


def is_plain_link(url: object) -> TypeGuard[str]:
    """Whether `url` is an http(s) link that `safe_link` and `is_http_url` keep as it is: printable,
    a plain host name, no space and no `@`, at most MAX_URL characters (most links are)."""
    return (
        type(url) is str
        and len(url) <= MAX_URL
        and url.isprintable()
        and " " not in url
        and "@" not in url
        and _PLAIN_HTTP.match(url) is not None
    )


@functools.lru_cache(maxsize=_SEEN)
def _safe_link(url: str | None) -> str:
    if not url:
        return ""
    url = clean(url).strip()
    return without_credentials(url) if len(url) <= MAX_URL and is_http_url(url) else ""


def host_of(url: str) -> str:
    """Lower-case host without a leading `www.`, or "" when there is none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


@functools.lru_cache(maxsize=_SEEN)  # a candidate's page and discussion keys are both of its URL
def canonical_url(url: str) -> str:
    """The form two links to the same page share; used only as a key, never shown.

    A redirector's or AMP cache's link is the page it leads to. Ignores the scheme, a leading
    `www.`, host case, default ports, an in-page anchor (a route, `#!` or `#/`, is kept), a
    trailing slash, dot segments, tracking parameters (`urlrules`) and the order of the others.
    Percent-escapes are compared in upper case; bytes that are not UTF-8 are kept as they were.
    """
    from w3lib.url import canonicalize_url  # 70 ms to import: only the commands that store need it

    url = unwrap(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    if not host:
        return urlunsplit((scheme, "", parts.path, parts.query, ""))
    host = host.removeprefix("www.")
    site = site_rules(host)
    pairs = [p for p in parts.query.split("&") if p and not _tracking_pair(p, host, site)]
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address
    if port and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    # w3lib re-quotes the path and query (%7E is ~, %2f is %2F, bytes that are not UTF-8 stay
    # as they were), sorts the parameters and removes dot segments, as Scrapy's dedup does.
    rebuilt = urlunsplit(("http", netloc, parts.path or "/", "&".join(pairs), fragment))
    try:
        whole = canonicalize_url(rebuilt, keep_fragments=True)
    except ValueError:  # a host w3lib refuses (a bad IPv6 literal): the key is the URL as rebuilt
        whole = rebuilt
    rest = whole.split("://", 1)[1]
    path_end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return rest[:path_end].rstrip("/") + rest[path_end:]


def _tracking_pair(pair: str, host: str, site: frozenset[str]) -> bool:
    name, _, value = pair.partition("=")
    return is_tracking(unquote_plus(name), unquote_plus(value), host, site)


def without_credentials(url: str) -> str:
    """`url` without its `user:password@`, for anything that is kept (a moved feed's new address)."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact_password(url: str, mask: str | None = "***") -> str:
    """`url` with its password (only) replaced by `mask`, or dropped when `mask` is None."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(
        (parts.scheme, ":".join([user.partition(":")[0], *([mask] if mask else [])]) + f"@{host}", *parts[2:])
    )


def redact(url: str) -> str:
    """`url` for messages: a user name and password, and secret-looking parameters, as `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        netloc = f"***@{host}:{parts.port}" if parts.port else f"***@{host}"
    query = _masked_query(parts.query) if parts.query else parts.query
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# Query parameters that carry a credential (Stack Exchange's `key`, a feed's `?token=`).
_SECRET_PARAM = ("key", "token", "secret", "password", "passwd", "auth", "sig", "signature", "apikey")


def _masked_query(query: str) -> str:
    # Piece by piece, so that what is not a secret stays exactly as it was sent (`+`, `%20`).
    pieces = []
    for piece in query.split("&"):
        name, equals, _value = piece.partition("=")
        pieces.append(f"{name}=***" if equals and _is_secret(unquote_plus(name)) else piece)
    return "&".join(pieces)


def _is_secret(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(lowered == word or lowered.endswith("_" + word) for word in _SECRET_PARAM)


_PORT = re.compile(r":\d*$")


def normalize_domain(value: str) -> str:
    """`https://www.Acme.example:8080/x` -> `acme.example`: the form `site:` compares."""
    host = value.strip().lower().split("://", 1)[-1]
    host = host.split("/", 1)[0].rsplit("@", 1)[-1]
    # repeat so that normalizing twice changes nothing ("www.www.x", "x:80:80")
    while True:
        shorter = _PORT.sub("", host).strip().strip(".").removeprefix("*.").removeprefix("www.")
        if shorter == host:
            return host
        host = shorter
