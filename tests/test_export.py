"""`mentionscan export` in every format, each parsed back; hostile text stays text."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer

from mentionscan.models import Mention
from mentionscan.store import open_store
from mentionscan.timeutil import utcnow
from tests.conftest import Cli
from tests.followuptools import HOSTILE_TITLE, fetch_posts

FORMULA = '=HYPERLINK("http://evil.example","click")'
SCRIPT_URL = "javascript:alert(document.cookie)"
ATOM = "{http://www.w3.org/2005/Atom}"


class Page(HTMLParser):
    """The tags, links and text of an HTML page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
def stored(cli: Cli, httpserver: HTTPServer, write_config) -> tuple[list[str], dict[str, str]]:
    """A fetched database, plus a mention with a formula for a title and a script for a link."""
    fetched = fetch_posts(cli, httpserver, write_config)
    with open_store(fetched.config.parent / "mentions.json") as store:
        store.put(
            Mention(
                id="f00dbeef0001",
                url=SCRIPT_URL,
                title=FORMULA,
                snippet="<img src=x onerror=alert(1)>",
                author="-2+3",
                author_url=SCRIPT_URL,
                author_email=None,
                published=None,
                found_at=utcnow(),
                source="blog",
                source_type="feed",
                queries=("acme",),
                status="ignored",
            )
        )
        store.save()
    return ["--config", str(fetched.config)], {**fetched.ids, FORMULA: "f00dbeef0001"}


def test_json_and_jsonl_carry_every_status(cli: Cli, stored) -> None:
    cfg, ids = stored
    records = json.loads(cli("export", *cfg).stdout)  # json is the default
    assert sorted(r["id"] for r in records) == sorted(ids.values())
    assert {r["title"] for r in records} >= {HOSTILE_TITLE, FORMULA}
    lines = cli("export", "--format", "jsonl", *cfg).stdout.splitlines()
    assert [json.loads(line) for line in lines] == records


def test_json_is_indented_as_python_writes_it(cli: Cli, stored) -> None:
    """Scripts that diff or grep the output see the same text whichever encoder made it."""
    cfg, _ids = stored
    with open_store(Path(cfg[1]).parent / "mentions.json") as store:
        store.put(replace(next(iter(store.mentions())), title="tab\there\x01 \u2028 caf\u00e9 \U0001f600"))
        store.save()
    shown = cli("export", *cfg)
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == json.dumps(json.loads(shown.stdout), ensure_ascii=False, indent=2) + "\n"
    assert "tab\\there\\u0001 \u2028 caf\u00e9 \U0001f600" in shown.stdout


def test_csv_cells_cannot_run_as_formulas(cli: Cli, stored) -> None:
    cfg, _ids = stored
    rows = list(csv.DictReader(io.StringIO(cli("export", "--format", "csv", *cfg).stdout)))
    row = next(r for r in rows if r["id"] == "f00dbeef0001")
    assert row["title"] == "'" + FORMULA
    assert row["author"] == "'-2+3"
    assert next(r for r in rows if r["title"].startswith("Acme <script>"))["title"] == HOSTILE_TITLE


def test_atom_is_a_feed_a_reader_can_subscribe_to(cli: Cli, stored, tmp_path: Path) -> None:
    cfg, ids = stored
    target = tmp_path / "mentions.atom"
    result = cli("export", "--format", "atom", "--output", str(target), *cfg)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"Exported {len(ids)} mentions to {target}" in result.stderr
    feed = feedparser.parse(io.BytesIO(target.read_bytes()))
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Mentions"
    assert len(feed.entries) == len(ids)
    hostile = next(e for e in feed.entries if e.title.startswith("Acme <script>"))
    assert hostile.title == HOSTILE_TITLE
    assert hostile.title_detail.type == "text/plain"
    assert hostile.link.endswith("/posts/hostile")
    assert hostile.author == "Mallory"
    assert {t.term for t in hostile.tags} == {"acme", "new"}
    bad = next(e for e in feed.entries if e.title == FORMULA)
    assert "links" not in bad  # no <link>: feedparser only copies the id to `link`
    assert "javascript" not in target.read_text(encoding="utf-8")
    # Ids are stable: exporting again gives the same entry ids and feed id, so a reader shows
    # each mention once.
    again = feedparser.parse(io.BytesIO(cli("export", "--format", "atom", *cfg).stdout_bytes))
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert again.feed.id == feed.feed.id
    assert len(set(e.id for e in feed.entries)) == len(ids)


def test_html_is_one_page_with_everything_escaped(cli: Cli, stored, tmp_path: Path) -> None:
    cfg, ids = stored
    target = tmp_path / "mentions.html"
    assert cli("export", "--format", "html", "-o", str(target), *cfg).exit_code == 0
    text = target.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert page.tags.count("article") == len(ids)
    assert "style" in page.tags  # inline CSS: one file, nothing to load
    assert "link" not in page.tags
    seen = "".join(page.text)
    assert HOSTILE_TITLE in seen  # shown as text, exactly
    assert "<img src=x onerror=alert(1)>" in seen
    assert all(link.startswith("http://127.0.0.1:") for link in page.links)
    assert len(page.links) == len(ids) - 1  # the javascript: one is text, not a link
    assert text.startswith("<!DOCTYPE html>")


