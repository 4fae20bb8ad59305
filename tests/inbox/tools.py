"""The inbox's tests: a small database of mentions at fixed times, and the app started on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mentionscan.inbox import start
from mentionscan.inbox.app import Inbox
from mentionscan.models import Event, Mention
from mentionscan.store import open_store
from mentionscan.workspace import Workspace

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
HOSTILE = "[bold red]Acme[/] [link=https://evil.example]click[/link] \x1b[2J $(rm -rf ~)"


def mention(number: int, title: str, *, hours: int, status: str = "new", **changes: Any) -> Mention:
    published = NOW - timedelta(hours=hours)
    base = Mention(
        id=f"{number:x}{'0' * 11}"[:12],
        url=f"https://blog.example.org/posts/{number}",
        title=title,
        snippet=f"{title}. We tried Acme widgets for a week; here is what we found.",
        author=f"Writer {number % 3}",
        author_url=None,
        author_email=f"writer{number % 3}@example.org" if number % 2 else None,
        published=published,
        found_at=published + timedelta(minutes=5),
        source="blog",
        source_type="feed",
        queries=("acme",),
        status=status,
        timeline=(Event(published + timedelta(minutes=5), "found", "found by blog for acme"),),
    )
    return replace(base, **changes)


MENTIONS = (
    mention(1, "Acme broke my build", hours=2),
    mention(2, "Is Acme worth it for a small team?", hours=5, status="todo"),
    mention(3, "Acme widgets, a month later", hours=30),
    mention(4, "We moved off Acme", hours=50, status="contacted"),
    mention(5, HOSTILE, hours=70),
)


def write_database(
    folder: Path, mentions: Sequence[Mention] = MENTIONS, *, email: str = "", settings: str = ""
) -> Path:
    """A config (one query, `acme`; an [email] table when given) and its database; the config."""
    database = folder / "mentions.json"
    with open_store(database) as store:
        for item in mentions:
            store.put(item)
        store.save()
    config = folder / "config.toml"
    config.write_text(
        f'[settings]\ndatabase = "mentions.json"\nmax_age_days = 0\n'
        f'reply_from = "Me <me@acme.example>"\n{settings}\n[[queries]]\nname = "acme"\nmatch = "acme"\n\n'
        f'[[sources]]\nname = "blog"\ntype = "feed"\nurl = "http://127.0.0.1:9/feed"\n{email}',
        encoding="utf-8",
    )
    return config


def stored(config: Path, mention_id: str) -> Mention:
    return Workspace.open(config).get(mention_id)


def inbox(config: Path, **filters: Any) -> Inbox:
    """The inbox as `mentionscan inbox` makes it (its first page read at once), at `NOW`."""
    ws = Workspace.open(config)
    selection = ws.filter(status=filters.pop("status", ("new", "todo")), **filters)
    return start(ws, selection, now=lambda: NOW)


async def settle(pilot: Any, app: Inbox, until: Any = None, timeout: float = 20.0) -> None:
    """Wait until the database thread is idle (and `until()` holds): the screen shows what is saved."""
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        await pilot.pause()
        idle = app.loaded.is_set() and app.worker.idle
        if idle and (until is None or until()):
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the inbox did not settle")


def screen_text(app: Inbox) -> str:
    """What the detail pane and status line say, as plain text."""
    return f"{app.shown.plain}\n{app._message.plain}"
