"""Every file of feedparser's own test corpus, served on 127.0.0.1 and read by a real `fetch`.

../shared/feeds/feedparser-tests holds about 2,100 real,
odd and deliberately broken documents (see its README.txt). Each is one `feed` source; a run of
300 sources at a time must finish with exit status 0 or 3, no traceback, no internal error,
and every failure named: its source, its URL and a reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import CORPUS, Cli

pytestmark = pytest.mark.shared  # reads feedparser's own test documents from ../shared/

BATCH = 300
# The test server of feedparser sends the headers a file's leading comment names.
HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)
ERROR = re.compile(r"Error: (?P<name>c\d{4}): (?P<url>http://127\.0\.0\.1:\d+/c/\S+): (?P<reason>\S.*)")


def corpus_files() -> list[Path]:
    return sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".xml", ".json", ".rdf", ".atom")
    )


def headers_for(path: Path, body: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/json" if path.suffix == ".json" else "application/xml"}
    comment = body[: body.find(b"-->")] if body.startswith(b"<!--") else b""
    for name, value in HEADER.findall(comment):
        headers[name.decode("latin-1").title()] = value.decode("latin-1")
    return headers


def test_every_feed_of_the_corpus_is_read_or_refused_by_name(
    cli: Cli, httpserver: HTTPServer, tmp_path: Path
) -> None:

    files = corpus_files()
    assert len(files) > 2000, f"the corpus is missing: {CORPUS}"

    def handler(request: Request) -> Response:
        path = CORPUS / unquote(request.path.removeprefix("/c/"))
        body = path.read_bytes()
        return Response(body, headers=headers_for(path, body))

    httpserver.expect_request(re.compile("^/c/")).respond_with_handler(handler)
    urls = {
        f"c{n:04d}": f"http://127.0.0.1:{httpserver.port}/c/{quote(str(p.relative_to(CORPUS)))}"
        for n, p in enumerate(files)
    }
    names = list(urls)
    failures: dict[str, str] = {}
    stored = read = 0
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        lines = [
            "[settings]",
            'database = "mentions.json"',
            "max_age_days = 0",
            "concurrency = 16",
            "",
            "[[queries]]",
            'name = "words"',
            'match = "the OR a OR example OR feed OR entry OR title OR item OR test OR http"',
        ]
        for name in batch:
            lines += [
                "",
                "[[sources]]",
                f'name = "{name}"',
                'type = "feed"',
                f"url = {json.dumps(urls[name])}",
            ]
        config = tmp_path / f"batch{start}.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = cli("fetch", "--config", str(config), "--format", "json")
        assert result.exit_code in (0, 3), result.stderr[-2000:]
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        stored += len(json.loads(result.stdout))
        read += sum(
            int(n) for n in re.findall(r"^c\d{4}: (\d+) entr(?:y|ies)\b", result.stderr, re.MULTILINE)
        )
        for line in result.stderr.splitlines():
            if line.startswith("Error:"):
                error = ERROR.fullmatch(line)
                assert error, f"a failure that does not name its source, URL and reason: {line!r}"
                assert error["name"] in batch and error["url"] == urls[error["name"]], line
                failures[error["name"]] = error["reason"]
        failed = re.search(r"; (\d+) sources? failed", result.stderr)
        assert (int(failed[1]) if failed else 0) == len([n for n in batch if n in failures])
        assert (result.exit_code == 3) == any(n in failures for n in batch)
    # Most of the corpus is read; what is refused is refused as not a feed, saying why.
    assert read > 400 and stored > 100, (read, stored)
    assert len(failures) < 40, failures
    assert all(r.startswith("not a feed") or r == "empty response" for r in failures.values()), failures


@pytest.mark.parametrize("relative", ["illformed/chardet", "encoding", "json"])
def test_the_corpus_folders_this_test_relies_on_are_there(relative: str) -> None:
    assert any((CORPUS / relative).iterdir())
