"""Mastodon: hashtag timelines for `tag:` queries, status search for words when a token is set.

Logged out, Mastodon searches accounts and hashtags only ("full text search is not available to
unauthenticated users"), so a word query without `token_env` is reported, not asked. Statuses
are kept by their ActivityPub `uri`: the same post has a different `id` on every instance.
Each hashtag (`#tag`) and each search keeps the newest status id seen, and asks only for newer
ones (`min_id`): ids are the one order the API pages by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mentionscan.config.model import count_opt, env_opt, url_opt
from mentionscan.models import Entry
from mentionscan.sources.common import items, names, table, text_of, title_of
from mentionscan.sources.interface import QueryPlan, TaskState
from mentionscan.sources.searchapi import Ask, SearchApi
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import Dialect, search_texts, tag_cover
from mentionscan.text import html_to_text, one_line
from mentionscan.timeutil import parse_time
from mentionscan.urls import safe_link

if TYPE_CHECKING:
    from mentionscan.fetching.http import HttpClient, Response

MAX_LIMIT = 40  # the API's own maximum per request
# Search (4.2+): "phrases" and -exclusions; words side by side are all required, and there is no OR.
DIALECT = Dialect("mastodon", or_word=None, groups=False)


class MastodonSource(SearchApi):
    type = "mastodon"
    summary = "hashtag timelines for tag: queries; status search for words (with a token)"
    needs = "nothing for tag: queries; an access token (token_env) for word search"
    options = {
        "instance": url_opt("the instance's URL, like https://mastodon.social", required=True),
        "token_env": env_opt("an access token (read:statuses)"),
        "limit": count_opt("statuses per request", MAX_LIMIT),
    }
    # 300 requests per 5 minutes per IP are allowed; stay well below.
    site = Site("Mastodon", per_minute=30)
    refuser = ""  # a refusal keeps the URL: it names the instance
    size_param = "limit"
    cursor_kind = "id"
    merge_repeats = False
    unaskable = (
        "query {query!r} not asked: nothing in it is text {site} can search for (author: and site: are not)"
    )
    not_an_answer = "not a Mastodon API answer (expected a list of statuses)"
    advice = (
        "this instance shows hashtag timelines to logged-in users only: set token_env "
        "to the name of an environment variable holding an access token"
    )
    credential_advice = "the access token in ${token_env} was refused: check it has read:statuses"

    def prepare(self) -> None:
        self.bearer = self.env("token_env", "a Mastodon access token for status search")

    def not_asked(self, query: QueryPlan) -> str | None:
        if tag_cover(query.node) is not None or self.bearer:
            return None
        # The same words for every query, so that the run says it once for the source.
        return (
            "queries of words are not asked: Mastodon text search needs an access token: "
            "set token_env to the name of an environment variable holding one (tag: queries work without)"
        )

    def asks(self, query: QueryPlan, state: TaskState) -> list[Ask]:
        limit = self.spec.get("limit")
        tags = tag_cover(query.node)
        if tags is not None:
            wanted = [
                (f"#{tag}", f"/api/v1/timelines/tag/{quote(tag, safe='')}", {"limit": limit}) for tag in tags
            ]
        else:
            search = {"type": "statuses", "resolve": "false", "limit": limit}
            wanted = [
                (text, "/api/v2/search", {"q": text, **search}) for text in search_texts(query.node, DIALECT)
            ]
        return [Ask(path, _newer(params, state.cursor(key)), key=key) for key, path, params in wanted]

    def items(self, data: Any) -> list[Any] | None:
        found = data.get("statuses") if isinstance(data, Mapping) else data
        return found if isinstance(found, list) else None

    def mark(self, item: Mapping[str, Any], entry: Entry | None) -> object:
        return item.get("id")

    def entry(self, status: Mapping[str, Any]) -> Entry | None:
        """A status (a boost as the boosted status); None without a usable link."""
        if isinstance(status.get("reblog"), Mapping):
            status = status["reblog"]
        uri = text_of(status, "uri")
        url = safe_link(text_of(status, "url")) or safe_link(uri)
        if not url:
            return None
        spoiler = one_line(html_to_text(status.get("spoiler_text")))
        content = html_to_text(status.get("content"))
        account = table(status, "account")
        author = text_of(account, "display_name") or text_of(account, "acct") or text_of(account, "username")
        return self.make_entry(
            url=url,
            title=spoiler or title_of(content),
            text=f"{spoiler} {content}".strip(),
            author=author or None,
            author_url=safe_link(text_of(account, "url")) or None,
            published=parse_time(status.get("created_at")),
            tags=names(items(status, "tags"), "name"),
            native_id=uri or url,
            language=text_of(status, "language"),
        )

    def probe(self, client: HttpClient, queries: Sequence[QueryPlan]) -> Response:
        if self.bearer or any(tag_cover(q.node) is not None for q in queries):
            return super().probe(client, queries)
        # Nothing is asked logged out without a tag query: the instance's own page shows it answers.
        return self.request(client, "/api/v2/instance", {})


def _newer(params: dict[str, Any], cursor: str | None) -> dict[str, Any]:
    return {**params, "min_id": cursor} if cursor else params
