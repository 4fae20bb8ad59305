"""Report-back dates as a person means them: `today`, `tomorrow`, a weekday, a local date, counted in days.

Each test runs in a time zone chosen for it, as a user there would: far from UTC, or one where
it is midday now, so that "20 minutes later" never crosses a midnight.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
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
        assert set_today.stderr.startswith(
            f"aaaa000  new -> todo, due {today.isoformat()} (today)  Acme is slow\n"
        )
        assert "past" not in set_today.stderr
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


def test_a_date_already_past_is_said_at_once(cli: Cli, tmp_path: Path, midday: None) -> None:
    # 2025-12-01 for 2026-12-01, or November for December: the promise would be late already.
    database = stored(tmp_path, mention("aaaa00000001"), mention("aaaa00000002"))
    past = (datetime.now().astimezone().date() - timedelta(days=10)).isoformat()
    marked = cli("mark", "aaaa00000001", "todo", "--due", past, "--db", database)
    assert marked.exit_code == 0, marked.stderr
    assert marked.stderr == (
        f"aaaa000  new -> todo, due {past} (10d late)  Acme is slow\n"
        "Marked 1 mention todo.\n"
        f"Warning: the due date {past} is already past (10d late): followups lists it now\n"
    )
    replied = cli("reply", "aaaa00000002", "--mark", "--due", past, "--db", database)
    assert replied.exit_code == 0, replied.stderr
    assert f"Warning: the due date {past} is already past (10d late)" in replied.stderr
    ahead = cli("mark", "aaaa00000001", "todo", "--due", "3d", "--db", database)
    assert "(in 3d)  Acme is slow\n" in ahead.stderr and "past" not in ahead.stderr


def test_a_reply_after_the_date_went_by_does_not_promise_it_again(
    cli: Cli, tmp_path: Path, midday: None
) -> None:
    gone = utcnow() - timedelta(days=2)
    database = stored(
        tmp_path,
        replace(mention("aaaa00000001"), due=gone, status="contacted"),
        replace(mention("aaaa00000002"), due=utcnow() + timedelta(days=1)),
    )
    late = cli("reply", "aaaa00000001", "--db", database)
    assert late.exit_code == 0, late.stderr
    body = message_from_bytes(late.stdout_bytes, policy=policy.default).get_body().get_content()  # type: ignore[union-attr]
    assert "4. I will write to you again when this is done, by [date].\n" in body
    assert (
        f"Warning: the report-back date {gone.astimezone():%Y-%m-%d} has passed: "
        "the draft says [date]; give --due for the new one\n"
    ) in late.stderr
    renewed = cli("reply", "aaaa00000001", "--mark", "--due", "3d", "--db", database)
    assert "[date]" not in renewed.stdout and "has passed" not in renewed.stderr
    ahead = cli("reply", "aaaa00000002", "--db", database)  # tomorrow is still a promise to keep
    assert "has passed" not in ahead.stderr and "[date]" not in ahead.stdout


def test_a_template_s_date_is_the_local_day_it_was_published(cli: Cli, tmp_path: Path, write_config) -> None:
    published = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)  # 2 June, 08:00 in Auckland
    stored(tmp_path, replace(mention("aaaa00000001"), published=published))
    (tmp_path / "reply.txt").write_text("You wrote on $date.\n", encoding="utf-8")
    config = write_config(
        {"acme": "acme"}, [], settings={"reply_template": "reply.txt", "database": "m.json"}
    )
    with local_zone("Pacific/Auckland"):
        result = cli("reply", "aaaa00000001", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n\nYou wrote on 2026-06-02.\n")


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
