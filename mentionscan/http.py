"""The one way mentionscan talks to the web: bounded in time, size, redirects and politeness.

Every request has a connect timeout, a read timeout and a total deadline; bodies are streamed
and capped after decompression; redirects are followed by hand (at most five) so that each hop
can be checked: http and https only, and no hop from a public address into a private,
loopback or link-local one unless the user allowed it.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from mentionscan.errors import FetchError
from mentionscan.urls import redact

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRY_DELAYS = (0.5, 1.5)  # two quick retries, then the source fails for this run
CHUNK = 64 * 1024
ERROR_BODY = 64 * 1024  # bytes of an error response kept for the source to read

Resolver = Callable[[str], list[str]]


def system_resolver(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself, without a lookup)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def address_class(address: str) -> str:
    """`public`, `private`, `loopback` or `link-local` (cloud metadata addresses are link-local)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "public"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    # 100.100.100.200 (Alibaba) and fd00:ec2::254 (AWS IPv6) are metadata services too.
    if ip.is_link_local or str(ip) in ("100.100.100.200", "fd00:ec2::254"):
        return "link-local"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or ip in _SHARED:
        return "private"
    return "public"


_SHARED = ipaddress.ip_network("100.64.0.0/10")


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


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now (seconds or an HTTP date), never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0


