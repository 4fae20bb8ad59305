"""The triage library: status changes, notes and due dates on the timeline, authors' history,
what is due; and `show` for a mention with everything on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mentionscan.errors import ConfigError
from mentionscan.followup.triage import add_note, due_cell, history_cell, mark, timeline_lines
from mentionscan.models import Event, Mention
from mentionscan.store import open_store
from mentionscan.workspace import Workspace
from tests.conftest import Cli
from tests.followuptools import local_zone

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def mention(mention_id: str = "aaaa00000001", **changes: object) -> Mention:
    base = Mention(
        id=mention_id,
        url="https://blog.example/post/" + mention_id,
        title="Acme is slow",
        snippet="Acme is slow today.",
        author="Jane Doe",
        author_url=None,
        author_email=None,
        published=None,
        found_at=NOW - timedelta(days=1),
        source="blog",
        source_type="feed",
        queries=("acme",),
        timeline=(Event(NOW - timedelta(days=1), "found", "found by blog for acme"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_mark_logs_each_change_with_its_time() -> None:
    changed = mark(mention(), "todo", note="  look at it  ", due="3d", now=NOW)
    assert changed.status == "todo"
    assert changed.due == NOW + timedelta(days=3)
    assert [(e.kind, e.text, e.at) for e in changed.timeline[1:]] == [
        ("status", "todo", NOW),
        ("due", "2026-05-07T12:00:00Z", NOW),
        ("note", "look at it", NOW),
    ]
    assert [text for _e, text in timeline_lines(changed)] == [
        "found by blog for acme",
        "new -> todo",
        "report back by 2026-05-07",  # the local date
        "look at it",
    ]


def test_mark_with_nothing_new_changes_nothing() -> None:
    original = mention(status="todo", due=NOW)
    assert mark(original, "todo", now=NOW) is original
    assert mark(original, "todo", due="2026-05-04T12:00:00Z", now=NOW) is original
    assert mark(original, "todo", note="   ", now=NOW) is original


def test_due_none_clears_the_date() -> None:
    cleared = mark(mention(due=NOW), None, due="none", now=NOW)
    assert cleared.due is None
    assert timeline_lines(cleared)[-1][1] == "no due date"


@pytest.mark.parametrize(("status", "due"), [("done", None), ("todo", "someday"), ("todo", "3x")])
def test_bad_status_or_due_is_a_config_error(status: str, due: str | None) -> None:
    with pytest.raises(ConfigError):
        mark(mention(), status, due=due, now=NOW)


def test_an_empty_note_is_refused() -> None:
    with pytest.raises(ConfigError, match="the note is empty"):
        add_note(mention(), " \n ")


def stored(tmp_path: Path, mentions: list[Mention]) -> Workspace:
    """A workspace whose database holds `mentions`."""
    location = str(tmp_path / "mentions.json")
    with open_store(location) as store:
        for item in mentions:
            store.put(item)
        store.save()
    return Workspace.open(database=location)


def test_history_is_by_author_else_by_site(tmp_path: Path) -> None:
    contacted = mark(mention("aaaa00000002", author="JANE DOE"), "contacted", now=NOW - timedelta(days=2))
    later = mark(mention("aaaa00000003", author="Jane Doe"), "contacted", now=NOW - timedelta(hours=3))
    other = mention("aaaa00000004", author="Someone Else")
    anonymous = [
        mention("bbbb00000001", author=None, url="https://www.forum.example/t/1"),
        mention("bbbb00000002", author=None, url="https://forum.example/t/2"),
    ]
    everything = [mention(), contacted, later, other, *anonymous]
    found = stored(tmp_path, everything).histories(everything)
    assert found[mention().id].key == "author:jane doe"
    assert found[mention().id].mentions == 3
    assert found[mention().id].last_contacted == NOW - timedelta(hours=3)
    assert found[other.id].mentions == 1
    assert found[other.id].last_contacted is None
    assert found["bbbb00000001"].key == "site:forum.example"
    assert found["bbbb00000001"].mentions == 2
    assert history_cell(found[mention().id], NOW) == "3, contacted 3h ago"
    assert history_cell(found[other.id], NOW) == "1"


def test_a_logged_draft_counts_as_contact_even_without_a_status_change(tmp_path: Path) -> None:
    already = mention(status="contacted").with_event("draft", "To: x", at=NOW)
    assert stored(tmp_path, [already]).histories([already])[already.id].last_contacted == NOW


def test_followups_are_past_or_today_oldest_first_and_open_only(tmp_path: Path) -> None:
    items = [
        mention("c1", due=NOW + timedelta(days=1)),
        mention("c2", due=NOW - timedelta(days=3)),
        mention("c3", due=NOW),
        mention("c4", due=NOW - timedelta(days=9), status="resolved"),
        mention("c5", due=NOW - timedelta(days=9), status="ignored"),
        mention("c6"),
        mention("c7", due=NOW - timedelta(days=1), status="contacted"),
    ]
    assert [m.id for m in stored(tmp_path, items).followups(NOW)] == ["c2", "c7", "c3"]


def test_due_cell() -> None:
    assert due_cell(NOW, NOW) == "today"
    assert due_cell(NOW - timedelta(days=3), NOW) == "3d late"
    assert due_cell(NOW + timedelta(days=2), NOW) == "in 2d"
    assert due_cell(None, NOW) == ""


@pytest.fixture
def utc() -> Iterator[None]:
    with local_zone("UTC"):
        yield


def test_show_prints_everything_known(cli: Cli, tmp_path: Path, utc: None) -> None:
    database = tmp_path / "m.json"
    full = mark(
        mention(
            author_email="jane@example.org",
            author_url="https://jane.example",
            contacts=({"kind": "email", "value": "jane@example.org", "found_at": "feed"},),
            published=NOW - timedelta(days=2),
        ),
        "contacted",
        note="first line\nsecond line",
        due="2026-05-10",
        now=NOW,
    )
    with open_store(database) as store:
        store.put(full)
        store.put(mention("aaaa00000009", status="resolved"))
        store.save()
    result = cli("show", "aaaa00000001", "--db", str(database))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "due:       2026-05-10 (" in out
    assert "author:    Jane Doe <jane@example.org> https://jane.example\n" in out
    assert "history:   2 mentions from this author stored; last contacted 2026-05-04T12:00:00Z (" in out
    assert "contacts:\n  email  jane@example.org  (found at feed)\n" in out
    assert out.endswith(
        "  2026-05-04T12:00:00Z  note     first line\n                                 second line\n"
    )
    record = cli.json("show", "aaaa00000001", "--db", str(database), "--format", "json")
    assert record["due"] == "2026-05-10T00:00:00Z"
    assert record["history"] == {
        "key": "author:jane doe",
        "mentions": 2,
        "last_contacted": "2026-05-04T12:00:00Z",
    }
    assert [e["kind"] for e in record["timeline"]] == ["found", "status", "due", "note"]
    assert list(record)[:15] == [
        "id", "url", "link", "title", "snippet", "author", "author_url", "author_email", "published",
        "found_at", "source", "source_type", "queries", "status", "related",
    ]  # fmt: skip


def test_show_of_an_unknown_id(cli: Cli, tmp_path: Path) -> None:
    database = tmp_path / "m.json"
    with open_store(database) as store:
        store.put(mention())
        store.save()
    result = cli("show", "zzz", "--db", str(database))
    assert result.exit_code == 2
    assert result.stderr == "Error: no mention with id 'zzz'\n"


def test_note_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    database = tmp_path / "m.json"
    with open_store(database) as store:
        store.put(mention())
        store.save()
    assert cli("note", "aaaa", "called them", "--db", str(database)).exit_code == 0
    empty = cli("note", "aaaa", "  ", "--db", str(database))
    assert empty.exit_code == 2
    assert empty.stderr == "Error: the note is empty\n"
    record = cli.json("show", "aaaa", "--db", str(database), "--format", "json")
    assert [(e["kind"], e["text"]) for e in record["timeline"]][1:] == [("note", "called them")]
