"""Chat messages render text from the web as itself: no ping, no link, no formatting, no broken layout.

Markdown is checked with a real CommonMark parser (markdown-it-py), HTML with the standard
library's parser; Slack, Discord and Telegram with apprise's own plugins posting to a receiver
on 127.0.0.1 (their service address pointed there), so what is checked is what they would send.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pytest_httpserver import HTTPServer

from mentionscan.config.load import parse_config
from mentionscan.delivery.channels import open_channel
from mentionscan.delivery.chat import ZWSP, Markup, inert, mention_block, mention_messages
from mentionscan.models import Mention
from mentionscan.text import one_line
from tests.notifytools import Receiver

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
HOSTILE = [
    "<!channel> urgent: acme is down",
    "<!here|here> and <!everyone>",
    "@everyone free acme nitro @here @channel @all @room",
    "<@U024BE7LH> and <@&123456789012345678> and <#C024BE7LH>",
    "[click me](javascript:alert(1)) acme",
    "[your bank](https://evil.example/phish) <https://evil.example|Acme login>",
    "**bold** _it_ ~~gone~~ `code` ```block``` ||spoiler||",
    "# A heading",
    "> a quote",
    "- a list",
    "1. a list",
    "===",
    '<b>bold</b><script>alert(1)</script><img src=x onerror="alert(2)">',
    "&amp; &lt;tag&gt; &#64;everyone",
    "a line\nbreak\r\n# injected heading\n\n- and a list",
    "\\<!channel> \\*not bold\\*",
    "*unclosed `tick and _half",
    ":smile: acme:fire:",
]


def mention(title: str, url: str = "https://blog.example.org/post", **changes: Any) -> Mention:
    values: dict[str, Any] = {
        "id": "4f3a9c2d1e0b7a66",
        "url": url,
        "title": title,
        "snippet": title,
        "author": title,
        "author_url": None,
        "author_email": None,
        "published": NOW - timedelta(hours=2),
        "found_at": NOW,
        "source": "blog",
        "source_type": "feed",
        "queries": ("acme",),
    }
    values.update(changes)
    return Mention(**values)


def shown(text: str) -> str:
    """What a reader should see for web text: it, on one line, with the mention-breaking space."""
    return one_line(text).replace("@", "@" + ZWSP)


COMMONMARK = MarkdownIt("commonmark")


def inline_tokens(markdown: str) -> list[Any]:
    tokens = COMMONMARK.parse(markdown)
    assert [t.type for t in tokens if t.type != "inline"] == ["paragraph_open", "paragraph_close"], markdown
    return [child for t in tokens if t.type == "inline" for child in t.children or []]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_shows_hostile_text_as_plain_text(text: str) -> None:
    children = inline_tokens(inert(text, Markup.MARKDOWN))
    assert {c.type for c in children} == {"text"}
    assert "".join(c.content for c in children) == shown(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab @#*_`~[]()<>!|\\-+=.:&;/\n\t1")), min_size=1))
def test_markdown_shows_any_text_as_itself(text: str) -> None:
    if not one_line(text):
        return
    children = inline_tokens(inert(text, Markup.MARKDOWN))
    assert {c.type for c in children} <= {"text"}
    assert "".join(c.content for c in children) == shown(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_markdown_mention_has_one_link_its_own_and_the_title_as_its_text(text: str) -> None:
    block = mention_block(mention(text), Markup.MARKDOWN, NOW)
    tokens = COMMONMARK.parse(block)
    assert [t.type for t in tokens if t.type != "inline"] == ["paragraph_open", "paragraph_close"]
    children = [c for t in tokens if t.type == "inline" for c in t.children or []]
    links = [c.attrs.get("href") for c in children if c.type == "link_open"]
    assert links == ["https://blog.example.org/post"]
    kinds = {c.type for c in children}
    assert kinds <= {
        "text",
        "strong_open",
        "strong_close",
        "link_open",
        "link_close",
        "softbreak",
        "code_inline",
    }
    inside = children[children.index(next(c for c in children if c.type == "link_open")) + 1]
    assert inside.content == shown(text)
    assert [c.content for c in children if c.type == "code_inline"] == ["4f3a9c2"]  # the id for `mark`
    assert sum(c.type == "softbreak" for c in children) == 2  # title, facts, snippet: three lines


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.mark.parametrize("text", HOSTILE)
def test_html_has_only_our_tags_and_link(text: str) -> None:
    block = mention_block(mention(text), Markup.HTML, NOW)
    parsed = parse_html(block)
    assert {tag for tag, _ in parsed.tags} <= {"b", "a", "br", "code"}
    assert [attrs for tag, attrs in parsed.tags if tag == "a"] == [{"href": "https://blog.example.org/post"}]
    assert parsed.text[0] == shown(text)


def test_only_http_links_become_links() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "ftp://example.com/x", ""):
        block = mention_block(mention("Acme", url=url), Markup.MARKDOWN, NOW)
        assert "](" not in block and block.startswith("**Acme**")
    spaced = mention_block(mention("Acme", url="https://example.com/a b"), Markup.MARKDOWN, NOW)
    assert "](" not in spaced  # white space inside is no URL (see urls.safe_link)
    odd = mention_block(mention("Acme", url="https://example.com/a<c>(d)"), Markup.MARKDOWN, NOW)
    [link] = [c.attrs["href"] for c in inline_tokens(odd) if c.type == "link_open"]
    assert link == "https://example.com/a%3Cc%3E(d)"


def _chat_channel(url: str, monkeypatch: pytest.MonkeyPatch, env: str = "URL") -> Any:
    monkeypatch.setenv(env, url)
    config = parse_config(
        {"queries": [{"name": "acme", "match": "acme"}], "notify": [{"name": "team", "url_env": env}]},
        Path("config.toml"),
    )
    return open_channel(config, config.notify[0])


@pytest.fixture
def slack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Receiver]:
    """apprise's Slack plugin, its hooks.slack.com pointed at 127.0.0.1."""
    monkeypatch.setattr(
        "apprise.plugins.slack.NotifySlack.webhook_url", httpserver.url_for("/services"), raising=True
    )
    received = Receiver(httpserver, "/services/T1ACME/B2ACME/abcdefghijklmnopqrstuvwx", body="ok")
    return _chat_channel("slack://T1ACME/B2ACME/abcdefghijklmnopqrstuvwx", monkeypatch), received


