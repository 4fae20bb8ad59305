"""The PostgreSQL backend through the real CLI: `db init`, `db upgrade`, `db info`, `db migrate`
into and out of it, every everyday command as on a file, `fetch --shard`, and what a user is told
when something is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.delivery.digest import DigestState
from mentionscan.store import open_store
from mentionscan.urls import redact_password
from tests import pgtools
from tests.conftest import ROOT, Cli
from tests.test_db_cli import config, everything, filled_database  # noqa: F401  (a fixture)

needs_server = pytest.mark.postgres


@pytest.fixture
def database() -> str:
    return pgtools.database_url()


@needs_server
def test_db_init_creates_the_tables_once_and_upgrade_and_info_say_where_it_stands(
    cli: Cli, database: str
) -> None:
    info, shown = cli("db", "info", "--db", database), redact_password(database)
    assert info.exit_code == 0, info.stderr
    assert f"server:   {shown} (no tables yet: run `mentionscan db init`)" in info.stdout
    assert "backend:  postgres\nschema:   -\nmentions: 0" in info.stdout
    made = cli("db", "init", "--db", database)
    assert (made.exit_code, made.stderr) == (0, f"Created the mentionscan tables in {shown}.\n")
    again = cli("db", "init", "--db", database)
    assert (again.exit_code, again.stderr) == (0, f"{shown} has its tables already.\n")
    upgraded = cli("db", "upgrade", "--db", database)
    assert (upgraded.exit_code, upgraded.stderr) == (0, f"{shown} is at schema 1: nothing to upgrade.\n")
    info = cli("db", "info", "--db", database)
    assert "schema:   1\nmentions: 0\nstates:   0 (what fetches and digests remember" in info.stdout


def test_db_init_on_a_file_says_the_first_fetch_makes_it(cli: Cli, tmp_path: Path) -> None:
    result = cli("db", "init", "--db", str(tmp_path / "m.json"))
    assert result.exit_code == 2
    assert "the first fetch creates it; db init is for a postgresql:// database" in result.stderr


@needs_server
def test_migrate_json_into_postgres_and_out_to_sqlite_loses_nothing(
    cli: Cli,
    config: Path,  # noqa: F811
    database: str,
    tmp_path: Path,
) -> None:
    source = filled_database(cli, config)
    with open_store(source) as store:
        store.write_state(DigestState(count=3, where="sent to founder@example.com"))
        store.save()
    before = everything(str(source))
    names = set(before[1])
    assert (
        {"digest"} <= names
        and any(n.startswith("task:") for n in names)
        and any(n.startswith("source:") for n in names)
    )
    into = cli("db", "migrate", "--config", str(config), "--to", database)
    assert into.exit_code == 0, into.stderr
    assert f"states from {source} to {redact_password(database)}, and checked the copy." in into.stderr
    assert f'database = "{redact_password(database, None)}"' in into.stderr  # never a password, nor ***
    assert everything(database) == before
    back = f"sqlite:///{tmp_path / 'back.db'}"
    out = cli("db", "migrate", "--from", database, "--to", back)
    assert out.exit_code == 0, out.stderr
    assert everything(back) == before
    again = cli("db", "migrate", "--from", back, "--to", database)
    assert again.exit_code == 1
    assert f"database {redact_password(database)} already holds {len(before[0])} mentions" in again.stderr
    # The next fetch on PostgreSQL goes on from the cursors it was given: nothing new, conditional GETs.
    fetched = cli("fetch", "--config", str(config), "--db", database, "--format", "json")
    assert (fetched.exit_code, json.loads(fetched.stdout)) == (0, [])


@needs_server
def test_the_everyday_commands_answer_on_postgres_as_on_a_file(
    cli: Cli,
    config: Path,  # noqa: F811
    database: str,
) -> None:
    answers = []
    for where in (str(config.parent / "mentions.json"), database):

        def run(*args: str, where: str = where) -> str:
            result = cli(*args, "--config", str(config), "--db", where)
            assert result.exit_code == 0, result.stderr
            return result.stdout

        first = json.loads(run("fetch", "--format", "json"))[0]["id"]
        run("mark", first, "todo", "--due", "2030-01-01")
        run("note", first, "asked them on the forum")
        outputs = [
            run("list", "--format", "json", "--all"),
            run("list", "--status", "todo", "--format", "json"),
            run("search", "acme", "--format", "json"),
            run("followups", "--format", "json"),
            "[" + ",".join(run("export", "--format", "jsonl").splitlines()) + "]",
        ]
        # The same but for the moment each fetch found its mentions.
        answers.append(
            [[{k: v for k, v in row.items() if k != "found_at"} for row in json.loads(o)] for o in outputs]
        )
        answers[-1].append(run("show", first).replace(first, "ID").splitlines()[1:3])
    assert answers[0] == answers[1]
    assert answers[1][1] and answers[1][2]


@needs_server
def test_a_password_variable_that_is_not_set_is_named(cli: Cli, database: str, write_config) -> None:
    path = write_config(
        {"acme": "acme"}, [], {"database": database, "database_password_env": "TEAM_DB_PASSWORD"}
    )
    result = cli("list", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: [settings] database_password_env: environment variable TEAM_DB_PASSWORD is not set "
        f"(the password of {redact_password(database)})\n"
    )


@needs_server
def test_the_password_comes_from_the_variable_named_or_from_libpq(
    cli: Cli, database: str, write_config, tmp_path: Path
) -> None:
    location = pgtools.role_with_password(database, "s3cret")
    settings = {"database": location, "database_password_env": "TEAM_DB_PASSWORD"}
    path = write_config({"acme": "acme"}, [], settings)
    wrong = cli("db", "init", "--config", str(path), env={"TEAM_DB_PASSWORD": "guess"})
    assert wrong.exit_code == 1, "the test server must ask for passwords on 127.0.0.1, as .ci/run's does"
    assert wrong.stderr.startswith(f"Error: cannot connect to database {location}: ")
    assert "password authentication failed" in wrong.stderr and "guess" not in wrong.stderr
    assert len(wrong.stderr.splitlines()) == 1
    right = cli("db", "init", "--config", str(path), env={"TEAM_DB_PASSWORD": "s3cret"})
    assert right.exit_code == 0, right.stderr
    assert "s3cret" not in right.stdout + right.stderr
    # Without database_password_env, libpq's own: PGPASSWORD, or the password file.
    plain = write_config({"acme": "acme"}, [], {"database": location}, name="plain.toml")
    assert cli("list", "--config", str(plain), env={"PGPASSWORD": "s3cret"}).exit_code == 0
    passfile = tmp_path / "pgpass"
    host, port = location.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    passfile.write_text(f"{host}:{port}:*:*:s3cret\n", encoding="utf-8")
    passfile.chmod(0o600)
    listed = cli("list", "--config", str(plain), env={"PGPASSFILE": str(passfile)})
    assert listed.exit_code == 0, listed.stderr
    assert listed.stderr == "No mentions to show. (--all shows every status)\n"


@needs_server  # psycopg, that is: the server itself is the one that is not there
def test_a_server_that_does_not_answer_is_named_in_one_line(cli: Cli) -> None:
    result = cli("list", "--db", "postgresql://team:pw@127.0.0.1:9/mentions")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot connect to database postgresql://team:***@127.0.0.1:9/mentions: "
    )
    assert "pw" not in result.stderr.replace("postgresql", "") and len(result.stderr.splitlines()) == 1


def test_without_psycopg_the_error_names_the_install_command() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from mentionscan.cli import main\n"
        "sys.argv = ['mentionscan', 'list', '--db', 'postgresql://team@db.example/mentions']\n"
        "main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Error: database db.example/mentions: PostgreSQL needs psycopg, which is not installed: "
        "pip install 'mentionscan[postgres]'\n"
    )


def test_fetch_shard_splits_the_sources_between_machines_and_checks_its_argument(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    rss = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
    for n in range(8):
        httpserver.expect_request(f"/f{n}").respond_with_data(rss, content_type="application/rss+xml")
    sources = [{"name": f"s{n}", "type": "feed", "url": httpserver.url_for(f"/f{n}")} for n in range(8)]
    path = write_config({"acme": "acme"}, sources)
    asked = []
    for share in ("1/3", "2/3", "3/3"):
        before = len(httpserver.log)
        result = cli("fetch", "--config", str(path), "--shard", share)
        assert result.exit_code == 0, result.stderr
        asked.append({request.path for request, _ in httpserver.log[before:]})
    assert sorted(p for share in asked for p in share) == sorted(f"/f{n}" for n in range(8))
    assert sorted(len(share) for share in asked) == [2, 3, 3]  # as even as 8 sources split in 3 can be
    for wrong in ("0/3", "4/3", "a/b", "3"):
        result = cli("fetch", "--config", str(path), "--shard", wrong)
        assert result.exit_code == 2
        assert result.stderr == f"Error: --shard {wrong!r}: give I/N with 1 <= I <= N, e.g. --shard 1/3\n"
