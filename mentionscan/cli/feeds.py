"""`import-sources` (an OPML subscription list into the config) and `export-sources` (back out)."""

from __future__ import annotations

import enum
import io
from pathlib import Path
from typing import Annotated

import typer

from mentionscan.cli.app import app
from mentionscan.cli.common import ConfigOption, plural, say, workspace, write_out
from mentionscan.cli.reply import OutputOption


class ListFormat(enum.StrEnum):
    opml = "opml"


@app.command("import-sources")
def import_sources(
    opml: Annotated[
        Path, typer.Argument(metavar="FILE.opml", help="A subscription list a feed reader exported.")
    ],
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Say what would be added; change nothing.")
    ] = False,
) -> None:
    """Add each feed of an OPML file to the config as a `feed` source, keeping the config's text.

    Names come from the feeds' titles, made unique; feeds already configured are skipped;
    folders become the `group` key. The old config is kept as <config>.bak.
    """
    result = workspace(config, None).import_sources(opml.expanduser(), dry_run=dry_run)
    for name, url, group in result.added:
        typer.echo(
            f"{'would add' if dry_run else 'added'}  {name}  {url}" + (f"  [{group}]" if group else "")
        )
    for url, why in result.skipped:
        typer.echo(f"skipped  {url}  ({why})")
    count = plural(len(result.added), "feed source")
    if dry_run:
        say(f"{count} would be added to {result.path} (dry run: nothing written)")
    elif result.backup is not None:
        say(f"Added {count} to {result.path} (the previous version is {result.backup})")
    else:
        say(f"Nothing new to add to {result.path}")


@app.command("export-sources")
def export_sources(
    config: ConfigOption = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="The list's format.")] = ListFormat.opml,
    output: OutputOption = None,
) -> None:
    """Write the config's feed sources as an OPML subscription list (folders from `group`)."""
    from mentionscan.atomic import write_atomically

    ws = workspace(config, None)
    if output is None:
        write_out(ws.export_sources)
        return
    buffer = io.StringIO()
    count = ws.export_sources(buffer)
    write_atomically(output.expanduser(), [buffer.getvalue().encode("utf-8")])
    say(f"Exported {plural(count, 'feed source')} to {output}")
