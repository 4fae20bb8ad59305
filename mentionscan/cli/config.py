"""`config check` (read and check the config, offline) and `config path` (which file is read)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from mentionscan.cli.app import app, command_group
from mentionscan.cli.common import ConfigOption, DbOption, VerboseOption, say, verbose, workspace

if TYPE_CHECKING:
    from mentionscan.sources.discover import FoundFeed

config_app = command_group(
    "config", "The config file: where it is, and whether it is right (without asking any site)."
)


@config_app.command("check")
def check(config: ConfigOption = None, db: DbOption = None) -> None:
    """Read and check the config as fetch would, offline: print its queries and sources.

    Exit status: 0 when it is right, 2 (with the file, table and key) when it is not.
    """
    from mentionscan.text import one_line

    ws = workspace(config, db)
    cfg = ws.check_config()
    enabled = sum(1 for s in cfg.sources if s.enabled)
    lines = [f"{cfg.path}: OK", "", f"queries ({len(cfg.queries)}):"]
    width = max((len(q.name) for q in cfg.queries), default=0)
    for query in cfg.queries:
        only = f"  (only {', '.join(query.sources)})" if query.sources else ""
        lines.append(f"  {query.name:<{width}}  {one_line(query.match)}{only}")
    lines += ["", f"sources ({len(cfg.sources)}, {enabled} enabled):"]
    width = max((len(s.name) for s in cfg.sources), default=0)
    kinds = max((len(s.type) for s in cfg.sources), default=0)
    for source in cfg.sources:
        where = source.get("url") or source.get("instance") or source.base_url or ""
        off = "  (disabled)" if not source.enabled else ""
        lines.append(f"  {source.name:<{width}}  {source.type:<{kinds}}  {_shown(where)}{off}".rstrip())
    lines += ["", f"database: {ws.database}"]
    typer.echo("\n".join(lines))
    if not cfg.queries or not enabled:
        what = (
            "[[queries]] (what to look for)" if not cfg.queries else "an enabled [[sources]] (where to look)"
        )
        say(f"Note: fetch needs {what}; `mentionscan add URL` adds a feed")


@config_app.command("path")
def path(config: ConfigOption = None) -> None:
    """Print the path of the config file commands read (--config, $MENTIONSCAN_CONFIG, or the default)."""
    found = workspace(config, None).config_file
    typer.echo(str(found))
    if not found.exists():
        say(f"{found} does not exist yet: `mentionscan init` writes a starter config there")


def _shown(url: str) -> str:
    from mentionscan.urls import redact

    return redact(url)


@app.command()
def add(
    url: Annotated[
        str, typer.Argument(metavar="URL", help="A feed's URL, or a site's page that links to its feed.")
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="The source's name (default: the feed's host)."),
    ] = None,
    config: ConfigOption = None,
    verbose_: VerboseOption = False,
) -> None:
    """Add a feed to the config: the URL itself, or the feed a site's page advertises.

    Given a page, it reads the page's <link rel="alternate"> feeds (else tries /feed, /rss, ...),
    takes the only one or asks which. The config keeps its comments and layout; the old one is
    kept as config.toml.bak.
    """
    verbose(verbose_)
    ws = workspace(config, None)
    choose = _ask if sys.stdin.isatty() and sys.stderr.isatty() else None
    added, feed = ws.add_feed(url, name=name, choose=choose)
    say(f"Added source {added!r} ({feed.describe()}) to {ws.config_file}")
    say(f"Check it with `mentionscan doctor --source {added}`, then `mentionscan fetch`.")


def _ask(feeds: list[FoundFeed]) -> FoundFeed:
    say("This page advertises several feeds:")
    for number, feed in enumerate(feeds, 1):
        say(f"  {number}) {feed.describe()}")
    while True:
        choice = typer.prompt(f"Which one (1-{len(feeds)})", default="1", err=True).strip()
        if choice.isdigit() and 1 <= int(choice) <= len(feeds):
            return feeds[int(choice) - 1]
        say(f"Give a number from 1 to {len(feeds)}.")
