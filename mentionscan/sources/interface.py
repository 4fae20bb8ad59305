"""What every source type provides, and the records it trades with the run that calls it.

A source never talks to the store or the matcher. `tasks()` says what to ask (one task for a
feed, one per query for a site's search); `run()` asks it through the shared `HttpClient`,
given the task's `TaskState`, and returns entries, or bytes for the pipeline to parse
(possibly in another process), and what the task's state becomes if the run succeeds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypedDict

from mentionscan.config.model import Option, Settings, SourceSpec, require_env
from mentionscan.masking import mask
from mentionscan.models import Entry, ParsedFeed
from mentionscan.urls import without_credentials

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
    state_key: str  # where this task's TaskState lives in the database: `task:<state_key>`

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


class Validators(TypedDict, total=False):
    """What a conditional GET sends back (If-None-Match, If-Modified-Since)."""

    etag: str
    last_modified: str


@dataclass(slots=True)
class TaskResult:
    """What one run of a task gave: entries (or bytes to parse), warnings, and its next state."""

    entries: list[Entry] = field(default_factory=list)
    parse: ParseJob | None = None
    # Entries a parse worker already screened: each one's candidate, or why it is none.
    screened: list[Any] = field(default_factory=list)
    # The task's cursors after this run (see TaskState); None leaves them as they were.
    cursors: dict[str, str] | None = None
    # Kept only when the parse was clean: the pipeline empties them after a malformed feed.
    validators: Validators = field(default_factory=Validators)
    warnings: list[str] = field(default_factory=list)
    not_modified: bool = False
    moved_to: str | None = None
    requests: int = 1


# The shapes older versions stored: one time for the whole task, or a table of ids or times
# per tag or per search, now each a cursor under the key `TaskState.cursors` uses for it.
_ONE_CURSOR = ("cursor", "newest", "fetched_at")
_CURSOR_TABLES = {"min_id": "#", "search_min_id": "", "since": ""}


@dataclass(frozen=True, slots=True)
class TaskState:
    """What one task learned from its successful runs; the database keeps it as `task:<state_key>`.

    `cursors` says how far the task has read, keyed by what was asked ("" when the task asks one
    thing; a search's text, or `#tag` for a hashtag, when it asks several), each value an ISO
    time or the site's own id. The validators are those of the last conditional GET;
    `moved_to`, where a permanent redirect last pointed.
    """

    KIND: ClassVar[str] = "task"

    cursors: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None

    def cursor(self, key: str = "") -> str | None:
        return self.cursors.get(key)

    @property
    def validators(self) -> Validators:
        found = Validators()
        if self.etag:
            found["etag"] = self.etag
        if self.last_modified:
            found["last_modified"] = self.last_modified
        return found

    def after(self, result: TaskResult) -> TaskState:
        """The state once `result`, a success, is kept."""
        state = self if result.cursors is None else replace(self, cursors=dict(result.cursors))
        # A 304 without validators of its own keeps the old ones; anything else replaces them.
        if result.validators or not result.not_modified:
            etag, modified = result.validators.get("etag"), result.validators.get("last_modified")
            state = replace(state, etag=etag, last_modified=modified)
        # Kept in the database: never with the URL's credentials or a secret in its query.
        moved_to = mask(without_credentials(result.moved_to)) if result.moved_to else state.moved_to
        return replace(state, moved_to=moved_to)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"cursors": dict(self.cursors)} if self.cursors else {}
        for key in ("etag", "last_modified", "moved_to"):
            if value := getattr(self, key):
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The state in this shape or in any an older version wrote; what cannot be read is left out."""
        cursors = {k: _text(v) for k, v in _mapping(data.get("cursors")).items() if _text(v)}
        for name, prefix in _CURSOR_TABLES.items():
            for key, value in _mapping(data.get(name)).items():
                if _text(value):
                    cursors.setdefault(f"{prefix}{key}", _text(value))
        for name in _ONE_CURSOR:
            if _text(data.get(name)):
                cursors.setdefault("", _text(data.get(name)))
        return cls(
            cursors=cursors,
            etag=_text(data.get("etag")) or None,
            last_modified=_text(data.get("last_modified")) or None,
            moved_to=_text(data.get("moved_to")) or None,
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    """A stored string, or an id stored as a number; "" for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


class Source(ABC):
    """One configured `[[sources]]` table of a given type."""

    type: ClassVar[str]
    summary: ClassVar[str]  # what it asks, for `mentionscan sources`
    needs: ClassVar[str] = "nothing"
    options: ClassVar[dict[str, Option]] = {}
    per_query: ClassVar[bool] = True  # one request per query (a site search) or one per source (a feed)

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
        """Requests a minute to the source's host: the config's `rate_per_minute`, else no bound."""
        return self.spec.rate_per_minute

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        if not self.per_query:
            return [Task(self.name, None, self.name)]
        return [Task(self.name, q.name, f"{self.name}\x1f{q.name}") for q in queries]

    @abstractmethod
    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        """Fetch what `task` asks for; raise FetchError (or any MentionscanError) when it fails."""

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        """One request that shows whether the source answers (for `mentionscan doctor`)."""
        raise NotImplementedError
