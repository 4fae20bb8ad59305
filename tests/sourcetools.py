"""Helpers for the site source tests: fixture data, what the server was asked, the stored mentions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request

from mentionscan.models import Mention
from mentionscan.store import open_store
from tests.conftest import FIXTURES

FAST = 6000  # rate_per_minute for tests: the sites' own pacing would make a test wait seconds


def fixture_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def asked(httpserver: HTTPServer) -> list[Request]:
    """Every request the server received, in order."""
    return [request for request, _response in httpserver.log]


def params(request: Request) -> dict[str, str]:
    return dict(request.args.items())


def stored(config: Path) -> list[Mention]:
    """The mentions in the database next to `config` (write_config puts it there)."""
    with open_store(config.parent / "mentions.json", write=False) as store:
        return list(store.mentions())


def stored_state(config: Path, name: str) -> dict[str, Any]:
    with open_store(config.parent / "mentions.json", write=False) as store:
        return store.state(name)
