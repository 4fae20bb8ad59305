"""The demo's guided tour of a morning: fetch, list, show, reply, mark, each with its command line.

Each step runs the command's own code on the demo's workspace and prints what the command
prints, under the line a person would type (on stderr, with what the step is for).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mentionscan.cli.common import say, show_mentions, workspace_hint, write_out
from mentionscan.delivery.formats import Format, render_detail

if TYPE_CHECKING:
    from mentionscan.fetching.run import RunResult
    from mentionscan.workspace import Workspace


def _step(command: str, why: str) -> None:
    say("")
    say(f"$ mentionscan {command:<26}  # {why}", "bold")


def tour(ws: Workspace, fetch: Callable[[], RunResult], keep: Path | None) -> RunResult:
    """Run the morning on the demo's database; the fetch's result (its failures set the exit status)."""
    from mentionscan.cli.triage import report_changes

    _step("fetch", "every morning: ask every source, keep what matches")
    result = fetch()
    mentions = list(ws.mentions(status=["new", "todo"]))
    if not mentions:
        return result
    _step("list", "what still wants an answer, newest first")
    show_mentions(Format.table, mentions, paged=False)
    # The support question: the kind of mention that most wants a personal answer.
    chosen = next((m for m in mentions if "quillpad-support" in m.queries), mentions[0])
    short = chosen.id[:7]
    _step(f"show {short}", "one mention whole (an id's first letters are enough)")
    detail = ws.show(short)
    write_out(lambda out: render_detail(Format.text, detail, out), paged=False)
    _step(f"reply {short}", "a draft email to the author, to edit and send")
    sys.stdout.buffer.write(ws.draft_reply(short).as_bytes())
    sys.stdout.flush()
    _step(f'mark {short} todo --note "answer today"', "triage: the timeline keeps every step")
    report_changes(ws.mark("todo", [short], note="answer today"), "todo")
    say("")
    say("That was a morning: fetch, list, show, reply, mark (and `followups` for promises due).", "bold")
    if keep is not None:
        say(f"The demo's config and database are in {keep}: try any command on them, like")
        say(f"  mentionscan list --all {workspace_hint(keep / 'config.toml')}")
        say(f"  mentionscan reply {short} --mark --due 3d {workspace_hint(keep / 'config.toml')}")
    else:
        say("This demo's database is gone with it; `mentionscan demo --keep ~/mentionscan-demo` keeps one.")
    say("Your own: `mentionscan init`, then name your product and your feeds in the config it writes.")
    return result
