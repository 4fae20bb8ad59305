"""The one way mentionscan talks to the web: bounded in time, size, redirects and politeness.

Every request has a connect timeout, a read timeout and a total deadline; bodies are streamed
and capped after decompression; redirects are followed by hand (at most five) so that each hop
can be checked: http and https only, and no hop from a public address into a private,
loopback or link-local one unless the user allowed it.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests
import requests.auth
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, ReadTimeoutError

from mentionscan.errors import FetchError
from mentionscan.urls import redact

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRY_DELAYS = (0.5, 1.5)  # two quick retries, then the source fails for this run
CHUNK = 64 * 1024
ERROR_BODY = 64 * 1024  # bytes of an error response kept for the source to read
MAX_RETRY_WAIT = 5.0  # the longest Retry-After waited for inside a run
MAX_RETRY_AFTER = 7 * 24 * 3600.0  # a site asking for a longer pause is asked again after a week

Resolver = Callable[[str], list[str]]
Guard = Callable[[str, str], None]


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
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches that IPv4 address.
        if ip.ipv4_mapped or ip.sixtofour:
            ip = ip.ipv4_mapped or ip.sixtofour or ip
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_loopback:
        return "loopback"
    # 100.100.100.200 (Alibaba) and fd00:ec2::254 (AWS IPv6) are metadata services too.
    if ip.is_link_local or str(ip) in ("100.100.100.200", "fd00:ec2::254"):
        return "link-local"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or ip in _SHARED:
        return "private"
    return "public"


_SHARED = ipaddress.ip_network("100.64.0.0/10")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0


@dataclass(slots=True)
class _Clock:
    deadline: float | None = None  # set when the first attempt gets its turn at the host


class _Watch:
    """Shuts a request's sockets down at its deadline, whatever the request is doing then.

    A socket timeout bounds each read, not their sum: a server that sends its status line and
    headers one byte at a time would hold a request for hours before any body is read. The
    connection classes below register their sockets here while a request runs.
    """

    def __init__(self, deadline: float, guard: Guard | None = None) -> None:
        self.deadline = deadline
        self.guard = guard  # checks (host, address) of each new connection; raises to refuse it
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.scheduled = False
        self.fired = False
        self.stopped = False

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            if self.stopped:
                return
            if self.fired:
                _shut(sock)
                return
            self.sockets.append(sock)
            if not self.scheduled:
                self.scheduled = True
                _watchdog().schedule(self)

    def _fire(self) -> None:
        with self.lock:
            if self.stopped:
                return
            self.fired = True
            for sock in self.sockets:
                _shut(sock)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True  # the watchdog drops it when its deadline comes
            self.sockets.clear()


class _Watchdog:
    """One thread that fires every request's deadline: a thread per request cost more CPU than
    the request itself (a 304 run over 500 feeds spent a sixth of its time starting timers)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.condition = threading.Condition()
        self.queue: list[tuple[float, int, _Watch]] = []
        self.counter = itertools.count()
        threading.Thread(target=self._run, name="mentionscan-deadlines", daemon=True).start()

    def schedule(self, watch: _Watch) -> None:
        with self.condition:
            heapq.heappush(self.queue, (watch.deadline, next(self.counter), watch))
            if self.queue[0][2] is watch:
                self.condition.notify()

    def _run(self) -> None:
        while True:
            with self.condition:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    self.condition.wait(self.queue[0][0] - time.monotonic() if self.queue else None)
                watch = heapq.heappop(self.queue)[2]
            watch._fire()


_watchdog_instance: _Watchdog | None = None
_watchdog_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    global _watchdog_instance
    with _watchdog_lock:
        # A forked child has the parent's object but not its thread.
        if _watchdog_instance is None or _watchdog_instance.pid != os.getpid():
            _watchdog_instance = _Watchdog()
        return _watchdog_instance


def _bare_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: the blocked read sees the end.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current = threading.local()  # the _Watch of the request this thread is sending, if any


def _watch(sock: socket.socket | None) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None and sock is not None:
        watch.add(sock)


