"""Running a run's tasks: fetch in threads, parse in processes when there is much to parse, and
hand each result on in the order of the tasks, as soon as it and every task before it are done.

Finished in task order, whatever order the answers come in: the same item seen by two sources is
always credited to the first, and runs are repeatable. Each task is finished as soon as every
task before it is, so matching overlaps fetching and parsing, and a feed's bytes and entries are
let go once used rather than all held to the end.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from mentionscan.errors import MentionscanError
from mentionscan.fetching.screening import Screened, Screening, ScreenJob, start_worker
from mentionscan.models import ParsedFeed
from mentionscan.sources.interface import TaskResult

SIGNAL_CHECK = 0.25  # seconds the run's thread waits at most before it looks for a Ctrl-C
PARSE_IN_PROCESSES_AFTER = 8  # documents to parse before a process pool pays for itself
# Documents that may wait for a parse worker beyond one per fetch thread: enough to keep the
# workers busy while the next answers are on their way, few enough to hold little memory.
PARSE_AHEAD = 64
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
Job = Callable[[], ParsedFeed | Screened]  # what a parse worker runs
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
    sure: int = 0,
) -> None:
    """`fetch(i)` for each task in threads, parse what it returns, and `finish(i, outcome)` in order.

    `documents` is how many tasks return a document to parse (a feed each): above
    PARSE_IN_PROCESSES_AFTER they are parsed in a process pool, started at the first one, or at
    once when `sure` of them are sure to bring one (no validators to answer 304 to). With
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

    parsers = _Parsers(screening)
    in_processes = documents > PARSE_IN_PROCESSES_AFTER
    threads = max(1, min(workers, total))
    # A cold run fetches faster than the workers parse: unbounded, most of its documents waited in
    # memory for a worker (378 of 500 in bench/fetch.py). A fetch takes a slot before its request
    # and gives it back once its document is parsed, or at once when it brought none.
    slots = _Slots(threads + PARSE_AHEAD) if in_processes else None
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fetch")
    try:
        with _stopped_at_once_on_error(pool, stop):
            if progress:
                progress("", 0, total)
            for index in range(total):
                watch(pool.submit(_guarded, _in_turn(fetch, slots), index), "fetch", index)
            if in_processes and sure > PARSE_IN_PROCESSES_AFTER:
                # A cold run: its workers start while the first answers are on their way, not after.
                parsers.start()
            while outstanding:
                kind, index, future = _next(arrived)
                outstanding -= 1
                if kind == "parse":
                    broken = _broken(future)
                    final, started = parsers.settle(index, broken)
                    for other, again in started:
                        watch(again, "parse", other)
                    if not final:
                        continue
                    if slots is not None:
                        slots.give()
                    result = parsing.pop(index)
                    outcome = killed_parser() if broken else with_parsed(result, future.result)
                else:
                    outcome = future.result()
                    if isinstance(outcome, TaskResult) and outcome.parse is not None:
                        job, outcome.parse = outcome.parse, None  # the body goes with the job
                        if in_processes:
                            # Started at the first body to parse (a run of 304s never starts it);
                            # its workers start while the other answers arrive.
                            parsing[index] = outcome
                            work: Callable[[], ParsedFeed | Screened] = job
                            if screening is not None and names is not None:
                                work = ScreenJob(job, tuple(names(index)))
                            watch(parsers.submit(index, work), "parse", index)
                            continue
                        outcome = with_parsed(outcome, job)
                    if slots is not None:
                        slots.give()
                ready[index] = outcome
                done += 1
                if progress:
                    progress(labels[index], done, total)
                while next_index in ready:
                    finish(next_index, ready.pop(next_index))
                    next_index += 1
    except BaseException:
        if slots is not None:
            slots.close()  # a fetch still waiting for a slot ends (the run failed or was stopped)
        # Not waited for: a Ctrl-C or SIGTERM can land while the pool starts its workers, and a
        # worker it started then never gets the word to end, so a shutdown would wait for ever.
        parsers.retire()
        raise
    parsers.shutdown()
    if next_index != total:
        raise MentionscanError("internal error: a task was lost (please report this)")


def killed_parser() -> MentionscanError:
    return MentionscanError(
        "the process parsing it was killed (out of memory?); it is fetched and parsed again next run"
    )


