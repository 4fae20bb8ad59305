"""Helpers for the alert tests: chat services and webhooks on 127.0.0.1, and configs that route to them.

A `Receiver` is one endpoint of pytest-httpserver answering each POST from a script of
statuses (500, 500, then 200; 429 with a Retry-After), and keeping what it was sent. The
payloads are those apprise's real plugins send: `json://` (a JSON object with `title` and
`message`), `ntfy://` (a JSON publish with `topic`), `mmost://` (Mattermost's Slack-shaped
incoming webhook, `{"text": ...}`), and our own webhook (a mention's record, signed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Answer = int | tuple[int, dict[str, str]]


@dataclass(frozen=True)
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """What a chat service would show: the message of json://, ntfy:// or mmost://."""
        payload = self.json()
        return str(payload.get("message") or payload.get("text") or "")


class Receiver:
    """POSTs to `path`, answered from `answers` in turn (a status, or a status and headers), then 200."""

    def __init__(
        self, httpserver: HTTPServer, path: str, answers: Iterable[Answer] = (), body: str = "{}"
    ) -> None:
        self.path = path
        self.answers = list(answers)
        self.body = body  # what a 2xx says: Slack's webhooks answer "ok"
        self.posted: list[Posted] = []
        self.accepted: list[Posted] = []
        httpserver.expect_request(path, method="POST").respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        posted = Posted(request.path, dict(request.headers), request.get_data(), time.monotonic())
        self.posted.append(posted)
        answer = self.answers.pop(0) if self.answers else 200
        status, headers = (answer, {}) if isinstance(answer, int) else answer
        if 200 <= status < 300:
            self.accepted.append(posted)
        return Response(self.body, status=status, headers=headers, content_type="application/json")

    def then(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def texts(self) -> list[str]:
        return [p.text for p in self.accepted]


def notify_table(name: str, **keys: Any) -> str:
    """One `[[notify]]` table in TOML."""
    lines = ["", "[[notify]]", f"name = {json.dumps(name)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def tables(*parts: str) -> str:
    return "".join(parts)


def ids_in(texts: Sequence[str], ids: Iterable[str]) -> dict[str, int]:
    """How many of `texts` show each id (as `mark` takes it: its first 7 characters)."""
    return {i: sum(i[:7] in t for t in texts) for i in ids}
