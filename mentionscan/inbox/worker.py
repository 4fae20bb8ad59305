"""The inbox's database thread: every read and change, one at a time, in the order keys asked."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from mentionscan.errors import MentionscanError

Hand = Callable[..., Any]  # `App.call_from_thread`: run a function on the screen's thread


class Worker:
    """Runs calls off the screen's event loop; each result (or error) is handed back to the screen.

    Calls that go to the network get a thread of their own (`own_thread`), so that a slow site
    never holds up a change queued behind it.
    """

    def __init__(self, hand: Hand, failed: Callable[[MentionscanError], None], ended: Callable[[], None]):
        self._hand, self._failed, self._ended = hand, failed, ended
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.busy_since: float | None = None  # when the running call started
        self.busy_what = ""

    def start(self) -> None:
        threading.Thread(target=self._work, name="inbox-database", daemon=True).start()

    def stop(self) -> None:
        """No more calls: what is queued still runs."""
        self._jobs.put(None)

    @property
    def idle(self) -> bool:
        return self._jobs.unfinished_tasks == 0 and self.busy_since is None

    def run(self, what: str, call: Callable[[], Any], done: Callable[[Any], None], own_thread: bool) -> None:
        def job() -> None:
            self.busy_since, self.busy_what = time.monotonic(), what
            try:
                result = call()
            except MentionscanError as error:
                self._hand(self._failed, error)
            except Exception as error:  # a bug: the screen ends with its traceback, as on its own thread
                self._hand(_reraise, error)
            else:
                self._hand(done, result)
            finally:
                self.busy_since = None
                self._hand(self._ended)

        if own_thread:
            threading.Thread(target=job, name="inbox-" + what, daemon=True).start()
        else:
            self._jobs.put(job)

    def run_here(self, call: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """`run` on the screen's own thread, for a call that does not wait (its result is in)."""
        try:
            result = call()
        except MentionscanError as error:
            self._failed(error)
        else:
            done(result)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()
            self._jobs.task_done()
        self._jobs.task_done()


def _reraise(error: Exception) -> None:
    raise error
