"""Answering a mention end to end, as the README walks through it: fetch from a feed on 127.0.0.1,
list, show, contact, reply --mark --due, followups, mark resolved, export."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
from datetime import timedelta

import feedparser
from pytest_httpserver import HTTPServer

from mentionscan.timeutil import to_iso, utcnow
from tests.conftest import Cli
from tests.followuptools import POSTS, Post, fetch_posts


def test_answering_a_mention_from_list_to_resolved(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]
    broke = fetched.id("Acme broke")

    # list: new and todo, with the author's history (Jane Doe wrote two of them)
    listed = cli("list", *cfg)
    assert listed.exit_code == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(broke[:7]))
    assert row.rstrip().endswith(" 2")
    assert "history" in listed.stdout.splitlines()[0]

    # mark by a prefix, with a note
    marked = cli("mark", broke[:5], "todo", "--note", "Looks like the 2.3 regression", *cfg)
    assert marked.exit_code == 0, marked.stderr
    assert f"{broke[:7]}  new -> todo" in marked.stderr
    assert cli("note", broke[:6], "Asked the CI team", *cfg).exit_code == 0

    shown = cli("show", broke[:6], *cfg)
    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert out.startswith(f"{broke}  todo\nAcme broke my build\n")
    assert "author:    Jane Doe <jane@example.org>" in out
    assert "history:   2 mentions from this author stored; never contacted" in out
    timeline = out.split("timeline:\n", 1)[1].splitlines()
    assert [line.split()[1] for line in timeline] == ["found", "status", "note", "note"]
    assert timeline[1].endswith("status   new -> todo")
    assert timeline[2].endswith("note     Looks like the 2.3 regression")
    assert timeline[3].endswith("note     Asked the CI team")

    # reply --mark --due: the draft goes to stdout, the mention is contacted with a date
    replied = cli("reply", broke[:6], "--mark", "--due", "3d", *cfg)
    assert replied.exit_code == 0, replied.stderr
    message = email.message_from_bytes(replied.stdout_bytes, policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "jane@example.org"
    assert message["Subject"] == "Re: Acme broke my build"
    body = message.get_content()
    assert "Hi Jane Doe," in body
    assert fetched.base + "/posts/broke" in body
    assert "Acme 2.3 broke my CI build. Anyone else?" in body
    assert "Marked " + broke[:7] + " contacted, report back by " in replied.stderr

    record = cli.json("show", broke, "--format", "json", *cfg)
    assert record["status"] == "contacted"
    due = utcnow() + timedelta(days=3)
    assert abs((record["due"] and _at(record["due"])) - due) < timedelta(minutes=5)
    kinds = [event["kind"] for event in record["timeline"]]
    assert kinds == ["found", "status", "note", "note", "draft", "status", "due"]
    assert record["timeline"][4]["text"].startswith(
        "To: jane@example.org\nSubject: Re: Acme broke my build\n"
    )
    assert record["history"]["last_contacted"] == record["timeline"][4]["at"]

    # The other post by the same author now shows the contact in its history.
    again = cli("show", fetched.id("Acme again"), *cfg).stdout
    assert "2 mentions from this author stored; last contacted " in again

    # Not due yet: followups is empty.  Due today: it is listed.
    empty = cli("followups", *cfg)
    assert empty.exit_code == 0
    assert empty.stdout == ""
    assert "Nothing due" in empty.stderr
    assert cli("mark", broke, "contacted", "--due", "0d", *cfg).exit_code == 0
    due_now = cli("followups", *cfg)
    assert broke[:7] in due_now.stdout
    assert "today" in due_now.stdout

    # The promise is kept: resolved, and followups forgets it.
    done = cli("mark", broke, "resolved", "--note", "Fixed in 2.3.1, wrote back", *cfg)
    assert done.exit_code == 0, done.stderr
    assert cli("followups", *cfg).stdout == ""
    assert broke[:7] not in cli("list", *cfg).stdout
    assert broke[:7] in cli("list", "--all", *cfg).stdout

    # Export keeps every status by default.
    exported = json.loads(cli("export", "--format", "json", *cfg).stdout)
    assert {r["id"]: r["status"] for r in exported}[broke] == "resolved"
    assert len(exported) == len(fetched.ids)
    rows = list(
        csv.DictReader(io.StringIO(cli("export", "--format", "csv", "--status", "resolved", *cfg).stdout))
    )
    assert [r["id"] for r in rows] == [broke]
    feed = feedparser.parse(io.BytesIO(cli("export", "--format", "atom", *cfg).stdout_bytes))
    assert feed.bozo == 0
    assert len(feed.entries) == len(fetched.ids)


def _at(value: str):  # type: ignore[no-untyped-def]
    from mentionscan.timeutil import parse_time

    return parse_time(value)


def test_bulk_mark_with_the_list_filters(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]

    result = cli("mark", "--query", "support", "todo", *cfg)
    assert result.exit_code == 0, result.stderr
    assert "Marked 1 mention todo." in result.stderr
    statuses = {r["id"]: r["status"] for r in cli.json("list", "--all", "--format", "json", *cfg)}
    assert statuses[fetched.id("Acme again")] == "todo"
    assert sorted(statuses.values()) == ["new", "new", "new", "todo"]

    # Bulk marks what `list` shows with the same filters: new and todo, here all four.
    result = cli("mark", "--source", "blog", "--since", "7d", "ignored", "--note", "triage day", *cfg)
    assert "Marked 4 mentions ignored." in result.stderr
    assert cli("list", *cfg).stdout == ""
    shown = cli.json("show", fetched.id("Why I left"), "--format", "json", *cfg)
    assert [e["text"] for e in shown["timeline"][1:]] == ["ignored", "triage day"]

    # --status picks among every status.
    result = cli("mark", "--status", "ignored", "new", *cfg)
    assert "Marked 4 mentions new." in result.stderr


def test_mark_refuses_what_it_cannot_do_safely(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    # 17 mentions: two of them must share the first digit of their (hex) id.
    more = [Post(f"/posts/n{i}", f"Acme note {i}", "acme", hours_ago=6 + i) for i in range(13)]
    fetched = fetch_posts(cli, httpserver, write_config, [*POSTS, *more])
    assert len(fetched.ids) == 17
    cfg = ["--config", str(fetched.config)]
    before = cli("list", "--all", "--format", "json", *cfg).stdout

    nothing = cli("mark", "ignored", *cfg)
    assert nothing.exit_code == 2
    assert "Error: no mention chosen: give ids, or filters" in nothing.stderr

    unknown = cli("mark", "ffffff", "todo", *cfg)
    assert unknown.exit_code == 2
    assert "Error: no mention with id 'ffffff'" in unknown.stderr

    # Every id is checked before anything changes.
    partly = cli("mark", fetched.id("Acme broke"), "ffffff", "todo", *cfg)
    assert partly.exit_code == 2

    ids = sorted(fetched.ids.values())
    shared = max((_common(a, b) for a in ids for b in ids if a != b), key=len)
    ambiguous = cli("mark", shared, "todo", *cfg)
    assert ambiguous.exit_code == 2
    assert "ambiguous" in ambiguous.stderr

    wrong_order = cli("mark", "todo", fetched.id("Acme broke"), *cfg)
    assert wrong_order.exit_code == 2
    assert f"put it last: mark {fetched.id('Acme broke')} todo" in wrong_order.stderr

    both = cli("mark", fetched.id("Acme broke"), "--query", "acme", "todo", *cfg)
    assert both.exit_code == 2
    assert "not both" in both.stderr

    bad_due = cli("mark", fetched.id("Acme broke"), "todo", "--due", "soon", *cfg)
    assert bad_due.exit_code == 2
    assert "'soon' is not a due date: use today, tomorrow" in bad_due.stderr

    assert cli("list", "--all", "--format", "json", *cfg).stdout == before


def _common(a: str, b: str) -> str:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def test_followups_are_oldest_first_and_skip_closed_ones(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    cfg = ["--config", str(fetched.config)]
    yesterday = to_iso(utcnow() - timedelta(days=1))
    last_week = to_iso(utcnow() - timedelta(days=7))
    assert yesterday and last_week
    cli("mark", fetched.id("Acme broke"), "contacted", "--due", yesterday, *cfg)
    cli("mark", fetched.id("Why I left"), "contacted", "--due", last_week, *cfg)
    cli("mark", fetched.id("Acme again"), "contacted", "--due", "2d", *cfg)
    cli("mark", fetched.id("Acme <script>"), "ignored", "--due", last_week, *cfg)

    records = cli.json("followups", "--format", "json", *cfg)
    assert [r["id"] for r in records] == [fetched.id("Why I left"), fetched.id("Acme broke")]
    table = cli("followups", *cfg).stdout
    assert "7d late" in table
    assert "1d late" in table

    cleared = cli("mark", fetched.id("Why I left"), "contacted", "--due", "none", *cfg)
    assert cleared.exit_code == 0
    assert [r["id"] for r in cli.json("followups", "--format", "json", *cfg)] == [fetched.id("Acme broke")]
