"""The README's "Use it from Python" example, run as written against a feed on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from pytest_httpserver import HTTPServer

from mentionscan.store import open_store
from tests.conftest import ROOT
from tests.mailtools import QUERIES, serve_feeds


def readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section:python -->", 1)[1].split("<!-- /section:python -->", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "no Python example in the README's section"
    return match.group(1)


def test_the_readme_example_runs_as_written(
    httpserver: HTTPServer, write_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(QUERIES, serve_feeds(httpserver))
    monkeypatch.setenv("MENTIONSCAN_CONFIG", str(config))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_python(), "README.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    with open_store(config.parent / "mentions.json", write=False) as store:
        stored = list(store.mentions())
    assert len(stored) >= 2
    assert {m.id[:7] for m in stored} <= {line.split()[0] for line in lines[:-1]}  # each new one printed
    statuses = sorted(m.status for m in stored)
    assert statuses.count("contacted") == 1 and set(statuses) == {"todo", "contacted"}
    contacted = next(m for m in stored if m.status == "contacted")
    assert contacted.due is not None
    assert any(e.kind == "draft" for e in contacted.timeline)
    assert lines[-1].startswith("Re: ")
