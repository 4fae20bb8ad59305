"""What every command shares: the workspace options, the filter and format options, stderr lines."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from mentionscan.delivery.formats import DETAIL, EXPORT, LIST, Format
from mentionscan.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from mentionscan.store.interface import MentionFilter
    from mentionscan.workspace import Workspace

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


def format_parser(choices: Sequence[Format]) -> Callable[[str | Format], Format]:
    """Reads `--format`: one of `choices`, anything else one plain error line (exit 2)."""
    names = [f.value for f in choices]

    def parse(value: str | Format) -> Format:
        if isinstance(value, Format):
            return value
        if value not in names:
            raise ConfigError(f"--format {value!r} is not one of {', '.join(names[:-1])} or {names[-1]}")
        return Format(value)

    return parse


def _format(choices: Sequence[Format], text: str) -> Any:
    return typer.Option("--format", "-f", help=text, parser=format_parser(choices), metavar="FORMAT")


RowsFormat = Annotated[
    Format, _format(LIST, "Output format: table for a person, or json, jsonl, csv for a program.")
]
ExportFormat = Annotated[Format, _format(EXPORT, "json, jsonl, csv, markdown, html or atom.")]
DetailFormat = Annotated[Format, _format(DETAIL, "text for a person, json.")]


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


def workspace(config: Path | None, db: str | None) -> Workspace:
    """The workspace `--config` and `--db` name, with the lookup rules of `Workspace.open`."""
    from mentionscan.workspace import Workspace

    return Workspace.open(config, db)


def make_filter(
    query: list[str] | None,
    source: list[str] | None,
    since: str | None,
    limit: int | None,
    statuses: Sequence[str],
) -> MentionFilter:
    """The selection the shared filter options describe (`list`, `mark`, `export`)."""
    from mentionscan.store.interface import MentionFilter
    from mentionscan.timeutil import parse_since

    return MentionFilter(
        statuses=tuple(statuses),
        queries=tuple(query or ()),
        sources=tuple(source or ()),
        published_since=parse_since(since) if since else None,
        limit=limit,
    )


def statuses_for(status: Sequence[str] | None, show_all: bool) -> tuple[str, ...]:
    """`--status` as given, else everything with `--all`, else what still wants attention."""
    from mentionscan.models import OPEN_STATUSES

    if status:
        return tuple(status)
    return () if show_all else OPEN_STATUSES


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def write_out(render: Callable[[TextIO], object]) -> None:
    """Run `render(stream)` on stdout."""
    render(sys.stdout)
    sys.stdout.flush()


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 mention`, `3 mentions`."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
