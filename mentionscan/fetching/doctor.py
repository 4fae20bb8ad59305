"""Which source types exist (`sources`), and whether each configured source answers (`doctor`).

A check makes one request per source (its `probe()`), without retries, and reads, never
writes, what the database remembers of the source's runs: its last successful fetch and how
many runs in a row it has failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from mentionscan.config.model import SOURCE_COMMON_OPTIONS, Config, Option
from mentionscan.errors import MentionscanError
from mentionscan.fetching.health import SourceHealth
from mentionscan.fetching.run import queries_for, query_plans
from mentionscan.fetching.scheduler import SIGNAL_CHECK
from mentionscan.sources import SOURCE_TYPES, Source
from mentionscan.sources.interface import TaskState
from mentionscan.text import one_line
from mentionscan.timeutil import utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient
    from mentionscan.sources.interface import QueryPlan


def catalog(names: Iterable[str] | None = None) -> list[type[Source]]:
    """Every registered source type (or those named), in registration order."""
    wanted = list(names or SOURCE_TYPES)
    for name in wanted:
        if name not in SOURCE_TYPES:
            from mentionscan.errors import ConfigError

            raise ConfigError(f"no source type {name!r} (one of: {', '.join(SOURCE_TYPES)})")
    return [cls for cls in SOURCE_TYPES.values() if cls.type in wanted]


def common_options() -> dict[str, Option]:
    """The keys every `[[sources]]` table takes besides its type's own."""
    return dict(SOURCE_COMMON_OPTIONS)


@dataclass(slots=True)
class Check:
    """What one configured source answered now, and what the database remembers of its runs."""

    name: str
    type: str
    enabled: bool = True
    health: SourceHealth = field(default_factory=SourceHealth)
    ok: bool = False
    status: int | None = None  # the HTTP status of the answer (or of the refusal)
    seconds: float | None = None
    error: str | None = None

    @property
    def result(self) -> str:
        if not self.enabled:
            return "disabled"
        return "OK" if self.ok else "FAILED"

    @property
    def rate_limited_until(self) -> datetime | None:
        """When the site said it may be asked again, if that is still to come."""
        until = self.health.not_before
        return until if until is not None and until > utcnow() else None


def check_sources(
    config: Config,
    health: Mapping[str, SourceHealth],
    *,
    names: Iterable[str] | None = None,
    client: HttpClient | None = None,
) -> list[Check]:
    """Probe every configured source (or those named) once; a failure is a Check, never an exception.

    `health` is what the database remembers of each source (by name; a missing one: never run).
    """
    wanted = set(names) if names else None
    if wanted:
        for name in wanted - {s.name for s in config.sources}:
            config.source(name)  # raises, with a suggestion
    specs = [s for s in config.sources if wanted is None or s.name in wanted]
    plans = {p.name: p for p in query_plans(config)}
    checks = [Check(s.name, s.type, s.enabled, health.get(s.name, SourceHealth())) for s in specs]
    own_client = client is None
    if client is None:
        from mentionscan.fetching.http import HttpClient

        # One request per source: a check says how the site answers now.
        client = HttpClient(config.settings, retry_delays=())
    live = [(c, spec) for c, spec in zip(checks, specs, strict=True) if spec.enabled]
    workers = max(1, min(config.settings.concurrency, len(live)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="doctor")
    try:
        probes = []
        for check, spec in live:
            source = SOURCE_TYPES[spec.type](spec, config.settings)
            queries = [plans[n] for n in queries_for(config, spec.name)]
            probes.append(pool.submit(_probe, check, source, queries, client))
        # In short steps: a Ctrl-C that the kernel hands to a probe's thread only sets Python's
        # flag, and a wait without a timeout would not wake to see it.
        pending = set(probes)
        while pending:
            pending = wait(pending, timeout=SIGNAL_CHECK).not_done
        pool.shutdown(wait=True)
    except BaseException:
        # Ctrl-C, even while the probes are still being handed out: nobody waits for a
        # server that does not answer (a `with` block would join every probe first).
        client.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if own_client:
            client.close()
    return checks


def _probe(check: Check, source: Source, queries: list[QueryPlan], client: HttpClient) -> None:
    started = time.monotonic()
    try:
        source.prepare()  # a missing credential is this source's error, not the whole check's
        try:
            response = source.probe(client, queries)
            check.status = response.status
            # the answer's own time: waiting for a turn at a host shared with other sources is not the site
            check.seconds = response.elapsed
        except NotImplementedError:
            _run_first_task(source, queries, client)
        check.ok = True
    except MentionscanError as exc:
        check.error = one_line(str(exc))
        check.status = getattr(exc, "status", None)
    except Exception as exc:  # one broken source must not hide the others
        check.error = f"internal error: {type(exc).__name__}: {one_line(str(exc))} (please report this)"
    if check.seconds is None:
        check.seconds = time.monotonic() - started


def _run_first_task(source: Source, queries: list[QueryPlan], client: HttpClient) -> None:
    """For a source type without `probe()`: run its first task as a fetch would."""
    tasks = source.tasks(queries)
    if not tasks:
        raise MentionscanError("no query is asked of this source: nothing to check")
    task = tasks[0]
    plan = next((q for q in queries if q.name == task.query), None)
    source.run(task, plan, client, TaskState())
