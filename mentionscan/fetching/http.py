"""The one way mentionscan talks to the web: bounded in time, size, redirects and politeness.

Every request has a connect timeout, a read timeout and a total deadline; bodies are streamed
and capped after decompression; redirects are followed by hand (at most five) so that each hop
can be checked: http and https only, and no hop from a public address into a private,
loopback or link-local one unless the user allowed it.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests
import requests.auth
from requests.structures import CaseInsensitiveDict

from mentionscan.config.model import Settings
from mentionscan.errors import FetchError
from mentionscan.fetching.addresses import Guard, RedirectPolicy, Resolver, address_class, system_resolver
from mentionscan.fetching.body import ACCEPT_ENCODING, read_body, too_slow
from mentionscan.fetching.deadline import Adapter, Budget, Watch, current
from mentionscan.fetching.responses import Response, connection_error, said, status_error
from mentionscan.fetching.session import Session
from mentionscan.urls import redact

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRY_DELAYS = (0.5, 1.5)  # two quick retries, then the source fails for this run
MAX_RETRY_WAIT = 5.0  # the longest Retry-After waited for inside a run
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class _Host:
    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0


@dataclass(frozen=True, slots=True)
class _Hop:
    """The request as sent to one hop of a redirect chain."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    headers: dict[str, str]
    json: Any
    data: Mapping[str, str] | None = None  # a form body (OAuth token requests)


@dataclass(slots=True)
class _Clock:
    deadline: float | None = None  # set when the first attempt gets its turn at the host


