"""Report-back dates as a person means them: `today`, `tomorrow`, a weekday, a local date, counted in days.

Each test runs in a time zone chosen for it, as a user there would: far from UTC, or one where
it is midday now, so that "20 minutes later" never crosses a midnight.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from mentionscan.followup.triage import due_cell
from mentionscan.store import open_store
from mentionscan.timeutil import parse_due, utcnow
from tests.conftest import Cli
from tests.followuptools import local_zone
from tests.test_triage import mention


@pytest.fixture
def midday() -> Iterator[None]:
    """A zone where it is about noon now (`Etc/GMT-5` is UTC+5): no midnight within hours."""
    offset = 12 - datetime.now(UTC).hour
    with local_zone(f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"):
        yield


def stored(tmp_path: Path, *mentions) -> str:
    database = str(tmp_path / "m.json")
    with open_store(database) as store:
        for item in mentions:
            store.put(item)
        store.save()
    return database


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day).astimezone().astimezone(UTC)


def test_due_today_and_tomorrow_are_local_days(cli: Cli, tmp_path: Path) -> None:
    database = stored(tmp_path, mention("aaaa00000001"), mention("aaaa00000002"))
    with local_zone("America/Los_Angeles"):
        today = datetime.now().astimezone().date()
        set_today = cli("mark", "aaaa00000001", "todo", "--due", "today", "--db", database)
        assert set_today.exit_code == 0, set_today.stderr
        assert set_today.stderr.startswith(f"aaaa000  new -> todo, due {today.isoformat()}  Acme is slow\n")
        assert cli("mark", "aaaa00000002", "todo", "--due", "tomorrow", "--db", database).exit_code == 0

        first = cli.json("show", "aaaa00000001", "--format", "json", "--db", database)
        assert first["due"] == local_midnight(today).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (
            f"due:       {today.isoformat()} (today)\n"
            in cli("show", "aaaa00000001", "--db", database).stdout
        )
        tomorrow = (today + timedelta(days=1)).isoformat()
        shown = cli("show", "aaaa00000002", "--db", database).stdout
        assert f"due:       {tomorrow} (tomorrow)\n" in shown
        assert f"report back by {tomorrow}\n" in shown  # the timeline says the local date too
        # Due today is a follow-up this morning; due tomorrow is not yet.
        due = cli.json("followups", "--format", "json", "--db", database)
        assert [r["id"] for r in due] == ["aaaa00000001"]
        assert "today" in cli("followups", "--db", database).stdout


def test_a_date_is_that_day_where_the_user_is(cli: Cli, tmp_path: Path) -> None:
    database = stored(tmp_path, mention("aaaa00000001"))
    with local_zone("America/Los_Angeles"):
        assert cli("mark", "aaaa00000001", "todo", "--due", "2026-06-01", "--db", database).exit_code == 0
        record = cli.json("show", "aaaa00000001", "--format", "json", "--db", database)
        assert record["due"] == "2026-06-01T07:00:00Z"  # midnight in Los Angeles (PDT)
        assert "due:       2026-06-01 (" in cli("show", "aaaa00000001", "--db", database).stdout
    with local_zone("Asia/Tokyo"):  # the same moment is a day in Tokyo: 2026-06-01 16:00
        assert "due:       2026-06-01 (" in cli("show", "aaaa00000001", "--db", database).stdout


def test_three_days_stay_three_days_until_midnight(cli: Cli, tmp_path: Path, midday: None) -> None:
    # `--due 3d` twenty minutes ago: Thursday, from Monday, whatever the hour.
    set_at = utcnow() - timedelta(minutes=20)
    database = stored(tmp_path, replace(mention("aaaa00000001"), due=set_at + timedelta(days=3)))
    assert "(in 3d)\n" in cli("show", "aaaa00000001", "--db", database).stdout


@pytest.mark.parametrize("hour", [0, 9, 23])
def test_due_cell_counts_calendar_days(hour: int) -> None:
    with local_zone("Europe/Berlin"):
        now = datetime(2026, 11, 23, hour, 50).astimezone()
        assert due_cell(now + timedelta(days=3), now + timedelta(minutes=20)) == (
            "in 2d" if hour == 23 else "in 3d"
        )
        assert due_cell(now, now) == "today"
        assert due_cell(now + timedelta(days=1), now) == "tomorrow"
        assert due_cell(now - timedelta(days=1), now) == "1d late"
        assert due_cell(now + timedelta(days=20), now) == "in 2w"


def test_a_weekday_is_the_next_one() -> None:
    with local_zone("Europe/Berlin"):
        monday = datetime(2026, 11, 23, 9, 0).astimezone()
        assert parse_due("friday", monday) == local_midnight(date(2026, 11, 27))
        assert parse_due("Mon", monday) == local_midnight(date(2026, 11, 30))  # a week on, never today
        assert parse_due("2026-11-24T15:30", monday) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)


def test_a_due_date_that_is_none_of_these_is_one_error_line(cli: Cli, tmp_path: Path) -> None:
    database = stored(tmp_path, mention("aaaa00000001"))
    result = cli("mark", "aaaa00000001", "todo", "--due", "someday", "--db", database)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: 'someday' is not a due date: use today, tomorrow, a weekday (friday), 3d, 1w, 12h, "
        "a date (2026-06-01) or none\n"
    )
