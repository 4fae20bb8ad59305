"""Every request's deadline, whatever it is doing: one watchdog thread shuts its sockets at the deadline.

A socket timeout bounds each read, not their sum: a server that sends its status line and
headers one byte at a time would hold a request for hours before any body is read. The
connection classes here register their sockets with the request's `Watch` while it runs.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from mentionscan.fetching.addresses import Guard


class Watch:
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

    def cut(self) -> None:
        """Shut the request's sockets now (the run was cancelled)."""
        self._fire()

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


class Budget:
    """One source's `deadline`, shared by all its requests (every task, retry and redirect).

    The clock starts when the source's first request gets its turn at the host; time spent
    waiting for a turn later (the site's pacing, the per-host limit) is added back, so only the
    time the source's requests take is counted.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends: float | None = None
        self.lock = threading.Lock()

    def deadline(self, now: float) -> float:
        """When the source's time is up (its clock starts now if it has not yet)."""
        with self.lock:
            if self.ends is None:
                self.ends = now + self.seconds
            return self.ends

    def excuse(self, waited: float) -> None:
        """Do not count `waited` seconds spent waiting for a turn at the host."""
        if waited > 0:
            with self.lock:
                if self.ends is not None:
                    self.ends += waited


class Watchdog:
    """One thread that fires every request's deadline: a thread per request cost more CPU than
    the request itself (a 304 run over 500 feeds spent a sixth of its time starting timers)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.condition = threading.Condition()
        self.queue: list[tuple[float, int, Watch]] = []
        self.counter = itertools.count()
        threading.Thread(target=self._run, name="mentionscan-deadlines", daemon=True).start()

    def schedule(self, watch: Watch) -> None:
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


_watchdog_instance: Watchdog | None = None
_watchdog_lock = threading.Lock()


def _watchdog() -> Watchdog:
    global _watchdog_instance
    with _watchdog_lock:
        # A forked child has the parent's object but not its thread.
        if _watchdog_instance is None or _watchdog_instance.pid != os.getpid():
            _watchdog_instance = Watchdog()
        return _watchdog_instance


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: the blocked read sees the end.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


current = threading.local()  # the Watch of the request this thread is sending, its Budget, if any


def _watch(sock: socket.socket | None) -> None:
    watch: Watch | None = getattr(current, "watch", None)
    if watch is not None and sock is not None:
        watch.add(sock)


def _connected(host: str, sock: socket.socket) -> None:
    """A new connection of this thread's request: watch its deadline, and check its peer."""
    watch: Watch | None = getattr(current, "watch", None)
    if watch is None:
        return
    watch.add(sock)  # before TLS, so a dripped handshake is cut too
    if watch.guard is not None:
        try:
            watch.guard(host, sock.getpeername()[0])
        except BaseException:
            sock.close()  # nothing was sent on it
            raise


class _Watched:
    """Registers the connection's socket with the request's watch (plain and TLS alike)."""

    host: str
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _connected(self.host, sock)
        return sock

    def getresponse(self) -> Any:
        _watch(self.sock)  # a connection reused from the pool made no new socket
        return super().getresponse()  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):  # type: ignore[misc]
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):  # type: ignore[misc]
    pass


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


_POOLS = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


class Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections whose sockets the deadline can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager
