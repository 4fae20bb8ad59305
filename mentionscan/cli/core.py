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
    VerboseOption,
    WideOption,
    err_console,
    plural,
    progress_wanted,
    say,
    selection_options,
    show_mentions,
    stdout_is_terminal,
    verbose,
    warn,
    workspace,
)
from mentionscan.delivery.formats import Format
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
    hint = f" --config {written}" if path else ""
    say(f"Wrote {written}: name your product in [[queries]] and uncomment where to look in [[sources]]")
    say(f"(or `mentionscan add URL{hint}` for a feed), check it with `mentionscan config check{hint}`, then:")
    say(f"  mentionscan fetch{hint}")
    say("To see it work first, on sample feeds on this machine: mentionscan demo")


@app.command()
def fetch(
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: RowsFormat = Format.table,
    quiet: QuietOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch and match, but store nothing.")] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Only share I of N of the sources (e.g. 2/3): a fixed split between machines.",
        ),
    ] = None,
    wide: WideOption = False,
    verbose_: VerboseOption = False,
    notify: Annotated[
        bool | None,
        typer.Option(
            "--notify/--no-notify",
            help="Then send what is new to the [[notify]] channels (default: notify in [settings]).",
        ),
    ] = None,
) -> None:
    """Fetch every source, keep what the queries match, store and print what is new.

    On a PostgreSQL database, workers running at once split the tasks between them by themselves.
    Exit status: 0 when the run finished, 3 when it finished but a source (or a channel) failed.
    """
    verbose(verbose_)
    ws = workspace(config, db, quiet=quiet)
    result = run_and_report(
        ws,
        fmt=fmt,
        quiet=quiet,
        dry_run=dry_run,
        only=source,
        wide=wide,
        notify=notify,
        shard=parse_shard(shard),
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
    wide: bool = False,
    notify: bool | None = False,
    shard: tuple[int, int] | None = None,
) -> RunResult:
    """Run a fetch and print it as `fetch` does; `demo` goes through here too.

    Stopped by Ctrl-C or SIGTERM, it prints what the run stored by then, says so, and re-raises.
    """
    from mentionscan.fetching.run import FetchInterrupted

    try:
        result = _run(ws, quiet=quiet, dry_run=dry_run, only=only, notify=notify, shard=shard)
    except FetchInterrupted as stopped:
        result = stopped.result
        show_mentions(fmt, result.new, wide=wide, paged=False)
        _summary(result, quiet, dry_run, interrupted=True)
        stopped.reported = True  # type: ignore[attr-defined]
        raise
    show_mentions(fmt, result.new, wide=wide, paged=False)
    _summary(result, quiet, dry_run)
    if result.notified is not None:
        from mentionscan.cli.notify import report_notify

        report_notify(result.notified, quiet=quiet)
    return result


def _run(
    ws: Workspace,
    *,
    quiet: bool,
    dry_run: bool,
    only: list[str] | None,
    notify: bool | None,
    shard: tuple[int, int] | None = None,
) -> RunResult:
    if not progress_wanted(quiet):
        return ws.fetch(sources=only, dry_run=dry_run, notify=notify, shard=shard)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Shown from the first request on: while the run waits for another's lock, that wait is said.
    bar = Progress(*columns, console=err_console(), transient=True)
    task = bar.add_task("fetch", total=None)

    def advance(label: str, done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        return ws.fetch(sources=only, dry_run=dry_run, progress=advance, notify=notify, shard=shard)
    finally:
        bar.stop()


def _summary(result: RunResult, quiet: bool, dry_run: bool, *, interrupted: bool = False) -> None:
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
        if report.status == "interrupted":
            say(f"{report.name}: interrupted before it was done (kept: {report.new} new)", "dim")
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
    if interrupted:
        # Said even with --quiet: the run did not do what it was asked.
        kept = "fetched, nothing stored (dry run)" if dry_run else "fetched and stored"
        say(
            f"Interrupted: {result.done} of {plural(result.tasks, 'request')} {kept}, "
            f"{plural(len(result.new), 'new mention')}; the rest is asked at the next fetch",
            "bold red",
        )
        return
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
    selection: Selection,
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: RowsFormat = Format.table,
    wide: WideOption = False,
) -> None:
    """Print stored mentions, newest first (new and todo unless --all or --status)."""
    from dataclasses import replace

    ws = workspace(config, db)
    chosen = selection.filter(open_only=True)
    ws.check_names(queries=chosen.queries, sources=chosen.sources)
    mentions = list(ws.mentions(chosen))
    extra: dict[str, list[str]] = {}
    if fmt is Format.table and mentions:
        from mentionscan.followup.triage import history_cell

        if selection.show_all or len(selection.status or ()) > 1:
            extra["status"] = [m.status for m in mentions]
        found = ws.histories(mentions)
        extra["history"] = [history_cell(found[m.id]) for m in mentions]
    show_mentions(fmt, mentions, extra, wide=wide)
    if fmt is not Format.table:
        return
    narrowed = selection.show_all or selection.status
    if not mentions:
        say("No mentions to show." + ("" if narrowed else " (--all shows every status)"))
    elif stdout_is_terminal():
        # How much the filters left out, for a person (a program counts the records itself).
        stored = ws.count(replace(chosen, statuses=(), limit=None))
        if stored > len(mentions):
            hints = []
            if chosen.limit is not None and ws.count(replace(chosen, limit=None)) > len(mentions):
                hints.append("--limit N for more")
            if not narrowed:
                hints.append("--all for every status")
            say(f"{len(mentions)} of {stored} shown" + "".join(f"; {h}" for h in hints))


@app.command()
def demo(
    fmt: RowsFormat = Format.table,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            metavar="DIR",
            help="Keep the demo's config and database in this new folder, to try every command on.",
        ),
    ] = None,
) -> None:
    """See it work offline: sample feeds on 127.0.0.1, then a morning's fetch, list, show, reply, mark.

    With --format json (or jsonl, csv) only the fetch runs, and prints its records.
    """
    from mentionscan.cli.tour import tour
    from mentionscan.demo import demo_environment

    with demo_environment(keep) as ws:
        say(f"Serving sample feeds on {ws.config.sources[0].get('url', '').rsplit('/', 1)[0]}/ ...")
        if fmt is not Format.table:
            result = run_and_report(ws, fmt=fmt, quiet=False)
        else:
            result = tour(ws, lambda: run_and_report(ws, fmt=fmt, quiet=False), keep)
    if result.failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))
