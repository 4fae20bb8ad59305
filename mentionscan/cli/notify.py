"""`mentionscan notify`: alerts where the team works (Slack, Discord, Matrix, ntfy, webhooks, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    QuietOption,
    error_line,
    plural,
    say,
    workspace,
    write_out,
)
from mentionscan.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from mentionscan.delivery.notify import ChannelReport, NotifyResult


@app.command()
def notify(
    config: ConfigOption = None,
    db: DbOption = None,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", help="Only this channel (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the messages that would be sent; send and record nothing."),
    ] = False,
    test: Annotated[
        str | None,
        typer.Option(
            "--test", metavar="NAME", help="Send one test message to this channel, and nothing else."
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Send each [[notify]] channel what it has not had yet, and the source alerts (for cron).

    A mention counts as sent to a channel once the service accepted it: a channel that is down
    gets it next time, and no channel gets one twice. Exit status: 0 when every channel took
    what it was sent, 3 when one did not (it waits for the next run).
    """
    if test is not None and (channel or dry_run):
        raise ConfigError(
            "--test sends one test message to one channel: use it without --channel and --dry-run"
        )
    ws = workspace(config, db)
    result = ws.notify([test] if test is not None else channel, dry_run=dry_run, test=test is not None)
    if dry_run:
        write_out(lambda out: out.write(previews(result)))
    report_notify(result, quiet=quiet, test=test is not None)
    if result.failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


def previews(result: NotifyResult) -> str:
    """What a dry run would have sent, message by message."""
    out = []
    for report in result.reports:
        for number, delivery in enumerate(report.previews, start=1):
            head = f"--- {_label(report)} · message {number} of {len(report.previews)}"
            out += [f"{head} · {delivery.title}" if delivery.title else head, delivery.body, ""]
    return "\n".join(out)


def _label(report: ChannelReport) -> str:
    return f"{report.name} ({report.service})" if report.service else report.name


def _wait(count: int) -> str:
    return f"{plural(count, 'mention')} {'waits' if count == 1 else 'wait'}"


def report_notify(result: NotifyResult, *, quiet: bool, test: bool = False) -> None:
    """One line per channel on stderr: what it took, or why not; errors even with --quiet."""
    for report in result.reports:
        waiting = f"; {_wait(report.waiting)} for the next run" if report.waiting else ""
        if report.error is not None:
            error_line(f"notify {_label(report)}: {report.error}{waiting}")
            continue
        if quiet:
            continue
        if test:
            say(f"Test message sent to {_label(report)}")
            continue
        for title in report.alerts:
            say(f"{_label(report)}: alert sent: {title}")
        if result.dry_run:
            would = (
                f"{plural(len(report.previews), 'message')} to send" if report.previews else "nothing to send"
            )
            if report.started and not report.previews:  # not an empty history: the channel starts now
                would += ", as a new channel gets what is found from its first run on"
                would += f" (--test {report.name} sends a sample)"
            say(f"{_label(report)}: {would} (dry run: nothing sent, nothing recorded)", "dim")
        elif report.note:
            say(f"{_label(report)}: {_wait(report.waiting)}: {report.note}", "dim")
        elif report.mentions:
            sent = plural(report.messages, "message" if report.service != "webhook" else "request")
            say(f"{_label(report)}: {plural(report.mentions, 'mention')} in {sent}")
        elif report.started:
            say(f"{_label(report)}: a new channel: it gets what is found from now on (nothing before)", "dim")
        elif not report.alerts:
            say(f"{_label(report)}: nothing new", "dim")
