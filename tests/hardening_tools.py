"""Helpers for the hardening tests: a raw TCP server for misbehaving peers, feeds, subprocess runs."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

Handler = Callable[[socket.socket, str], None]


class RawServer:
    """A TCP server on 127.0.0.1 that hands each request's socket and path to `handler`.

    For what a well-behaved HTTP server library cannot do: drip bytes, reset connections,
    send a body that is not what its headers say. `paths` records every request it read.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self.host, self.port = self._sock.getsockname()[:2]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def count(self, path: str) -> int:
        with self._lock:
            return self.paths.count(path)

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            path = head.split(b" ", 2)[1].decode("latin-1")
            with self._lock:
                self.paths.append(path)
            self.handler(conn, path)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._closed.set()
        self._sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def http_head(status: str = "200 OK", headers: Mapping[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reset(conn: socket.socket) -> None:
    """Close with a TCP reset instead of an orderly end."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def gzip_bomb(decoded_mib: int) -> bytes:
    """`decoded_mib` MiB of zeros as a gzip body of a few hundred KiB (one member per MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = compressor.compress(b"\0" * (1 << 20)) + compressor.flush()
    return member * decoded_mib


def brotli_bomb(decoded_mib: int) -> bytes:
    """`decoded_mib` MiB of zeros as a brotli body (quality 0: made in a moment, about 0.6 KiB per MiB)."""
    import brotli

    compressor = brotli.Compressor(quality=0)
    zeros = b"\0" * (1 << 20)
    return b"".join(compressor.process(zeros) for _ in range(decoded_mib)) + compressor.finish()


def rss(items: Iterable[Mapping[str, str]], title: str = "A feed", extra: str = "") -> bytes:
    """An RSS 2.0 document; each item's keys are element names, values are already-escaped XML."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}</title>']
    parts.append("<link>https://blog.example/</link><description>d</description>" + extra)
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `mentionscan` subprocess: isolated home, no proxies, no traceback."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("MENTIONSCAN_", "FORCE_COLOR", "NO_COLOR"))
    }
    env.update(
        MENTIONSCAN_HOME=str(home),
        HOME=str(home),
        NO_PROXY="127.0.0.1",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


# Runs the command given as its arguments and prints the child's peak RSS (KiB): measured from
# a small fresh process, since a child forked by a big one (pytest late in a run) starts with its
# parent's pages counted.
_PEAK = (
    "import resource, subprocess, sys; status = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status, file=sys.stderr)"
)


def peak_rss(command: list[str], env: Mapping[str, str], cwd: Path) -> tuple[int, str, int]:
    """Run `command`: its exit status, its stderr and its peak resident memory in KiB."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
        check=False,
    )
    *lines, last = done.stderr.decode().rstrip("\n").split("\n")
    peak, status = map(int, last.split())
    return status, "\n".join(lines) + "\n", peak


def mentionscan_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mentionscan", *args]


def run_mentionscan(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 60, **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """`mentionscan ARGS` in a subprocess; stdout and stderr as bytes, so every escape byte shows."""
    return subprocess.run(
        mentionscan_command(*args),
        env=cli_env(home, **(env or {})),
        capture_output=True,
        timeout=timeout,
        cwd=home,
        check=False,
        **kwargs,
    )
