"""What a `fetch` run reports: per source (the summary on stderr, `doctor`) and as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mentionscan.models import Mention


@dataclass(slots=True)
class SourceReport:
    """What one source did in this run, for the summary on stderr and for `doctor`."""

    name: str
    type: str
    status: str = "ok"  # ok | not modified | failed | skipped | interrupted | elsewhere (another worker)
    entries: int = 0
    matched: int = 0
    new: int = 0
    merged: int = 0  # matched entries that were another item of a stored mention (same page)
    not_a_match: int = 0
    too_old: int = 0
    churned: int = 0  # entries known only by their content: their link and id changed since
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failing_runs: int = 0
    elsewhere: int = 0  # tasks another worker had, or did in this round

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(slots=True)
class RunResult:
    new: list[Mention]
    updated: list[Mention]
    reports: list[SourceReport]
    saved: bool
    tasks: int = 0  # requests (or searches) the run was to make
    done: int = 0  # of those, how many were fetched and matched before the run ended
    notified: Any = None  # delivery.notify's NotifyResult, when the run sent its mentions on

    @property
    def failed(self) -> list[SourceReport]:
        return [r for r in self.reports if r.failed]


class FetchInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM; `result` is what it had fetched, matched and stored by then.

    Every task finished before the interruption is kept (mentions, cursors, validators, each
    finished source's health); a task still running is dropped, and asked again by the next run.
    """

    def __init__(self, result: RunResult, cause: BaseException) -> None:
        super().__init__()
        self.result = result
        self.cause = cause
