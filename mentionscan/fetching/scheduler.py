"""Running a run's tasks: fetch in threads, parse in processes when there is much to parse, and
hand each result on in the order of the tasks, as soon as it and every task before it are done.

Finished in task order, whatever order the answers come in: the same item seen by two sources is
always credited to the first, and runs are repeatable. Each task is finished as soon as every
task before it is, so matching overlaps fetching and parsing, and a feed's bytes and entries are
let go once used rather than all held to the end.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from mentionscan.errors import MentionscanError
from mentionscan.fetching.screening import Screened, Screening, ScreenJob, start_worker
from mentionscan.models import ParsedFeed
from mentionscan.sources.interface import TaskResult

PARSE_IN_PROCESSES_AFTER = 8  # documents to parse before a process pool pays for itself
# What the parse workers need, imported once in the fork server rather than in each worker.
# The first makes the fork server die with the run that started it.
PARSER_MODULES = [
    "mentionscan.fetching.parentdeath",
    "mentionscan.fetching.screening",
    "mentionscan.sources",
    "mentionscan.sources.feedparse",
    "feedparser",
    "fastfeedparser",
    "lxml.etree",
]

Outcome = TaskResult | MentionscanError
# (label of the task done, done, total); called with ("", 0, total) as the first request starts
Progress = Callable[[str, int, int], None]


def run_tasks(
    labels: Sequence[str],
    fetch: Callable[[int], Outcome],
    finish: Callable[[int, Outcome], None],
    *,
    workers: int,
    documents: int,
    progress: Progress | None = None,
    stop: Callable[[], None] | None = None,
    screening: Screening | None = None,
    names: Callable[[int], Sequence[str]] | None = None,
) -> None:
    """`fetch(i)` for each task in threads, parse what it returns, and `finish(i, outcome)` in order.

    `documents` is how many tasks return a document to parse (a feed each): above
    PARSE_IN_PROCESSES_AFTER they are parsed in a process pool, started at the first one. With
    `screening`, the pool's workers also screen each feed's entries for the queries `names(i)`
    (the outcome's `screened`, in place of its `entries`).
    When this is interrupted (Ctrl-C), `stop()` is called to end the requests in flight, queued
    tasks are dropped, and the exception goes on at once: every task finished so far was
    handed to `finish`, none after.
    """
    total = len(labels)
    done = next_index = outstanding = 0
    ready: dict[int, Outcome] = {}
    parsing: dict[int, TaskResult] = {}
    # Done futures arrive here from the fetch threads and the process pool's thread.
    arrived: queue.SimpleQueue[tuple[str, int, Future[Any]]] = queue.SimpleQueue()

    def watch(future: Future[Any], kind: str, index: int) -> None:
        nonlocal outstanding
        outstanding += 1
        future.add_done_callback(lambda f: arrived.put((kind, index, f)))

    parse_pool: Executor | None = None
    in_processes = documents > PARSE_IN_PROCESSES_AFTER
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, total)), thread_name_prefix="fetch")
    finished = False
    try:
        if progress:
            progress("", 0, total)
        for index in range(total):
            watch(pool.submit(_guarded, fetch, index), "fetch", index)
        while outstanding:
            kind, index, future = arrived.get()
            outstanding -= 1
            if kind == "parse":
                outcome = with_parsed(parsing.pop(index), future.result)
            else:
                outcome = future.result()
                if isinstance(outcome, TaskResult) and outcome.parse is not None:
                    job, outcome.parse = outcome.parse, None  # the body goes with the job
                    if in_processes:
                        # Started at the first body to parse (a run of 304s never starts it);
                        # its workers start while the other answers arrive.
                        parse_pool = parse_pool or _process_pool(screening)
                        parsing[index] = outcome
                        work: Callable[[], ParsedFeed | Screened] = job
                        if screening is not None and names is not None:
                            work = ScreenJob(job, tuple(names(index)))
                        watch(parse_pool.submit(work), "parse", index)
                        continue
                    outcome = with_parsed(outcome, job)
            ready[index] = outcome
            done += 1
            if progress:
                progress(labels[index], done, total)
            while next_index in ready:
                finish(next_index, ready.pop(next_index))
                next_index += 1
        finished = True
    finally:
        if not finished and stop is not None:
            stop()  # Ctrl-C, or a failure in `finish`: what is in flight ends now, not when it would
        # Interrupted: queued tasks are dropped and nobody waits for the running ones.
        pool.shutdown(wait=finished, cancel_futures=not finished)
        if parse_pool is not None:
            parse_pool.shutdown(wait=finished, cancel_futures=True)
    if next_index != total:
        raise MentionscanError("internal error: a task was lost (please report this)")


def _guarded(fetch: Callable[[int], Outcome], index: int) -> Outcome:
    try:
        return fetch(index)
    except MentionscanError as exc:
        return exc
    except Exception as exc:  # one broken source must never stop the others
        return internal_error(exc)


def with_parsed(result: TaskResult, parse: Callable[[], ParsedFeed | Screened]) -> Outcome:
    """`result` with the entries `parse()` gives; a parser failure fails only this task."""
    try:
        parsed = parse()
    except MentionscanError as exc:
        return exc
    except Exception as exc:  # a parser crash fails one source, never the run
        return internal_error(exc)
    if isinstance(parsed, Screened):
        result.screened.extend(parsed.seen)
    else:
        result.entries.extend(parsed.entries)
    result.warnings.extend(parsed.warnings)
    if not parsed.clean:
        result.validators = {}  # a malformed document's validators would hide its fix
    return result


def internal_error(exc: Exception) -> MentionscanError:
    return MentionscanError(f"internal error: {type(exc).__name__}: {exc} (please report this)")


def _process_pool(screening: Screening | None) -> Executor:
    import multiprocessing

    from mentionscan.fetching.parentdeath import PARENT

    context: Any = multiprocessing.get_context("spawn")
    server = "forkserver" in multiprocessing.get_all_start_methods()
    if server:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PARSER_MODULES)
    pool = ProcessPoolExecutor(
        max_workers=max(1, min(os.cpu_count() or 1, 4)),
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(), screening),
    )
    if server:  # for the fork server, started by the first submit (a spawned worker's parent is us)
        os.environ[PARENT] = str(os.getpid())
    try:
        pool.submit(_warm_up)  # starts the workers now; the first real job would start them later
    finally:
        os.environ.pop(PARENT, None)
    return pool


def _warm_up() -> None:
    """Nothing: a first job, so that a new pool's workers start before there is work for them."""
