"""Reading a response's body: streamed, decompressed only as asked, within a size and a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
from urllib3.exceptions import DecodeError, ReadTimeoutError

from mentionscan.errors import FetchError
from mentionscan.fetching.deadline import Watch
from mentionscan.urls import redact

CHUNK = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"
# What a body may be encoded as: what we ask for. urllib3 would decode any encoding it has a
# library for (brotli, zstandard), and not every one of them keeps to the size cap.
DECODED = frozenset({"gzip", "x-gzip", "deflate", "identity"})


def too_slow(url: str, seconds: float) -> FetchError:
    return FetchError(f"{redact(url)}: gave up after {seconds:g} s (the server is too slow)")


def read_body(
    response: requests.Response,
    url: str,
    deadline: float,
    watch: Watch,
    max_bytes: int,
    stopped: Callable[[], None],
    slow: Callable[[], FetchError],
) -> bytes:
    """The body of `response`, decompressed, within `deadline` and `max_bytes`; `stopped()`
    raises when the client was cancelled meanwhile, `slow()` is the error past the deadline."""
    # read1 returns whatever one socket read gave, so a server that drips a byte at a
    # time is checked against the deadline at every byte, not after a full buffer. The
    # decompressed size is counted, and urllib3 decompresses at most CHUNK bytes at a time.
    raw = response.raw
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    if unasked := [c for c in codings if c and c not in DECODED]:
        raise FetchError(
            f"{redact(url)}: the body is encoded as {', '.join(unasked)}, which mentionscan "
            f"never asks for (it accepts {ACCEPT_ENCODING})"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise slow()
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:  # urllib3 2 returns b"" only at the end of the body
                break
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(
                    f"{redact(url)}: response too large "
                    f"(more than {max_bytes / (1024 * 1024):g} MiB after decompression)"
                )
            chunks.append(chunk)
    except FetchError:
        raise
    except DecodeError:
        raise FetchError(f"{redact(url)}: the response is not valid gzip or deflate data") from None
    except Exception as exc:  # urllib3 and socket errors while streaming the body
        stopped()
        if watch.fired or time.monotonic() > deadline:
            raise slow() from None
        if isinstance(exc, ReadTimeoutError | TimeoutError):
            reason = "the server stopped answering (read timed out)"
        else:
            reason = f"connection broken while reading ({type(exc).__name__})"
        error = FetchError(f"{redact(url)}: {reason}")
        error.transient = True  # type: ignore[attr-defined]
        raise error from None
    if watch.fired:
        stopped()
        raise slow()
    return b"".join(chunks)
