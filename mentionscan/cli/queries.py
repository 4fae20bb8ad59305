"""Why and what queries match: `explain` (a stored mention) and `test-query` (a query before using it)."""

from __future__ import annotations

from typing import Annotated, TextIO

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    RowsFormat,
    SourceFilterOption,
    VerboseOption,
    WideOption,
    error_line,
    say,
    show_mentions,
    verbose,
    workspace,
    write_out,
)
from mentionscan.cli.triage import IdArgument
from mentionscan.delivery.formats import Format


@app.command()
def explain(mention_id: IdArgument, config: ConfigOption = None, db: DbOption = None) -> None:
    """Which query matched a mention, in which field, on which words."""
    from mentionscan.text import one_line

    mention, explanations = workspace(config, db).explain(mention_id)

    def write(out: TextIO) -> None:
        out.write(f"{mention.id}  {one_line(mention.title) or '(no title)'}\n")
        for item in explanations:
            if item.expression is None:
                out.write(f"\nquery {item.query}: stored for it, but no longer in the config\n")
                continue
            state = "matches" if item.matches else "no longer matches (the query or the entry changed)"
            if item.matches and not item.stored:
                state += " (it did not when stored)"
            if item.via:
                state += f" in {item.via}, merged into this mention"
            out.write(f"\nquery {item.query}: {item.expression}\n  {state}\n")
            out.writelines(f"  note: {note}\n" for note in item.notes)
            for ev in item.evidence:
                out.write(f"  {ev.field:<7} {ev.term:<20} {ev.context}\n")
        if not explanations:
            out.write("\nno configured query matches it now\n")

    write_out(write)


@app.command("test-query")
def test_query(
    expr: Annotated[str, typer.Argument(metavar="EXPR", help="A query, as in the config's match = '...'.")],
    config: ConfigOption = None,
    db: DbOption = None,
    source: SourceFilterOption = None,
    fetch: Annotated[bool, typer.Option("--fetch", help="Fetch the sources now; store nothing.")] = False,
    fmt: RowsFormat = Format.table,
    wide: WideOption = False,
    verbose_: VerboseOption = False,
) -> None:
    """Run a query against every stored mention (or a live fetch) and print what it matches."""
    from mentionscan.errors import QuerySyntaxError

    verbose(verbose_)
    ws = workspace(config, db)
    try:
        if not fetch:  # a fetch names its sources in the config, and says so itself
            ws.check_names(sources=source or ())
        trials, run = ws.test_query(expr, sources=source or (), fetch=fetch)
    except QuerySyntaxError as exc:
        error_line(str(exc))
        say(f"  {expr}")
        say("  " + " " * exc.position + "^")
        raise typer.Exit(int(exc.exit_code)) from None
    from mentionscan.matching.explain import reading_notes
    from mentionscan.matching.query import parse_query

    for note in reading_notes(parse_query(expr)):
        say(f"note: {note}")
    for report in run.reports if run else ():
        for message in report.errors:
            error_line(f"{report.name}: {message}")
    mentions = [t.mention for t in trials]
    # The words found, once each (`explain ID` gives fields and context).
    extra = {"matched": [", ".join(dict.fromkeys(e.found for e in t.evidence)) for t in trials]}
    if fetch:
        extra["stored"] = ["yes" if t.stored else "no" for t in trials]
    show_mentions(fmt, mentions, extra, wide=wide)
    count = len(mentions)
    if fetch:
        noun = "fetched entry" if count == 1 else "fetched entries"
    else:
        noun = "stored mention" + "s" * (count != 1)
    verb = "matches" if count == 1 else "match"
    say(f"{count} {noun} {verb}" + (" (nothing stored)" if fetch else ""))
