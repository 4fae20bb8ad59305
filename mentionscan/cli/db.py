"""`db info` (where the database is and what it holds) and `db migrate` (JSON <-> SQLite)."""

from __future__ import annotations

from typing import Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import ConfigOption, DbOption, say, workspace

db_app = typer.Typer(
    help="Look after the database: where it is, what it holds, which backend keeps it.",
    no_args_is_help=True,
    rich_markup_mode=None,  # as the main app: plain help
)
app.add_typer(db_app, name="db")


@db_app.command("info")
def info(config: ConfigOption = None, db: DbOption = None) -> None:
    """Print the database's location, backend, schema, mention and state counts and size."""
    found = workspace(config, db).database_info()
    lines = [
        f"location: {found.location}",
        f"file:     {found.path}{'' if found.exists else ' (not created yet: the first fetch creates it)'}",
        f"backend:  {found.backend}",
        f"schema:   {found.schema if found.schema is not None else '-'}",
        f"mentions: {found.mentions}",
        f"states:   {found.states} (what fetches and digests remember: each source's health, each search's"
        " cursor and validators, the last digest)",
        f"size:     {_size(found.size)}",
    ]
    typer.echo("\n".join(lines))


@db_app.command("migrate")
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to", help="Where to copy it: sqlite:///path/mentions.db, or a .json path.", show_default=False
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="The database to copy [default: the configured one].", show_default=False
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Copy the database into a new one, of either backend, losing nothing; the source is kept.

    The target must not exist or be empty; the copy is read back and compared before this
    reports success. Then point `database` in the config at the new location.
    """
    done = workspace(config, source).migrate(to)
    say(
        f"Copied {done.mentions} mentions and {done.states} states from {done.source} to {done.target}, "
        "and checked the copy."
    )
    say(f'To use it, set in [settings]: database = "{done.target}"')


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} ({size} bytes)"
    return f"{size} bytes"
