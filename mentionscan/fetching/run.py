"""One `fetch` run: ask every source, keep what a query matches, store what is new.

config -> sources (HttpClient, threads) -> parse (processes when there is much to parse)
       -> match -> dedup against the store -> one atomic save -> RunResult
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from mentionscan.config.model import Config, SourceSpec
from mentionscan.dedup import entry_keys, mention_id
from mentionscan.errors import ConfigError, MentionscanError
from mentionscan.matching.matcher import Document, Hit, Matcher
from mentionscan.models import Entry, Event, Mention, ParsedFeed
from mentionscan.sources import SOURCE_TYPES, Source
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.store import Store, open_store
from mentionscan.store.filter import newest_first
from mentionscan.text import clean, snippet
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.urls import redact, safe_link

FAILING_AFTER = 3  # failed runs in a row before a source is flagged as broken
PARSE_IN_PROCESSES_AFTER = 8  # documents to parse before a process pool pays for itself
MAX_KEYS = 8  # keys one mention keeps (a feed that changes GUIDs each fetch must not grow it forever)

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class SourceReport:
    """What one source did in this run, for the summary on stderr and for `doctor`."""

    name: str
    type: str
    status: str = "ok"  # ok | not modified | failed | skipped
    entries: int = 0
    matched: int = 0
    new: int = 0
    not_a_match: int = 0
    too_old: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failing_runs: int = 0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(slots=True)
class RunResult:
    new: list[Mention]
    updated: list[Mention]
    reports: list[SourceReport]
    saved: bool

    @property
    def failed(self) -> list[SourceReport]:
        return [r for r in self.reports if r.failed]


def build_sources(config: Config, names: Iterable[str] | None = None) -> list[Source]:
    """The enabled sources (or those named), with their credentials checked before any request."""
    wanted = set(names) if names else None
    specs: list[SourceSpec] = [s for s in config.sources if (s.name in wanted if wanted else s.enabled)]
    if wanted:
        for name in wanted - {s.name for s in specs}:
            config.source(name)  # raises, with a suggestion
    sources = [SOURCE_TYPES[spec.type](spec, config.settings) for spec in specs]
    for source in sources:
        source.prepare()
    return sources


def query_plans(config: Config) -> list[QueryPlan]:
    return [QueryPlan(q.name, q.match, q.node) for q in config.queries]


def queries_for(config: Config, source: str) -> list[str]:
    return [q.name for q in config.queries if q.sources is None or source in q.sources]


def run_fetch(
    config: Config,
    database: str,
    *,
    dry_run: bool = False,
    client: Any = None,
    progress: Progress | None = None,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Fetch every source, match every query, store and return what is new."""
    if not config.queries:
        raise ConfigError(f"{config.path}: no [[queries]]: add one to say what to look for")
    sources = build_sources(config, only)
    if not sources:
        raise ConfigError(f"{config.path}: no enabled [[sources]]: add one to say where to look")
    matcher = Matcher([(q.name, q.node) for q in config.queries])
    plans = {p.name: p for p in query_plans(config)}
    now = now or utcnow()
    own_client = client is None
    if client is None:
        from mentionscan.fetching.http import HttpClient

        client = HttpClient(config.settings)
    try:
        with open_store(database, write=not dry_run, lock_timeout=config.settings.lock_timeout) as store:
            run = _Run(config, store, matcher, plans, now)
            run.execute(sources, client, progress)
            if not dry_run:
                store.save()
            return RunResult(
                newest_first(run.new), list(run.updated.values()), run.reports, saved=not dry_run
            )
    finally:
        if own_client:
            client.close()


