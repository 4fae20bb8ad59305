"""`text` and `json` for one mention whole (`show`): record, timeline, due date, contacts, history."""

from __future__ import annotations

import json
from typing import Any, TextIO

from mentionscan.delivery.formats import Detail
from mentionscan.followup.triage import ago, due_cell, timeline_lines
from mentionscan.text import clean, one_line
from mentionscan.timeutil import local_date, to_iso


def record(detail: Detail) -> dict[str, Any]:
    """`show --format json`: the public record, then tags, due date, contacts, timeline, history."""
    mention, history = detail.mention, detail.history
    data = mention.to_record()
    data.update(
        language=mention.language or None,
        tags=list(mention.tags),
        due=to_iso(mention.due),
        contacts=[dict(c) for c in mention.contacts],
        timeline=[e.to_dict() for e in mention.timeline],
        history={
            "key": history.key,
            "mentions": max(1, history.mentions),
            "last_contacted": to_iso(history.last_contacted),
        },
    )
    return data


def write_json(detail: Detail, out: TextIO) -> None:
    out.write(json.dumps(record(detail), ensure_ascii=False, indent=2) + "\n")


def write_text(detail: Detail, out: TextIO) -> None:
    mention, history = detail.mention, detail.history

    def line(label: str, value: object) -> None:
        if value:
            out.write(f"{label + ':':<10} {one_line(value)}\n")

    due = f"{local_date(mention.due)} ({due_cell(mention.due)})" if mention.due else ""
    out.write(f"{mention.id}  {mention.status}\n{one_line(mention.title) or '(no title)'}\n")
    line("url", mention.url)
    line("link", mention.link)
    line("due", due)
    line("source", f"{mention.source} ({mention.source_type})")
    line("queries", ", ".join(mention.queries))
    line("published", to_iso(mention.published))
    line("found", to_iso(mention.found_at))
    line("language", mention.language)
    author = " ".join(filter(None, [mention.author, mention.author_email and f"<{mention.author_email}>"]))
    line("author", " ".join(filter(None, [author, mention.author_url])))
    line("authors", ", ".join(mention.authors) if len(mention.authors) > 1 else "")
    who = "author" if history.key.startswith("author:") else "site"
    contacted = (
        f"last contacted {to_iso(history.last_contacted)} ({ago(history.last_contacted)})"
        if history.last_contacted
        else "never contacted"
    )
    count = max(1, history.mentions)
    noun = "mention" if count == 1 else "mentions"
    line("history", f"{count} {noun} from this {who} stored; {contacted}")
    for other in detail.related:
        line("related", f"{other.id}  {other.url}  {one_line(other.title)}")
    if mention.snippet:
        out.write(f"\n{one_line(mention.snippet)}\n")
    if mention.contacts:
        out.write("\ncontacts:\n")
        for contact in mention.contacts:
            out.write(f"  {contact.get('kind', ''):<6} {one_line(contact.get('value'))}")
            out.write(f"  (found at {one_line(contact.get('found_at'))})\n")
    out.write("\ntimeline:\n")
    for event, text in timeline_lines(mention):
        first, *rest = clean(text).splitlines() or [""]
        out.write(f"  {to_iso(event.at)}  {event.kind:<8} {first}\n")
        out.writelines(f"{'':33}{row}\n" for row in rest)