def test_markdown_escapes_markup(cli: Cli, stored) -> None:
    cfg, ids = stored
    out = cli("export", "--format", "markdown", *cfg).stdout
    assert out.startswith(f"# Mentions ({len(ids)})\n")
    assert "<script>" not in out and "<img" not in out
    assert r'Acme &lt;script&gt;alert\("x"\)&lt;/script&gt; &amp; $url $\{title\} \{author\}' in out
    assert "](javascript" not in out and "(<javascript" not in out
    assert '## =HYPERLINK\\("http://evil.example","click"\\)\n' in out


def test_filters_and_formats(cli: Cli, stored) -> None:
    cfg, _ids = stored
    only = json.loads(cli("export", "--status", "ignored", *cfg).stdout)
    assert [r["id"] for r in only] == ["f00dbeef0001"]
    two = json.loads(cli("export", "--limit", "2", "--query", "acme", *cfg).stdout)
    assert len(two) == 2
    bad = cli("export", "--format", "yaml", *cfg)
    assert bad.exit_code == 2
    assert bad.stderr == "Error: --format 'yaml' is not one of json, jsonl, csv, markdown, html or atom\n"


def test_an_unwritable_output_is_one_error_line(cli: Cli, stored, tmp_path: Path) -> None:
    cfg, _ids = stored
    result = cli("export", "--output", str(tmp_path / "no" / "such" / "folder.json"), *cfg)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {tmp_path / 'no' / 'such' / 'folder.json'}: ")
    assert list(tmp_path.glob("**/.folder.json.*")) == []


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("mentions.csv", "id,url,link,title,"),
        ("mentions.CSV", "id,url,link,title,"),
        ("mentions.jsonl", '{"id": '),
        ("mentions.json", "[\n  {"),
        ("mentions.md", "# Mentions ("),
        ("mentions.html", "<!DOCTYPE html>"),
        ("mentions.atom", '<?xml version="1.0" encoding="utf-8"?>\n<feed'),
    ],
)
def test_the_output_name_says_the_format(cli: Cli, stored, tmp_path: Path, name: str, starts: str) -> None:
    cfg, ids = stored
    target = tmp_path / name
    result = cli("export", "-o", str(target), *cfg)
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith(starts)
    assert f"Exported {len(ids)} mentions to {target}\n" in result.stderr


def test_format_says_otherwise_and_a_name_that_says_nothing_is_an_error(
    cli: Cli, stored, tmp_path: Path
) -> None:
    cfg, ids = stored
    odd = tmp_path / "mentions.csv"
    assert cli("export", "--format", "json", "-o", str(odd), *cfg).exit_code == 0
    assert len(json.loads(odd.read_text(encoding="utf-8"))) == len(ids)  # --format wins
    for name, ending in (("mentions.txt", "'.txt'"), ("mentions", "a name without an extension")):
        result = cli("export", "-o", str(tmp_path / name), *cfg)
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: --output {tmp_path / name}: cannot tell the format from {ending}: end it in .json, "
            ".jsonl, .csv, .md, .html or .atom, or give --format\n"
        )
        assert not (tmp_path / name).exists()


def test_an_atom_file_links_to_itself_and_to_its_page(cli: Cli, stored, tmp_path: Path) -> None:
    cfg, _ids = stored
    target = tmp_path / "www" / "mentions.atom"
    target.parent.mkdir()
    assert cli("export", "-o", str(target), *cfg).exit_code == 0
    assert feedparser.parse(io.BytesIO(target.read_bytes())).bozo == 0
    # Read as XML: feedparser rewrites file:/// URLs to file://.
    root = ET.fromstring(target.read_bytes())
    links = {(a["rel"], a["href"], a["type"]) for a in (e.attrib for e in root.findall(ATOM + "link"))}
    assert links == {
        ("self", target.as_uri(), "application/atom+xml"),
        ("alternate", (tmp_path / "www").as_uri() + "/", "text/html"),
    }

    served = cli("export", "-o", str(target), "--feed-url", "https://acme.example/news/mentions.atom", *cfg)
    assert served.exit_code == 0, served.stderr
    feed = feedparser.parse(io.BytesIO(target.read_bytes()))
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": "https://acme.example/news/mentions.atom",
        "alternate": "https://acme.example/news/",
    }
    assert feed.feed.link == "https://acme.example/news/"  # what a reader opens from the feed's title

    page = cli(
        "export", "--format", "atom", "--feed-url", "https://acme.example/m.atom",
        "--page-url", "https://acme.example/mentions.html", *cfg,
    )  # fmt: skip
    assert page.exit_code == 0 and page.stderr == ""
    links = {link.rel: link.href for link in feedparser.parse(io.BytesIO(page.stdout_bytes)).feed.links}
    assert links == {"self": "https://acme.example/m.atom", "alternate": "https://acme.example/mentions.html"}


def test_atom_links_that_cannot_be_given_say_so(cli: Cli, stored) -> None:
    cfg, _ids = stored
    unknown = cli("export", "--format", "atom", *cfg)  # stdout: where it goes is not known here
    assert unknown.exit_code == 0
    assert 'rel="self"' not in unknown.stdout
    assert unknown.stderr == (
        'Warning: the feed has no rel="self" link: give --feed-url (where it will be served), or --output\n'
    )
    bad = cli("export", "--format", "atom", "--feed-url", "javascript:alert(1)", *cfg)
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr == "Error: --feed-url must be an http:// or https:// URL, not 'javascript:alert(1)'\n"
    wrong = cli("export", "--format", "csv", "--feed-url", "https://acme.example/m.atom", *cfg)
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        "Error: --feed-url and --page-url are the links of an Atom feed: use them with --format atom\n"
    )
