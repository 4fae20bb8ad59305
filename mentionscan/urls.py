"""URL helpers: the canonical form used as a dedup key, hosts, schemes, redaction."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from mentionscan.text import clean

# Query parameters that only say where a click came from; the same page without them is the
# same page. Prefixes end with "_".
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "_ga",
        "_gl",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "rb_clickid",
        "s_cid",
        "source",  # Medium's ?source=rss------tag-5
        "cmpid",
        "ncid",
        "sr_share",
        "share",
        "smid",
    }
)
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "piwik_", "hsa_", "at_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_http_url(url: str | None) -> bool:
    """True for an absolute http or https URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def safe_link(url: str | None) -> str:
    """`url` if it may be rendered as a link (http or https), else ""; control characters removed."""
    if not url:
        return ""
    url = clean(url).strip()
    return url if is_http_url(url) else ""


def host_of(url: str) -> str:
    """Lower-case host without a leading `www.`, or "" when there is none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The form two links to the same page share; used only as a key, never shown.

    Ignores the scheme, a leading `www.`, host case, default ports, the fragment, a trailing
    slash, tracking parameters and the order of the other parameters.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    if host.startswith("www."):
        host = host[4:]
    if port and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    # Re-quote so that %7E and ~, or %2f and %2F, compare equal.
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~").rstrip("/")
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(params), doseq=True)
    return (
        urlunsplit(("", host, path, query, "")).lstrip("/")
        if host
        else urlunsplit((scheme, "", path, query, ""))
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