def test_slack_gets_mrkdwn_with_our_links_only_and_no_live_mention(slack: tuple[Any, Receiver]) -> None:
    channel, received = slack
    assert channel.markup is Markup.SLACK
    mentions = [
        mention(t, url=f"https://blog.example.org/{n}", id=f"{n:016x}") for n, t in enumerate(HOSTILE)
    ]
    for delivery in channel.deliveries(mentions, NOW):
        assert channel.send(delivery).ok
    payloads = [p.json() for p in received.accepted]
    assert payloads and all(p["mrkdwn"] is True for p in payloads)
    text = "\n".join(p["attachments"][0]["text"] for p in payloads)
    # Slack reads <...> as links and mentions: the only ones are the titles' own links.
    assert re.findall(r"<([^<>]*)>", text) == [
        f"https://blog.example.org/{n}|" + _slack_label(t) for n, t in enumerate(HOSTILE)
    ]
    assert "<!" not in text and "<@" not in text and "<#" not in text
    assert not re.search(r"@(?!" + ZWSP + ")", text)  # every @ of web text is broken
    assert text.count("`") == 2 * len(HOSTILE)  # the ids' code spans only: web backticks are look-alikes


def _slack_label(title: str) -> str:
    """A title as apprise's mrkdwn conversion leaves it inside a <url|label> link."""
    label = inert(title, Markup.SLACK)
    label = re.sub(r"\\([()\[\]!#])", r"\1", label).replace("&", "&amp;")
    return label.replace("\\<", "&lt;").replace("\\>", "&gt;")


