"""What every command shares: consoles, the config and database options, error reporting."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mentionscan.delivery.formats import Format

if TYPE_CHECKING:
    from rich.console import Console

    from mentionscan.config.model import Config
    from mentionscan.store.filter import Filter

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (env MENTIONSCAN_CONFIG; default: the user config dir).",
        show_default=False,
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database path or sqlite:///path (env MENTIONSCAN_DB).", show_default=False),
]
FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table for a person, json/jsonl/csv for a program."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors and the data.")]
StatusOption = Annotated[
    list[str] | None,
    typer.Option("--status", "-s", help="Only this status (repeatable).", show_default=False),
]
QueryFilterOption = Annotated[
    list[str] | None,
    typer.Option("--query", help="Only mentions of this query (repeatable).", show_default=False),
]
SourceFilterOption = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only mentions from this source (repeatable).", show_default=False),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Only mentions since 7d, 24h or a date (2026-01-01).", show_default=False),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", help="At most this many.", show_default=False)
]
AllOption = Annotated[bool, typer.Option("--all", "-a", help="Every status, not only new and todo.")]

_stderr: Console | None = None


def err_console() -> Console:
    """The stderr console: colour only on a terminal and without NO_COLOR; never markup from data."""
    global _stderr
    if _stderr is None:
        from rich.console import Console

        _stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    return _stderr


def reset_consoles() -> None:
    global _stderr
    _stderr = None


def say(message: str, style: str | None = None) -> None:
    """One line of status on stderr; `message` is plain text, never markup.

    Messages quote what servers sent (a redirect's target, a parser's complaint), so control
    characters are removed here too: nothing reaches the terminal that could drive it.
    """
    from rich.text import Text

    from mentionscan.text import clean

    err_console().print(Text(clean(message), style=style or ""))


def warn(message: str) -> None:
    say(f"Warning: {message}", "yellow")


def error_line(message: str) -> None:
    say(f"Error: {message}", "bold red")


def load_config(path: Path | None) -> Config:
    from mentionscan.config.load import load_config as load

    return load(path)


def database(config: Config | None, db: str | None) -> str:
    from mentionscan.config.load import database_location

    return database_location(config, db)


def config_or_none(path: Path | None, db: str | None) -> Config | None:
    """The config when one is needed to find the database; None when `--db` or the env says where."""
    from mentionscan.config.model import ENV_DB

    if db or (os.environ.get(ENV_DB) and path is None):
        return load_config(path) if path else None
    return load_config(path)


def make_filter(
    query: list[str] | None,
    source: list[str] | None,
    since: str | None,
    limit: int | None,
    statuses: tuple[str, ...],
) -> Filter:
    """The selection the shared filter options describe (`list`, `mark`, `export`)."""
    from mentionscan.store.filter import Filter
    from mentionscan.timeutil import parse_since

    return Filter(
        statuses=statuses,
        queries=tuple(query or ()),
        sources=tuple(source or ()),
        since=parse_since(since) if since else None,
        limit=limit,
    )


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def write_out(render: Any) -> None:
    """Run `render(stream)` on stdout."""
    render(sys.stdout)
    sys.stdout.flush()
