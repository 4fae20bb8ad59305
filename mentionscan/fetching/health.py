"""What the database remembers of each source's runs, and the decisions made from it.

A source that failed `FAILING_AFTER` runs in a row is flagged; one the site asked us to leave
alone (429 with a long `Retry-After`) is skipped until then; one that answered 410 is skipped
until the user removes it. All of it pure: `fetching.run` reads and writes the records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from mentionscan.timeutil import parse_time, to_iso

FAILING_AFTER = 3  # failed runs in a row before a source is flagged as broken


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Stored as `source:<name>`."""

    KIND: ClassVar[str] = "source"
    failures: int = 0  # runs in a row that failed
    last_ok: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    not_before: datetime | None = None  # the site asked not to be asked before then
    gone: bool = False  # answered 410: removed for good

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "failures": self.failures,
            "last_ok": to_iso(self.last_ok),
            "last_error": self.last_error,
            "last_error_at": to_iso(self.last_error_at),
            "not_before": to_iso(self.not_before),
            "gone": self.gone or None,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceHealth:
        failures = data.get("failures")
        error = data.get("last_error")
        return cls(
            failures=failures if isinstance(failures, int) and not isinstance(failures, bool) else 0,
            last_ok=parse_time(data.get("last_ok")),
            last_error=error if isinstance(error, str) else None,
            last_error_at=parse_time(data.get("last_error_at")),
            not_before=parse_time(data.get("not_before")),
            gone=data.get("gone") is True,
        )

    @property
    def failing(self) -> bool:
        """Failed several runs in a row: worth a look even when it answers now."""
        return self.failures >= FAILING_AFTER

    def skip_reason(self, now: datetime) -> str | None:
        """Why this run should not ask the source at all, or None."""
        if self.gone:
            return "gone (HTTP 410): remove it from the config, or delete and re-add it to try again"
        if self.not_before is not None and self.not_before > now:
            return f"rate limited by the site: skipped until {to_iso(self.not_before)}"
        return None

    def refused(self, now: datetime, status: int | None, retry_after: float | None) -> SourceHealth:
        """After a failed request: remember a long pause the site asked for, or that it is gone."""
        changed = self
        if retry_after:
            changed = replace(changed, not_before=now + timedelta(seconds=retry_after))
        if status == 410:
            changed = replace(changed, gone=True)
        return changed

    def after_run(self, now: datetime, error: str | None) -> SourceHealth:
        """At the end of a run that asked the source: one more failure in a row, or a clean slate."""
        if error is not None:
            return replace(self, failures=self.failures + 1, last_error=error, last_error_at=now)
        return replace(self, failures=0, last_ok=now, not_before=None)
