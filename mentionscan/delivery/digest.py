"""The digest email: the mentions not yet sent, grouped by query, as one multipart message.

Building is pure (`build_digest`, `build_message`); `run_digest` is the whole job: lock the
store, choose the mentions, build the message, hand it to a delivery, and only when the
delivery succeeded mark the mentions as digested and save. A crash between the two sends at
most one digest twice; it never loses one (at-least-once).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from mentionscan import __version__
from mentionscan.config.model import Config, EmailSpec
from mentionscan.delivery.digest_state import DigestState
from mentionscan.delivery.sizes import (
    ADDRESS_LIMIT,
    capped_link,
    deliver_fitted,
    hidden,
    more_line,
    shown_groups,
)
from mentionscan.errors import ConfigError, StoreError
from mentionscan.followup.triage import ago
from mentionscan.mailaddr import configured_address, domain_of, valid_address
from mentionscan.models import OPEN_STATUSES, Mention
from mentionscan.store.interface import MentionFilter, Order, Store, select, sort_time
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import local_time, utcnow

SUBJECT_LIMIT = 110  # characters of a subject; mail clients show about this many
TITLE_LIMIT = 300
SNIPPET_LIMIT = 400
NO_QUERY = "(no query)"


@dataclass(frozen=True, slots=True)
class Digest:
    """What one digest holds: every mention once, under the first of its queries."""

    groups: tuple[tuple[str, tuple[Mention, ...]], ...]
    now: datetime
    since: datetime | None = None  # set with `--since`: chosen by date, not by "not yet sent"
    last_sent: datetime | None = None
    shown: int | None = None  # how many are shown, in group order (None: all); the rest are counted

    @property
    def mentions(self) -> list[Mention]:
        return [m for _, group in self.groups for m in group]

    @property
    def count(self) -> int:
        return sum(len(group) for _, group in self.groups)


@dataclass(frozen=True, slots=True)
class DigestResult:
    """What `run_digest` did: the digest it built, whether it delivered it, and where."""

    digest: Digest
    delivered: bool
    where: str = ""
    marked: int = 0
    elsewhere: DigestState | None = None  # sent by another machine while this one waited its turn


def pending_filter(since: datetime | None = None, published_since: datetime | None = None) -> MentionFilter:
    """Found at or after `since` (without it: in no digest yet), published at or after `published_since`."""
    return MentionFilter(
        found_since=since, undigested=since is None, published_since=published_since, order=Order.STORED
    )


def build_digest(
    mentions: Iterable[Mention],
    query_order: Sequence[str] = (),
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    last_sent: datetime | None = None,
) -> Digest:
    """Group `mentions` by their first query (in `query_order`, then by name), newest first."""
    by_query: dict[str, list[Mention]] = {}
    for mention in mentions:
        by_query.setdefault(mention.queries[0] if mention.queries else NO_QUERY, []).append(mention)
    rank = {name: index for index, name in enumerate(query_order)}
    names = sorted(by_query, key=lambda n: (n not in rank, rank.get(n, 0), n == NO_QUERY, n))
    groups = tuple((name, tuple(select(by_query[name], MentionFilter()))) for name in names)
    return Digest(groups=groups, now=now or utcnow(), since=since, last_sent=last_sent)


def subject(digest: Digest) -> str:
    """`mentionscan: 7 new mentions (acme 5, acme-support 2)`, one line, at most SUBJECT_LIMIT."""
    count = digest.count
    noun = "mention" if count == 1 else "mentions"
    if digest.since is not None:
        head = f"mentionscan: {count} {noun} since {local_time(digest.since)}"
    elif count:
        head = f"mentionscan: {count} new {noun}"
    else:
        return "mentionscan: no new mentions"
    parts = [f"{one_line(name)} {len(group)}" for name, group in digest.groups]
    if not parts:
        return head
    shown: list[str] = []
    for index, part in enumerate(parts):
        left = len(parts) - index - 1
        tail = f", +{left} more" if left else ""
        if len(f"{head} ({', '.join([*shown, part])}{tail})") > SUBJECT_LIMIT:
            break
        shown.append(part)
    if len(shown) < len(parts):
        shown.append(f"+{len(parts) - len(shown)} more")
        if len(shown) == 1:  # not even one query name fits
            return truncate(head, SUBJECT_LIMIT)
    return truncate(f"{head} ({', '.join(shown)})", SUBJECT_LIMIT)


def reply_link(mention: Mention) -> tuple[str, str]:
    """(label, href): a `mailto:` to the author when the address is known, else the page itself."""
    address = valid_address(one_line(mention.author_email))
    if address and len(address) <= ADDRESS_LIMIT:
        title = truncate(one_line(mention.title) or "your post", 150)
        return "Reply by email", f"mailto:{quote(address, safe='@')}?subject={quote('Re: ' + title)}"
    if link := capped_link(mention.url):
        return "Reply on the page", link
    return "", ""


@dataclass(frozen=True, slots=True)
class _Item:
    """One mention reduced to the plain-text values both parts show."""

    title: str
    link: str
    meta: str
    snippet: str
    author: str
    author_link: str
    reply_label: str
    reply_href: str
    about: str  # what a discussion links to
    source: str
    when: str
    also: str
    done: str
    id: str


def answered(mention: Mention) -> str:
    """What was already done about a mention (`contacted`, `replied`, ...), or "" while it is open."""
    if mention.status not in OPEN_STATUSES:
        return mention.status
    return "contacted" if mention.last_contacted is not None else ""


def _item(mention: Mention, group: str, now: datetime) -> _Item:
    others = [q for q in mention.queries if q != group]
    author = truncate(one_line(mention.author), 80)
    done = answered(mention)
    # Written to already, or settled: a second reply link would invite a second first answer.
    label, href = ("", "") if done else reply_link(mention)
    source = one_line(mention.source)
    when = ago(sort_time(mention), now)
    also = f"also: {', '.join(one_line(q) for q in others)}" if others else ""
    if mention.related:  # the page this discusses, or its discussions, are stored too: answer both
        also = " · ".join(p for p in (also, "related: " + ", ".join(r[:7] for r in mention.related)) if p)
    meta = " · ".join(p for p in (source, author, when, also, done, f"id {mention.id[:7]}") if p)
    return _Item(
        title=truncate(one_line(mention.title) or "(no title)", TITLE_LIMIT),
        link=capped_link(mention.url),
        meta=meta,
        snippet=truncate(one_line(mention.snippet), SNIPPET_LIMIT),
        author=author,
        author_link=capped_link(mention.author_url),
        reply_label=label,
        reply_href=href,
        about=capped_link(mention.link),
        source=source,
        when=when,
        also=also,
        done=done,
        id=mention.id[:7],
    )


def _quiet_line(digest: Digest) -> str:
    since = f" since the last digest ({local_time(digest.last_sent)})" if digest.last_sent else ""
    return f"All quiet: nothing new{since}."


FOOTER = "Sent by mentionscan {version}. `mentionscan list` shows what still wants an answer."


def render_text(digest: Digest) -> str:
    """The plain-text part."""
    lines = [subject(digest).removeprefix("mentionscan: "), ""]
    if not digest.count:
        lines += [_quiet_line(digest), ""]
    totals = {name: len(group) for name, group in digest.groups}
    for name, group in shown_groups(digest):
        heading = f"{one_line(name)} ({totals[name]})"
        lines += [heading, "=" * len(heading), ""]
        for mention in group:
            item = _item(mention, name, digest.now)
            lines.append(f"* {item.title}")
            about = f"about {item.about}" if item.about else ""
            lines += [f"  {value}" for value in (item.link, about, item.meta, item.snippet) if value]
            if item.reply_href:
                lines.append(f"  {item.reply_label}: {item.reply_href}")
            lines.append("")
    if hidden(digest):
        lines += [more_line(digest), ""]
    lines += ["-- ", FOOTER.format(version=__version__), ""]
    return "\n".join(lines)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _a(href: str, text: str, style: str) -> str:
    """A link; `href` was made by safe_link or reply_link (http, https or our own mailto:)."""
    return f'<a href="{_e(href)}" style="{style}">{_e(text)}</a>'


_LINK = "color:#1a56db;text-decoration:none;"
_MUTED = "color:#666666;font-size:12px;margin:2px 0 0;"


def render_html(digest: Digest) -> str:
    """The HTML part: inline styles only, no scripts, no images; every web value escaped."""
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{_e(subject(digest))}</title></head>",
        '<body style="margin:0;padding:16px;background:#f4f4f5;color:#222222;'
        'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;">',
        '<div style="max-width:680px;margin:0 auto;background:#ffffff;padding:16px 20px;border-radius:6px;">',
        '<h1 style="font-size:18px;margin:0 0 8px;">'
        f"{_e(subject(digest).removeprefix('mentionscan: '))}</h1>",
    ]
    if not digest.count:
        out.append(f'<p style="margin:8px 0;">{_e(_quiet_line(digest))}</p>')
    totals = {name: len(group) for name, group in digest.groups}
    for name, group in shown_groups(digest):
        count = totals[name]
        out.append(
            '<h2 style="font-size:16px;margin:20px 0 8px;padding-bottom:4px;border-bottom:1px solid #ddd;">'
            f'{_e(one_line(name))} <span style="color:#666666;font-weight:normal;">({count})</span></h2>'
        )
        for mention in group:
            item = _item(mention, name, digest.now)
            title = _a(item.link, item.title, _LINK) if item.link else _e(item.title)
            author = (
                _a(item.author_link, item.author, "color:#666666;") if item.author_link else _e(item.author)
            )
            after = (_e(v) for v in (item.when, item.also, item.done, f"id {item.id}"))
            meta = " · ".join(p for p in (_e(item.source), author, *after) if p)
            out.append('<div style="margin:0 0 16px;">')
            out.append(f'<div style="font-size:15px;font-weight:bold;">{title}</div>')
            if item.about:
                out.append(f'<div style="{_MUTED}">about {_a(item.about, item.about, _LINK)}</div>')
            out.append(f'<div style="{_MUTED}">{meta}</div>')
            if item.snippet:
                out.append(f'<div style="margin:4px 0 0;">{_e(item.snippet)}</div>')
            if item.reply_href:
                reply = _a(item.reply_href, item.reply_label, _LINK)
                out.append(f'<div style="font-size:12px;margin:4px 0 0;">{reply}</div>')
            out.append("</div>")
    if hidden(digest):
        out.append(f'<p style="margin:8px 0;font-weight:bold;">{_e(more_line(digest))}</p>')
    out += [
        f'<p style="{_MUTED}margin-top:24px;">{_e(FOOTER.format(version=__version__))}</p>',
        "</div></body></html>",
        "",
    ]
    return "\n".join(out)


def header_value(value: str) -> str:
    """A value safe for a header: control characters gone, CR, LF and runs of space folded."""
    return one_line(value)


def build_message(digest: Digest, spec: EmailSpec, where: str = "[email]") -> EmailMessage:
    """The RFC 5322 message: From, To, Subject, Date, Message-ID, text and HTML alternatives."""
    addresses([spec.sender, *spec.to], where)  # a ConfigError for anything that is not an address
    message = EmailMessage()
    message["From"] = header_value(spec.sender)
    message["To"] = ", ".join(header_value(to) for to in spec.to)
    message["Subject"] = header_value(subject(digest))
    message["Date"] = format_datetime(digest.now.astimezone())  # local, as a mail client writes it
    message["Message-ID"] = make_msgid("mentionscan", domain=domain_of(spec.sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    message["X-Mailer"] = f"mentionscan {__version__}"
    # Quoted-printable keeps both parts 7-bit, so any relay or `sendmail -t` takes them as they are.
    message.set_content(render_text(digest), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(render_html(digest), subtype="html", charset="utf-8", cte="quoted-printable")
    for part in message.iter_parts():
        del part["MIME-Version"]  # add_alternative copies it into the parts; it belongs on top only
    return message


def addresses(values: Iterable[str], where: str = "[email]") -> list[str]:
    """The bare `user@host` of each configured address (`Name <user@host>` or `user@host`)."""
    result = []
    for value in values:
        address = configured_address(value)
        if address is None:
            raise ConfigError(f"{where}: {value!r} is not one valid email address")
        result.append(address.addr_spec)
    return result


Deliver = Callable[[EmailMessage], str]


def run_digest(
    store: Store,
    config: Config,
    deliver: Deliver,
    *,
    since: datetime | None = None,
    always: bool = False,
    mark: bool = True,
    now: datetime | None = None,
    wait: float = 60.0,
    published_since: datetime | None = None,
) -> DigestResult:
    """Build the digest and hand it to `deliver`; mark its mentions only once `deliver` returned.

    `deliver(message)` sends or writes the message and returns where it went, or raises (a
    MentionscanError) and then nothing is marked: the next run includes the same mentions.
    `store` is open for writing (locked) throughout, so two digests (or a digest and a fetch)
    never interleave; a shared database holds the digest (`Store.hold`, `wait` s): sent once.
    """
    if config.email is None:
        raise ConfigError(f"{config.path}: no [email] table: add one with 'to' and 'from' (see README)")
    now = now or utcnow()
    before = store.read_state(DigestState)
    with store.hold("digest", wait):
        if (state := store.read_state(DigestState)).last_sent != before.last_sent:  # sent meanwhile
            empty = build_digest((), now=now, since=since, last_sent=state.last_sent)
            return DigestResult(empty, delivered=False, elsewhere=state)
        chosen = store.mentions(pending_filter(since, published_since))
        digest = build_digest(
            chosen, [q.name for q in config.queries], now=now, since=since, last_sent=state.last_sent
        )
        if not digest.count and not always:
            return DigestResult(digest, delivered=False)
        spec, table = config.email, f"{config.path}: [email]"
        where, digest = deliver_fitted(digest, lambda d: build_message(d, spec, table), deliver)
        if not mark:
            return DigestResult(digest, delivered=True, where=where)
        marked = 0
        shown = {m.id for _, group in shown_groups(digest) for m in group}
        for mention in digest.mentions:
            if mention.digested_at is None:
                # Counted but not shown, it is digested too: a digest too big to send must not recur.
                what = "included in" if mention.id in shown else "counted (not shown: too many) in"
                event = ("digest", f"{what} a digest {where}")
                # Someone changed it meanwhile (a shared database): digested all the same, as it is now.
                store.put(mention.with_event(*event, at=now, digested_at=now), rebase=digested(event, now))
                marked += 1
        store.write_state(DigestState(last_sent=now, count=digest.count, where=where))
        try:
            store.save()
        except StoreError as exc:
            raise StoreError(
                f"the digest was {where}, but recording that failed ({exc}); "
                "the next digest will carry these mentions again"
            ) from None
        return DigestResult(digest, delivered=True, where=where, marked=marked)


def digested(event: tuple[str, str], now: datetime) -> Callable[[Mention], Mention | None]:
    """The digest's mark (`event`, `digested_at`) on a mention as it is now, unless it has one."""
    return lambda current: (
        None if current.digested_at else current.with_event(*event, at=now, digested_at=now)
    )
