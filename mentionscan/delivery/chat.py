"""Chat messages: mentions and alerts written in each service's markup, text from the web made inert.

Pure: no I/O. A message is written in one `Markup`; `inert` is the one way web text gets into
one, so that a title can never ping a channel, become a link, open a code block or start a
heading. `mention_messages` packs mentions into as few messages as a service's size limit
allows, whole mentions only, and sums up what does not fit in `max_messages`.
"""

from __future__ import annotations

import html
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mentionscan.models import Mention
from mentionscan.store.interface import sort_time
from mentionscan.text import one_line, truncate
from mentionscan.timeutil import age, to_iso
from mentionscan.urls import safe_link

TITLE_LIMIT = 200  # characters of a mention's title in a chat message
SNIPPET_LIMIT = 280
LINK_LIMIT = 1000  # a longer URL is left out of the message (the id still finds the mention)
HEADLINE_LIMIT = 180
ZWSP = "\u200b"  # after every "@" of web text: no service reads "@​everyone" or "<@​123>" as a mention


class Markup(StrEnum):
    """What a service renders a message body as."""

    TEXT = "text"  # shown as it is: ntfy, JSON receivers, SMS
    MARKDOWN = "markdown"  # CommonMark and its kin: Discord, Mattermost, Zulip, Rocket.Chat
    SLACK = "slack"  # CommonMark that apprise turns into Slack's mrkdwn
    HTML = "html"  # Telegram, Matrix, email


# CommonMark lets any ASCII punctuation be backslash-escaped, and shows it as itself: escaping
# all of it leaves nothing for a renderer to read as markup. Discord and Mattermost agree.
_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
# apprise's CommonMark-to-mrkdwn turns these escapes into plain characters or entities; Slack
# itself has no escapes, so `*` and backticks (which apprise pairs across lines) become look-alikes.
_SLACK_ESCAPED = re.compile(r"[\\<>\[\]()!#]")
_SLACK_LOOKALIKES = str.maketrans({"*": "\u2217", "`": "\u02cb"})


def inert(text: object, markup: Markup) -> str:
    """Web text on one line, shown literally in `markup`: no mention, link, formatting or line break."""
    plain = one_line(text).replace("@", "@" + ZWSP)
    if markup is Markup.MARKDOWN:
        return _PUNCTUATION.sub(r"\\\g<0>", plain)
    if markup is Markup.SLACK:
        return _SLACK_ESCAPED.sub(r"\\\g<0>", plain.translate(_SLACK_LOOKALIKES))
    if markup is Markup.HTML:
        return html.escape(plain, quote=True)
    return plain


def _destination(url: str) -> str:
    """A CommonMark link destination in `<...>` form: parentheses may stay, these may not."""
    return url.replace("\\", "%5C").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def _link(label: str, url: str, markup: Markup) -> str:
    """`label` (already in `markup`) linking to `url` (from safe_link: http or https only)."""
    if markup is Markup.HTML:
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'
    if markup is Markup.TEXT:
        return f"{label}\n{url}"
    return f"[{label}](<{_destination(url)}>)"


def _strong(text: str, markup: Markup) -> str:
    if markup is Markup.HTML:
        return f"<b>{text}</b>"
    return text if markup is Markup.TEXT else f"**{text}**"


def _code(text: str, markup: Markup) -> str:
    """Our own text (an id, a command) as code; never web text."""
    if markup is Markup.HTML:
        return f"<code>{html.escape(text)}</code>"
    return text if markup is Markup.TEXT else f"`{text}`"


def _lines(lines: Sequence[str], markup: Markup) -> str:
    return ("<br>\n" if markup is Markup.HTML else "\n").join(lines)


def _separator(markup: Markup) -> str:
    return "<br>\n<br>\n" if markup is Markup.HTML else "\n\n"


def mention_block(mention: Mention, markup: Markup, now: datetime) -> str:
    """One mention: the title as a link; source, author, age, queries and id; a snippet."""
    title = inert(truncate(one_line(mention.title) or "(no title)", TITLE_LIMIT), markup)
    link = safe_link(mention.url)
    head = _strong(_link(title, link, markup) if link and len(link) <= LINK_LIMIT else title, markup)
    facts = [
        inert(mention.source, markup),
        inert(truncate(one_line(mention.author), 80), markup) if one_line(mention.author) else "",
        _ago(sort_time(mention), now),
        inert(", ".join(mention.queries), markup) if mention.queries else "",
        f"id {_code(mention.id[:7], markup)}",
    ]
    lines = [head, " · ".join(f for f in facts if f)]
    if snippet := one_line(mention.snippet):
        lines.append(inert(truncate(snippet, SNIPPET_LIMIT), markup))
    return _lines(lines, markup)


