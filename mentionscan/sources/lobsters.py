"""Lobsters: tag listings for `tag:` queries, the newest stories for words (matched here).

Lobsters' search is an HTML page that refuses logged-out clients, so words are looked for in
`/newest.json` (one listing for every query) and tags in `/t/{tag}.json`, the JSON twins of
the RSS feeds. A story is kept at its discussion page; the link it points at is in its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from mentionscan.config.model import SourceSpec, opt
from mentionscan.errors import ConfigError, FetchError
from mentionscan.models import Entry
from mentionscan.sources.common import (
    NEWEST,
    SiteSource,
    items,
    newest_first,
    refused,
    text_of,
)
from mentionscan.sources.interface import QueryPlan, Task, TaskResult, TaskState
from mentionscan.sources.translate import tag_cover
from mentionscan.text import one_line
from mentionscan.timeutil import parse_time, to_iso
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

ADVICE = "Lobsters refused the request: check [settings] user_agent names mentionscan and a contact URL"


class LobstersSource(SiteSource):
    type = "lobsters"
    summary = "lobste.rs tag listings for tag: queries; the newest stories for words"
    options = {"pages": opt(int, default=3, help="most pages of newest stories (25 each) read per run")}
    endpoint = "https://lobste.rs"
    # Lobsters allows 30 requests a minute and 100 in ten minutes per address.
    rate_per_minute = 10

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        if spec.get("pages") < 1:
            raise ConfigError(f"{where}: 'pages' must be 1 or more, not {spec.get('pages')}")

    def tasks(self, queries: Sequence[QueryPlan]) -> list[Task]:
        tasks = [Task(self.name, q.name, f"{self.name}\x1f{q.name}") for q in queries if tag_cover(q.node)]
        if any(tag_cover(q.node) is None for q in queries):
            tasks.append(Task(self.name, None, f"{self.name}\x1f{NEWEST}"))
        return tasks

    def run(self, task: Task, query: QueryPlan | None, client: HttpClient, state: TaskState) -> TaskResult:
        tags = tag_cover(query.node) if query is not None else None
        if tags:
            assert query is not None
            return self._tags(query.name, tags, client)
        cursor = parse_time(state.cursor())

        def page(number: int) -> list[Entry]:
            return self._stories(client, "/newest.json" if number == 1 else f"/newest/page/{number}.json")

        entries, newest, requests = newest_first(page, cursor, self.spec.get("pages"))
        return TaskResult(
            entries=entries, cursors={"": to_iso(newest) or ""} if newest else None, requests=requests
        )

    def _tags(self, name: str, tags: list[str], client: HttpClient) -> TaskResult:
        # One listing per tag: /t/a,b.json answers 404 unless every tag in it exists.
        entries: list[Entry] = []
        warnings: list[str] = []
        for tag in tags:
            try:
                entries += self._stories(client, f"/t/{quote(tag.lower(), safe='')}.json")
            except FetchError as exc:
                if exc.status != 404:
                    raise
                warnings.append(
                    f"Lobsters has no tag {tag!r} (see lobste.rs/tags): query {name!r} asks nothing "
                    "there; its `sources` key can name the sources it is for"
                )
        return TaskResult(entries=entries, warnings=warnings, requests=len(tags))

    def _stories(self, client: HttpClient, path: str) -> list[Entry]:
        response = self._request(client, path)
        data = response.json()
        if not isinstance(data, list):
            raise FetchError(f"{response.url}: not a Lobsters listing (expected a list of stories)")
        return [e for e in (self.entry(s) for s in data if isinstance(s, Mapping)) if e is not None]

    def _request(self, client: HttpClient, path: str) -> Response:
        try:
            return client.get(self.url(path), rate_per_minute=self.host_rate)
        except FetchError as exc:
            raise refused(exc, ADVICE) from None

    def entry(self, story: Mapping[str, Any]) -> Entry | None:
        url = safe_link(text_of(story, "comments_url")) or safe_link(text_of(story, "short_id_url"))
        if not url:
            return None
        submitter = story.get("submitter_user")
        # a user name in today's API, an object in older versions
        user = (
            text_of(submitter, "username")
            if isinstance(submitter, Mapping)
            else text_of(story, "submitter_user")
        )
        link = safe_link(text_of(story, "url"))
        text = " ".join(part for part in (text_of(story, "description_plain"), link) if part)
        short_id = text_of(story, "short_id")
        tags = items(story, "tags")
        return Entry(
            source=self.name,
            source_type=self.type,
            url=url,
            title=text_of(story, "title"),
            text=text,
            author=user or None,
            author_url=_profile(url, user),
            published=parse_time(story.get("created_at")),
            tags=tuple(one_line(t) for t in tags if isinstance(t, str) and one_line(t)),
            native_id=f"lobsters:{short_id}" if short_id else None,
            key_scope="global",
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        # The newest stories, whatever the queries: a tag Lobsters lacks is a warning, not a failure.
        return self._request(client, "/newest.json")


def _profile(story_url: str, user: str) -> str | None:
    if not user:
        return None
    parts = urlsplit(story_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/~{quote(user)}", "", ""))