class _Run:
    def __init__(
        self, config: Config, store: Store, matcher: Matcher, plans: Mapping[str, QueryPlan], now: datetime
    ) -> None:
        self.config = config
        self.store = store
        self.matcher = matcher
        self.plans = plans
        self.now = now
        days = config.settings.max_age_days
        self.oldest = now - timedelta(days=days) if days else None
        self.new: list[Mention] = []
        self.updated: dict[str, Mention] = {}
        self.reports: list[SourceReport] = []

    def execute(self, sources: list[Source], client: Any, progress: Progress | None) -> None:
        work: list[tuple[Source, Task, SourceReport]] = []
        for source in sources:
            report = SourceReport(source.name, source.type)
            self.reports.append(report)
            health = self.store.state(f"source:{source.name}")
            report.failing_runs = int(health.get("failures", 0))
            if skip := self._skip_reason(health):
                report.status = "skipped"
                report.warnings.append(skip)
                continue
            names = queries_for(self.config, source.name)
            tasks = source.tasks([self.plans[n] for n in names])
            work.extend((source, task, report) for task in tasks)
        # Finished in config order, whatever order the answers came in: the same item seen by two
        # sources is always credited to the first, and runs are repeatable. Each task is finished
        # as soon as every task before it is, so matching overlaps fetching and parsing, and a
        # feed's bytes and entries are let go once used rather than all held to the end.
        self._gather(work, client, progress, lambda index, outcome: self._finish(*work[index], outcome))
        for report in self.reports:
            self._record_health(report)

    def _gather(
        self,
        work: list[tuple[Source, Task, SourceReport]],
        client: Any,
        progress: Progress | None,
        finish: Callable[[int, TaskResult | MentionscanError], None],
    ) -> None:
        """Fetch every task in threads, parse inline or in processes, and `finish(index, outcome)`
        each one in `work` order, as soon as it and every task before it are done."""
        total = len(work)
        done = 0
        next_index = 0
        ready: dict[int, TaskResult | MentionscanError] = {}
        parsing: dict[int, TaskResult] = {}
        # Done futures arrive here from the fetch threads and the process pool's thread.
        arrived: queue.SimpleQueue[tuple[str, int, Future[Any]]] = queue.SimpleQueue()
        outstanding = 0

        def watch(future: Future[Any], kind: str, index: int) -> None:
            nonlocal outstanding
            outstanding += 1
            future.add_done_callback(lambda f: arrived.put((kind, index, f)))

        parse_pool: Executor | None = None
        parse_in_processes = sum(1 for s, _, _ in work if not s.per_query) > PARSE_IN_PROCESSES_AFTER
        workers = min(self.config.settings.concurrency, max(1, total))
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
                for index, (source, task, _report) in enumerate(work):
                    # States are read here, in one thread: the store is not shared with the workers.
                    state = self.store.state(f"task:{task.state_key}")
                    watch(pool.submit(self._fetch_one, source, task, client, state), "fetch", index)
                while outstanding:
                    kind, index, future = arrived.get()
                    outstanding -= 1
                    if kind == "parse":
                        outcome = _parsed(parsing.pop(index), future.result)
                    else:
                        outcome = future.result()
                        if isinstance(outcome, TaskResult) and outcome.parse is not None:
                            job, outcome.parse = outcome.parse, None  # the body goes with the job
                            if parse_in_processes:
                                # Started at the first body to parse (a run of 304s never starts
                                # it); its workers start while the other answers arrive.
                                parse_pool = parse_pool or _process_pool()
                                parsing[index] = outcome
                                watch(parse_pool.submit(job), "parse", index)
                                continue
                            outcome = _parsed(outcome, job)
                    ready[index] = outcome
                    done += 1
                    if progress:
                        progress(work[index][1].label, done, total)
                    while next_index in ready:
                        finish(next_index, ready.pop(next_index))
                        next_index += 1
        finally:
            if parse_pool is not None:
                parse_pool.shutdown(wait=True, cancel_futures=True)
        if next_index != total:
            raise MentionscanError("internal error: a task was lost (please report this)")

    def _skip_reason(self, health: Mapping[str, Any]) -> str | None:
        if health.get("gone"):
            return "gone (HTTP 410): remove it from the config, or delete and re-add it to try again"
        not_before = health.get("not_before")
        if not_before and not_before > to_iso(self.now):
            return f"rate limited by the site: skipped until {not_before}"
        return None

    def _fetch_one(
        self, source: Source, task: Task, client: Any, state: Mapping[str, Any]
    ) -> TaskResult | MentionscanError:
        query = self.plans.get(task.query) if task.query else None
        try:
            return source.run(task, query, client, TaskState.from_dict(state))
        except MentionscanError as exc:
            return exc
        except Exception as exc:  # one broken source must never stop the others
            return _internal(exc)

    def _finish(
        self, source: Source, task: Task, report: SourceReport, outcome: TaskResult | MentionscanError
    ) -> None:
        if isinstance(outcome, MentionscanError):
            report.status = "failed"
            report.errors.append(str(outcome))
            report.requests += 1
            status = getattr(outcome, "status", None)
            retry_after = getattr(outcome, "retry_after", None)
            health = self.store.state(f"source:{source.name}")
            if retry_after:
                health["not_before"] = to_iso(self.now + timedelta(seconds=retry_after))
            if status == 410:
                health["gone"] = True
            self.store.set_state(f"source:{source.name}", health)
            return
        report.requests += outcome.requests
        report.warnings.extend(outcome.warnings)
        state = self.store.read_state(TaskState, task.state_key)
        if outcome.moved_to and state.moved_to != outcome.moved_to:
            report.warnings.append(
                f"moved permanently to {redact(outcome.moved_to)}: update the source's URL in the config"
            )
        self.store.write_state(state.after(outcome), task.state_key)
        if outcome.not_modified and report.status == "ok" and not outcome.entries:
            report.status = "not modified"
        names = queries_for(self.config, source.name)
        for entry in outcome.entries:
            self._consider(entry, names, report)

    def _record_health(self, report: SourceReport) -> None:
        if report.status == "skipped":
            return
        name = f"source:{report.name}"
        health = self.store.state(name)
        if report.failed:
            health["failures"] = int(health.get("failures", 0)) + 1
            health["last_error"] = report.errors[-1]
            health["last_error_at"] = to_iso(self.now)
            if health["failures"] >= FAILING_AFTER:
                report.warnings.append(f"has failed {health['failures']} runs in a row")
        else:
            health.update(failures=0, last_ok=to_iso(self.now))
            health.pop("not_before", None)
        report.failing_runs = int(health.get("failures", 0))
        self.store.set_state(name, health)

    def _consider(self, entry: Entry, names: list[str], report: SourceReport) -> None:
        report.entries += 1
        entry = clean_entry(entry)
        published = entry.published
        if published is not None and published > self.now:
            published = self.now  # a date in the future sorts as "now"
        if self.oldest is not None and published is not None and published < self.oldest:
            report.too_old += 1
            return
        document = Document(
            title=entry.title, text=entry.text, tags=entry.tags, url=entry.url, author=entry.author or ""
        )
        hits = self.matcher.match(document, names)
        if not hits:
            report.not_a_match += 1
            return
        report.matched += 1
        keys = entry_keys(entry)
        query_names = tuple(hit.query for hit in hits)
        existing = self.store.find_by_keys(keys)
        if existing is not None:
            self._merge(existing, keys, query_names)
            return
        mention = self._new_mention(entry, published, keys, query_names, hits)
        self.store.put(mention)
        self.new.append(mention)
        report.new += 1

    def _merge(self, existing: Mention, keys: list[str], query_names: tuple[str, ...]) -> None:
        added = tuple(q for q in query_names if q not in existing.queries)
        new_keys = tuple(k for k in keys if k not in existing.keys)[: max(0, MAX_KEYS - len(existing.keys))]
        if not added and not new_keys:
            return
        order = {q.name: i for i, q in enumerate(self.config.queries)}
        queries = tuple(sorted(existing.queries + added, key=lambda q: order.get(q, len(order))))
        merged = replace(existing, queries=queries, keys=existing.keys + new_keys)
        if added:
            merged = merged.with_event("matched", "also matched " + ", ".join(added), at=self.now)
        self.store.put(merged)
        if any(m.id == merged.id for m in self.new):
            self.new = [merged if m.id == merged.id else m for m in self.new]
        elif added:
            self.updated[merged.id] = merged

    def _new_mention(
        self,
        entry: Entry,
        published: datetime | None,
        keys: list[str],
        query_names: tuple[str, ...],
        hits: list[Hit],
    ) -> Mention:
        mention_key = keys[0]
        new_id = mention_id(mention_key)
        salt = 0
        while self.store.get(new_id) is not None:  # a hash prefix collision: rare, but never merge two items
            salt += 1
            new_id = mention_id(f"{mention_key}#{salt}")
        start, end = _first_text_span(hits)
        return Mention(
            id=new_id,
            url=entry.url,
            title=entry.title or snippet(entry.text, 0, 0, 80),
            snippet=snippet(entry.text or entry.title, start, end),
            author=entry.author,
            author_url=entry.author_url,
            author_email=entry.author_email,
            published=published,
            found_at=self.now,
            source=entry.source,
            source_type=entry.source_type,
            queries=query_names,
            status="new",
            keys=tuple(keys),
            text=entry.text,
            tags=entry.tags,
            timeline=(Event(self.now, "found", f"found by {entry.source} for {', '.join(query_names)}"),),
        )


