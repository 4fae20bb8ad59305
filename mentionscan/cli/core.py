"""The main job: `init`, `fetch`, `list`, `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    QuietOption,
    RowsFormat,
    Selection,
    err_console,
    progress_wanted,
    say,
    selection_options,
    warn,
    workspace,
    write_out,
)
from mentionscan.delivery.formats import Format, render
from mentionscan.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from mentionscan.fetching.run import RunResult
    from mentionscan.workspace import Workspace


@app.command()
def init(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write it (default: the user config dir).")
    ] = None,
) -> None:
    """Write a commented starter config (never over an existing file)."""
    from mentionscan.config.starter import write_starter_config

    written = write_starter_config(path)
    say(f"Wrote {written}: name your product in [[queries]] and your feeds in [[sources]], then run:")
    say(f"  mentionscan fetch --config {written}" if path else "  mentionscan fetch")


@app.command()
def fetch(
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: RowsFormat = Format.table,
    quiet: QuietOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch and match, but store nothing.")] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).", show_default=False)
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Only share I of N of the sources (I/N, e.g. 2/3): a fixed split between machines.",
            show_default=False,
        ),
    ] = None,
    notify: Annotated[
        bool | None,
        typer.Option(
            "--notify/--no-notify",
            help="Then send what is new to the [[notify]] channels (default: notify in [settings]).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fetch every source, keep what the queries match, store and print what is new.

    On a PostgreSQL database, workers running at once split the tasks between them by themselves.
    Exit status: 0 when the run finished, 3 when it finished but a source (or a channel) failed.
    """
    ws = workspace(config, db)
    result = run_and_report(
        ws, fmt=fmt, quiet=quiet, dry_run=dry_run, only=source, notify=notify, shard=parse_shard(shard)
    )
    if result.failed or (result.notified is not None and result.notified.failed):
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`--shard I/N` as (I, N), 1 <= I <= N."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    if not (index.strip().isdigit() and count.strip().isdigit()) or not 1 <= int(index) <= int(count):
        raise ConfigError(f"--shard {text!r}: give I/N with 1 <= I <= N, e.g. --shard 1/3")
    return int(index), int(count)


def run_and_report(
    ws: Workspace,
    *,
    fmt: Format,
    quiet: bool,
    dry_run: bool = False,
    only: list[str] | None = None,
    notify: bool | None = False,
    shard: tuple[int, int] | None = None,
) -> RunResult:
    """Run a fetch and print it as `fetch` does; `demo` goes through here too."""
    if progress_wanted(quiet):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console(), transient=True) as bar:
            task = bar.add_task("fetch", total=None)

            def advance(label: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = ws.fetch(sources=only, dry_run=dry_run, progress=advance, notify=notify, shard=shard)
    else:
        result = ws.fetch(sources=only, dry_run=dry_run, notify=notify, shard=shard)
    write_out(lambda out: render(fmt, result.new, out))
    _summary(result, quiet, dry_run)
    if result.notified is not None:
        from mentionscan.cli.notify import report_notify

        report_notify(result.notified, quiet=quiet)
    return result


def _summary(result: RunResult, quiet: bool, dry_run: bool) -> None:
    for report in result.reports:
        for message in report.errors:
            say(f"Error: {report.name}: {message}", "bold red")
        if quiet:
            continue
        for message in report.warnings:
            warn(f"{report.name}: {message}")
        if report.status in ("skipped", "failed"):
            continue
        if report.status == "elsewhere":
            say(f"{report.name}: fetched by another worker", "dim")
            continue
        parts = [f"{report.entries} {'entry' if report.entries == 1 else 'entries'}"]
        if report.status == "not modified" and not report.entries:
            parts = ["not modified"]
        parts += [f"{report.matched} matched", f"{report.new} new"]
        if report.merged:
            parts.append(f"{report.merged} merged into an existing mention" + "s" * (report.merged > 1))
        if report.not_a_match:
            parts.append(f"{report.not_a_match} not a match")
        if report.too_old:
            parts.append(f"{report.too_old} too old")
        say(f"{report.name}: {', '.join(parts)}", "dim")
    if quiet:
        return
    count = len(result.new)
    noun = "mention" if count == 1 else "mentions"
    failed = len(result.failed)
    tail = f"; {failed} source{'s' if failed != 1 else ''} failed" if failed else ""
    stored = " (dry run: nothing stored)" if dry_run else ""
    say(f"{count} new {noun}{tail}{stored}", "bold")


@app.command("list")
@selection_options()
def list_(
    selection: Selection, config: ConfigOption = None, db: DbOption = None, fmt: RowsFormat = Format.table
) -> None:
    """Print stored mentions, newest first (new and todo unless --all or --status)."""
    from mentionscan.delivery.formats import Context

    ws = workspace(config, db)
    mentions = list(ws.mentions(selection.filter(open_only=True)))
    context = Context()
    if fmt is Format.table and mentions:
        from mentionscan.followup.triage import history_cell

        found = ws.histories(mentions)
        context = Context(extra={"history": [history_cell(found[m.id]) for m in mentions]})
    write_out(lambda out: render(fmt, mentions, out, context))
    if not mentions and fmt is Format.table:
        narrowed = selection.show_all or selection.status
        say("No mentions to show." + ("" if narrowed else " (--all shows every status)"))


@app.command()
def demo(
    fmt: RowsFormat = Format.table,
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Keep the demo config and database in this folder.")
    ] = None,
) -> None:
    """See it work offline: serve sample feeds on 127.0.0.1 and run a real fetch against them."""
    from mentionscan.demo import demo_environment

    with demo_environment(keep) as ws:
        say(f"Serving sample feeds on {ws.config.sources[0].get('url', '').rsplit('/', 1)[0]}/ ...")
        result = run_and_report(ws, fmt=fmt, quiet=False)
        say("Run it again and nothing is new: mentions are stored once. Now try `mentionscan init`.")
        if keep:
            say(f"Config and database kept in {keep}")
    if result.failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))