class _Parsers:
    """The run's parse pools: the main one, started at the first document, and a one-worker pool
    for the documents that were in a pool when it broke.

    One worker killed (by the OOM killer, say) breaks its whole pool: every job in it fails, and so
    does every later submit. The main pool is replaced, and each job it held is parsed again, one
    at a time, in the one-worker pool: a document that kills its worker there is the one, and it
    fails its source alone; the run goes on.
    """

    def __init__(self, screening: Screening | None) -> None:
        self.screening = screening
        self.pool: Executor | None = None
        self.careful: Executor | None = None
        self.jobs: dict[int, Job] = {}
        self.suspects: collections.deque[int] = collections.deque()
        self.checking: int | None = None  # the suspect in the one-worker pool now
        self.held_by: dict[int, Executor | None] = {}  # the main pool each job was given to

    def start(self) -> None:
        """Start the main pool's workers now (else the first submit starts them)."""
        if self.pool is None:
            with contextlib.suppress(Exception):  # no pool now: the first submit tries again
                self.pool = _process_pool(self.screening)

    def submit(self, index: int, job: Job) -> Future[Any]:
        self.jobs[index] = job
        self.pool, future = _submit(self.pool, job, self.screening)
        self.held_by[index] = self.pool
        return future

    def settle(self, index: int, broken: bool) -> tuple[bool, list[tuple[int, Future[Any]]]]:
        """After job `index` ended (in a `broken` pool or not): whether that is its outcome, and
        the jobs started now (the next suspect)."""
        final = not broken or index == self.checking
        if index == self.checking:
            self.checking = None
            if broken and self.careful is not None:
                _retire(self.careful)
                self.careful = None
        elif broken and self.pool is not None and self.held_by.get(index) is self.pool:
            _retire(self.pool)  # not a newer pool: the others that broke with this job's come later
            self.pool = None
        if final:
            self.jobs.pop(index, None)
        else:
            self.suspects.append(index)
        started = []
        if self.checking is None and self.suspects:
            self.checking = self.suspects.popleft()
            self.careful, future = _submit(self.careful, self.jobs[self.checking], self.screening, 1)
            started.append((self.checking, future))
        return final, started

    def shutdown(self) -> None:
        for pool in (self.pool, self.careful):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def retire(self) -> None:
        """End both pools now, their workers killed: what they were parsing is dropped."""
        for pool in (self.pool, self.careful):
            if pool is not None:
                _retire(pool)
        self.pool = self.careful = None


class _Slots:
    """A bound on the fetches whose document is not yet parsed; closed when the run ends."""

    def __init__(self, count: int) -> None:
        self._free = threading.Semaphore(count)
        self._closed = threading.Event()

    def take(self) -> None:
        while not self._free.acquire(timeout=SIGNAL_CHECK):
            if self._closed.is_set():
                raise MentionscanError("not fetched: the run ended first")

    def give(self) -> None:
        self._free.release()

    def close(self) -> None:
        self._closed.set()


def _in_turn(fetch: Callable[[int], Outcome], slots: _Slots | None) -> Callable[[int], Outcome]:
    if slots is None:
        return fetch

    def in_turn(index: int) -> Outcome:
        slots.take()
        return fetch(index)

    return in_turn


def _next(arrived: queue.SimpleQueue[Any]) -> Any:
    """The next item, waiting in short steps: a Ctrl-C that the kernel hands to another thread
    only sets Python's flag, and a wait without a timeout would not wake to see it."""
    while True:
        with contextlib.suppress(queue.Empty):
            return arrived.get(timeout=SIGNAL_CHECK)


def _submit(
    pool: Executor | None, job: Job, screening: Screening | None, workers: int = 0
) -> tuple[Executor | None, Future[Any]]:
    """`job` submitted to `pool` (started when None, replaced when broken): the pool and the future.

    A pool broken since the last submit, or breaking as it starts a worker, raises what it met
    (BrokenProcessPool, OSError, EOFError). With no pool to be had, the job is parsed here, as a
    small run's documents are.
    """
    for _ in range(2):
        try:
            pool = pool or _process_pool(screening, workers)
            return pool, pool.submit(job)
        except Exception:
            if pool is not None:
                _retire(pool)
            pool = None
    done: Future[Any] = Future()
    try:  # unscreened: only a worker screens (with_parsed takes either)
        done.set_result(job.job() if isinstance(job, ScreenJob) else job())
    except Exception as exc:  # what the job raised is its outcome
        done.set_exception(exc)
    return None, done


def _broken(future: Future[Any]) -> bool:
    """Whether a parse ended with its pool broken (a worker killed), not with its own outcome.

    Only a process pool breaks so, and its module is loaded once one is made: a run that never
    made one (a run of 304s, a few documents parsed here) never pays for importing it and
    multiprocessing (20-30 ms).
    """
    process = sys.modules.get("concurrent.futures.process")
    return future.cancelled() or (
        process is not None and isinstance(future.exception(), process.BrokenProcessPool)
    )


def _retire(pool: Executor) -> None:
    """Let a pool go at once (broken, or the run stopped), and end every worker it still has.

    CPython's cleanup of a broken pool waits for each of its workers after asking them to end,
    and misses one started at that moment: it would wait for that worker for ever, and the run
    could never exit. So they are killed here too.
    """
    workers = dict(getattr(pool, "_processes", None) or {})  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers.values():
        with contextlib.suppress(Exception):
            process.kill()


@contextlib.contextmanager
def _stopped_at_once_on_error(pool: ThreadPoolExecutor, stop: Callable[[], None] | None) -> Iterator[None]:
    """Wait for every fetch when the run ends well; cancel those not started when it fails (Ctrl-C):
    a stopped run must not go on fetching every source first. Those running end with `stop()`
    (the client's cancel), at once."""
    try:
        yield
    except BaseException:
        if stop is not None:
            stop()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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


def _process_pool(screening: Screening | None, workers: int = 0) -> Executor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from mentionscan.fetching.parentdeath import PARENT

    context: Any = multiprocessing.get_context("spawn")
    server = "forkserver" in multiprocessing.get_all_start_methods()
    if server:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PARSER_MODULES)
    pool = ProcessPoolExecutor(
        max_workers=workers or max(1, min(os.cpu_count() or 1, 4)),
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