def clean_entry(entry: Entry) -> Entry:
    """`entry` with control characters removed from every text and only http(s) links.

    The parsers already do this; doing it again here, once, makes it hold for every source.
    """
    return replace(
        entry,
        url=safe_link(entry.url),
        title=clean(entry.title),
        text=clean(entry.text),
        author=clean(entry.author) or None,
        author_url=safe_link(entry.author_url) or None,
        author_email=clean(entry.author_email) or None,
        tags=tuple(t for t in (clean(tag) for tag in entry.tags) if t),
        native_id=clean(entry.native_id) or None,
    )


def _first_text_span(hits: list[Hit]) -> tuple[int, int]:
    spans = [s for hit in hits for s in hit.spans if s.field == "text"]
    if not spans:
        return 0, 0
    first = min(spans, key=lambda s: s.start)
    return first.start, first.end


def _parsed(result: TaskResult, parse: Callable[[], ParsedFeed]) -> TaskResult | MentionscanError:
    """`result` with the entries `parse()` gives; a parser failure fails only this task."""
    try:
        parsed = parse()
    except MentionscanError as exc:
        return exc
    except Exception as exc:  # a parser crash fails one source, never the run
        return _internal(exc)
    result.entries.extend(parsed.entries)
    result.warnings.extend(parsed.warnings)
    if not parsed.clean:
        result.validators = {}
    return result


def _internal(exc: Exception) -> MentionscanError:
    return MentionscanError(f"internal error: {type(exc).__name__}: {exc} (please report this)")


# What the parse workers need, imported once in the fork server rather than in each worker.
PARSER_MODULES = ["mentionscan.sources", "mentionscan.sources.feedparse", "feedparser"]


def _process_pool() -> Executor:
    import multiprocessing

    context: Any = multiprocessing.get_context("spawn")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PARSER_MODULES)
    pool = ProcessPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 4)), mp_context=context)
    pool.submit(_warm_up)  # starts the workers now; the first real job would start them later
    return pool


def _warm_up() -> None:
    """Nothing: a first job, so that a new pool's workers start before there is work for them."""
