"""The inbox's first page, read on another core while this process imports Textual.

Reading 10,000 stored mentions for the newest 200 takes a quarter of a second of CPU, and so
does importing Textual; on one interpreter they take turns (the GIL), so a thread only hides
one behind the other. A forked copy of the process reads the page on a core of its own and sends
the mentions back through a pipe: the screen is ready when they are.

Forking is safe only in a process with one thread (another's locks would stay held in the
copy), and on Linux, where nothing already loaded minds being forked; elsewhere, and whenever
the copy sends no page (an error, a kill), the page is read on a thread here, as it would be,
and an error is raised here, as it would be.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def read_ahead(read: Callable[[], T]) -> Future[T]:
    """`read()` started now, in a forked copy of this process where that is safe, else on a thread."""
    ahead: Future[T] = Future()
    receive = _forked(read) if sys.platform == "linux" and threading.active_count() == 1 else read
    settle = threading.Thread(target=_settle, args=(ahead, receive, read), name="inbox-first-page")
    settle.daemon = True
    settle.start()
    return ahead


def _settle(ahead: Future[T], receive: Callable[[], T], read: Callable[[], T]) -> None:
    try:
        try:
            ahead.set_result(receive())
        except _NoPage:
            ahead.set_result(read())
    except BaseException as error:  # handed on as it is: whoever asks for the page raises it
        ahead.set_exception(error)


class _NoPage(Exception):
    """The forked copy sent nothing: read here."""


def _forked(read: Callable[[], T]) -> Callable[[], T]:
    """What receives `read()` from a forked copy of this process (raises _NoPage if it sent none)."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: read, send, and end without running anything of the parent's
        status = 1
        try:
            os.close(readable)
            data = pickle.dumps(read(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writable, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)

    def receive() -> T:
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            raise _NoPage
        try:
            result: T = pickle.loads(data)  # noqa: S301 - our own copy wrote it, through a pipe
        except Exception as error:
            raise _NoPage from error
        return result

    return receive