def _ago(when: datetime, now: datetime) -> str:
    short = age(when, now)
    return "just now" if short == "now" else f"{short} ago"


def headline(mentions: Sequence[Mention]) -> str:
    """`mentionscan: 3 new mentions (acme 2, acme-support 1)`: counts and query names only."""
    by_query = Counter(q for m in mentions for q in (m.queries[:1] or ("(no query)",)))
    counts = ", ".join(f"{name} {count}" for name, count in by_query.most_common())
    if len(mentions) == 1:
        return truncate(f"mentionscan: new mention ({', '.join(mentions[0].queries) or 'no query'})", 120)
    return truncate(f"mentionscan: {len(mentions)} new mentions ({counts})", HEADLINE_LIMIT)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One thing to hand a service: a message (title and body), the mentions it carries."""

    title: str
    body: str
    ids: tuple[str, ...] = ()  # marked delivered to the channel once the service accepted this
    event: str = "mention"  # mention | test | source.failing | source.recovered (a webhook's header)


def mention_messages(
    mentions: Sequence[Mention], markup: Markup, *, budget: int, max_messages: int, now: datetime
) -> list[Delivery]:
    """Whole mentions packed into messages of at most `budget` characters each.

    At most `max_messages`: the last one then ends by counting the rest, which it carries too
    (the channel was told of them), so a first run over a long history cannot flood a channel.
    """
    if not mentions:
        return []
    separator = _separator(markup)
    summary_room = 120
    blocks = [mention_block(m, markup, now) for m in mentions]
    groups: list[list[int]] = [[]]
    size = 0
    for index, block in enumerate(blocks):
        if groups[-1] and size + len(separator) + len(block) > budget:
            groups.append([])
            size = 0
        size += (len(separator) if groups[-1] else 0) + len(block)
        groups[-1].append(index)
    left: list[int] = []
    if len(groups) > max_messages:
        left = [i for group in groups[max_messages:] for i in group]
        groups = groups[:max_messages]
        last = groups[-1]
        while len(last) > 1 and sum(len(blocks[i]) + len(separator) for i in last) + summary_room > budget:
            left.insert(0, last.pop())
    title = headline(mentions)
    messages = []
    for number, group in enumerate(groups, start=1):
        parts = [blocks[i] for i in group]
        ids = [mentions[i].id for i in group]
        if number == len(groups) and left:
            parts.append(_more(len(left), markup))
            ids += [mentions[i].id for i in left]
        head = f"{title} ({number}/{len(groups)})" if len(groups) > 1 else title
        messages.append(Delivery(head, separator.join(parts), tuple(ids)))
    return messages


def _more(count: int, markup: Markup) -> str:
    noun = "mention" if count == 1 else "mentions"
    return f"…and {count} more {noun}: {_code('mentionscan list', markup)} shows them."


def alert_message(
    failing: Sequence[tuple[str, int, str]], recovered: Sequence[str], markup: Markup
) -> Delivery:
    """Sources that began failing (name, runs in a row, last error), or that work again."""
    lines = []
    for name, runs, error in failing:
        doctor = _code(f"mentionscan doctor --source {name}", markup)
        times = f"{runs} run{'s' if runs != 1 else ''}"
        lines.append(
            f"{_strong(inert(name, markup), markup)} has failed {times} in a row: "
            f"{inert(error, markup)}. {doctor} says more."
        )
    for name in recovered:
        lines.append(f"{_strong(inert(name, markup), markup)} works again.")
    names = [name for name, _, _ in failing] + list(recovered)
    if failing and not recovered:
        what = "is failing" if len(failing) == 1 else "are failing"
    elif recovered and not failing:
        what = "works again" if len(recovered) == 1 else "work again"
    else:
        what = "changed"
    subject = f"source {names[0]}" if len(names) == 1 else f"{len(names)} sources"
    event = "source.failing" if failing else "source.recovered"
    return Delivery(
        truncate(f"mentionscan: {subject} {what}", HEADLINE_LIMIT), _lines(lines, markup), (), event
    )


def check_message(channel: str, markup: Markup, now: datetime) -> Delivery:
    """`notify --test`: says which channel it is, and shows how a mention will look."""
    sample = Mention(
        id="0123456789abcdef",
        url="https://example.com/blog/why-we-chose-acme",
        title="Why we chose Acme (an example)",
        snippet="This is how a new mention will look here: its title links to the page.",
        author="Ada Example",
        author_url=None,
        author_email=None,
        published=now,
        found_at=now,
        source="example-feed",
        source_type="feed",
        queries=("acme",),
    )
    intro = (
        f"Test from mentionscan at {to_iso(now)}: channel {_strong(inert(channel, markup), markup)} works."
    )
    return Delivery(
        "mentionscan: test message",
        _lines([intro, "", mention_block(sample, markup, now)], markup),
        (),
        "test",
    )
