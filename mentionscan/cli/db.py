"""`db info` (where the database is and what it holds), `db init` and `db upgrade` (its schema),
`db migrate` (between JSON, SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Annotated

import typer

from mentionscan.cli.app import command_group
from mentionscan.cli.common import ConfigOption, DbOption, say, workspace

db_app = command_group("db", "Look after the database: where it is, what it holds, which backend keeps it.")


@db_app.command("info")
def info(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the database's location, backend, schema, mention and state counts and size."""
    found = workspace(config, db).database_info()
    if found.path is None:
        where = f"server:   {shown_location(found.location)}" + (
            "" if found.exists else " (no tables yet: run `mentionscan db init`)"
        )
    else:
        created = "" if found.exists else " (not created yet: the first fetch creates it)"
        where = f"file:     {found.path}{created}"
    lines = [
        f"location: {shown_location(found.location)}",
        where,
        f"backend:  {found.backend}",
        f"schema:   {found.schema if found.schema is not None else '-'}",
        f"mentions: {found.mentions}",
        f"states:   {found.states} (what fetches and digests remember: each source's health, each search's"
        " cursor and validators, the last digest)",
        f"size:     {_size(found.size)}",
    ]
    typer.echo("\n".join(lines))


@db_app.command("init")
def init(config: ConfigOption = None, db: DbOption = None) -> None:
    """Create the tables of a PostgreSQL database (once, from any machine); nothing if they are there."""
    ws = workspace(config, db)
    made = ws.init_database()
    where = shown_location(ws.database)
    say(f"Created the mentionscan tables in {where}." if made else f"{where} has its tables already.")


@db_app.command("upgrade")
def upgrade(config: ConfigOption = None, db: DbOption = None) -> None:
    """Bring the database's schema to this version of mentionscan (a PostgreSQL one needs it once)."""
    ws = workspace(config, db)
    before, after = ws.upgrade_database()
    where = shown_location(ws.database)
    if after is None:
        say(f"{where} holds no database yet: the first fetch creates it at this version's schema.")
    elif before == after:
        say(f"{where} is at schema {after}: nothing to upgrade.")
    else:
        say(f"Upgraded {where} from schema {before if before is not None else '-'} to {after}.")


@db_app.command("migrate")
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Where to copy it: sqlite:///path/mentions.db, postgresql://user@host/db, or a .json path.",
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option("--from", help="The database to copy [default: the configured one]."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Copy the database into a new one, of either backend, losing nothing; the source is kept.

    The target must not exist or be empty; the copy is read back and compared before this
    reports success. Then point `database` in the config at the new location.
    """
    done = workspace(config, source).migrate(to)
    source, target = shown_location(done.source), shown_location(done.target)
    say(
        f"Copied {done.mentions} mentions and {done.states} states from {source} to {target}, "
        "and checked the copy."
    )
    told = shown_location(done.target, mask=None)
    say(f'To use it, set in [settings]: database = "{told}"')
    if told != done.target:  # the password stays out of the config
        say("and give its password by database_password_env, PGPASSWORD or ~/.pgpass (see Team mode)")


def shown_location(location: str, mask: str | None = "***") -> str:
    """A database location with its password masked (dropped when `mask` is None)."""
    if "://" not in location or "@" not in location:
        return location
    from mentionscan.urls import redact_password

    return redact_password(location, mask)


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} ({size} bytes)"
    return f"{size} bytes"
