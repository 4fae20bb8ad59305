"""A run that fetches faster than it parses holds only a bounded number of documents in memory:
a fetch waits for a slot, and a slot comes back when its document is parsed."""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path

import pytest

from mentionscan.fetching.scheduler import PARSE_AHEAD, run_tasks
from mentionscan.models import Entry, ParsedFeed
from mentionscan.sources.interface import TaskResult

THREADS = 2
TASKS = THREADS + PARSE_AHEAD + 30


def parse_when(flag: str, n: int) -> ParsedFeed:
    """A parse job that waits until `flag` exists: the workers are slower than the fetches."""
    while not Path(flag).exists():
        time.sleep(0.01)
    return ParsedFeed([Entry(source=f"f{n}", source_type="feed", url=f"https://e.example/{n}", title="acme")])


def settled(count: list[int], calm: float = 0.6) -> int:
    """`count[0]` once it has stopped growing for `calm` seconds."""
    seen = -1
    while seen != count[0]:
        seen = count[0]
        time.sleep(calm)
    return seen


@pytest.mark.slow
def test_fetches_wait_while_the_parse_workers_are_behind(tmp_path: Path) -> None:
    flag = tmp_path / "go"
    fetched = [0]
    counting = threading.Lock()
    outcomes: dict[int, object] = {}

    def fetch(n: int) -> TaskResult:
        with counting:
            fetched[0] += 1
        return TaskResult(parse=functools.partial(parse_when, str(flag), n))

    run = threading.Thread(
        target=run_tasks,
        args=([f"f{n}" for n in range(TASKS)], fetch, outcomes.__setitem__),
        kwargs={"workers": THREADS, "documents": TASKS},
    )
    run.start()
    try:
        # Every fetch thread's document plus PARSE_AHEAD waiting: no more are fetched meanwhile.
        assert settled(fetched) == THREADS + PARSE_AHEAD
        assert outcomes == {}
    finally:
        flag.touch()
        run.join(60)
    assert not run.is_alive()
    assert fetched[0] == TASKS
    assert sorted(outcomes) == list(range(TASKS))
    urls = {n: [e.url for e in o.entries] for n, o in outcomes.items() if isinstance(o, TaskResult)}
    assert urls == {n: [f"https://e.example/{n}"] for n in range(TASKS)}


def test_a_run_of_answers_without_documents_is_not_held_back() -> None:
    # 304s (no document) give their slot back at once: more of them than there are slots all run.
    tasks = THREADS + PARSE_AHEAD + 30
    outcomes: dict[int, object] = {}
    run_tasks(
        [f"f{n}" for n in range(tasks)],
        lambda n: TaskResult(),
        outcomes.__setitem__,
        workers=THREADS,
        documents=tasks,
    )
    assert sorted(outcomes) == list(range(tasks))
