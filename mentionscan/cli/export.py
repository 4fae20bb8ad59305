"""`export`: stored mentions into a file (or stdout) a person, a program or a feed reader opens."""

from __future__ import annotations

import io

from mentionscan.cli.app import app
from mentionscan.cli.common import (
    ConfigOption,
    DbOption,
    ExportFormat,
    Selection,
    plural,
    say,
    selection_options,
    workspace,
    write_out,
)
from mentionscan.cli.reply import OutputOption
from mentionscan.delivery.formats import Format


@app.command()
@selection_options(with_all=False)
def export(
    selection: Selection,
    config: ConfigOption = None,
    db: DbOption = None,
    fmt: ExportFormat = Format.json,
    output: OutputOption = None,
) -> None:
    """Write stored mentions to a file or stdout, newest first: every status unless --status.

    atom is a feed a feed reader can subscribe to; html is one page to open in a browser.
    """
    from mentionscan.atomic import write_atomically

    ws = workspace(config, db)
    chosen = selection.filter(open_only=False)
    if output is None:
        write_out(lambda out: ws.export(fmt, out, chosen))
        return
    buffer = io.StringIO()
    count = ws.export(fmt, buffer, chosen)
    write_atomically(output.expanduser(), [buffer.getvalue().encode("utf-8")])
    say(f"Exported {plural(count, 'mention')} to {output}")
