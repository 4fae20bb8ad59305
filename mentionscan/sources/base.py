"""What every source type provides: which requests to make for which queries, and how to read them.

A source never talks to the store or the matcher. `tasks()` says what to ask (one task for a
feed, one per query for a site's search); `run()` asks it through the shared `HttpClient` and
returns entries, or bytes for the pipeline to parse (possibly in another process).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from mentionscan.config.model import Option, Settings, SourceSpec, opt, require_env
from mentionscan.models import Entry, ParsedFeed

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response
    from mentionscan.matching.matcher import Node


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A configured query as a source sees it: its name, expression and parsed form."""

    name: str
    expression: str
    node: Node


@dataclass(frozen=True, slots=True)
class Task:
    source: str
    query: str | None  # the query asked of the site; None when one request serves every query
    state_key: str  # where this task's cursor and validators live in the database

    @property
    def label(self) -> str:
        return self.source if self.query is None else f"{self.source} ({self.query})"


@dataclass(frozen=True, slots=True)
class ParseJob:
    """Bytes to be parsed by `func(body, headers, **kwargs)`; `func` is a module-level function."""

    func: Callable[..., ParsedFeed]
    body: bytes
    headers: dict[str, str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> ParsedFeed:
        return self.func(self.body, self.headers, **self.kwargs)


@dataclass(slots=True)
class TaskResult:
    entries: list[Entry] = field(default_factory=list)
    parse: ParseJob | None = None
    state: dict[str, Any] = field(default_factory=dict)  # merged into the task's state after success
    validators: dict[str, Any] = field(default_factory=dict)  # kept only when the parse was clean
    warnings: list[str] = field(default_factory=list)
    not_modified: bool = False
    moved_to: str | None = None
    requests: int = 1


class Source(ABC):
    """One configured `[[sources]]` table of a given type."""

    type: ClassVar[str]
    summary: ClassVar[str]  # what it asks, for `mentionscan sources`
    needs: ClassVar[str] = "nothing"
    options: ClassVar[dict[str, Option]] = {}
    per_query: ClassVar[bool] = True  # one request per query (a site search) or one per source (a feed)
    endpoint: ClassVar[str] = ""  # the real site's scheme and host; `base_url` replaces it
    rate_per_minute: ClassVar[float | None] = None  # politeness towards the site's host

    def __init__(self, spec: SourceSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings

    @property
    def name(self) -> str:
        return self.spec.name

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        """Config-time checks beyond key types; raise ConfigError naming `where`."""

    def prepare(self) -> None:
        """Run-time checks before any request (credentials in the environment, ...)."""

    def env(self, key: str, purpose: str) -> str | None:
        """The secret named by option `key` (an environment variable name), or None if not configured."""
        name = self.spec.get(key)
        if not name:
            return None
        return require_env(name, self.spec.where, purpose)

    @property
    def host_rate(self) -> float | None:
        return self.spec.rate_per_minute or self.rate_per_minute

    def url(self, path: str, root: str | None = None) -> str:
        """`path` on the site, or on `base_url` (scheme and host replaced, its own path prefixed)."""
        base = root or self.spec.base_url or self.endpoint
        parts = urlsplit(base)
        prefix = parts.path.rstrip("/")
        return urlunsplit((parts.scheme, parts.netloc, prefix + path, "", ""))

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        if not self.per_query:
            return [Task(self.name, None, self.name)]
        return [Task(self.name, q.name, f"{self.name}\x1f{q.name}") for q in queries]

    @abstractmethod
    def run(
        self, task: Task, query: QueryPlan | None, client: HttpClient, state: Mapping[str, Any]
    ) -> TaskResult:
        """Fetch what `task` asks for; raise FetchError (or any MentionscanError) when it fails."""

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan], state: Mapping[str, Any]) -> Response:
        """One request that shows whether the source answers (for `mentionscan doctor`)."""
        raise NotImplementedError


def url_option(required: bool = True) -> Option:
    return opt(str, required=required, help="the feed's URL")


def conditional_get(
    client: HttpClient, url: str, state: Mapping[str, Any], rate_per_minute: float | None = None
) -> tuple[Response, dict[str, Any]]:
    """GET `url` with the stored validators; the response and the validators to keep next time."""
    response = client.get(
        url,
        etag=state.get("etag"),
        last_modified=state.get("last_modified"),
        rate_per_minute=rate_per_minute,
    )
    validators: dict[str, Any] = {}
    # RFC 9111 4.3.4: a 304 may carry fresh validators; a 200 replaces them.
    if response.status == 304:
        validators = {
            k: v for k, v in (("etag", state.get("etag")), ("last_modified", state.get("last_modified"))) if v
        }
    if "etag" in response.headers:
        validators["etag"] = response.headers["etag"]
    if "last-modified" in response.headers:
        validators["last_modified"] = response.headers["last-modified"]
    if response.headers.get("expires", "").strip() in ("0", "-1"):
        validators = {}
    return response, validators
