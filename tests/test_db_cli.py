"""`mentionscan db migrate` and `db info` through the real CLI, on databases a real fetch filled."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.models import Mention
from mentionscan.store import open_store
from mentionscan.store.sqlite_schema import SCHEMA
from tests.conftest import DATA, Cli
from tests.store.tools import check_sqlite_rows, full_mention, write_schema_1_sqlite

ACME = 'acme OR "acme widgets" -"acme corp careers" -site:acme.example'


@pytest.fixture
def config(httpserver: HTTPServer, write_config) -> Path:
    feeds = {"/rss20": "rss20.xml", "/atom": "atom10.xml"}
    for path, name in feeds.items():
        httpserver.expect_request(path).respond_with_data(
            (DATA / name).read_bytes(), content_type="application/xml", headers={"ETag": f'"{name}"'}
        )
    sources = [
        {"name": "blog", "type": "feed", "url": httpserver.url_for("/rss20")},
        {"name": "forum", "type": "feed", "url": httpserver.url_for("/atom")},
    ]
    return write_config({"acme": ACME}, sources)


def filled_database(cli: Cli, config: Path) -> Path:
    """The JSON database a real fetch wrote, with a mark, a note and a mention with every field set."""
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)[0]["id"]
    assert cli("mark", "--config", str(config), first, "todo").exit_code == 0
    assert cli("note", "--config", str(config), first, "asked them on the forum").exit_code == 0
    database = config.parent / "mentions.json"
    with open_store(database) as store:
        store.put(full_mention())
        store.save()
    return database


def everything(location: str) -> tuple[list[dict], dict]:
    with open_store(location, write=False) as store:
        return [m.to_dict() for m in list(store.mentions())], store.states()


def test_migrate_to_sqlite_loses_nothing_and_the_next_fetch_goes_on_from_it(cli: Cli, config: Path) -> None:
    database = filled_database(cli, config)
    before = everything(str(database))
    assert len(before[0]) >= 3
    assert any(m["timeline"] and m["timeline"][-1]["kind"] == "note" for m in before[0])
    assert any(name.startswith("task:") and value.get("etag") for name, value in before[1].items())
    target = config.parent / "data" / "mentions.db"

    result = cli("db", "migrate", "--config", str(config), "--to", f"sqlite:///{target}")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    count = len(before[0])
    assert f"Copied {count} mentions and {len(before[1])} states from {database} to sqlite:///{target}" in (
        result.stderr
    )
    assert f'database = "sqlite:///{target}"' in result.stderr
    assert everything(f"sqlite:///{target}") == before  # every field, in the same order
    assert everything(str(database)) == before  # and the source is as it was
    with open_store(str(database), write=False) as store:
        check_sqlite_rows(target, list(store.mentions()))  # and what queries read is right
    # What a user sees is the same from either database.
    for args in (("list", "--all", "--format", "json"), ("show", full_mention().id, "--format", "json")):
        from_json = cli(*args, "--db", str(database))
        from_sqlite = cli(*args, "--db", f"sqlite:///{target}")
        assert from_json.exit_code == from_sqlite.exit_code == 0, from_sqlite.stderr
        assert from_sqlite.stdout == from_json.stdout
    # Switched over, the next fetch knows every mention and sends the stored validators.
    text = config.read_text().replace('database = "mentions.json"', 'database = "sqlite:///data/mentions.db"')
    config.write_text(text)
    again = cli("fetch", "--config", str(config), "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == []
    assert "0 new mentions" in again.stderr


def test_migrate_back_to_json(cli: Cli, config: Path, tmp_path: Path) -> None:
    database = filled_database(cli, config)
    sqlite_location = f"sqlite:///{tmp_path / 'm.db'}"
    assert cli("db", "migrate", "--from", str(database), "--to", sqlite_location).exit_code == 0
    back = tmp_path / "back" / "mentions.json"
    result = cli("db", "migrate", "--from", sqlite_location, "--to", str(back))
    assert result.exit_code == 0, result.stderr
    assert everything(str(back)) == everything(str(database))
    again = tmp_path / "again.db"
    assert cli("db", "migrate", "--from", str(back), "--to", f"sqlite:///{again}").exit_code == 0
    assert everything(f"sqlite:///{again}") == everything(str(database))
    check_sqlite_rows(again, [Mention.from_dict(m) for m in everything(str(database))[0]])


def test_migrate_from_a_schema_1_database_leaves_it_as_it_was(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    mentions = [full_mention()]
    write_schema_1_sqlite(old, mentions, {"source:hn": {"etag": "x"}})
    before = sqlite_dump(old)
    info = cli("db", "info", "--db", f"sqlite:///{old}")
    assert "schema:   1\n" in info.stdout
    target = tmp_path / "new.json"
    result = cli("db", "migrate", "--from", f"sqlite:///{old}", "--to", str(target))
    assert result.exit_code == 0, result.stderr
    assert sqlite_dump(old) == before  # not even upgraded
    assert everything(str(target)) == ([m.to_dict() for m in mentions], {"source:hn": {"etag": "x"}})


def sqlite_dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_migrate_refuses_a_target_that_holds_anything(cli: Cli, config: Path, tmp_path: Path) -> None:
    database = filled_database(cli, config)
    target = tmp_path / "busy.db"
    with open_store(f"sqlite:///{target}") as store:
        store.set_state("source:other", {"failures": 1})
        store.save()
    before = target.read_bytes()
    result = cli("db", "migrate", "--from", str(database), "--to", f"sqlite:///{target}")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: database {target} already holds 0 mentions and 1 states: "
        "migrate only into a new or empty database"
    )
    assert target.read_bytes() == before
    json_target = tmp_path / "other.json"
    json_target.write_text("not json")
    result = cli("db", "migrate", "--from", str(database), "--to", str(json_target))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot read database {json_target}: it is not valid JSON")
    assert json_target.read_text() == "not json"


def test_migrate_refuses_to_copy_onto_itself_or_from_nothing(cli: Cli, tmp_path: Path) -> None:
    database = tmp_path / "m.json"
    missing = cli("db", "migrate", "--from", str(database), "--to", f"sqlite:///{tmp_path / 'm.db'}")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"Error: database {database} does not exist: nothing to migrate"
    assert not (tmp_path / "m.db").exists()
    database.write_text('{"_meta": {"1": {"schema": 1}}}')
    itself = cli("db", "migrate", "--from", str(database), "--to", str(database))
    assert itself.exit_code == 1
    assert "onto itself" in itself.stderr


def test_migrate_needs_a_target(cli: Cli) -> None:
    result = cli("db", "migrate")
    assert result.exit_code == 2
    assert "--to" in result.stderr


def test_db_info_for_each_backend(cli: Cli, config: Path, tmp_path: Path) -> None:
    database = filled_database(cli, config)
    mentions, states = everything(str(database))
    result = cli("db", "info", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert {k: v.strip() for k, v in lines.items() if k != "size"} == {
        "location": str(database),
        "file": str(database),
        "backend": "json",
        "schema": "1",
        "mentions": str(len(mentions)),
        "states": f"{len(states)} (what fetches and digests remember: each source's health, each search's "
        "cursor and validators, the last digest)",
    }
    assert lines["size"].strip().endswith(f"({database.stat().st_size} bytes)")

    target = tmp_path / "m.db"
    assert cli("db", "migrate", "--from", str(database), "--to", f"sqlite:///{target}").exit_code == 0
    result = cli("db", "info", "--db", f"sqlite:///{target}")
    assert result.exit_code == 0, result.stderr
    assert "backend:  sqlite\n" in result.stdout
    assert "schema:   3\n" in result.stdout
    assert f"mentions: {len(mentions)}\n" in result.stdout
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == len(mentions)
    conn.close()

    fresh = cli("db", "info", "--db", str(tmp_path / "none.json"))
    assert fresh.exit_code == 0
    assert "(not created yet: the first fetch creates it)" in fresh.stdout
    assert "mentions: 0\n" in fresh.stdout


def test_db_info_names_an_unreadable_database(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all")
    result = cli("db", "info", "--db", f"sqlite:///{broken}")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: cannot read database {broken}: it is not an SQLite database; "
        "it was left untouched — fix or move it away"
    )


def test_db_upgrade_brings_an_old_file_to_this_schema_once(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    write_schema_1_sqlite(old, [full_mention()], {"source:hn": {"etag": "x"}})
    location = f"sqlite:///{old}"
    first = cli("db", "upgrade", "--db", location)
    assert first.exit_code == 0, first.stderr
    assert first.stderr.splitlines() == [
        f"upgrading database {old} (schema 1 to {SCHEMA}, 1 mention): "
        "once, about a minute per 300,000 mentions",
        f"Upgraded {location} from schema 1 to {SCHEMA}.",
    ]
    again = cli("db", "upgrade", "--db", location)
    assert (again.exit_code, again.stderr) == (0, f"{location} is at schema {SCHEMA}: nothing to upgrade.\n")
    with open_store(location, write=False) as store:
        assert store.get(full_mention().id) == full_mention()
    missing = tmp_path / "none.json"
    result = cli("db", "upgrade", "--db", str(missing))
    assert result.exit_code == 0 and not missing.exists()
    assert result.stderr == (
        f"{missing} holds no database yet: the first fetch creates it at this version's schema.\n"
    )


def test_an_sqlite_file_named_as_a_plain_path_is_told_how_to_name_it(cli: Cli, config: Path) -> None:
    filled_database(cli, config)
    target = config.parent / "mentions.db"
    assert cli("db", "migrate", "--config", str(config), "--to", f"sqlite:///{target}").exit_code == 0
    before = target.read_bytes()

    result = cli("list", "--config", str(config), "--db", str(target))

    assert result.exit_code != 0
    assert f"database {target} is an SQLite database: name it sqlite:///{target}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert target.read_bytes() == before
    assert cli("list", "--config", str(config), "--db", f"sqlite:///{target}").exit_code == 0
