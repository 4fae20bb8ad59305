"""The exceptions mentionscan raises, each carrying a one-line message meant for the user."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from enum import IntEnum

from mentionscan.masking import mask


class ExitCode(IntEnum):
    """Process exit statuses; the README documents each one."""

    OK = 0
    ERROR = 1  # a run could not complete: unreadable database, disk full, SMTP refused
    USAGE = 2  # bad command line or bad config
    SOURCES_FAILED = 3  # the run finished, but one or more sources failed
    LOCKED = 4  # another mentionscan run holds the database
    CONFLICT = 5  # someone else changed the same mention at the same time: nothing was changed
    INTERRUPTED = 130  # Ctrl-C (SIGINT), as a shell reports it: 128 + 2
    TERMINATED = 143  # SIGTERM (kill, systemd, a cron timeout): 128 + 15


class MentionscanError(Exception):
    """Base class: `str(error)` is the whole line shown after `Error: `, secrets masked."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(mask(message) if isinstance(message, str) else message, *args)


class ConfigError(MentionscanError):
    """The config file (or a value given on the command line) is wrong."""

    exit_code = ExitCode.USAGE


class QuerySyntaxError(ConfigError):
    """A query expression cannot be parsed; the message quotes it and points at the spot."""

    def __init__(self, message: str, query: str = "", position: int = 0) -> None:
        self.query = query
        self.position = position
        if query:
            message = f"{message} at position {position + 1} in {query!r}"
        super().__init__(message)


class StoreError(MentionscanError):
    """The database cannot be read or written; nothing stored was changed."""


class StoreLocked(StoreError):
    """Another run holds the database lock."""

    exit_code = ExitCode.LOCKED


class Conflict(StoreError):
    """Someone else changed the same mention meanwhile (a shared database); nothing was saved."""

    exit_code = ExitCode.CONFLICT


class NotFound(MentionscanError):
    """No stored mention answers to an id or prefix (or more than one does)."""

    exit_code = ExitCode.USAGE


class FetchError(MentionscanError):
    """One request failed; the message names the URL (credentials redacted) and the reason.

    For an HTTP error status, `headers` and `body` hold the response (body capped), so that a
    source can read the site's own explanation (a JSON error, rate-limit headers).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.headers: Mapping[str, str] = headers or {}
        self.body = body


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it stops a command as Ctrl-C does."""


def interrupt_code(exc: BaseException) -> ExitCode:
    """The exit status for an interruption: 143 after SIGTERM, 130 after Ctrl-C."""
    cause = getattr(exc, "cause", exc)
    return ExitCode.TERMINATED if isinstance(cause, Terminated) else ExitCode.INTERRUPTED


class SendError(MentionscanError):
    """An email could not be delivered."""


class MessageTooLarge(SendError):
    """The mail server refused the message for its size (552, or larger than the SIZE it announced)."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit  # the largest message the server accepts, when it said


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the choice nearest `word`, or "" when none is near."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def reason(error: OSError) -> str:
    """What went wrong with a file, in the system's words: "No space left on device"."""
    return os.strerror(error.errno) if error.errno else str(error)