def _connected(host: str, sock: socket.socket) -> None:
    """A new connection of this thread's request: watch its deadline, and check its peer."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is None:
        return
    watch.add(sock)  # before TLS, so a dripped handshake is cut too
    if watch.guard is not None:
        try:
            watch.guard(host, sock.getpeername()[0])
        except BaseException:
            sock.close()  # nothing was sent on it
            raise


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _connected(self.host, sock)
        return sock

    def getresponse(self) -> Any:  # type: ignore[override]
        _watch(self.sock)  # a connection reused from the pool made no new socket
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _connected(self.host, sock)
        return sock

    def getresponse(self) -> Any:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections whose sockets the deadline can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


class _NoAuth(requests.auth.AuthBase):
    """Stands for "no credentials", so that requests does not send any from ~/.netrc."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def _auth_for(url: str) -> requests.auth.AuthBase:
    parts = urlsplit(url)
    if parts.username is None:
        return _NoAuth()
    return requests.auth.HTTPBasicAuth(unquote(parts.username), unquote(parts.password or ""))


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
        # Proxies from the environment are honoured; .netrc credentials are not sent anywhere
        # (every request carries its own auth: the URL's user and password, or none).
        self.session.trust_env = True
        adapter = _Adapter(pool_connections=concurrency, pool_maxsize=concurrency)
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
        clock = _Clock()  # one deadline for every attempt and every redirect
        attempt = 0
        while True:
            try:
                return self._request_once(method, url, params, send_headers, json, rate_per_minute, clock)
            except FetchError as exc:
                if attempt >= len(self.retry_delays) or method != "GET":
                    raise
                delay = self.retry_delays[attempt]
                # A 429 or 503 asking for a short pause gets it (bounded, inside the deadline); one
                # asking for longer is not waited for: the pipeline skips the source until then.
                wait = exc.retry_after
                if exc.status in (429, 503) and wait is not None and wait <= MAX_RETRY_WAIT:
                    delay = max(delay, wait)
                    retryable = True
                else:
                    retryable = exc.status in RETRY_STATUSES and wait is None
                if not (retryable or getattr(exc, "transient", False)):
                    raise
                if clock.deadline is not None and time.monotonic() + delay >= clock.deadline:
                    raise
                time.sleep(delay)
                attempt += 1

    def _request_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        json: Any,
        rate_per_minute: float | None,
        clock: _Clock,
    ) -> Response:
        started = 0.0
        origin = url
        guard: Guard | None = None  # none for the URL the user wrote: it may point anywhere
        moved_to: str | None = None
        permanent = True
        for hop in range(MAX_REDIRECTS + 1):
            state = self._host(url)
            with state.slots:
                self._pace(state, rate_per_minute)
                if hop == 0:  # the clock starts at our turn: waiting for a paced host is not the server
                    started = time.monotonic()
                    if clock.deadline is None:
                        clock.deadline = started + self.deadline
                assert clock.deadline is not None
                status, response_headers, body, final = self._send(
                    method, url, params, headers, json, clock.deadline, guard
                )
            if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                try:
                    target = urljoin(final, response_headers["location"].strip())
                    urlsplit(target).hostname  # noqa: B018 - raises ValueError for a broken host
                    if _CONTROL.search(target):
                        raise ValueError(target)
                except ValueError:
                    raise FetchError(f"{redact(final)}: redirect to an invalid URL") from None
                # Each hop is checked against the one that sent it: a public site may not send
                # us into a private network, even after a detour through another public site.
                self._check_redirect(final, target)
                guard = self._peer_guard(final, target)
                if _origin(target) != _origin(final):
                    # Credentials belong to the host they were written for (requests does the same).
                    headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
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
        """Raise FetchError unless a redirect (or a link) from `origin` to `target` may be followed.

        Only http and https; and unless `allow_private_redirects`, no move from a public address
        into a loopback, private or link-local one (nor into link-local from anywhere).
        """
        try:
            parts = urlsplit(target)
            target_host = parts.hostname or ""
            origin_host = urlsplit(origin).hostname or ""
        except ValueError:
            raise FetchError(f"{redact(origin)}: refused a redirect to an invalid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"{redact(origin)}: refused a redirect to a {scheme or 'relative'}: URL")
        if self.allow_private_redirects:
            return
        target_classes = {self.classify(a) for a in self.resolver(target_host)}
        self._refuse(origin, target, target_classes, lambda: self.resolver(origin_host))

    def _refuse(
        self, origin: str, target: str, target_classes: set[str], origin_addresses: Callable[[], list[str]]
    ) -> None:
        sensitive = target_classes - {"public"}
        if not sensitive:
            return
        origin_classes = {self.classify(a) for a in origin_addresses()}
        # A URL the user wrote may point anywhere, and its own network's redirects are its
        # business; but the metadata service is never a place a feed should send us.
        if "link-local" in sensitive or not sensitive <= origin_classes:
            kind = "/".join(sorted(sensitive))
            raise FetchError(
                f"{redact(origin)}: refused a redirect to {kind} address {redact(target)} "
                "(set allow_private_redirects = true in [settings] to allow it)"
            )

    def _peer_guard(self, origin: str, target: str) -> Guard | None:
        """The same check on the address a redirect's connection really reached.

        The name was resolved once for `_check_redirect` and is resolved again to connect: a
        name that answers a public address first and a private one next (DNS rebinding) is
        caught here, after the TCP handshake and before a byte of the request is sent.
        """
        if self.allow_private_redirects:
            return None
        target_host = _bare_host(urlsplit(target).hostname or "")
        origin_host = urlsplit(origin).hostname or ""
        addresses: list[str] = []

        def origin_addresses() -> list[str]:
            if not addresses:
                addresses.extend(self.resolver(origin_host))
            return addresses

        def guard(host: str, peer: str) -> None:
            if _bare_host(host) != target_host:
                return  # a connection to a proxy: the proxy resolves the name, not us
            self._refuse(origin, target, {self.classify(peer)}, origin_addresses)

        return guard

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        json: Any,
        deadline: float,
        guard: Guard | None = None,
    ) -> tuple[int, CaseInsensitiveDict[str], bytes, str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._too_slow(url)
        timeout = (min(5.0, self.timeout, remaining), min(self.timeout, remaining))
        watch = _Watch(deadline, guard)
        _current.watch = watch
        try:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json,
                    auth=_auth_for(url),
                    timeout=timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.exceptions.InvalidSchema:
                raise FetchError(f"{redact(url)}: only http and https URLs can be fetched") from None
            except UnicodeDecodeError:  # requests reads a redirect's Location even when not following it
                raise FetchError(f"{redact(url)}: redirect to an invalid URL") from None
            except ValueError:  # a URL requests or urllib3 cannot even take apart
                raise FetchError(f"{redact(url)}: not a valid URL") from None
            except requests.exceptions.RequestException as exc:
                if watch.fired:
                    raise self._too_slow(url) from None
                raise _connection_error(url, exc) from None
            try:
                body = self._read(response, url, deadline, watch)
            finally:
                response.close()
        finally:
            watch.stop()
            _current.watch = None
        return response.status_code, response.headers, body, response.url

    def _too_slow(self, url: str) -> FetchError:
        return FetchError(f"{redact(url)}: gave up after {self.deadline:g} s (the server is too slow)")

    def _read(self, response: requests.Response, url: str, deadline: float, watch: _Watch) -> bytes:
        # read1 returns whatever one socket read gave, so a server that drips a byte at a
        # time is checked against the deadline at every byte, not after a full buffer. The
        # decompressed size is counted, and urllib3 decompresses at most CHUNK bytes at a time.
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise self._too_slow(url)
                chunk = raw.read1(CHUNK, decode_content=True)
                if not chunk:  # urllib3 2 returns b"" only at the end of the body
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(
                        f"{redact(url)}: response too large "
                        f"(more than {self.max_bytes / (1024 * 1024):g} MiB after decompression)"
                    )
                chunks.append(chunk)
        except FetchError:
            raise
        except DecodeError:
            raise FetchError(f"{redact(url)}: the response is not valid gzip or deflate data") from None
        except Exception as exc:  # urllib3 and socket errors while streaming the body
            if watch.fired or time.monotonic() > deadline:
                raise self._too_slow(url) from None
            if isinstance(exc, ReadTimeoutError | TimeoutError):
                reason = "the server stopped answering (read timed out)"
            else:
                reason = f"connection broken while reading ({type(exc).__name__})"
            error = FetchError(f"{redact(url)}: {reason}")
            error.transient = True  # type: ignore[attr-defined]
            raise error from None
        if watch.fired:
            raise self._too_slow(url)
        return b"".join(chunks)


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


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
