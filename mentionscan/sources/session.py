"""A login a run makes once, for the sites that answer logged-in clients only (Bluesky, Reddit's API)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from mentionscan.errors import FetchError

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient


class Session:
    """A site's bearer token: asked on first use, once per run whatever the threads.

    `log_in` asks the site for a token; `refused` says what a failed login means. A failed
    login is kept: every later request of the run fails with it instead of logging in again.
    """

    def __init__(
        self, log_in: Callable[[HttpClient], str], refused: Callable[[FetchError], FetchError]
    ) -> None:
        self._log_in, self._refused = log_in, refused
        self._lock = threading.Lock()
        self._token: str | None = None
        self._error: FetchError | None = None

    def token(self, client: HttpClient) -> str:
        with self._lock:
            if self._token is not None:
                return self._token
            if self._error is not None:
                raise self._error
            try:
                self._token = self._log_in(client)
            except FetchError as exc:
                self._error = self._refused(exc)
                raise self._error from None
            return self._token
