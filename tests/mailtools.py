"""Helpers for the digest, mail and cron tests: a real SMTP server on 127.0.0.1, feeds, configs.

The feeds are shaped like real ones: an RSS 2.0 blog feed with `<author>email (Name)</author>`
(as in tests/data/rss20.xml) and a JSON Feed 1.1 laid out like the spec's own example
(/work/shared/fixtures/jsonfeed/), with titles and names chosen to be hostile.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class StoringHandler:
    """An aiosmtpd handler that keeps every message it accepted."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    host: str
    port: int
    handler: StoringHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def only(self) -> Received:
        assert len(self.received) == 1, f"expected one message, got {len(self.received)}"
        return self.received[0]


def password_checker(username: str, password: str) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == username.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


@contextmanager
def smtp_server(
    *,
    auth: tuple[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    handler: StoringHandler | None = None,
    data_size_limit: int | None = 33554432,
) -> Iterator[MailServer]:
    """A real SMTP server on 127.0.0.1: plain, with STARTTLS, or with implicit TLS; optional login.

    `data_size_limit` is announced (EHLO SIZE) and enforced with 552; None announces no limit.
    """
    handler = handler or StoringHandler()
    port = free_port()
    kwargs: dict[str, Any] = {"server_hostname": "mail.test.invalid", "data_size_limit": data_size_limit}
    if auth:
        kwargs.update(authenticator=password_checker(*auth), auth_require_tls=False)
    if starttls:
        kwargs.update(tls_context=starttls, require_starttls=True)
    if implicit_tls:
        kwargs.update(ssl_context=implicit_tls)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield MailServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def email_table(server: MailServer | None = None, **overrides: Any) -> str:
    """An `[email]` table (TOML) pointing at `server`."""
    values: dict[str, Any] = {
        "to": "Zoë Founder <founder@example.com>",
        "from": "mentionscan <scan@example.com>",
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port if server else free_port(),
        "security": "none",
        "timeout": 5,
    }
    values.update(overrides)
    lines = ["", "[email]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def rfc822(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def blog_rss(now: datetime) -> bytes:
    """An RSS 2.0 blog feed: two posts about acme, one with a known author address."""
    items = [
        (
            "Acme export lost our tables",
            "https://blog.example.org/2026/acme-export",
            "maya@example.org (Maya Okafor)",
            now - timedelta(hours=2),
            "We tried Acme for a month. Exporting to Markdown lost our tables.",
        ),
        (
            "A week of note apps: which one exports tables?",
            "https://blog.example.org/2026/note-apps",
            None,
            now - timedelta(hours=30),
            "Five apps, one question: who keeps my tables? #acmehelp",
        ),
    ]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel><title>Small Tools Weekly</title>',
        "<link>https://blog.example.org/</link><description>Notes</description>",
    ]
    for title, link, author, when, text in items:
        parts.append(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>")
        if author:
            parts.append(f"<author>{author}</author>")
        parts.append(f"<pubDate>{rfc822(when)}</pubDate><description>{text}</description></item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


HOSTILE_TITLE = '<script>alert(1)</script> acme "><img src=x onerror=alert(2)>'


def hostile_json_feed(now: datetime) -> bytes:
    """A JSON Feed 1.1 whose titles are plain text (per the spec) and hostile, and names non-ASCII."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Notes from everywhere",
        "home_page_url": "https://social.example.net/",
        "items": [
            {
                "id": "n-1",
                "url": "https://social.example.net/@ana/1",
                "title": HOSTILE_TITLE,
                "content_text": "Is acme safe? </div></table><form action=https://evil.example>",
                "date_published": (now - timedelta(hours=1)).isoformat(),
                "authors": [{"name": "Ana Ruíz <b>", "url": "javascript:alert(3)"}],
            },
            {
                "id": "n-2",
                "url": "https://social.example.net/@jo/2",
                "title": "Día 3 con Acme: ¿alguien sabe? 日本語\r\nBcc: victim@example.com",
                "content_text": "Acme en español #acmehelp",
                "date_published": (now - timedelta(hours=5)).isoformat(),
                "authors": [{"name": "Jöse Núñez"}],
            },
        ],
    }
    return json.dumps(feed, ensure_ascii=False).encode("utf-8")


QUERIES = {"acme": "acme", "acme-support": "tag:acmehelp"}


def serve_feeds(httpserver: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Serve the two feeds; the `[[sources]]` tables that point at them."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    httpserver.expect_request("/blog.rss").respond_with_data(
        blog_rss(now), content_type="application/rss+xml; charset=utf-8"
    )
    httpserver.expect_request("/notes.json").respond_with_data(
        hostile_json_feed(now), content_type="application/feed+json; charset=utf-8"
    )
    return [
        {"name": "blog", "type": "feed", "url": httpserver.url_for("/blog.rss")},
        {"name": "notes", "type": "feed", "url": httpserver.url_for("/notes.json")},
    ]


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a multipart/alternative message, decoded."""
    assert message.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"], kinds
    # Received over SMTP the lines end in CRLF; read them as a mail client does.
    text, html = (p.get_content().replace("\r\n", "\n") for p in message.iter_parts())
    return text, html


def write_store(database: Path, mentions: list[Any]) -> None:
    from mentionscan.store import open_store

    with open_store(database, write=True) as store:
        for mention in mentions:
            store.put(mention)
        store.save()


def read_store(database: Path) -> dict[str, Any]:
    from mentionscan.store import open_store

    with open_store(database, write=False) as store:
        return {m.id: m for m in list(store.mentions())}


SENDMAIL = """\
#!{python}
# A stand-in for /usr/sbin/sendmail: keeps each message it is given, then exits as told.
import json, pathlib, sys
outbox = pathlib.Path({outbox!r})
data = sys.stdin.buffer.read()
if {code!r} == 0:
    count = len(list(outbox.glob("*.eml")))
    (outbox / f"{{count}}.eml").write_bytes(data)
    (outbox / f"{{count}}.argv").write_text(json.dumps(sys.argv[1:]))
sys.stderr.write({stderr!r})
sys.exit({code!r})
"""


@dataclass
class Sendmail:
    """A local mail program written by the test: `program` to configure, what it got in `outbox`."""

    program: Path
    outbox: Path

    @property
    def received(self) -> list[EmailMessage]:
        found = sorted(self.outbox.glob("*.eml"), key=lambda p: int(p.stem))
        messages = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in found]
        return [m for m in messages if isinstance(m, EmailMessage)]

    def arguments(self, index: int = 0) -> list[str]:
        return list(json.loads((self.outbox / f"{index}.argv").read_text()))


def fake_sendmail(folder: Path, name: str = "sendmail", *, code: int = 0, stderr: str = "") -> Sendmail:
    """A program that reads a message on stdin like sendmail: kept when `code` is 0."""
    import sys

    outbox = folder / f"{name}-outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(SENDMAIL.format(python=sys.executable, outbox=str(outbox), code=code, stderr=stderr))
    program.chmod(0o755)
    return Sendmail(program, outbox)


def sendmail_table(program: Path | str, **overrides: Any) -> str:
    """An `[email]` table that sends through a local mail program (and names no SMTP server)."""
    smtp = dict.fromkeys(("smtp_host", "smtp_port", "security"))
    return email_table(None, **{**smtp, "sendmail": f"{program} -t", "timeout": 10, **overrides})