def test_discord_gets_markdown_content_that_pings_nobody(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "apprise.plugins.discord.NotifyDiscord.notify_url", httpserver.url_for("/api/webhooks")
    )
    received = Receiver(httpserver, "/api/webhooks/417429632418316298/tokenvalue")
    channel = _chat_channel("discord://417429632418316298/tokenvalue", monkeypatch)
    assert channel.markup is Markup.MARKDOWN
    for delivery in channel.deliveries([mention(t, id=f"{n:016x}") for n, t in enumerate(HOSTILE)], NOW):
        assert channel.send(delivery).ok
    for posted in received.accepted:
        payload = posted.json()
        assert "allowed_mentions" not in payload  # nothing asked Discord to ping anyone
        content = payload["content"]
        assert len(content) <= 2000
        for token in COMMONMARK.parseInline(content)[0].children or []:
            assert token.type != "link_open" or token.attrs["href"] == "https://blog.example.org/post"
            assert token.type not in ("html_inline", "image")
        assert not re.search(r"@(?!" + ZWSP + ")", content)


def test_telegram_gets_html_with_our_tags_only(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("apprise.plugins.telegram.NotifyTelegram.notify_url", httpserver.url_for("/bot"))
    token = "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
    received = Receiver(httpserver, f"/bot{token}/sendMessage")
    channel = _chat_channel(f"tgram://{token}/12345", monkeypatch)
    assert channel.markup is Markup.HTML
    for delivery in channel.deliveries([mention(t, id=f"{n:016x}") for n, t in enumerate(HOSTILE)], NOW):
        assert channel.send(delivery).ok
    for posted in received.accepted:
        payload = posted.json()
        assert payload["parse_mode"] == "HTML"
        parsed = parse_html(payload["text"])
        assert {tag for tag, _ in parsed.tags} <= {"b", "a", "code"}
        assert {attrs.get("href") for tag, attrs in parsed.tags if tag == "a"} == {
            "https://blog.example.org/post"
        }


@pytest.mark.parametrize("markup", list(Markup))
def test_batches_keep_whole_mentions_in_order_within_the_budget(markup: Markup) -> None:
    mentions = [mention(f"Acme {n} " + "word " * (n % 9) * 8, id=f"{n:016x}") for n in range(60)]
    messages = mention_messages(mentions, markup, budget=1500, max_messages=100, now=NOW)
    assert len(messages) > 5
    assert all(len(m.body) <= 1500 for m in messages)
    assert [i for m in messages for i in m.ids] == [m.id for m in mentions]
    for message in messages:
        for mention_id in message.ids:
            assert mention_id[:7] in message.body
    assert [m.title for m in messages][:2] == [
        f"mentionscan: 60 new mentions (acme 60) (1/{len(messages)})",
        f"mentionscan: 60 new mentions (acme 60) (2/{len(messages)})",
    ]


def test_past_max_messages_the_last_one_counts_the_rest_and_carries_them() -> None:
    mentions = [mention(f"Acme {n} " + "word " * 40, id=f"{n:016x}") for n in range(30)]
    messages = mention_messages(mentions, Markup.TEXT, budget=1200, max_messages=3, now=NOW)
    assert len(messages) == 3
    listed = sum(m.body.count("\nblog · ") for m in messages)
    assert messages[-1].body.endswith(f"…and {30 - listed} more mentions: mentionscan list shows them.")
    assert len(messages[-1].body) <= 1200
    assert sorted(i for m in messages for i in m.ids) == sorted(m.id for m in mentions)


def test_an_alert_escapes_the_error_a_server_gave() -> None:
    from mentionscan.delivery.chat import alert_message

    message = alert_message([("hn", 3, "<!channel> [x](javascript:1) @everyone")], [], Markup.MARKDOWN)
    assert message.title == "mentionscan: source hn is failing"
    assert {c.type for c in inline_tokens(message.body)} <= {
        "text",
        "strong_open",
        "strong_close",
        "code_inline",
    }
    assert "@" + ZWSP + "everyone" in message.body
    assert json.dumps(message.body)  # one plain string
