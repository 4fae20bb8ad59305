"""`notify`: send each channel what it has not had yet, and the source alerts; record what it took.

What a channel has not had is kept in its `ChannelState`: every mention found at or after its
`since` mark (one indexed `found_since` query, whatever the size of the history), less the few
of that very second it already took (`done`), plus the ones it refused before (`pending`, by
id). A mention joins `done` or leaves `pending` only once the service accepted the message that
carried it, so a channel that is down gets the same mentions next time, one that works is not
held back by it, and nothing reaches one channel twice (a crash between the service's answer
and the save repeats one run's messages: at least once, never lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from mentionscan.config.model import Config
from mentionscan.delivery.channels import Channel, Unavailable, open_channels
from mentionscan.delivery.chat import Delivery
from mentionscan.delivery.sending import Outcome
from mentionscan.errors import ConfigError, StoreError
from mentionscan.fetching.health import SourceHealth
from mentionscan.models import Mention
from mentionscan.store.interface import MentionFilter, Order, Store
from mentionscan.timeutil import parse_time, to_iso, utcnow

if TYPE_CHECKING:
    from mentionscan.fetching.run import RunResult

ATTEMPTS = 3  # tries of one message within a run
RETRY_DELAYS = (1.0, 4.0)  # between them, unless the service says how long (Retry-After)
MAX_RETRY_WAIT = 30.0  # a longer Retry-After is not waited for: the channel pauses until then
MAX_EARLY = timedelta(minutes=2)  # how early a run may come for min_interval (at most a tenth of it)


def _ids(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class ChannelState:
    """What one channel has had, stored as `notify:<name>`."""

    KIND: ClassVar[str] = "notify"
    since: datetime | None = None  # every mention found before this was delivered, or is pending
    done: tuple[str, ...] = ()  # delivered, and found at or after `since` (the clock counts seconds)
    pending: tuple[str, ...] = ()  # due, not accepted yet: sent again next time
    last_sent: datetime | None = None
    not_before: datetime | None = None  # the service asked for a pause until then
    failing: tuple[str, ...] = ()  # sources whose failure alert this channel has had

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "since": to_iso(self.since),
            "done": list(self.done),
            "pending": list(self.pending),
            "last_sent": to_iso(self.last_sent),
            "not_before": to_iso(self.not_before),
            "failing": list(self.failing),
        }
        return {key: value for key, value in data.items() if value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChannelState:
        return cls(
            since=parse_time(data.get("since")),
            done=_ids(data.get("done")),
            pending=_ids(data.get("pending")),
            last_sent=parse_time(data.get("last_sent")),
            not_before=parse_time(data.get("not_before")),
            failing=_ids(data.get("failing")),
        )


@dataclass(slots=True)
class ChannelReport:
    """What one channel got in this run, for the summary and the exit status."""

    name: str
    service: str
    mentions: int = 0  # delivered
    messages: int = 0  # messages (or webhook requests) the service accepted
    waiting: int = 0  # left for a later run
    note: str = ""  # why mentions wait without an error: min_interval, mode, a pause the service asked for
    started: bool = False  # its first run: it gets what is found from now on, none of the history
    error: str | None = None
    alerts: list[str] = field(default_factory=list)  # the alert messages it accepted
    previews: list[Delivery] = field(default_factory=list)  # what a dry run would have sent


@dataclass(slots=True)
class NotifyResult:
    reports: list[ChannelReport]
    dry_run: bool = False

    @property
    def failed(self) -> list[ChannelReport]:
        return [r for r in self.reports if r.error is not None]


Sleep = Callable[[float], None]


def deliver(channel: Channel, delivery: Delivery, sleep: Sleep = time.sleep) -> tuple[Outcome, int]:
    """Send one delivery, retried (a bounded number of times) on 5xx, 429 and timeouts; outcome, tries."""
    for attempt in range(ATTEMPTS):
        outcome = channel.send(delivery)
        if outcome.ok or not outcome.retryable or attempt == ATTEMPTS - 1:
            return outcome, attempt + 1
        wait = outcome.retry_after if outcome.retry_after is not None else RETRY_DELAYS[attempt]
        if wait > MAX_RETRY_WAIT:
            return outcome, attempt + 1
        sleep(wait)
    raise AssertionError("unreachable")


def _channels(config: Config, names: Sequence[str] | None) -> list[Channel]:
    if not config.notify:
        raise ConfigError(f"{config.path}: no [[notify]] tables: add one to say where alerts go (see README)")
    return open_channels(config, names)  # every URL and secret checked before anything is sent


def run_notify(
    store: Store,
    config: Config,
    *,
    names: Sequence[str] | None = None,
    channels: list[Channel] | None = None,
    instant_only: bool = False,
    dry_run: bool = False,
    start: datetime | None = None,
    now: datetime | None = None,
    sleep: Sleep = time.sleep,
) -> NotifyResult:
    """Send each channel (or those named) its due mentions and source alerts; save what they accepted.

    `instant_only` (after a fetch) leaves `mode = "digest"` channels for `mentionscan notify`.
    A channel seen for the first time starts at `start` (default: now): the history before it
    is not sent. `store` is open for writing throughout, unless `dry_run`.
    """
    channels = _channels(config, names) if channels is None else channels
    now = now or utcnow()
    result = NotifyResult([], dry_run=dry_run)
    changed = False
    try:
        for channel in channels:
            # On a shared database one machine at a time sends a channel what it has not had, and
            # records that before letting go: the next one then finds it sent.
            name, wait = channel.spec.name, config.settings.lock_timeout
            with nullcontext() if dry_run else store.hold(f"notify to {name}", wait):
                run = _ChannelRun(store, config, channel, now, start or now, instant_only, dry_run, sleep)
                result.reports.append(run.report)
                run.execute()
                if store.shared and not dry_run:
                    _save(store, run.delivered)
            changed = changed or run.delivered
    finally:
        for channel in channels:
            channel.close()
        if not dry_run:
            _save(store, changed)
    return result


def _save(store: Store, delivered: bool) -> None:
    try:
        store.save()
    except StoreError as exc:
        if not delivered:
            raise
        raise StoreError(
            f"the messages were sent, but recording that failed ({exc}); the next run will send them again"
        ) from None


def after_fetch(
    config: Config, notify: bool | None, dry_run: bool
) -> Callable[[Store, RunResult], RunResult]:
    """What a fetch that notifies (`notify`, else `notify` of [settings]: `Workspace.fetch` asks
    only then) does with its stored result: send the instant channels what they have not had.
    The channels are checked now, before any request.
    """
    if notify and dry_run:
        raise ConfigError("--notify needs a fetch that stores what it finds: drop --dry-run")
    if dry_run:
        return lambda store, result: result
    channels, start = _channels(config, None), utcnow()

    def send_on(store: Store, result: RunResult) -> RunResult:
        result.notified = run_notify(store, config, channels=channels, instant_only=True, start=start)
        return result

    return send_on


def send_checks(
    config: Config, names: Sequence[str] | None = None, *, now: datetime | None = None
) -> NotifyResult:
    """`notify --test`: one test message to each channel named (or each enabled one); records nothing."""
    channels = _channels(config, names)
    result = NotifyResult([])
    try:
        for channel in channels:
            report = ChannelReport(channel.spec.name, channel.service)
            result.reports.append(report)
            outcome, tries = deliver(channel, channel.check(now or utcnow()))
            if outcome.ok:
                report.messages = 1
            else:
                report.error = _failure(outcome, tries)
    finally:
        for channel in channels:
            channel.close()
    return result


def _failure(outcome: Outcome, tries: int) -> str:
    return outcome.reason + (f" (after {tries} tries)" if tries > 1 else "")


def _dismissed(mention: Mention) -> bool:
    """Marked ignored before its turn (spam, off topic): telling a channel is noise; it counts as had."""
    return mention.status == "ignored"


def _when(moment: datetime) -> str:
    return (to_iso(moment) or "").replace("T", " ").removesuffix("Z") + " UTC"


class _ChannelRun:
    """One channel in one run: its alerts, then its mentions; its state is written once."""

    def __init__(
        self,
        store: Store,
        config: Config,
        channel: Channel,
        now: datetime,
        start: datetime,
        instant_only: bool,
        dry_run: bool,
        sleep: Sleep,
    ) -> None:
        self.store = store
        self.config = config
        self.channel = channel
        self.spec = channel.spec
        self.now = now
        self.instant_only = instant_only
        self.dry_run = dry_run
        self.sleep = sleep
        self.state = store.read_state(ChannelState, self.spec.name)
        self.since = self.state.since or start
        self.report = ChannelReport(self.spec.name, channel.service, started=self.state.since is None)
        self.delivered = False
        self.pause: datetime | None = None  # a Retry-After too long to wait for in this run

    def execute(self) -> None:
        state = replace(self.state, since=self.since)
        if isinstance(self.channel, Unavailable):  # its mentions wait, from its first run on as ever
            self.report.error = self.channel.reason
            self.report.waiting = len(self._due(state)[0])
        elif state.not_before is not None and self.now < state.not_before:
            self.report.note = f"the service asked for a pause: next try after {_when(state.not_before)}"
            self.report.waiting = len(self._due(state)[0])
        else:
            if self.spec.alerts:
                state = self._alerts(state)
            if self.report.error is None:
                state = self._mentions(state)
        if not self.dry_run and state != self.state:
            self.store.write_state(state, self.spec.name)

    def _send(self, deliveries: Sequence[Delivery]) -> set[str]:
        """The ids the service accepted; on the first failure (after retries) the rest wait."""
        accepted: set[str] = set()
        for delivery in deliveries:
            outcome, tries = deliver(self.channel, delivery, self.sleep)
            if not outcome.ok:
                self.report.error = _failure(outcome, tries)
                if outcome.retry_after is not None and outcome.retry_after > MAX_RETRY_WAIT:
                    self.pause = self.now + timedelta(seconds=outcome.retry_after)
                break
            accepted.update(delivery.ids)
            self.report.messages += 1
            self.delivered = True
        return accepted

    def _alerts(self, state: ChannelState) -> ChannelState:
        announced = set(state.failing)
        sources = {s.name: s for s in self.config.sources if s.enabled}
        failing: list[tuple[str, int, str]] = []
        recovered: list[str] = []
        for name in sources:
            health = self.store.read_state(SourceHealth, name)
            if name in announced and health.failures == 0 and health.last_ok is not None:
                recovered.append(name)
            elif name not in announced and health.failures >= self.spec.alert_after:
                failing.append((name, health.failures, health.last_error or "no reason given"))
        kept = announced & set(sources)  # a source removed or disabled needs no "works again"
        if not failing and not recovered:
            return replace(state, failing=tuple(sorted(kept)))
        delivery = self.channel.alert(failing, recovered)
        if self.dry_run:
            self.report.previews.append(delivery)
            return state
        self._send([delivery])
        if self.report.error is not None:
            return replace(state, failing=tuple(sorted(kept)), not_before=self.pause)
        self.report.alerts.append(delivery.title)
        kept = (kept - set(recovered)) | {name for name, _, _ in failing}
        return replace(state, failing=tuple(sorted(kept)))

    def _due(self, state: ChannelState) -> tuple[list[Mention], set[str]]:
        """What the channel has not had yet (stored order); and what it had that was found this second."""
        queries = self.spec.queries
        if queries == ():
            return [], set()
        narrow = tuple(queries or ())
        fresh = self.store.mentions(MentionFilter(found_since=self.since, queries=narrow, order=Order.STORED))
        done = set(state.done)
        due: dict[str, Mention] = {}
        had_now = set()
        for mention in fresh:
            if mention.id not in done and not _dismissed(mention):
                due[mention.id] = mention
            elif mention.found_at >= self.now:
                had_now.add(mention.id)  # still at the mark once it moves to now: keep it out
        if state.pending:
            earlier = self.store.mentions(
                MentionFilter(ids=state.pending, queries=narrow, order=Order.STORED)
            )
            due = {**{m.id: m for m in earlier if not _dismissed(m)}, **due}
        return list(due.values()), had_now

    def _mentions(self, state: ChannelState) -> ChannelState:
        due, had_now = self._due(state)
        self.report.waiting = len(due)
        if self.instant_only and self.spec.mode == "digest":
            self.report.note = 'mode = "digest": they go with `mentionscan notify`'
            return state
        interval = self.spec.min_interval
        if due and interval and state.last_sent is not None:
            # A run a little early counts: cron's every-10-minutes sends at the seconds its fetch
            # took, and the next run, 10 minutes after that fetch began, must not wait 10 more.
            next_message = state.last_sent + interval - min(interval / 10, MAX_EARLY)
            if self.now < next_message:
                self.report.note = f"min_interval: the next message after {_when(next_message)}"
                return state
        deliveries = self.channel.deliveries(due, self.now)
        if self.dry_run:
            self.report.previews.extend(deliveries)
            return state
        accepted = self._send(deliveries)
        left = [m for m in due if m.id not in accepted]
        self.report.mentions = len(due) - len(left)
        self.report.waiting = len(left)
        return replace(
            state,
            since=self.now,
            done=(*sorted(had_now), *(m.id for m in due if m.id in accepted and m.found_at >= self.now)),
            pending=tuple(m.id for m in left),
            last_sent=self.now if accepted else state.last_sent,
            not_before=self.pause,
        )
