"""One mention drawn for the inbox: rich `Text` built by appending plain strings, never markup.

Everything here came from the web (titles, names, snippets, links): it is cleaned of control
characters and appended as text, so `[bold]`, `[link=...]` or an escape sequence stays inert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from mentionscan.followup.triage import ago, due_cell, timeline_lines
from mentionscan.models import Mention
from mentionscan.store.interface import AuthorStats, sort_time
from mentionscan.text import clean, one_line
from mentionscan.timeutil import local_date, local_time

if TYPE_CHECKING:  # the matcher is imported once the first mention is drawn, after the list
    from mentionscan.matching.explain import Explanation

STATUS_STYLE = {
    "new": "bold",
    "todo": "bold yellow",
    "contacted": "cyan",
    "replied": "green",
    "resolved": "dim",
    "ignored": "dim",
}
MATCH_STYLE = "bold reverse"  # the matched words: reverse video reads without colour (NO_COLOR)
LABEL = 10


def plain(value: object) -> str:
    return one_line(clean(value))


def matched_words(explanations: Sequence[Explanation]) -> list[str]:
    return sorted({e.found for x in explanations for e in x.evidence if e.found}, key=len, reverse=True)


def render(
    mention: Mention,
    history: AuthorStats | None,
    explanations: Sequence[Explanation],
    related: Sequence[Mention | str],
    now: datetime,
) -> Text:
    """The right pane: what `show` prints, with the matched words highlighted."""
    words = matched_words(explanations)
    out = Text()

    def line(label: str, value: object, style: str = "") -> None:
        if value:
            out.append(f"{label:<{LABEL}}", style="dim")
            out.append(plain(value), style=style)
            out.append("\n")

    title = Text(plain(mention.title) or "(no title)", style="bold")
    title.highlight_words(words, MATCH_STYLE, case_sensitive=False)
    out.append_text(title)
    out.append("\n")
    out.append(mention.status, style=STATUS_STYLE.get(mention.status, ""))
    out.append(f"  {mention.id[:7]}  {ago(sort_time(mention), now)}", style="dim")
    out.append("\n\n")
    line("source", f"{mention.source} ({mention.source_type})")
    line("queries", ", ".join(mention.queries))
    line("published", local_time(mention.published) if mention.published else "")
    author = " ".join(filter(None, [mention.author, mention.author_email and f"<{mention.author_email}>"]))
    line("author", author or "(unknown)")
    line("", mention.author_url, "dim")
    if history is not None:
        count = max(1, history.mentions)
        who = "author" if history.key.startswith("author:") else "site"
        last = history.last_contacted
        contacted = f"contacted {ago(last, now)}" if last else "never contacted"
        line("history", f"{count} {'mention' if count == 1 else 'mentions'} from this {who}; {contacted}")
    line("url", mention.url, "underline")
    line("link", mention.link, "underline")
    if mention.due:
        line("due", f"{local_date(mention.due)} ({due_cell(mention.due, now)})", "bold")
    if snippet := plain(mention.snippet):
        text = Text(snippet)
        text.highlight_words(words, MATCH_STYLE, case_sensitive=False)
        out.append("\n")
        out.append_text(text)
        out.append("\n")
    for explanation in explanations:
        fields = {e.field: e for e in reversed(explanation.evidence)}  # the first in each field
        for evidence in reversed(fields.values()):
            line("matched", f"{explanation.query} in {evidence.field}: {evidence.context}", "dim")
    for other in related:
        if isinstance(other, Mention):
            line("related", f"{other.id[:7]} {other.status}  {plain(other.title)}")
        else:
            line("related", other[:7])  # not read yet, or no longer stored
    if mention.contacts:
        out.append("\n")
        for contact in mention.contacts:
            line(contact.get("kind", "contact"), contact.get("value"))
    out.append("\ntimeline\n", style="dim")
    for event, said in timeline_lines(mention):
        first, *rest = clean(said).splitlines() or [""]
        out.append(f"  {local_date(event.at)}  ", style="dim")
        out.append(f"{event.kind:<8} ")
        out.append(one_line(first) + ("  …" if rest else ""))
        out.append("\n")
    return out


def due_said(mention: Mention) -> str:
    """What the status line says once a report-back date is saved."""
    if mention.due is None:
        return f"No report-back date on {mention.id[:7]}."
    return f"Report back on {mention.id[:7]} by {local_date(mention.due)}."