def _proxies_in_environment() -> bool:
    """Whether the environment names any proxy (`no_proxy` alone routes nothing through one)."""
    return any(scheme != "no" for scheme in urllib.request.getproxies_environment())


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
        settings: Settings | None = None,
        *,
        resolver: Resolver = system_resolver,
        classify: Callable[[str], str] = address_class,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        pace: Callable[[str, float], float | None] | None = None,
    ) -> None:
        settings = settings or Settings()
        # Paces a host for every worker sharing a database: (host, seconds between requests) ->
        # seconds to wait, or None to pace it here.
        self.shared_pace = pace
        self.timeout = settings.timeout
        self.deadline = settings.deadline
        self.max_bytes = int(settings.max_response_mb * 1024 * 1024)
        self.per_host = settings.per_host
        self.redirects = RedirectPolicy(settings.allow_private_redirects, resolver, classify)
        self.retry_delays = retry_delays
        self.session = Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING
        self.session.max_redirects = MAX_REDIRECTS
        # Proxies from the environment are honoured; .netrc credentials are not sent anywhere
        # (every request carries its own auth: the URL's user and password, or none). requests
        # reads the whole environment again on every request to find proxies (a fifth of its
        # CPU for a 304); where no proxy is set, what it would find is read here, once.
        self.session.trust_env = _proxies_in_environment()
        if not self.session.trust_env:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            self.session.verify = bundle or True
        # A pool per host, as many as run at once; a pool holds at most per_host connections, which
        # matters: urllib3 fills and drains a pool's queue slot by slot, on every new host.
        adapter = Adapter(pool_connections=settings.concurrency, pool_maxsize=settings.per_host)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._budgets: dict[str, Budget] = {}
        # Set by close(): a run stopped by Ctrl-C ends its requests now, not when each is done.
        self._closed = threading.Event()
        self._watches: set[Watch] = set()

    def may_follow(self, origin: str, target: str) -> None:
        """Raise FetchError unless a link found at `origin` may lead to `target` (the redirect rules)."""
        self.redirects.check(origin, target)

    def close(self) -> None:
        """Close the session; a request still running, retrying or waiting for its turn ends now."""
        self.cancel()
        self.session.close()

    def _wait(self, seconds: float, url: str) -> None:
        """Sleep `seconds`, unless the client is closed meanwhile (FetchError then)."""
        if self._closed.wait(seconds) if seconds > 0 else self._closed.is_set():
            raise FetchError(f"{redact(url)}: not fetched (the run was stopped)")

    def cancel(self) -> None:
        """Stop without closing: waits end at once, requests in flight fail, new ones are refused.

        Safe to call from any thread (a signal handler's, the main thread on Ctrl-C).
        """
        self._closed.set()
        with self._hosts_lock:
            running = list(self._watches)
        for watch in running:
            watch.fire()

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

    @contextlib.contextmanager
    def _turn(self, state: _Host, url: str) -> Iterator[None]:
        """One of the host's slots for the block; a closed client's waiting requests end at once."""
        while not state.slots.acquire(timeout=0.5):
            self._wait(0, url)
        try:
            self._wait(0, url)
            yield
        finally:
            state.slots.release()

    def _pace(self, state: _Host, rate_per_minute: float | None, url: str) -> float:
        """Wait for this request's turn at a paced host; the seconds waited."""
        if not rate_per_minute:
            return 0.0
        if self.shared_pace is not None:
            shared = self.shared_pace((urlsplit(url).hostname or "").lower(), 60.0 / rate_per_minute)
            if shared is not None:
                if shared > 0:
                    self._wait(shared, url)  # a closed client (Ctrl-C) stops waiting at once
                return max(shared, 0.0)
        with state.lock:
            wait = state.next_at - time.monotonic()
            state.next_at = max(state.next_at, time.monotonic()) + 60.0 / rate_per_minute
        self._wait(wait, url)
        return max(wait, 0.0)

    @contextlib.contextmanager
    def source_deadline(self, name: str) -> Iterator[None]:
        """Requests made in this block, in this thread, share source `name`'s one `deadline`."""
        with self._hosts_lock:
            budget = self._budgets.setdefault(name, Budget(self.deadline))
        previous = getattr(current, "budget", None)
        current.budget = budget
        try:
            yield
        finally:
            current.budget = previous

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
        data: Mapping[str, str] | None = None,
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
                return self._request_once(
                    _Hop(method, url, params, send_headers, json, data), rate_per_minute, clock
                )
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
                self._wait(delay, url)
                attempt += 1

    def _request_once(self, hop: _Hop, rate_per_minute: float | None, clock: _Clock) -> Response:
        started = 0.0
        origin = hop.url
        guard: Guard | None = None  # none for the URL the user wrote: it may point anywhere
        moved_to: str | None = None
        permanent = True
        budget: Budget | None = getattr(current, "budget", None)
        for number in range(MAX_REDIRECTS + 1):
            state = self._host(hop.url)
            asked = time.monotonic()
            with self._turn(state, hop.url):
                waited = time.monotonic() - asked + self._pace(state, rate_per_minute, hop.url)
                if budget is not None:
                    budget.excuse(waited)  # waiting for a turn at the host is not the server
                if number == 0:  # the clock starts at our turn: waiting for a paced host is not the server
                    started = time.monotonic()
                    if clock.deadline is None:
                        clock.deadline = budget.deadline(started) if budget else started + self.deadline
                assert clock.deadline is not None
                status, response_headers, body, final = self._send(hop, clock.deadline, guard)
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
                self.redirects.check(final, target)
                guard = self.redirects.peer_guard(final, target)
                headers = hop.headers
                if _origin(target) != _origin(final):
                    # Credentials belong to the host they were written for (requests does the same).
                    headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
                permanent = permanent and status in (301, 308)
                if permanent:
                    moved_to = target
                method, json, data = hop.method, hop.json, hop.data
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, json, data = "GET", None, None
                hop = _Hop(method, target, None, headers, json, data)
                continue
            elapsed = time.monotonic() - started
            if status == 304 or 200 <= status < 300:
                return Response(final, status, response_headers, body, elapsed, moved_to)
            raise status_error(final, status, response_headers, body)
        raise FetchError(f"{redact(origin)}: more than {MAX_REDIRECTS} redirects (last to {redact(hop.url)})")

    def _send(
        self, hop: _Hop, deadline: float, guard: Guard | None = None
    ) -> tuple[int, CaseInsensitiveDict[str], bytes, str]:
        url = hop.url
        self._wait(0, url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._too_slow(url)
        timeout = (min(5.0, self.timeout, remaining), min(self.timeout, remaining))
        watch = Watch(deadline, guard)
        current.watch = watch
        with self._hosts_lock:
            self._watches.add(watch)
        if self._closed.is_set():
            watch.fire()
        started = time.monotonic()
        status: int | None = None
        try:
            try:
                response = self.session.request(
                    hop.method,
                    url,
                    params=hop.params,
                    headers=hop.headers,
                    json=hop.json,
                    data=hop.data,
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
                self._wait(0, url)
                # A timeout the deadline cut short is the deadline, whether the watchdog or the
                # socket's own timeout got there first (on a busy machine either may).
                cut = timeout[0] if isinstance(exc, requests.exceptions.ConnectTimeout) else timeout[1]
                by_deadline = isinstance(exc, requests.exceptions.Timeout) and cut == remaining
                if watch.fired or by_deadline or time.monotonic() >= deadline:
                    raise self._too_slow(url) from None
                raise connection_error(url, exc) from None
            status = response.status_code
            try:
                body = self._read(response, url, deadline, watch)
            finally:
                response.close()
        finally:
            watch.stop()
            current.watch = None
            with self._hosts_lock:
                self._watches.discard(watch)
            said(hop.method, url, hop.params, status, time.monotonic() - started)  # for --verbose
        return response.status_code, response.headers, body, response.url

    def _too_slow(self, url: str) -> FetchError:
        return too_slow(url, self.deadline)

    def _read(self, response: requests.Response, url: str, deadline: float, watch: Watch) -> bytes:
        return read_body(
            response,
            url,
            deadline,
            watch,
            self.max_bytes,
            lambda: self._wait(0, url),
            lambda: self._too_slow(url),
        )


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port
