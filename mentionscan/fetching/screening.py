"""Screening in the parse workers: a feed's entries come back cleaned and matched, not raw.

Once parsing is cheap (fastfeedparser), what is left of a cold run's CPU is per entry: cleaning,
matching, and carrying 50 entries of a feed from the worker to the run. A worker builds the
run's `Intake` once, when it starts, and screens each feed it parses, so the run receives what
`Intake.screen` says of each entry — a reason (a short string) for most, a `Candidate` for the
few that match — and does only what needs the store: dedup and saving.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mentionscan.fetching.intake import Candidate, Intake
from mentionscan.fetching.parentdeath import die_with_parent
from mentionscan.matching.matcher import Matcher
from mentionscan.matching.query import Node
from mentionscan.sources.interface import ParseJob

_intake: Intake | None = None  # this worker's, made by `start_worker`


@dataclass(frozen=True, slots=True)
class Screening:
    """What a worker needs to build the run's `Intake` (the matcher is rebuilt, not sent)."""

    queries: tuple[tuple[str, Node], ...]
    order: tuple[str, ...]
    now: datetime
    max_age_days: int


@dataclass(slots=True)
class Screened:
    """A parsed feed, screened: each entry's candidate or the reason it is none, in order."""

    seen: list[Candidate | str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    clean: bool = True


def start_worker(run: int, screening: Screening | None) -> None:
    """A parse worker's initializer: die with the run, and build its intake (if it screens)."""
    global _intake
    # Ctrl-C reaches every process of the terminal's group: the run decides what stops, and a
    # worker should not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(run)
    if screening is None:
        return
    matcher = Matcher(list(screening.queries))
    _intake = Intake(matcher, screening.order, screening.now, screening.max_age_days)


@dataclass(frozen=True, slots=True)
class ScreenJob:
    """`job` parsed and its entries screened for `names`, in a worker `start_worker` started."""

    job: ParseJob
    names: Sequence[str]

    def __call__(self) -> Screened:
        parsed = self.job()
        if _intake is None:  # only a worker started by start_worker runs this
            raise RuntimeError("a screen job outside a screening worker")
        seen = [_intake.screen(entry, self.names) for entry in parsed.entries]
        return Screened(seen, parsed.warnings, parsed.clean)
