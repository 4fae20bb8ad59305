"""`mentionscan digest`: mentions from a real fetch, sent to a real SMTP server, parsed back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from mentionscan.config.model import EmailSpec
from mentionscan.dedup import mention_id
from mentionscan.delivery.digest import SUBJECT_LIMIT, build_digest, build_message, pending_filter, subject
from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.followuptools import local_zone
from tests.mailtools import (
    HOSTILE_TITLE,
    QUERIES,
    MailServer,
    email_table,
    parts,
    read_store,
    serve_feeds,
    smtp_server,
    write_store,
)

ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "span", "a", "p"}


class Tags(HTMLParser):
    """Every start tag and attribute of an HTML document, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def scan(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    return tags


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def fetched(httpserver: Any, write_config: Callable[..., Path], cli: Any, mail: MailServer) -> Path:
    """A config whose database holds the mentions of a real `fetch` of the two feeds."""
    sources = serve_feeds(httpserver)
    path = write_config(QUERIES, sources, extra=email_table(mail))
    result = cli("fetch", "--config", str(path), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert len(read_store(path.parent / "mentions.json")) == 4
    return path


def header_block(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii")


def test_digest_send_delivers_one_grouped_message_and_marks_it(
    fetched: Path, cli: Any, mail: MailServer
) -> None:
    result = cli("digest", "--config", str(fetched), "--send")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"Digest of 4 mentions sent to founder@example.com through 127.0.0.1:{mail.port}" in result.stderr

    received = mail.only()
    assert received.mail_from == "scan@example.com"
    assert received.rcpt_tos == ["founder@example.com"]
    assert max(received.raw) < 128, "the message must be 7-bit clean"
    message = received.message
    assert message["To"].addresses[0].display_name == "Zoë Founder"
    assert message["To"].addresses[0].addr_spec == "founder@example.com"
    assert message["From"].addresses[0].addr_spec == "scan@example.com"
    assert message["Date"].datetime.tzinfo is not None
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Auto-Submitted"] == "auto-generated"

    stored = read_store(fetched.parent / "mentions.json")
    first_query = {m.title: m.queries[0] for m in stored.values()}
    expected: dict[str, int] = {}
    for query in first_query.values():
        expected[query] = expected.get(query, 0) + 1
    counts = ", ".join(f"{name} {expected[name]}" for name in QUERIES if name in expected)
    assert message["Subject"] == f"mentionscan: 4 new mentions ({counts})"
    assert expected == {"acme": 3, "acme-support": 1}

    text, html = parts(message)
    # Grouped by first query, in config order, newest first; every mention exactly once.
    acme, support = text.split("\nacme-support (1)\n", 1)
    assert "acme (3)" in acme
    titles_in_acme = [line[2:] for line in acme.splitlines() if line.startswith("* ")]
    assert [first_query[title] for title in titles_in_acme] == ["acme"] * 3
    assert titles_in_acme[0].startswith('<script>alert(1)</script> acme "><img')  # 1 h old
    assert titles_in_acme[1] == "Acme export lost our tables"  # 2 h old
    assert titles_in_acme[2].startswith("Día 3 con Acme: ¿alguien sabe? 日本語 Bcc: victim@example.com")
    assert [line for line in support.splitlines() if line.startswith("* ")] == [
        "* A week of note apps: which one exports tables?"
    ]
    for title in stored_titles(stored):
        assert text.count(title) == 1, title
    assert "also: acme-support" in acme  # the Día post matched both queries, listed once
    assert "Jöse Núñez" in text and "2h ago" in text

    # The HTML part: same grouping, every web value escaped, only safe tags and links.
    assert html.index(">acme <span") < html.index(">acme-support <span")
    tags = scan(html)
    assert set(tags.tags) <= ALLOWED_TAGS, set(tags.tags) - ALLOWED_TAGS
    assert not [name for name, _ in tags.attrs if name.startswith("on") or name == "src"]
    for href, _ in tags.links:
        assert href.startswith(("https://", "mailto:")), href
    assert "&lt;script&gt;alert(1)&lt;/script&gt; acme &quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;/div&gt;&lt;/table&gt;&lt;form action=https://evil.example&gt;" in html
    assert "Ana Ruíz &lt;b&gt;" in html
    link_texts = dict((text_, href) for href, text_ in tags.links)
    assert link_texts[HOSTILE_TITLE] == "https://social.example.net/@ana/1"
    assert link_texts["Acme export lost our tables"] == "https://blog.example.org/2026/acme-export"

    # A reply link to the author whose address the feed gave, with "Re: <title>".
    mailto = [href for href, text_ in tags.links if href.startswith("mailto:")]
    assert len(mailto) == 1
    parsed = urlsplit(mailto[0])
    assert unquote(parsed.path) == "maya@example.org"
    assert parse_qs(parsed.query)["subject"] == ["Re: Acme export lost our tables"]
    assert "Reply by email: mailto:maya@example.org?subject=Re%3A%20Acme%20export" in text

    # No title reached a header: one Subject, no Bcc, only the configured recipient.
    headers = header_block(received.raw)
    assert "victim" not in headers and "Bcc" not in headers
    assert message["Bcc"] is None

    # Marked as digested, with a timeline event, only now.
    for mention in read_store(fetched.parent / "mentions.json").values():
        assert mention.digested_at is not None
        assert mention.timeline[-1].kind == "digest"
        assert f"sent to founder@example.com through 127.0.0.1:{mail.port}" in mention.timeline[-1].text

    # A second digest sends nothing, and says so on stderr.
    again = cli("digest", "--config", str(fetched), "--send")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""
    assert "Nothing new since the last digest: no email." in again.stderr
    assert len(mail.received) == 1


def stored_titles(stored: dict[str, Mention]) -> list[str]:
    return [m.title for m in stored.values()]


def test_only_what_is_new_since_the_last_digest_is_sent_next_time(
    httpserver: Any, fetched: Path, cli: Any, mail: MailServer
) -> None:
    assert cli("digest", "--config", str(fetched), "--send", "--quiet").exit_code == 0
    httpserver.clear()
    now = datetime.now(UTC)
    httpserver.expect_request("/blog.rss").respond_with_data(
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Small Tools Weekly</title>'
            "<item><title>Acme 2.0 is out</title><link>https://blog.example.org/2026/acme-2</link>"
            f"<pubDate>{now.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
            "<description>Acme shipped.</description></item></channel></rss>"
        ),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/notes.json").respond_with_data(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Notes", "items": []}',
        content_type="application/feed+json",
    )
    assert cli("fetch", "--config", str(fetched), "--quiet").exit_code == 0
    result = cli("digest", "--config", str(fetched), "--send", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert len(mail.received) == 2
    second = mail.received[1].message
    assert second["Subject"] == "mentionscan: 1 new mention (acme 1)"
    text, _ = parts(second)
    assert [line for line in text.splitlines() if line.startswith("* ")] == ["* Acme 2.0 is out"]


def make_mention(key: str, **values: Any) -> Mention:
    base: dict[str, Any] = {
        "id": mention_id(key),
        "url": f"https://example.com/{key}",
        "title": f"Post {key} about acme",
        "snippet": "acme is mentioned here",
        "author": None,
        "author_url": None,
        "author_email": None,
        "published": None,
        "found_at": datetime.now(UTC).replace(microsecond=0),
        "source": "blog",
        "source_type": "feed",
        "queries": ("acme",),
    }
    base.update(values)
    return Mention(**base)


@pytest.fixture
def store_config(write_config: Callable[..., Path]) -> Path:
    return write_config(
        QUERIES,
        [{"name": "blog", "type": "feed", "url": "http://127.0.0.1:9/feed.xml"}],
        extra=email_table(),
    )


def test_the_digest_itself_keeps_hostile_stored_values_out_of_headers_and_links(
    store_config: Path, cli: Any
) -> None:
    """Values written through the store API, not cleaned by a feed parser, are still made safe."""
    database = store_config.parent / "mentions.json"
    hostile = make_mention(
        "evil",
        title="Hello acme\r\nBcc: victim@example.com\r\n\r\n<b>x</b>\x1b[2J",
        url="javascript:alert(1)",
        author="Mallory\nX-Evil: 1",
        author_url="data:text/html,<script>alert(1)</script>",
        author_email="mallory@example.com\r\nBcc: victim@example.com",
        snippet='"><script>alert(2)</script>',
    )
    write_store(database, [hostile])
    result = cli("digest", "--config", str(store_config))
    assert result.exit_code == 0, result.stderr
    raw = result.stdout_bytes
    message = message_from_bytes(raw, policy=policy.default)
    headers = header_block(raw)
    assert "victim" not in headers and "Evil" not in headers and "Bcc" not in headers
    assert message["Subject"] == "mentionscan: 1 new mention (acme 1)"
    text, html = parts(message)  # type: ignore[arg-type]
    assert "* Hello acme Bcc: victim@example.com <b>x</b>" in text
    assert "\x1b" not in text and "\x1b" not in html
    tags = scan(html)
    assert set(tags.tags) <= ALLOWED_TAGS
    assert tags.links == [], "javascript:, data: and a malformed address must not become links"
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "Reply" not in text


def test_stdout_is_a_complete_message_and_a_preview_unless_mark(store_config: Path, cli: Any) -> None:
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a"), make_mention("b", author_email="bo@example.com")])
    result = cli("digest", "--config", str(store_config))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "Digest of 2 mentions written to stdout (a preview: nothing recorded; --send sends and records it)\n"
    )
    message = message_from_bytes(result.stdout_bytes, policy=policy.default)
    assert message["To"] == "Zoë Founder <founder@example.com>"
    assert message["From"] == "mentionscan <scan@example.com>"
    assert b"\r\n" not in result.stdout_bytes  # local line endings on a pipe
    assert all(m.digested_at is None for m in read_store(database).values())
    # Tomorrow's digest is still whole; `--mark` records a preview as sent when that is wanted.
    again = cli("digest", "--config", str(store_config), "--mark")
    assert again.exit_code == 0
    repeated = message_from_bytes(again.stdout_bytes, policy=policy.default)
    assert repeated["Subject"] == message["Subject"] == "mentionscan: 2 new mentions (acme 2)"
    assert parts(repeated) == parts(message)  # type: ignore[arg-type]
    assert again.stderr == "Digest of 2 mentions written to stdout\n"
    assert all(m.digested_at for m in read_store(database).values())
    assert cli("digest", "--config", str(store_config)).stdout == ""


@pytest.mark.slow
def test_a_preview_through_head_or_a_pager_uses_nothing_up(store_config: Path) -> None:
    """`mentionscan digest | head -1`: the reader goes away after one line; nothing is recorded."""
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention(f"m{i}", snippet="acme " * 2000) for i in range(40)])
    for reader in ("head -1", "cat >/dev/null"):
        shown = subprocess.run(
            ["sh", "-c", f'"{sys.executable}" -m mentionscan digest --config "{store_config}" | {reader}'],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == (b"From: mentionscan <scan@example.com>\n" if reader == "head -1" else b"")
        assert all(m.digested_at is None for m in read_store(database).values()), reader
    # A reader gone before the message is written (a pager quit at once): a preview ends quietly;
    # with --mark the message was not handed over, so it says so and records nothing.
    for marking, code, said in ((), 0, b""), (("--mark",), 1, b"Error: cannot write the digest to stdout"):
        gone, writer = os.pipe()
        os.close(gone)
        try:
            ended = subprocess.run(
                [sys.executable, "-m", "mentionscan", "digest", "--config", str(store_config), *marking],
                stdin=subprocess.DEVNULL,
                stdout=writer,
                stderr=subprocess.PIPE,
                timeout=60,
            )
        finally:
            os.close(writer)
        assert ended.returncode == code, ended.stderr
        assert ended.stderr.startswith(said) and (said or ended.stderr == b"")
        assert all(m.digested_at is None for m in read_store(database).values())


def test_no_mark_is_a_preview_everywhere_and_sends_without_recording(
    store_config: Path, cli: Any, mail: MailServer, write_config: Callable[..., Path]
) -> None:
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a")])
    first = cli("digest", "--config", str(store_config), "--no-mark")  # the default on stdout: a no-op
    assert first.exit_code == 0 and first.stdout.startswith("From: ")
    assert all(m.digested_at is None for m in read_store(database).values())
    # With --send: a real email, to try the mail set-up without using up the digest.
    sending = write_config(QUERIES, [], extra=email_table(mail), name="sending.toml")
    sent = cli("digest", "--config", str(sending), "--db", str(database), "--send", "--no-mark")
    assert sent.exit_code == 0, sent.stderr
    assert "(--no-mark: nothing recorded, the next digest repeats it)" in sent.stderr
    assert mail.only().message["Subject"] == "mentionscan: 1 new mention (acme 1)"
    assert all(m.digested_at is None for m in read_store(database).values())
    assert cli("digest", "--config", str(store_config)).stdout.startswith("From: ")


def test_output_writes_an_eml_file_atomically(store_config: Path, cli: Any, tmp_path: Path) -> None:
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a", title="Größe matters for acme")])
    target = tmp_path / "out" / "digest.eml"
    target.parent.mkdir()
    result = cli("digest", "--config", str(store_config), "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"written to {target}" in result.stderr
    assert [p.name for p in target.parent.iterdir()] == ["digest.eml"]  # no temp file left
    message = message_from_bytes(target.read_bytes(), policy=policy.default)
    text, html = parts(message)  # type: ignore[arg-type]
    assert "Größe matters for acme" in text and "Größe matters for acme" in html
    assert "(a preview: nothing recorded" in result.stderr
    assert all(m.digested_at is None for m in read_store(database).values())
    marked = cli("digest", "--config", str(store_config), "--output", str(target), "--mark")
    assert marked.exit_code == 0, marked.stderr
    assert marked.stderr == f"Digest of 1 mention written to {target}\n"
    assert all(m.digested_at for m in read_store(database).values())

    missing = cli("digest", "--config", str(store_config), "--output", str(tmp_path / "nope" / "x.eml"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_since_selects_by_found_at_whether_sent_or_not(store_config: Path, cli: Any) -> None:
    database = store_config.parent / "mentions.json"
    now = datetime.now(UTC).replace(microsecond=0)
    sent_recently = make_mention("recent", found_at=now - timedelta(hours=1), digested_at=now)
    sent_long_ago = make_mention("old", found_at=now - timedelta(days=2), digested_at=now - timedelta(days=2))
    never_sent = make_mention("unsent", found_at=now - timedelta(days=3))
    write_store(database, [sent_recently, sent_long_ago, never_sent])

    since = cli("digest", "--config", str(store_config), "--since", "24h", "--no-mark")
    assert since.exit_code == 0, since.stderr
    message = message_from_bytes(since.stdout_bytes, policy=policy.default)
    assert message["Subject"].startswith("mentionscan: 1 mention since ")
    text, _ = parts(message)  # type: ignore[arg-type]
    assert "Post recent about acme" in text and "Post old" not in text and "Post unsent" not in text

    default = cli("digest", "--config", str(store_config))
    text, _ = parts(message_from_bytes(default.stdout_bytes, policy=policy.default))  # type: ignore[arg-type]
    assert "Post unsent about acme" in text and "Post recent" not in text
    stored = read_store(database)
    assert stored[sent_recently.id].digested_at == now  # already sent: left as it was


def test_nothing_new_sends_nothing_unless_always(store_config: Path, cli: Any) -> None:
    quiet = cli("digest", "--config", str(store_config))
    assert quiet.exit_code == 0
    assert quiet.stdout == ""
    assert "Nothing new since the last digest: no email." in quiet.stderr
    silent = cli("digest", "--config", str(store_config), "--quiet")
    assert silent.exit_code == 0 and silent.stdout == "" and silent.stderr == ""

    always = cli("digest", "--config", str(store_config), "--always", "--mark")
    assert always.exit_code == 0, always.stderr
    message = message_from_bytes(always.stdout_bytes, policy=policy.default)
    assert message["Subject"] == "mentionscan: no new mentions"
    text, html = parts(message)  # type: ignore[arg-type]
    assert "All quiet: nothing new." in text and "All quiet: nothing new." in html
    # The next "all quiet" says since when.
    second = cli("digest", "--config", str(store_config), "--always")
    text, _ = parts(message_from_bytes(second.stdout_bytes, policy=policy.default))  # type: ignore[arg-type]
    assert "All quiet: nothing new since the last digest (" in text


def test_usage_errors(
    store_config: Path, write_config: Callable[..., Path], cli: Any, tmp_path: Path
) -> None:
    both = cli("digest", "--config", str(store_config), "--send", "--output", str(tmp_path / "x.eml"))
    assert both.exit_code == 2
    assert "Error: --send and --output cannot be used together" in both.stderr

    no_email = write_config(QUERIES, [], name="plain.toml")
    result = cli("digest", "--config", str(no_email))
    assert result.exit_code == 2
    assert "no [email] table" in result.stderr and str(no_email) in result.stderr

    bad_since = cli("digest", "--config", str(store_config), "--since", "yesterday")
    assert bad_since.exit_code == 2 and "'yesterday'" in bad_since.stderr


def test_digest_waits_for_the_database_lock(write_config: Callable[..., Path], cli: Any) -> None:
    path = write_config(QUERIES, [], settings={"lock_timeout": 0.3}, extra=email_table())
    database = path.parent / "mentions.json"
    write_store(database, [make_mention("a")])
    with open_store(database, write=True, lock_timeout=1):
        result = cli("digest", "--config", str(path))
    assert result.exit_code == 4
    assert "in use by another mentionscan run" in result.stderr
    assert result.stdout == ""
    assert all(m.digested_at is None for m in read_store(database).values())


# The message builder on its own.

SPEC = EmailSpec(to=("a@example.com",), sender="b@example.com")


def test_pending_is_the_not_yet_digested_or_what_was_found_since() -> None:
    now = datetime.now(UTC)
    sent = make_mention("s", digested_at=now, found_at=now - timedelta(hours=2))
    unsent = make_mention("u", found_at=now - timedelta(days=5))
    assert [m for m in (sent, unsent) if pending_filter().accepts(m)] == [unsent]
    assert [m for m in (sent, unsent) if pending_filter(now - timedelta(days=1)).accepts(m)] == [sent]


def test_groups_follow_the_config_order_and_each_mention_appears_once() -> None:
    now = datetime.now(UTC)
    mentions = [
        make_mention("1", queries=("zeta", "alpha"), published=now - timedelta(hours=3)),
        make_mention("2", queries=("alpha",), published=now - timedelta(hours=1)),
        make_mention("3", queries=("alpha",), published=now - timedelta(hours=2)),
        make_mention("4", queries=("unknown",)),
    ]
    digest = build_digest(mentions, ["alpha", "zeta"], now=now)
    assert [(name, [m.id for m in group]) for name, group in digest.groups] == [
        ("alpha", [mentions[1].id, mentions[2].id]),
        ("zeta", [mentions[0].id]),
        ("unknown", [mentions[3].id]),
    ]
    assert subject(digest) == "mentionscan: 4 new mentions (alpha 2, zeta 1, unknown 1)"


def test_a_long_subject_is_cut_between_queries_and_still_adds_up() -> None:
    names = [f"product-number-{i}-with-a-long-name" for i in range(12)]
    mentions = [make_mention(f"m{i}", queries=(name,)) for i, name in enumerate(names)]
    text = subject(build_digest(mentions, names))
    assert len(text) <= SUBJECT_LIMIT
    assert text.startswith("mentionscan: 12 new mentions (product-number-0-with-a-long-name 1, ")
    shown = text.count(" 1, ") + text.count(" 1)")
    more = int(text.rsplit("+", 1)[1].split(" ")[0])
    assert shown + more == 12
    assert text.endswith(" more)")


def test_non_ascii_names_are_encoded_and_read_back() -> None:
    spec = EmailSpec(to=("Zoë Ærø <zoe@example.com>", "ops@example.com"), sender="Bötchen <bot@example.com>")
    digest = build_digest([make_mention("x", title="日本語のブログで acme", author="Jöse")], ["acme"])
    raw = build_message(digest, spec).as_bytes()
    assert max(raw) < 128
    parsed = message_from_bytes(raw, policy=policy.default)
    assert [a.display_name for a in parsed["To"].addresses] == ["Zoë Ærø", ""]
    assert parsed["From"].addresses[0].display_name == "Bötchen"
    text, html = parts(parsed)  # type: ignore[arg-type]
    assert "日本語のブログで acme" in text and "Jöse" in html


def test_a_digest_shown_on_a_terminal_is_not_marked(store_config: Path, tmp_path: Path) -> None:
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a")])
    leader, follower = os.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "mentionscan", "digest", "--config", str(store_config)],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert process.returncode == 0, process.stderr
    assert b"Subject: mentionscan: 1 new mention (acme 1)" in shown
    assert b"(a preview: nothing recorded; --send sends and records it)" in process.stderr
    assert all(m.digested_at is None for m in read_store(database).values())


def test_digest_has_help(cli: Any) -> None:
    result = cli("digest", "--help")
    assert result.exit_code == 0
    for option in ("--send", "sendmail", "--mark", "--no-mark", "preview", "--since", "--always"):
        assert option in result.stdout, option


def test_a_huge_title_and_snippet_are_cut_in_both_parts() -> None:
    huge = make_mention("big", title="acme " + "word " * 200_000, snippet="x" * 1_000_000)
    message = build_message(build_digest([huge], ["acme"]), SPEC)
    raw = message.as_bytes()
    assert len(raw) < 20_000
    text, html = parts(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
    [title_line] = [line for line in text.splitlines() if line.startswith("* ")]
    assert len(title_line) <= 2 + 300 and title_line.endswith("…")
    assert "x" * 399 + "…" in text and "x" * 401 not in html


def test_output_into_a_folder_that_refuses_files_is_one_error_line(store_config: Path, cli: Any) -> None:
    # /proc is a folder no one can create a file in, root included: the write itself fails.
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a")])
    result = cli("digest", "--config", str(store_config), "--output", "/proc/digest.eml")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write the digest to /proc/digest.eml: ")
    assert len(result.stderr.splitlines()) == 1
    assert all(m.digested_at is None for m in read_store(database).values())  # nothing was marked


def test_times_in_the_digest_are_local_and_the_zone_is_said_once(store_config: Path, cli: Any) -> None:
    database = store_config.parent / "mentions.json"
    write_store(database, [make_mention("a")])
    with local_zone("Europe/Berlin"):
        since = cli("digest", "--config", str(store_config), "--since", "2026-11-23T06:30:00Z")
        message = message_from_bytes(since.stdout_bytes, policy=policy.default)
        assert message["Subject"] == "mentionscan: 1 mention since 23 Nov 2026 07:30 CET (acme 1)"
        text, html = parts(message)  # type: ignore[arg-type]
        assert text.startswith("1 mention since 23 Nov 2026 07:30 CET (acme 1)\n")
        assert "since 23 Nov 2026 07:30 CET" in html
        assert "Z UTC" not in text + html + message["Subject"]
        assert message["Date"].datetime.utcoffset() == timedelta(hours=1)  # Berlin in November

        assert cli("digest", "--config", str(store_config), "--mark", "--quiet").exit_code == 0
        quiet = cli("digest", "--config", str(store_config), "--always")
        text, _ = parts(message_from_bytes(quiet.stdout_bytes, policy=policy.default))  # type: ignore[arg-type]
        last = read_store(database)[make_mention("a").id].digested_at.astimezone()
        assert f"All quiet: nothing new since the last digest ({last:%-d %b %Y %H:%M} CET)." in text
    with local_zone("UTC"):
        since = cli("digest", "--config", str(store_config), "--since", "2026-11-23T06:30:00Z")
        subject_line = message_from_bytes(since.stdout_bytes, policy=policy.default)["Subject"]
        assert subject_line == "mentionscan: 1 mention since 23 Nov 2026 06:30 UTC (acme 1)"


def test_a_mention_already_answered_is_not_offered_a_reply(store_config: Path, cli: Any) -> None:
    database = store_config.parent / "mentions.json"
    now = datetime.now(UTC).replace(microsecond=0)
    drafted = make_mention("drafted", author_email="d@example.com").with_event(
        "draft", "To: d@example.com", at=now
    )
    write_store(
        database,
        [
            make_mention("open", author_email="o@example.com", status="todo"),
            make_mention("wrote", author_email="w@example.com", status="contacted"),
            make_mention("answered", author_email="a@example.com", status="replied"),
            make_mention("done", author_email="r@example.com", status="resolved"),
            drafted,
        ],
    )
    message = message_from_bytes(
        cli("digest", "--config", str(store_config)).stdout_bytes, policy=policy.default
    )
    text, html = parts(message)  # type: ignore[arg-type]
    assert text.count("Reply by email") == 1
    assert "Reply by email: mailto:o@example.com?subject=" in text
    items = {block.split("\n", 1)[0]: block for block in text.split("\n* ")[1:]}
    assert " · contacted · id " in items["Post wrote about acme"]
    assert " · replied · id " in items["Post answered about acme"]
    assert " · resolved · id " in items["Post done about acme"]
    assert " · contacted · id " in items["Post drafted about acme"]  # a logged draft is a contact
    assert "Reply" not in items["Post wrote about acme"] + items["Post done about acme"]
    assert [href for href, _ in scan(html).links if href.startswith("mailto:")] == [
        "mailto:o@example.com?subject=Re%3A%20Post%20open%20about%20acme"
    ]
