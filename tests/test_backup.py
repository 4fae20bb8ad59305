"""`export --full` and `import`: a backup that round-trips, and a merge into a database that loses nothing.

Every test runs the real CLI, from each backend into each backend.
"""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from mentionscan.models import Event
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.store.corpus import corpus
from tests.store.tools import T0, full_mention, location_in, make, store_all

BACKENDS = ("json", "sqlite")
STATES = {"health:blog": {"failures": 2}, "task:blog:acme": {"cursor": "2026-11-23T07:00:00Z"}}
H = timedelta(hours=1)


def everything(location: str) -> tuple[list[dict], dict]:
    """Every mention (whole, in stored order) and every state of a database."""
    with open_store(location, write=False) as store:
        return [m.to_dict() for m in store.mentions()], store.states()


@pytest.mark.parametrize("target", BACKENDS)
@pytest.mark.parametrize("source", BACKENDS)
def test_a_backup_restores_the_same_database(cli: Cli, tmp_path: Path, source: str, target: str) -> None:
    original = location_in(tmp_path, source, "original")
    store_all(original, [*corpus(), full_mention()], STATES)
    backup = tmp_path / "backup.json"
    made = cli("export", "--full", "-o", str(backup), "--db", original)
    assert made.exit_code == 0, made.stderr
    assert made.stderr == (
        f"Backed up 9 mentions to {backup}: every field, and the program state\n"
        f"  `mentionscan import {backup}` reads it back\n"
    )
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # names and addresses: the owner's only
    document = json.loads(backup.read_text(encoding="utf-8"))
    saved = next(m for m in document["mentions"] if m["id"] == full_mention().id)
    for key in ("timeline", "contacts", "due", "digested_at", "keys", "text", "tags", "extra"):
        assert saved[key] == full_mention().to_dict()[key], key

    restored = location_in(tmp_path, target, "restored")
    result = cli("import", str(backup), "--db", restored)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (  # a database the import makes is said, as fetch says it
        f"new database {restored.removeprefix('sqlite:///')}\n"
        f"Imported {backup}: 9 added, 0 merged, 0 already there, 2 states added\n"
    )
    assert everything(restored) == everything(original)

    # Again: nothing changes, and says so.
    again = cli("import", str(backup), "--db", restored)
    assert again.stderr == (
        f"Imported {backup}: 0 added, 0 merged, 9 already there, 0 states added (2 the database had, kept)\n"
    )
    assert everything(restored) == everything(original)


