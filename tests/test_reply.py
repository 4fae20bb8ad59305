"""`mentionscan reply`: the draft parsed back with `email`, hostile titles, templates, mailto."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.followup.reply import DEFAULT_TEMPLATE, draft_reply, subject_for
from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.conftest import Cli
from tests.followuptools import HOSTILE_TITLE, fetch_posts, local_zone


def parse(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_the_default_draft_follows_the_four_steps(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    result = cli("reply", fetched.id("Acme again"), "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    message = parse(result.stdout_bytes)
    assert str(message["To"]) == "Jane Doe <jane@example.org>"
    assert message["Subject"] == "Re: Acme again: still broken"
    assert message["Date"]
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert body.startswith("Hi Jane Doe,\n")
    for step in (
        "1. What happened",
        "2. What we are doing about it",
        "3. How we will stop it",
        "4. I will write",
    ):
        assert step in body
    assert "The Acme fix did not land. Día dos." in body  # the snippet, accents intact
    # Readable as it stands (for `| sendmail -t` or an editor): no base64, no soft line breaks.
    assert message["Content-Transfer-Encoding"] == "8bit"
    assert "Día dos." in result.stdout_bytes.decode("utf-8")
    # Nothing was recorded without --mark.
    shown = cli.json("show", fetched.id("Acme again"), "--format", "json", "--config", str(fetched.config))
    assert shown["status"] == "new"
    assert [e["kind"] for e in shown["timeline"]] == ["found"]


def test_a_hostile_title_stays_text(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    result = cli("reply", fetched.id("Acme <script>"), "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    message = parse(result.stdout_bytes)
    assert message["Subject"] == "Re: " + HOSTILE_TITLE
    assert message["Bcc"] is None
    assert message["To"] is None  # Mallory left no address
    body = message.get_content()
    # `$url`, `${title}` and `{author}` in the title are text, not placeholders.
    assert f'I read what you wrote in "{HOSTILE_TITLE}":\n{fetched.base}/posts/hostile\n' in body
    assert "Hi Mallory," in body
    assert "Warning: no address known for the author: run `mentionscan contact" in result.stderr


def test_a_line_break_in_a_stored_title_cannot_add_a_header(cli: Cli, tmp_path: Path) -> None:
    database = tmp_path / "mentions.json"
    mention = _mention(
        title="Acme\r\nBcc: victim@evil.example\r\n\r\nInjected body",
        author="Eve\r\nCc: x@evil.example",
        author_email="eve@example.org",
    )
    with open_store(database) as store:
        store.put(mention)
        store.save()
    result = cli("reply", "abc", "--db", str(database))
    assert result.exit_code == 0, result.stderr
    message = parse(result.stdout_bytes)
    assert message["Bcc"] is None
    assert message["Cc"] is None
    assert message["Subject"] == "Re: Acme Bcc: victim@evil.example Injected body"
    assert message["To"].addresses[0].display_name == "Eve Cc: x@evil.example"
    assert message["To"].addresses[0].addr_spec == "eve@example.org"
    assert sorted(message.keys()) == sorted(
        ["To", "Subject", "Date", "Message-ID", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
    )


def test_an_address_that_is_not_one_is_left_out() -> None:
    for bad in ("eve@example.org\r\nBcc: x@evil.example", "a@b.c, d@e.f", "not an address", "<eve@x.org>"):
        draft = draft_reply(_mention(author_email=bad))
        assert draft.message["To"] is None
        assert draft.to is None


def test_mailto_link(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    result = cli("reply", fetched.id("Acme again"), "--mailto", "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    link = result.stdout.strip()
    assert "\n" not in link and " " not in link
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert unquote(parts.path) == "jane@example.org"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["subject"] == ["Re: Acme again: still broken"]
    body = query["body"][0]
    assert body.startswith("Hi Jane Doe,\r\n\r\nI read what you wrote")  # RFC 6068: CRLF line breaks
    assert "Día dos." in body


def test_hostile_title_in_a_mailto_link_cannot_add_a_parameter() -> None:
    draft = draft_reply(_mention(title="x&cc=victim@evil.example&bcc=a@b.c#frag?subject=y"))
    query = parse_qs(urlsplit(draft.mailto()).query)
    assert sorted(query) == ["body", "subject"]
    assert query["subject"] == ["Re: x&cc=victim@evil.example&bcc=a@b.c#frag?subject=y"]


def test_output_file_and_mark(cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    target = tmp_path / "draft.eml"
    mention_id = fetched.id("Acme broke")
    result = cli("reply", mention_id, "--output", str(target), "--mark", "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"Wrote {target}" in result.stderr
    message = parse(target.read_bytes())
    assert message["Subject"] == "Re: Acme broke my build"
    shown = cli.json("show", mention_id, "--format", "json", "--config", str(fetched.config))
    assert shown["status"] == "contacted"
    assert shown["due"] is None
    draft = next(e for e in shown["timeline"] if e["kind"] == "draft")
    assert message.get_content() in draft["text"]


def test_due_needs_mark(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    result = cli("reply", fetched.id("Acme broke"), "--due", "3d", "--config", str(fetched.config))
    assert result.exit_code == 2
    assert "--due needs --mark" in result.stderr
    assert result.stdout == ""


def test_reply_template_from_the_config(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    (tmp_path / "reply.txt").write_text(
        'Dear $author,\nAbout $title ($url): "$snippet".\nIt costs $5, ${unknown} stays, {braces} too.\n',
        encoding="utf-8",
    )
    fetched = fetch_posts(cli, httpserver, write_config, settings={"reply_template": "reply.txt"})
    result = cli("reply", fetched.id("Acme broke"), "--config", str(fetched.config))
    assert result.exit_code == 0, result.stderr
    body = parse(result.stdout_bytes).get_content()
    assert body == (
        f"Dear Jane Doe,\nAbout Acme broke my build ({fetched.base}/posts/broke): "
        '"Acme 2.3 broke my CI build. Anyone else?".\nIt costs $5, ${unknown} stays, {braces} too.\n'
    )


def test_missing_template_is_a_config_error(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config, settings={"reply_template": "nowhere.txt"})
    result = cli("reply", fetched.id("Acme broke"), "--config", str(fetched.config))
    assert result.exit_code == 2
    assert result.stderr == f"Error: reply_template {tmp_path / 'nowhere.txt'} does not exist\n"


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("Re: already a reply", "Re: already a reply"),
        ("  two\n\nlines\t", "Re: two lines"),
        ("", "Re: your post"),
        ("x" * 500, "Re: " + "x" * 199 + "…"),
    ],
)
def test_subject(title: str, subject: str) -> None:
    assert subject_for(title) == subject


def test_long_lines_fall_back_to_quoted_printable() -> None:
    draft = draft_reply(_mention(), DEFAULT_TEMPLATE + "x" * 1200 + "\n")
    message = parse(draft.as_bytes())
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content().endswith("x" * 1200 + "\n")
    assert max(len(line) for line in draft.as_bytes().splitlines()) <= 78


def _mention(**changes: object) -> Mention:
    from mentionscan.timeutil import utcnow

    base = Mention(
        id="abc123abc123",
        url="https://blog.example/post",
        title="Acme is slow",
        snippet="Acme is slow today.",
        author="Eve",
        author_url=None,
        author_email=None,
        published=None,
        found_at=utcnow(),
        source="blog",
        source_type="feed",
        queries=("acme",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_due_is_written_out_in_the_body_and_a_template_gets_it(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    fetched = fetch_posts(cli, httpserver, write_config)
    mention_id = fetched.id("Acme broke")
    with local_zone("Pacific/Auckland"):  # far from UTC: the date is the local one
        before = datetime.now().astimezone()
        result = cli("reply", mention_id, "--mark", "--due", "3d", "--config", str(fetched.config))
        assert result.exit_code == 0, result.stderr
        body = parse(result.stdout_bytes).get_content()
        day = (before + timedelta(days=3)).date()
        spoken = f"{day:%A} {day.day} {day:%B} {day.year}"
        assert f"4. I will write to you again when this is done, by {spoken}.\n" in body
        assert "[date]" not in body
        assert f"Marked {mention_id[:7]} contacted, report back by {spoken}." in result.stderr
        # The mention's date is said again in a later draft, and `--due none` takes it back.
        later = cli("reply", mention_id, "--config", str(fetched.config))
        assert f"by {spoken}." in parse(later.stdout_bytes).get_content()
        cleared = cli("reply", mention_id, "--mark", "--due", "none", "--config", str(fetched.config))
        assert "by [date]." in parse(cleared.stdout_bytes).get_content()

    (tmp_path / "reply.txt").write_text("I will report back by $due ($$due).\n", encoding="utf-8")
    templated = fetch_posts(cli, httpserver, write_config, settings={"reply_template": "reply.txt"})
    result = cli("reply", mention_id, "--mark", "--due", "2026-06-01", "--config", str(templated.config))
    assert parse(result.stdout_bytes).get_content() == "I will report back by Monday 1 June 2026 ($due).\n"
    plain = cli("reply", templated.id("Acme again"), "--config", str(templated.config))
    assert parse(plain.stdout_bytes).get_content() == "I will report back by [date] ($due).\n"


def test_the_draft_has_a_message_id_and_a_date(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    fetched = fetch_posts(
        cli, httpserver, write_config, settings={"reply_from": "Jane Roe <jane@acme.example>"}
    )
    first, second = (
        cli("reply", fetched.id(t), "--config", str(fetched.config)) for t in ("Acme broke", "Why")
    )
    ids = [parse(r.stdout_bytes)["Message-ID"] for r in (first, second)]
    assert b"\nMessage-ID: <" in first.stdout_bytes  # on one line
    assert all(re.fullmatch(r"<[^<>@\s]+@acme\.example>", i) for i in ids), ids
    assert ids[0] != ids[1]
    sent = parse(first.stdout_bytes)["Date"].datetime
    assert sent.tzinfo is not None and abs(datetime.now(UTC) - sent) < timedelta(minutes=5)


def test_from_is_reply_from_else_the_digest_address_and_then_it_says_so(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    robot = '\n[email]\nto = "founder@acme.example"\nfrom = "mentionscan <robot@acme.example>"\n'
    fetched = fetch_posts(
        cli, httpserver, write_config, settings={"reply_from": "Jane Roe <jane@acme.example>"}, extra=robot
    )
    mine = cli("reply", fetched.id("Acme broke"), "--config", str(fetched.config))
    assert mine.exit_code == 0, mine.stderr
    sender = parse(mine.stdout_bytes)["From"]
    assert (sender.addresses[0].display_name, sender.addresses[0].addr_spec) == (
        "Jane Roe",
        "jane@acme.example",
    )
    assert "From:" not in mine.stderr

    fallback = fetch_posts(cli, httpserver, write_config, extra=robot)
    result = cli("reply", fallback.id("Acme broke"), "--config", str(fallback.config))
    assert result.exit_code == 0, result.stderr
    assert parse(result.stdout_bytes)["From"].addresses[0].addr_spec == "robot@acme.example"
    assert (
        "Warning: From: is the digest's address (mentionscan <robot@acme.example>, [email] from); "
        "set reply_from in [settings] to answer as yourself\n"
    ) in result.stderr

    neither = fetch_posts(cli, httpserver, write_config)
    bare = cli("reply", neither.id("Acme broke"), "--config", str(neither.config))
    assert parse(bare.stdout_bytes)["From"] is None and "From:" not in bare.stderr


@pytest.mark.parametrize(
    "value", ["not an address", "a@b.example, c@d.example", "Jane <jane@x.example>\nBcc: v@x"]
)
def test_a_reply_from_that_is_not_one_address_is_a_config_error(
    cli: Cli, write_config, tmp_path: Path, value: str
) -> None:
    config = write_config({"acme": "acme"}, [], settings={"reply_from": value})
    result = cli("reply", "abc", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {config}: [settings]: 'reply_from' must be one email address, "
        'like "Jane Doe <jane@example.com>"'
    )
