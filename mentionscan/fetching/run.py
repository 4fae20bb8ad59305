"""One `fetch` run: ask every source, keep what a query matches, store what is new.

config -> sources' tasks -> scheduler (threads to fetch, processes to parse, results in order)
       -> intake (match, decide) -> store (dedup, one save) -> RunResult
Source health and task state are read once at the start and written with the mentions.

On a database that other workers write at the same time (PostgreSQL: `Store.team`), each task is
claimed before it is fetched (a task another worker has is left to it), paced hosts are paced
for all workers at once, and the run saves as it goes: each save carries the mentions, cursors
and done tasks of the tasks finished since the last, in one transaction.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from mentionscan.config.model import Config, SourceSpec
from mentionscan.dedup import about_key, is_content_key, mention_id
from mentionscan.errors import ConfigError, MentionscanError
from mentionscan.fetching.health import SourceHealth
from mentionscan.fetching.intake import TOO_OLD, Candidate, Intake, fresh_id
from mentionscan.fetching.report import FetchInterrupted, RunResult, SourceReport
from mentionscan.fetching.scheduler import Outcome, Progress, run_tasks
from mentionscan.fetching.screening import Screening
from mentionscan.masking import mask
from mentionscan.matching.matcher import Matcher
from mentionscan.models import Mention
from mentionscan.sources import SOURCE_TYPES, Source
from mentionscan.sources.interface import QueryPlan, Task, TaskState
from mentionscan.store.interface import MentionFilter, Rebase, Store, Team, select
from mentionscan.timeutil import utcnow
from mentionscan.urls import redact

SAVE_EVERY = 2.0  # seconds between the saves of a shared run: what a killed worker can lose

__all__ = [
    "FetchInterrupted",
    "Progress",
    "RunResult",
    "SourceReport",
    "build_sources",
    "queries_for",
    "query_plans",
    "run_fetch",
]


def build_sources(
    config: Config, names: Iterable[str] | None = None, shard: tuple[int, int] | None = None
) -> list[Source]:
    """The enabled sources (or those named), with their credentials checked before any request.

    `shard=(i, n)`: only the i-th of n even shares of them (1-based): of their names in order, every
    n-th from the i-th, so machines with the same sources split them between them, none twice.
    """
    wanted = set(names) if names else None
    specs: list[SourceSpec] = [s for s in config.sources if (s.name in wanted if wanted else s.enabled)]
    if wanted:
        for name in wanted - {s.name for s in specs}:
            config.source(name)  # raises, with a suggestion
    if shard is not None:
        index, count = shard
        share = set(sorted(s.name for s in specs)[index - 1 :: count])
        specs = [s for s in specs if s.name in share]
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
    store: Store,
    *,
    dry_run: bool = False,
    client: Any = None,
    progress: Progress | None = None,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
    shard: tuple[int, int] | None = None,
) -> RunResult:
    """Fetch every source, match every query, store (one save, unless `dry_run`) and return what is new.

    `store` is open for writing (or, for a dry run, for reading) for the whole run.
    """
    if not config.queries:
        raise ConfigError(f"{config.path}: no [[queries]]: add one to say what to look for")
    sources = build_sources(config, only, shard)
    if not sources:
        if shard is not None:
            raise ConfigError(f"--shard {shard[0]}/{shard[1]}: no enabled source falls in this share")
        raise ConfigError(f"{config.path}: no enabled [[sources]]: add one to say where to look")
    now = now or utcnow()
    matcher = Matcher([(q.name, q.node) for q in config.queries])
    intake = Intake(matcher, [q.name for q in config.queries], now, config.settings.max_age_days)
    # the same intake, built again in each parse worker, which screens the entries it parses
    screening = Screening(
        tuple((q.name, q.node) for q in config.queries),
        tuple(q.name for q in config.queries),
        now,
        config.settings.max_age_days,
    )
    plans = {p.name: p for p in query_plans(config)}
    team = Team() if dry_run else store.team(config.settings.task_lease)
    own_client = client is None
    if client is None:
        from mentionscan.fetching.http import HttpClient

        client = HttpClient(config.settings, pace=team.pace)
    run = _Run(config, store, intake, plans, team, screening)
    try:
        try:
            run.execute(sources, client, progress)
        except KeyboardInterrupt as exc:
            # What was fetched and matched before Ctrl-C is kept: a second Ctrl-C during this
            # save leaves the database as it was (the write is atomic).
            if not dry_run:
                store.save()
            raise FetchInterrupted(run.result(saved=not dry_run), exc) from None
        if not dry_run:
            store.save()
        return run.result(saved=not dry_run)
    finally:
        if own_client:
            client.close()
        team.close()


class _Run:
    """The bookkeeping of one run: reports, health and task state, and what it found."""

    def __init__(
        self,
        config: Config,
        store: Store,
        intake: Intake,
        plans: Mapping[str, QueryPlan],
        team: Team,
        screening: Screening | None = None,
    ) -> None:
        self.team = team
        self.saved_at = time.monotonic()
        self.config = config
        self.screening = screening
        self.store = store
        self.intake = intake
        self.plans = plans
        self.now = intake.now
        self.new: dict[str, Mention] = {}
        self.updated: dict[str, Mention] = {}
        self.reports: list[SourceReport] = []
        self.health: dict[str, SourceHealth] = {}
        self.unfinished: dict[str, int] = {}  # source -> its tasks not finished yet
        self.recorded: set[str] = set()  # the sources whose health is written
        self.tasks = 0
        self.done = 0

    def result(self, *, saved: bool) -> RunResult:
        new = select(self.new.values(), MentionFilter())
        return RunResult(new, list(self.updated.values()), self.reports, saved, self.tasks, self.done)

    def execute(self, sources: list[Source], client: Any, progress: Progress | None) -> None:
        work: list[tuple[Source, Task, SourceReport]] = []
        for source in sources:
            report = SourceReport(source.name, source.type)
            self.reports.append(report)
            health = self.health[source.name] = self.store.read_state(SourceHealth, source.name)
            report.failing_runs = health.failures
            if skip := health.skip_reason(self.now):
                report.status = "skipped"
                report.warnings.append(skip)
                continue
            names = queries_for(self.config, source.name)
            tasks = source.tasks([self.plans[n] for n in names])
            work.extend((source, task, report) for task in tasks)
            self.unfinished[source.name] = len(tasks)
        # Read here, in one thread: the store is not shared with the fetch threads.
        states = [self.store.read_state(TaskState, task.state_key) for _, task, _ in work]
        self.team.offer([task.state_key for _, task, _ in work])

        def fetch(index: int) -> Outcome:
            source, task, _ = work[index]
            if not self.team.claim(task.state_key):
                return Elsewhere(task.label)
            query = self.plans.get(task.query) if task.query else None
            # `deadline` bounds the whole source: all its tasks' requests share one clock
            budget = getattr(client, "source_deadline", None)
            with budget(source.name) if budget else contextlib.nullcontext():
                return source.run(task, query, client, states[index])

        def finish(index: int, outcome: Outcome) -> None:
            self._finish(*work[index], states[index], outcome)
            self.done += 1

        self.tasks = len(work)
        try:
            run_tasks(
                [task.label for _, task, _ in work],
                fetch,
                finish,
                workers=self.config.settings.concurrency,
                documents=sum(1 for source, _, _ in work if not source.per_query),
                sure=sum(
                    1
                    for (source, _, _), state in zip(work, states, strict=True)
                    if not source.per_query and not state.validators
                ),
                progress=progress,
                stop=getattr(client, "cancel", None),
                screening=self.screening,
                names=lambda index: queries_for(self.config, work[index][0].name),
            )
        finally:
            # A source cut short by Ctrl-C has not had a run: its health stays as it was.
            for report in self.reports:
                if report.name in self.recorded:
                    continue
                if not self.unfinished.get(report.name):
                    self._record_health(report)
                elif report.status != "failed":
                    report.status = "interrupted"

    def _finish(
        self, source: Source, task: Task, report: SourceReport, state: TaskState, outcome: Outcome
    ) -> None:
        if isinstance(outcome, Elsewhere):
            report.elsewhere += 1
        else:
            self._take(source, task, report, state, outcome)
            self.team.done(task.state_key)
        self.unfinished[source.name] -= 1
        if not self.unfinished[source.name]:
            self._record_health(report)  # in the save that holds its last task's mentions and cursor
        if (
            not isinstance(outcome, Elsewhere)
            and self.team.shared
            and time.monotonic() - self.saved_at >= SAVE_EVERY
        ):
            self.store.save()  # what these tasks found, their cursors and that they are done, at once
            self.saved_at = time.monotonic()

    def _take(
        self, source: Source, task: Task, report: SourceReport, state: TaskState, outcome: Outcome
    ) -> None:
        if isinstance(outcome, MentionscanError):
            report.status = "failed"
            report.errors.append(str(outcome))
            report.requests += 1
            status = getattr(outcome, "status", None)
            retry_after = getattr(outcome, "retry_after", None)
            self.health[source.name] = self.health[source.name].refused(self.now, status, retry_after)
            return
        report.requests += outcome.requests
        # Said once per source: five queries that cannot be asked for one reason are one warning.
        said = (mask(warning) for warning in dict.fromkeys(outcome.warnings))
        report.warnings.extend(w for w in said if w not in report.warnings)
        if outcome.moved_to and state.moved_to != state.after(outcome).moved_to:
            report.warnings.append(
                mask(
                    f"moved permanently to {redact(outcome.moved_to)}: update the source's URL in the config"
                )
            )
        self.store.write_state(state.after(outcome), task.state_key)
        if outcome.not_modified and report.status == "ok" and not outcome.entries:
            report.status = "not modified"
        names = queries_for(self.config, source.name)
        # Screened here, or in the parse workers already (`outcome.screened`).
        screened = [self.intake.screen(entry, names) for entry in outcome.entries] + list(outcome.screened)
        found = [seen for seen in screened if not isinstance(seen, str)]
        if found:
            # Every lookup this task's entries need, asked at once (a database across a network).
            self.store.prefetch(
                [k for seen in found for k in seen.keys], [mention_id(s.keys[0]) for s in found]
            )
        for seen in screened:
            self._consider(seen, report)

    def _record_health(self, report: SourceReport) -> None:
        self.recorded.add(report.name)
        if report.churned:
            report.warnings.append(
                f"{report.churned} of its entries came back with a new link or id (it changes them "
                "on every fetch): recognised by their author, title and text, and not stored again"
            )
        if report.status == "skipped":
            return
        if report.elsewhere and not report.requests:
            report.status = "elsewhere"  # another worker ran all of it and keeps its health
            return
        health = self.health[report.name].after_run(self.now, report.errors[-1] if report.failed else None)
        if health.failing and report.failed:
            report.warnings.append(f"has failed {health.failures} runs in a row")
        report.failing_runs = health.failures
        self.store.write_state(health, report.name)

    def _consider(self, seen: Candidate | str, report: SourceReport) -> None:
        report.entries += 1
        if isinstance(seen, str):
            if seen == TOO_OLD:
                report.too_old += 1
            else:
                report.not_a_match += 1
            return
        report.matched += 1
        existing = self.store.find_by_keys(seen.keys)
        churned = existing is not None and not any(
            key in existing.keys for key in seen.keys if not is_content_key(key)
        )
        if existing is not None and churned:
            # its new link and id will change again: keeping them would fill the mention's keys
            seen = replace(seen, keys=tuple(key for key in seen.keys if key in existing.keys))
        sighting = seen

        def again(current: Mention) -> Mention | None:
            # Another worker or a person changed it since we read it: this sighting, on what is there now.
            return self.intake.merge(current, sighting)

        if existing is not None:
            report.churned += churned
            merged = self.intake.merge(existing, seen)
            if merged is not None:
                # an item whose link and id changed is the same item again, not a second sighting
                report.merged += not churned and any(k not in existing.keys for k in seen.keys)
                self._put(merged, existing.queries, rebase=again)
                self._relate(merged)
            return
        mention = self.intake.mention(seen, fresh_id(seen.keys[0], lambda i: self.store.get(i) is not None))
        self.store.put(mention, rebase=again)
        self.new[mention.id] = mention
        report.new += 1
        self._relate(mention, seen.about)

    def _put(
        self, mention: Mention, stored_queries: tuple[str, ...] | None = None, rebase: Rebase | None = None
    ) -> None:
        """Store a changed `mention`, and note it as new (found this run) or updated (new queries).

        `rebase`: the same change on the mention as it is now, should another worker change it first.
        """
        self.store.put(mention, rebase=rebase)
        if mention.id in self.new:
            self.new[mention.id] = mention
        elif stored_queries is not None and mention.queries != stored_queries:
            self.updated[mention.id] = mention

    def _relate(self, mention: Mention, key: str | None = None) -> None:
        """Link a discussion and the stored mention of the page it is about, both ways (`related`).

        Only the first discussion found is linked to a page stored after it; every discussion
        stored after its page links itself. `key`: what to look up, when the screening worked it out.
        """
        key = key or about_key(mention.link, mention.url)
        other = self.store.find_by_keys([key]) if key else None
        if other is None or other.id == mention.id or other.id in mention.related:
            return
        self._put(replace(mention, related=(*mention.related, other.id)), rebase=linked(other.id))
        if mention.id not in other.related:
            self._put(replace(other, related=(*other.related, mention.id)), rebase=linked(mention.id))


def linked(other_id: str) -> Rebase:
    """The link to `other_id` (`related`), added to a mention as it is now."""

    def again(current: Mention) -> Mention | None:
        return None if other_id in current.related else replace(current, related=(*current.related, other_id))

    return again


class Elsewhere(MentionscanError):
    """The outcome of a task that another worker had, or did in this round: nothing to do here."""