class HttpClient:
    """A `requests.Session` with mentionscan's limits; safe to share between threads."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20,
        deadline: float | None = None,
        max_bytes: int = 15 * 1024 * 1024,
        concurrency: int = 8,
        per_host: int = 4,
        allow_private_redirects: bool = False,
        resolver: Resolver = system_resolver,
        classify: Callable[[str], str] = address_class,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else max(timeout * 3, 30.0)
        self.max_bytes = max_bytes
        self.per_host = per_host
        self.allow_private_redirects = allow_private_redirects
        self.resolver = resolver
        self.classify = classify
        self.retry_delays = retry_delays
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.session.max_redirects = MAX_REDIRECTS
        # Proxies from the environment are honoured; .netrc credentials are not sent anywhere.
        self.session.trust_env = True
        adapter = requests.adapters.HTTPAdapter(pool_connections=concurrency, pool_maxsize=concurrency)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host(self, url: str) -> _Host:
        host = (urlsplit(url).hostname or "").lower()
        with self._hosts_lock:
            if host not in self._hosts:
                self._hosts[host] = _Host(slots=threading.BoundedSemaphore(self.per_host))
            return self._hosts[host]

    def _pace(self, state: _Host, rate_per_minute: float | None) -> None:
        if not rate_per_minute:
            return
        with state.lock:
            wait = state.next_at - time.monotonic()
            state.next_at = max(state.next_at, time.monotonic()) + 60.0 / rate_per_minute
        if wait > 0:
            time.sleep(wait)

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        etag: str | None = None,
        last_modified: str | None = None,
        rate_per_minute: float | None = None,
    ) -> Response:
        """One request, retried on 5xx and dropped connections; raises FetchError on any failure.

        Returns 2xx and 304 responses; any other status raises FetchError carrying the status
        and, for 429 and 503, the server's `Retry-After` in seconds.
        """
        send_headers = dict(headers or {})
        if etag:
            send_headers["If-None-Match"] = etag
        if last_modified:
            send_headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return self._request_once(method, url, params, send_headers, json, rate_per_minute)
            except FetchError as exc:
                retryable = exc.status in RETRY_STATUSES and exc.retry_after is None
                retryable = retryable or getattr(exc, "transient", False)
                if not retryable or attempt >= len(self.retry_delays) or method != "GET":
                    raise
                time.sleep(self.retry_delays[attempt])
                attempt += 1

    def _request_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        json: Any,
        rate_per_minute: float | None,
    ) -> Response:
        started = deadline = 0.0
        origin = url
        moved_to: str | None = None
        permanent = True
        for hop in range(MAX_REDIRECTS + 1):
            state = self._host(url)
            with state.slots:
                self._pace(state, rate_per_minute)
                if hop == 0:  # the clock starts at our turn: waiting for a paced host is not the server
                    started = time.monotonic()
                    deadline = started + self.deadline
                status, response_headers, body, final = self._send(
                    method, url, params, headers, json, deadline
                )
            if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                target = urljoin(final, response_headers["location"])
                self._check_redirect(origin, target)
                permanent = permanent and status in (301, 308)
                if permanent:
                    moved_to = target
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, json = "GET", None
                url, params = target, None
                continue
            elapsed = time.monotonic() - started
            if status == 304 or 200 <= status < 300:
                return Response(final, status, response_headers, body, elapsed, moved_to)
            raise _status_error(final, status, response_headers, body)
        raise FetchError(f"{redact(origin)}: more than {MAX_REDIRECTS} redirects (last to {redact(url)})")

    def _check_redirect(self, origin: str, target: str) -> None:
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"{redact(origin)}: refused a redirect to a {scheme or 'relative'}: URL")
        if self.allow_private_redirects:
            return
        target_host = urlsplit(target).hostname or ""
        target_classes = {self.classify(a) for a in self.resolver(target_host)}
        sensitive = target_classes - {"public"}
        if not sensitive:
            return
        origin_classes = {self.classify(a) for a in self.resolver(urlsplit(origin).hostname or "")}
        # A URL the user wrote may point anywhere, and its own network's redirects are its
        # business; but the metadata service is never a place a feed should send us.
        if "link-local" in sensitive or not sensitive <= origin_classes:
            kind = "/".join(sorted(sensitive))
            raise FetchError(
                f"{redact(origin)}: refused a redirect to {kind} address {redact(target)} "
                "(set allow_private_redirects = true in [settings] to allow it)"
            )

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        json: Any,
        deadline: float,
    ) -> tuple[int, CaseInsensitiveDict[str], bytes, str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{redact(url)}: gave up after {self.deadline:g} s")
        timeout = (min(5.0, self.timeout, remaining), min(self.timeout, remaining))
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.exceptions.InvalidSchema:
            raise FetchError(f"{redact(url)}: only http and https URLs can be fetched") from None
        except requests.exceptions.RequestException as exc:
            raise _connection_error(url, exc) from None
        try:
            body = self._read(response, url, deadline)
        finally:
            response.close()
        return response.status_code, response.headers, body, response.url

    def _read(self, response: requests.Response, url: str, deadline: float) -> bytes:
        # read1 returns whatever one socket read gave, so a server that drips a byte at a
        # time is checked against the deadline at every byte, not after a full buffer.
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"{redact(url)}: gave up after {self.deadline:g} s (the server is too slow)"
                    )
                chunk = raw.read1(CHUNK, decode_content=True)
                if not chunk:  # urllib3 2 returns b"" only at the end of the body
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(
                        f"{redact(url)}: response too large (more than {self.max_bytes // (1024 * 1024)} MiB)"
                    )
                chunks.append(chunk)
        except FetchError:
            raise
        except requests.exceptions.RequestException as exc:
            raise _connection_error(url, exc) from None
        except Exception as exc:  # urllib3 and zlib errors while streaming the body
            error = FetchError(f"{redact(url)}: connection broken while reading ({type(exc).__name__})")
            error.transient = True  # type: ignore[attr-defined]
            raise error from None
        return b"".join(chunks)


def _connection_error(url: str, exc: Exception) -> FetchError:
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        reason, transient = "connection timed out", True
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        reason, transient = "the server stopped answering (read timed out)", True
    elif isinstance(exc, requests.exceptions.SSLError):
        reason, transient = "TLS certificate or handshake failed", False
    elif isinstance(exc, requests.exceptions.ConnectionError):
        if "Name or service not known" in text or "NameResolutionError" in text or "getaddrinfo" in text:
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


def _status_error(url: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchError:
    retry_after = retry_after_seconds(headers.get("retry-after")) if status in (429, 503) else None
    if status in (403, 503) and headers.get("cf-mitigated") == "challenge":
        reason = f"blocked by a Cloudflare challenge page (HTTP {status})"
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
