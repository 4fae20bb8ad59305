"""Time, the one way it is read and written: ISO 8601 UTC out; ISO, RFC 822 or epoch seconds in.

`parse_time` is the only reader of times from outside (a feed, a site's API, the database);
`to_iso` the only writer. `parse_since`, `parse_due` and `parse_duration` read what users type:
`7d`, `24h`, `2026-01-01`; `local_date`, `long_date` and `local_time` show a time to a person,
in local time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from mentionscan.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_EPOCH = re.compile(r"^\s*\d{9,12}(\.\d*)?\s*$")  # seconds since 1970, as digits (not 20261123)


def utcnow() -> datetime:
    """Now, in UTC, to the second (what every stored time is rounded to)."""
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(value: datetime | None) -> str | None:
    """`2026-11-23T07:00:00Z`, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> datetime | None:
    """A time as UTC, from ISO 8601 (`Z`, an offset, or none: UTC), RFC 822 or epoch seconds.

    None for anything else (an empty string, a boolean, a date no calendar has): a time that
    cannot be read is a missing time, never an error.
    """
    if type(value) is str and len(value) == 20 and value[-1] == "Z":  # what `to_iso` wrote: most calls
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and _EPOCH.match(value):
        value = float(value)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        # Imported here: email.utils costs every command's start-up more than all of this module.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    try:
        return when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset is before UTC's first moment
        return None


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


def parse_moment(value: str | datetime | None) -> datetime | None:
    """`parse_since` of a string; a datetime or None as it is."""
    return parse_since(value) if isinstance(value, str) else value


DUE_WORDS = "today, tomorrow, a weekday (friday), 3d, 1w, 12h, a date (2026-06-01)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_due(text: str, now: datetime | None = None) -> datetime:
    """A due date: a duration from now (`3d`), `today`, `tomorrow`, a weekday, or a date or time.

    A day (`tomorrow`, `friday`, `2026-06-01`) is the start of that day in local time, so that
    it is due on that day wherever UTC is; a time without a zone is local time too.
    """
    if _DURATION.match(text):
        return (now or utcnow()) + parse_duration(text)
    today = local_day(now or utcnow())
    word = text.strip().lower()
    if word in ("today", "tomorrow"):
        return start_of_day(today + timedelta(days=word == "tomorrow"))
    weekday = next((i for i, w in enumerate(_WEEKDAYS) if word in (w, w[:3])), None)
    if weekday is not None:
        ahead = (weekday - today.weekday()) % 7 or 7  # the next one: on a Friday, `friday` is a week away
        return start_of_day(today + timedelta(days=ahead))
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{text!r} is not a due date: use {DUE_WORDS} or none") from None
    if len(text.strip()) == 10:  # a date alone
        return start_of_day(when.date())
    return (when if when.tzinfo else when.astimezone()).astimezone(UTC)


def local_day(when: datetime) -> date:
    """The calendar day `when` falls on, in local time."""
    return when.astimezone().date()


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of `day`, as UTC."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def local_date(when: datetime | None) -> str:
    """`2026-11-26`: the local calendar day of a moment, for a column; "" for None."""
    return local_day(when).isoformat() if when is not None else ""


def long_date(when: datetime) -> str:
    """`Thursday 26 November 2026`: a local day, for a sentence to a person."""
    day = local_day(when)
    return f"{_WEEKDAYS[day.weekday()].capitalize()} {day.day} {day.strftime('%B')} {day.year}"


def local_time(when: datetime) -> str:
    """`23 Nov 2026 08:00 CET`: a local time, the zone said once."""
    local = when.astimezone()
    return f"{local.day} {local.strftime('%b %Y %H:%M')} {local.tzname() or ''}".rstrip()


def local_stamp(when: datetime) -> str:
    """`2026-11-23 08:00 CET`: a local time beside local dates (`show`), the zone said."""
    local = when.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def age(when: datetime | None, now: datetime | None = None) -> str:
    """`5m`, `3h`, `2d`, `6w`: how long ago, short enough for a column."""
    if when is None:
        return "?"
    seconds = max(0, int(((now or utcnow()) - when).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"
