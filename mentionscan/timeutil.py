"""Reading the times users type: `7d`, `24h`, `2026-01-01`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from mentionscan.errors import ConfigError
from mentionscan.models import utcnow

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` as a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"{text!r} is not a duration: use a number and m, h, d or w, like 24h or 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A moment: a duration ago (`7d`) or a date or time (`2026-01-01`, `2026-01-01T08:00`), UTC."""
    if _DURATION.match(text):
        return (now or utcnow()) - parse_duration(text)
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{text!r} is neither a duration (7d, 24h) nor a date (2026-01-01)") from None
    return when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)


def parse_due(text: str, now: datetime | None = None) -> datetime:
    """A due date: a duration from now (`3d`) or a date."""
    if _DURATION.match(text):
        return (now or utcnow()) + parse_duration(text)
    return parse_since(text, now)
