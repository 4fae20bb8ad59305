"""`sources` (the source types and what each needs) and `doctor` (does each configured source answer)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    QuietOption,
    VerboseOption,
    plural,
    say,
    verbose,
    workspace,
)
from mentionscan.errors import ExitCode
from mentionscan.text import one_line
from mentionscan.timeutil import to_iso

if TYPE_CHECKING:
    from mentionscan.config.model import Option
    from mentionscan.fetching.doctor import Check


@app.command("sources")
def sources_(
    types: Annotated[list[str] | None, typer.Argument(help="Only these types (default: every one).")] = None,
) -> None:
    """List the source types: what each asks, what it needs, and its config keys."""
    from mentionscan.fetching.doctor import catalog, common_options

    lines: list[str] = []
    for info in catalog(types):
        lines += [f"{info.type}: {info.summary}", f"  needs: {info.needs}"]
        lines += [f"  {key:<18} {_describe(option)}" for key, option in info.options.items()]
        lines.append("")
    shared = ", ".join(k for k in common_options() if k not in ("name", "type"))
    lines.append(f"Every [[sources]] table has name and type, and may have {shared}.")
    typer.echo("\n".join(lines))


def _describe(option: Option) -> str:
    parts = ["(required)"] if option.required else []
    if option.help:
        parts.append(option.help)
    if option.default is not None:
        parts.append(f"[default: {json.dumps(option.default)}]")  # as it is written in TOML
    return " ".join(parts)


@app.command()
def doctor(
    config: ConfigOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    verbose_: VerboseOption = False,
) -> None:
    """Ask each configured source once: OK or the error, HTTP status, time, last successful fetch.

    Exit status: 0 when every enabled source answered, 3 when one did not.
    """
    verbose(verbose_)
    checks = workspace(config, db).doctor(source)
    typer.echo(_table(checks))
    failed = [c for c in checks if c.enabled and not c.ok]
    if not quiet:
        answered = sum(1 for c in checks if c.ok)
        tail = f", {len(failed)} failed" if failed else ""
        say(f"{answered} of {sum(1 for c in checks if c.enabled)} sources answered{tail}", "bold")
    if failed:
        raise typer.Exit(int(ExitCode.SOURCES_FAILED))


def _table(checks: list[Check]) -> str:
    """One row per source, then what went wrong under it (all plain text: no markup from the web)."""
    header = ("SOURCE", "TYPE", "RESULT", "HTTP", "TIME", "LAST OK")
    rows = [
        (
            c.name,
            c.type,
            c.result,
            str(c.status) if c.status is not None else "-",
            f"{c.seconds:.2f} s" if c.seconds is not None else "-",
            to_iso(c.health.last_ok) or "never",
        )
        for c in checks
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip()]
    for check, row in zip(checks, rows, strict=True):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if check.error:
            lines.append(f"  error: {check.error}")
        if check.health.failing:
            failures = plural(check.health.failures, "run")
            last = one_line(check.health.last_error or "?")
            lines.append(f"  has failed {failures} in a row; last error: {last}")
        if until := check.rate_limited_until:
            lines.append(f"  rate limited by the site: fetch skips it until {to_iso(until)}")
    return "\n".join(lines)
