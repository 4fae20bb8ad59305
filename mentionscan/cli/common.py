"""What every command shares: the workspace options, the filter and format options, stderr lines."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from mentionscan.delivery.formats import DETAIL, EXPORT, LIST, Format
from mentionscan.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from mentionscan.delivery.formats import Context
    from mentionscan.models import Mention
    from mentionscan.store.interface import MentionFilter
    from mentionscan.workspace import Workspace

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (env MENTIONSCAN_CONFIG; default: the user config dir)."
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database path, sqlite:///path or postgresql://... (env MENTIONSCAN_DB)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors and the data.")]
StatusOption = Annotated[
    list[str] | None,
    typer.Option("--status", "-s", help="Only this status (repeatable)."),
]
QueryFilterOption = Annotated[
    list[str] | None,
    typer.Option("--query", help="Only mentions of this query (repeatable)."),
]
SourceFilterOption = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only mentions from this source (repeatable)."),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", metavar="WHEN", help="Only mentions found (stored) since 7d, 24h or a date (2026-01-01)."
    ),
]
PublishedSinceOption = Annotated[
    str | None,
    typer.Option(
        "--published-since",
        metavar="WHEN",
        help="Only mentions published since 7d, 24h or a date (the site's own date).",
    ),
]
LimitOption = Annotated[int | None, typer.Option("--limit", "-n", help="At most this many.")]
AllOption = Annotated[bool, typer.Option("--all", "-a", help="Every status, not only new and todo.")]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Print each request (method, URL with secrets masked, status, time) and each site search.",
    ),
]
WideOption = Annotated[
    bool, typer.Option("--wide", "-w", help="Show every column whole, however long the lines.")
]


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
ExportFormat = Annotated[
    Format | None,
    _format(
        EXPORT,
        "json, jsonl, csv, markdown, html or atom (default: the --output file's extension, else json).",
    ),
]
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


def verbose(on: bool) -> None:
    """With `--verbose`, the requests and site searches the library logs are said on stderr."""
    from mentionscan.cli.verbose import say_logged

    say_logged(on, say)


def workspace(config: Path | None, db: str | None, *, quiet: bool = False) -> Workspace:
    """The workspace `--config` and `--db` name, with the lookup rules of `Workspace.open`.

    It tells stderr of what a person should know before a long step (waiting for another run's
    lock, a new database); `quiet` keeps that to errors, for cron.
    """
    from mentionscan.workspace import Workspace

    ws = Workspace.open(config, db)
    ws.notice = None if quiet else _once(say)  # a command may open the database more than once
    return ws


def workspace_hint(config: Path) -> str:
    """`--config PATH`, quoted for a shell when it needs to be: for commands printed to copy."""
    import shlex

    return f"--config {shlex.quote(str(config))}"


@dataclass(frozen=True, slots=True)
class Selection:
    """What the shared filter options say: --status, --query, --source, --since, --published-since,
    --limit, --all."""

    status: list[str] | None = None
    query: list[str] | None = None
    source: list[str] | None = None
    since: str | None = None
    published_since: str | None = None
    limit: int | None = None
    show_all: bool = False

    @property
    def given(self) -> bool:
        """Whether any filter narrows (a bulk `mark` needs one)."""
        return any((self.status, self.query, self.source, self.since, self.published_since))

    def filter(self, *, open_only: bool) -> MentionFilter:
        """The `MentionFilter`: with `open_only`, new and todo unless --status or --all say otherwise."""
        from mentionscan.models import OPEN_STATUSES
        from mentionscan.store.interface import MentionFilter
        from mentionscan.timeutil import parse_since

        statuses = tuple(self.status or ()) or (OPEN_STATUSES if open_only and not self.show_all else ())
        return MentionFilter(
            statuses=statuses,
            queries=tuple(self.query or ()),
            sources=tuple(self.source or ()),
            found_since=parse_since(self.since) if self.since else None,
            published_since=parse_since(self.published_since) if self.published_since else None,
            limit=self.limit,
        )


_SELECTION: dict[str, tuple[Any, Any]] = {
    "status": (StatusOption, None),
    "query": (QueryFilterOption, None),
    "source": (SourceFilterOption, None),
    "since": (SinceOption, None),
    "published_since": (PublishedSinceOption, None),
    "limit": (LimitOption, None),
    "show_all": (AllOption, False),
}


def selection_options(*, with_all: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared filter options; it receives them as `selection: Selection`.

    Typer reads a command's options from its signature, so the options are defined here once
    and added to each command's signature, as click's option decorators share them.
    """
    names = [name for name in _SELECTION if with_all or name != "show_all"]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "selection"]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option)
            for name, (option, default) in _SELECTION.items()
            if name in names
        ]

        @functools.wraps(command)
        def run(**values: Any) -> None:
            chosen = Selection(**{name: values.pop(name) for name in names})
            command(**values, selection=chosen)

        run.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        run.__annotations__ = {}  # the signature holds the evaluated annotations
        return run

    return decorate


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def write_out(render: Callable[[TextIO], object], *, paged: bool = True) -> None:
    """Run `render(stream)` on stdout; on a terminal, text taller than the screen goes to the pager."""
    if not (paged and stdout_is_terminal()):
        render(sys.stdout)
        sys.stdout.flush()
        return
    import io

    from mentionscan.cli.pager import page, wants_pager

    buffer = io.StringIO()
    render(buffer)
    text = buffer.getvalue()
    if not (wants_pager(text) and page(text)):
        sys.stdout.write(text)
        sys.stdout.flush()


def table_context(extra: dict[str, list[str]] | None = None, *, wide: bool = False) -> Context:
    """What a table needs to know of where it goes: the width, and whether that is a terminal."""
    import shutil

    from mentionscan.delivery.formats import Context

    # On a terminal the table is written for it even when it goes through the pager's buffer;
    # elsewhere rich decides (FORCE_COLOR, TTY_COMPATIBLE). A pipe is 80 columns unless $COLUMNS
    # says otherwise, and `--wide` shows every value whole.
    terminal = True if stdout_is_terminal() else None
    width = shutil.get_terminal_size((80, 24)).columns
    return Context(extra=extra or {}, width=max(20, width), terminal=terminal, wide=wide)


def show_mentions(
    fmt: Format,
    mentions: Sequence[Mention],
    extra: dict[str, list[str]] | None = None,
    *,
    wide: bool = False,
    paged: bool = True,
) -> None:
    """Print mentions in `fmt` on stdout: a table at the terminal's width, or records for a program."""
    from mentionscan.delivery.formats import render

    context = table_context(extra, wide=wide)
    write_out(lambda out: render(fmt, mentions, out, context), paged=paged)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 mention`, `3 mentions`."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def _once(say_it: Callable[[str], None]) -> Callable[[str], None]:
    told: set[str] = set()

    def once(line: str) -> None:
        if line not in told:
            told.add(line)
            say_it(line)

    return once
