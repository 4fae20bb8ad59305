"""RSSHub: a self-hosted bridge that makes a feed of sites that have none (`/bsky/keyword/...`).

`instance` is the RSSHub to ask and `routes` its keyword and tag routes, with `{query}` (the
query's words, as a plain search) and `{tag}` (each tag of a `tag:` query) where the text
goes: each query reads each route it has something for. An instance that sets `ACCESS_KEY`
takes it as the `key` parameter (`access_key_env`), masked in every message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mentionscan.config.model import SourceSpec, env_opt, opt, url_opt
from mentionscan.errors import ConfigError
from mentionscan.sources.interface import QueryPlan
from mentionscan.sources.queryfeeds import QueryFeeds
from mentionscan.sources.sitesource import Site
from mentionscan.sources.translate import tag_cover, to_search_text

PLACEHOLDERS = ("{query}", "{tag}")


class RssHubSource(QueryFeeds):
    type = "rsshub"
    summary = "an RSSHub instance's keyword and tag routes ({query}, {tag}), matched here"
    needs = "an RSSHub instance (instance = URL); its access key when it sets one (access_key_env)"
    options = {
        "instance": url_opt("the RSSHub to ask, like https://rsshub.example", required=True),
        "routes": opt(list, required=True, help='routes with {query} or {tag}: ["/bsky/keyword/{query}"]'),
        "access_key_env": env_opt("the instance's ACCESS_KEY"),
    }
    site = Site("RSSHub", per_minute=30)
    asked = "the route"
    advice = credential_advice = (
        "an instance with ACCESS_KEY set needs it: name its environment variable in access_key_env"
    )
    no_such_feed = "RSSHub has no route {path} (or nothing for it): query {query!r} asks nothing there"

    @classmethod
    def check(cls, spec: SourceSpec, where: str) -> None:
        routes = spec.get("routes")
        for route in routes:
            if (
                not isinstance(route, str)
                or not route.startswith("/")
                or not any(p in route for p in PLACEHOLDERS)
            ):
                raise ConfigError(
                    f"{where}: each of 'routes' is a path with {{query}} or {{tag}}, like "
                    f'"/bsky/keyword/{{query}}", not {route!r} (a fixed route is a `feed` source)'
                )
        if not routes:
            raise ConfigError(f"{where}: 'routes' lists at least one route, like \"/bsky/keyword/{{query}}\"")

    def prepare(self) -> None:
        self.secret = self.env("access_key_env", "the RSSHub instance's access key")

    def feeds(self, query: QueryPlan) -> list[tuple[str, dict[str, Any]]]:
        text = to_search_text(query.node, "plain")
        tags = tag_cover(query.node) or []
        params = {"key": self.secret} if self.secret else {}
        paths: list[str] = []
        for route in self.spec.get("routes"):
            if "{tag}" in route:
                paths += [route.replace("{tag}", quote(tag, safe="")) for tag in tags]
            elif text:
                paths.append(route.replace("{query}", quote(text, safe="")))
        return [(path, params) for path in dict.fromkeys(paths)]