@pytest.mark.parametrize("target", BACKENDS)
@pytest.mark.parametrize("source", BACKENDS)
def test_importing_into_a_database_in_use_merges_by_id_and_loses_nothing(
    cli: Cli, tmp_path: Path, source: str, target: str
) -> None:
    # On the laptop: A was noted, set todo and given a due date; C exists only here.
    ours = make(1, title="Acme broke", status="todo", due=T0 + 48 * H, timeline=(
        Event(T0, "found", "found by blog"), Event(T0 + H, "status", "todo"), Event(T0 + H, "note", "ours"),
        Event(T0 + H, "due", "2026-11-25T07:00:00Z"),
    ))  # fmt: skip
    only_here = make(3, title="Only here")
    database = location_in(tmp_path, target, "laptop")
    store_all(database, [ours, only_here], {"health:blog": {"failures": 0}})

    # On the server: A was answered later (contacted, a note, an address found, digested); B is new.
    theirs = replace(
        ours,
        author_email="jane@example.org",
        status="contacted",
        due=None,
        digested_at=T0 + 3 * H,
        contacts=({"kind": "email", "value": "jane@example.org", "found_at": "feed"},),
        queries=("widget", "acme"),
        timeline=(
            Event(T0, "found", "found by blog"),
            Event(T0 + 2 * H, "status", "contacted"),
            Event(T0 + 2 * H, "note", "theirs"),
            Event(T0 + 2 * H, "due", "cleared"),
        ),
    )
    new = make(2, title="Found on the server")
    # Stored there under another id, with the same link: the same item, found twice.
    twin = make(9, url=only_here.url, keys=only_here.keys, tags=("launch",))
    server = location_in(tmp_path, source, "server")
    store_all(server, [theirs, new, twin], STATES)
    backup = tmp_path / "server.json"
    assert cli("export", "--full", "-o", str(backup), "--db", server).exit_code == 0

    dry = cli("import", str(backup), "--db", database, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stderr == (
        f"Would import {backup}: 1 added, 2 merged, 0 already there, 1 state added "
        "(1 the database had, kept) (dry run: nothing changed)\n"
    )
    before = everything(database)
    result = cli("import", str(backup), "--db", database)
    assert result.exit_code == 0, result.stderr
    assert (
        dry.stderr.replace("Would import", "Imported").replace(" (dry run: nothing changed)", "")
        == result.stderr
    )
    assert before != everything(database)

    with open_store(database, write=False) as store:
        merged = store.get(ours.id)
        assert [(e.kind, e.text) for e in merged.timeline] == [
            ("found", "found by blog"),
            ("status", "todo"), ("note", "ours"), ("due", "2026-11-25T07:00:00Z"),
            ("status", "contacted"), ("note", "theirs"), ("due", "cleared"),
        ]  # fmt: skip
        assert merged.status == "contacted"  # changed last on the server
        assert merged.due is None  # cleared last on the server
        assert merged.author_email == "jane@example.org"  # filled in
        assert merged.contacts == theirs.contacts
        assert merged.queries == ("widget", "acme")
        assert merged.digested_at == T0 + 3 * H  # carried by a digest there: never sent again here
        assert merged.title == "Acme broke"
        assert store.get(new.id) == new
        assert store.get(twin.id) is None  # merged into the one holding its link
        assert store.get(only_here.id).tags == ("launch",)
        assert store.count() == 3
        assert store.states() == {"health:blog": {"failures": 0}, "task:blog:acme": STATES["task:blog:acme"]}

    again = cli("import", str(backup), "--db", database)
    assert ": 0 added, 0 merged, 3 already there, " in again.stderr


def test_a_later_change_here_wins_over_an_older_one_in_the_backup(cli: Cli, tmp_path: Path) -> None:
    found = Event(T0, "found")
    server = str(tmp_path / "server.json")
    store_all(server, [make(1, status="todo", timeline=(found, Event(T0 + H, "status", "todo")))])
    backup = tmp_path / "b.json"
    assert cli("export", "--full", "-o", str(backup), "--db", server).exit_code == 0
    laptop = str(tmp_path / "laptop.json")
    store_all(laptop, [make(1, status="resolved", timeline=(found, Event(T0 + 5 * H, "status", "resolved")))])
    assert cli("import", str(backup), "--db", laptop).exit_code == 0
    with open_store(laptop, write=False) as store:
        kept = store.get("m000001")
    assert kept.status == "resolved"
    assert [e.text for e in kept.timeline if e.kind == "status"] == ["todo", "resolved"]


def test_a_part_of_the_database_is_backed_up_without_program_state(cli: Cli, tmp_path: Path) -> None:
    database = str(tmp_path / "m.json")
    store_all(database, [make(1, status="todo"), make(2)], STATES)
    backup = tmp_path / "todo.json"
    result = cli("export", "--full", "--status", "todo", "-o", str(backup), "--db", database)
    assert result.exit_code == 0, result.stderr
    assert "every field, no program state: a part of the database" in result.stderr
    document = json.loads(backup.read_text(encoding="utf-8"))
    assert [m["id"] for m in document["mentions"]] == ["m000001"]
    assert "states" not in document
    # To stdout, for a pipe: the same document.
    piped = json.loads(cli("export", "--full", "--status", "todo", "--db", database).stdout)
    assert piped["mentions"] == document["mentions"]


def import_refused(cli: Cli, tmp_path: Path, content: str) -> tuple[Path, str]:
    """Import a file holding `content` into a database of one mention: refused (exit 2), the
    database left byte for byte as it was. The file, and what stderr said."""
    database = tmp_path / "m.json"
    store_all(str(database), [make(1)])
    before = database.read_bytes()
    file = tmp_path / "file.json"
    file.write_text(content, encoding="utf-8")
    result = cli("import", str(file), "--db", str(database))
    assert result.exit_code == 2
    assert database.read_bytes() == before
    return file, result.stderr


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('[{"id": "m000001"}]', " is a plain export (the public fields only, no timeline or dedup keys): "
         "import reads what `mentionscan export --full` writes"),
        ("id,url\n", " is not a mentionscan backup: not JSON"),
        ('{"mentions": []}', " is not a mentionscan backup: make one with `mentionscan export --full`"),
        ('{"mentionscan_backup": 7, "mentions": []}',
         " is a backup of version 7, made by a newer mentionscan: this one reads version 1"),
        ('{"mentionscan_backup": 1, "mentions": [{"id": "m1", "keys": []}]}',
         ": mention #1 ('m1') has no dedup keys: it cannot be stored once"),
        ('{"mentionscan_backup": 1, "mentions": [{"id": "m1", "keys": ["k"]}]}',
         ": mention #1 ('m1') is malformed"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_backup_is_one_error_line_and_changes_nothing(
    cli: Cli, tmp_path: Path, content: str, error: str
) -> None:
    file, said = import_refused(cli, tmp_path, content)
    assert said.startswith(f"Error: {file}{error}")
    assert len(said.splitlines()) == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"status": "done"}, "status 'done' is not one of new, todo, contacted, replied, resolved, ignored"),
        ({"found_at": "yesterday"}, "found_at 'yesterday' is not a time"),
        ({"found_at": None}, "'found_at' is missing"),
        ({"due": "soon"}, "due 'soon' is not a time"),
        ({"queries": "widget"}, "'queries' must be a list of strings"),
        ({"title": None}, "'title' must be a string"),
        ({"author": 7}, "'author' must be a string or null"),
        ({"timeline": {"at": "2026-11-23T07:00:00Z"}}, "'timeline' must be a list"),
        ({"timeline": [{"kind": "note", "at": "when"}]}, "timeline event #1: 'at' 'when' is not a time"),
        ({"timeline": ["a note"]}, "timeline event #1 must be an object with a 'kind'"),
        ({"contacts": ["zoe@example.com"]}, "'contacts' must be a list of objects"),
    ],
)  # fmt: skip
def test_a_mention_edited_into_something_else_is_refused_not_stored_changed(
    cli: Cli, tmp_path: Path, change: dict, error: str
) -> None:
    # The store reads its own files leniently (an unreadable time becomes now); a backup comes
    # from elsewhere, so whatever it would turn into something else is an error that names it.
    item = {**full_mention().to_dict(), **change}
    file, said = import_refused(cli, tmp_path, json.dumps({"mentionscan_backup": 1, "mentions": [item]}))
    assert said == f"Error: {file}: mention #1 ('f00dcafe1234') is malformed: {error}\n"


def test_full_writes_json_only(cli: Cli, tmp_path: Path) -> None:
    database = str(tmp_path / "m.json")
    store_all(database, [make(1)])
    csv = cli("export", "--full", "--format", "csv", "--db", database)
    assert csv.exit_code == 2
    assert csv.stderr == "Error: --full writes every field as one JSON document, not csv: name it .json\n"
    named = cli("export", "--full", "-o", str(tmp_path / "b.html"), "--db", database)
    assert named.exit_code == 2
    assert "not a html file" in named.stderr
    assert not (tmp_path / "b.html").exists()
