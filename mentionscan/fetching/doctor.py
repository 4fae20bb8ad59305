"""Which source types exist (`sources`), and whether each configured source answers (`doctor`).

A check makes one request per source (its `probe()`), without retries, and reads, never
writes, what the database remembers of the source's runs: its last successful fetch and how
many runs in a row it has failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mentionscan.config.model import SOURCE_COMMON_OPTIONS, Config, Option
from mentionscan.errors import MentionscanError
from mentionscan.fetching.run import FAILING_AFTER, queries_for, query_plans
from mentionscan.sources import SOURCE_TYPES, Source
from mentionscan.sources.interface import TaskState
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient
    from mentionscan.sources.interface import QueryPlan


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """One source type as `mentionscan sources` shows it."""

    type: str
    summary: str
    needs: str
    options: dict[str, Option]


def catalog(names: Iterable[str] | None = None) -> list[TypeInfo]:
    """Every registered source type (or those named), in registration order."""
    wanted = list(names or SOURCE_TYPES)
    for name in wanted:
        if name not in SOURCE_TYPES:
            from mentionscan.errors import ConfigError

            raise ConfigError(f"no source type {name!r} (one of: {', '.join(SOURCE_TYPES)})")
    return [
        TypeInfo(cls.type, cls.summary, cls.needs, dict(cls.options))
        for cls in SOURCE_TYPES.values()
        if cls.type in wanted
    ]


def common_options() -> dict[str, Option]:
    """The keys every `[[sources]]` table takes besides its type's own."""
    return dict(SOURCE_COMMON_OPTIONS)


@dataclass(slots=True)
class Check:
    """What one configured source answered, and what the database remembers of it."""

    name: str
    type: str
    enabled: bool = True
    ok: bool = False
    status: int | None = None  # the HTTP status of the answer (or of the refusal)
    seconds: float | None = None
    error: str | None = None
    last_ok: str | None = None
    failures: int = 0  # runs in a row that failed
    last_error: str | None = None
    not_before: str | None = None  # rate limited by the site until then

    @property
    def result(self) -> str:
        if not self.enabled:
            return "disabled"
        return "OK" if self.ok else "FAILED"

    @property
    def failing(self) -> bool:
        """Failed several runs in a row: worth a look even when it answers now."""
        return self.failures >= FAILING_AFTER


def check_sources(
    config: Config, database: str, *, names: Iterable[str] | None = None, client: HttpClient | None = None
) -> list[Check]:
    """Probe every configured source (or those named) once; a failure is a Check, never an exception."""
    from mentionscan.store import open_store

    wanted = set(names) if names else None
    if wanted:
        for name in wanted - {s.name for s in config.sources}:
            config.source(name)  # raises, with a suggestion
    specs = [s for s in config.sources if wanted is None or s.name in wanted]
    with open_store(database, write=False) as store:
        health = {s.name: store.state(f"source:{s.name}") for s in specs}
    plans = {p.name: p for p in query_plans(config)}
    checks = [_remembered(spec.name, spec.type, spec.enabled, health[spec.name]) for spec in specs]
    own_client = client is None
    client = client or _client(config)
    try:
        live = [(c, spec) for c, spec in zip(checks, specs, strict=True) if spec.enabled]
        workers = max(1, min(config.settings.concurrency, len(live)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="doctor") as pool:
            for check, spec in live:
                source = SOURCE_TYPES[spec.type](spec, config.settings)
                queries = [plans[n] for n in queries_for(config, spec.name)]
                pool.submit(_probe, check, source, queries, client)
    finally:
        if own_client:
            client.close()
    return checks


def _remembered(name: str, kind: str, enabled: bool, health: Mapping[str, Any]) -> Check:
    not_before = health.get("not_before")
    if not (isinstance(not_before, str) and not_before > (to_iso(utcnow()) or "")):
        not_before = None
    return Check(
        name=name,
        type=kind,
        enabled=enabled,
        last_ok=health.get("last_ok") if isinstance(health.get("last_ok"), str) else None,
        failures=int(health.get("failures", 0) or 0),
        last_error=one_line(health["last_error"]) if health.get("last_error") else None,
        not_before=not_before,
    )


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


def _client(config: Config) -> HttpClient:
    from mentionscan.fetching.http import HttpClient

    s = config.settings
    return HttpClient(
        user_agent=s.user_agent,
        timeout=s.timeout,
        max_bytes=int(s.max_response_mb * 1024 * 1024),
        concurrency=s.concurrency,
        per_host=s.per_host,
        allow_private_redirects=s.allow_private_redirects,
        retry_delays=(),  # one request per source: a check says how the site answers now
    )
