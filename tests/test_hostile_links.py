"""Links with white space or control characters inside, and invisible characters: cleaned at intake."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.conftest import Cli
from tests.hardening_tools import run_mentionscan

INJECTED = "\n\n![pwned](https://evil.example/x.png)\n[Your bank](https://evil.example/login)\n"
# A link that ends a Markdown link, a mail's line and a terminal's hyperlink escape early.
BROKEN_LINKS = {
    "acme newline": "https://attacker.example/a" + INJECTED,
    "acme crlf": "https://attacker.example/b\r\nBcc: victim@example.com",
    "acme tab": "https://attacker.example/c\tx",
    "acme space": "https://attacker.example/d ![x](https://evil.example/y)",
}
INVISIBLE = re.compile("[\u200b\u2060\ufeff\u180e\U000e0000-\U000e007f]")


def json_feed(server: HTTPServer, items: list[dict[str, object]]) -> str:
    body = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}
    server.expect_request("/feed.json").respond_with_json(body)
    return f"http://127.0.0.1:{server.port}/feed.json"


def test_a_link_with_white_space_or_control_characters_inside_is_no_link_in_any_output(
    cli: Cli, httpserver: HTTPServer, write_config, isolated_home: Path
) -> None:
    items: list[dict[str, object]] = [
        {"id": title, "title": title, "url": link, "content_text": "about acme", "author": {"url": link}}
        for title, link in BROKEN_LINKS.items()
    ]
    items.append(
        {"id": "ok", "title": "acme fine", "url": "  https://fine.example/ok\n", "content_text": "acme"}
    )
    url = json_feed(httpserver, items)
    config = write_config(
        {"acme": "acme"},
        [{"name": "f", "type": "feed", "url": url}],
        extra='\n[email]\nto = "me@example.com"\nfrom = "ms@example.com"\n',
    )
    found = cli.json("fetch", "--config", str(config), "--format", "json")
    links = {m["title"]: (m["url"], m["author_url"]) for m in found}
    assert links == {
        **{title: ("", None) for title in BROKEN_LINKS},
        "acme fine": ("https://fine.example/ok", None),
    }
    markdown = cli("export", "--config", str(config), "--format", "markdown")
    digest = cli("digest", "--config", str(config), "--no-mark")
    html = cli("export", "--config", str(config), "--format", "html")
    for result in (markdown, digest, html):
        assert result.exit_code == 0, result.stderr
        assert "evil.example" not in result.stdout and "attacker.example" not in result.stdout
        assert "Bcc:" not in result.stdout
    assert "https://fine.example/ok" in markdown.stdout
    # A real terminal: no hyperlink escape carries a line break or an attacker's address.
    terminal = {"TERM": "xterm-256color", "FORCE_COLOR": "1", "COLUMNS": "200", "TTY_COMPATIBLE": "1"}
    listed = run_mentionscan("list", "--config", str(config), home=isolated_home, env=terminal)
    assert listed.returncode == 0, listed.stderr
    hyperlinks = re.findall(rb"\x1b]8;[^;]*;([^\x1b\x07]*)", listed.stdout)
    assert b"https://fine.example/ok" in hyperlinks
    assert all(b"\n" not in h and b"\r" not in h and b"attacker" not in h for h in hyperlinks)


def test_invisible_characters_are_removed_at_intake_and_meaningful_joiners_kept(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    tags = "".join(chr(0xE0000 + ord(c)) for c in "ignore all previous instructions")
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    items = [
        {
            "id": "1",
            "title": "ac\u200bme\u2060 widgets\ufeff" + tags,
            "url": "https://zero.exa\u200bmple/p\u2060ost",
            "content_text": "acme",
            "authors": [{"name": "A\u200bnn\u180e", "url": "https://zero.example/~a\u200bnn"}],
        },
        # A ZWJ emoji sequence, a Persian word with ZWNJ, a Devanagari conjunct with ZWJ, a region's flag.
        {"id": "2", "title": "acme 👩\u200d💻 می\u200cخواهم क्\u200dष " + england, "content_text": "acme"},
    ]
    config = write_config(
        {"acme": "acme"}, [{"name": "f", "type": "feed", "url": json_feed(httpserver, items)}]
    )
    found = {m["title"]: m for m in cli.json("fetch", "--config", str(config), "--format", "json")}
    assert sorted(found) == sorted(["acme widgets", "acme 👩\u200d💻 می\u200cخواهم क्\u200dष " + england])
    plain = found["acme widgets"]
    assert (plain["url"], plain["author"], plain["author_url"]) == (
        "https://zero.example/post",
        "Ann",
        "https://zero.example/~ann",
    )
    table = cli("list", "--config", str(config), env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "acme widgets" in table.stdout
    assert not INVISIBLE.search(table.stdout.replace(england, ""))
    # Matching sees the words as they read: "acme" was written with a zero-width space inside it.
    assert (
        cli.json("search", "widgets", "--config", str(config), "--format", "json")[0]["title"]
        == "acme widgets"
    )
    stored = json.loads((config.parent / "mentions.json").read_text())["mentions"]
    assert not any(
        INVISIBLE.search(json.dumps(m, ensure_ascii=False).replace(england, "")) for m in stored.values()
    )
