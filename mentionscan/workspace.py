"""`Workspace`: one method per thing a user does with a config and a database (each command is one
call); each call opens the database and closes it, locking it only to change it, so nobody waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mentionscan.config.load import default_config_path, load_config
from mentionscan.config.model import Config, Settings
from mentionscan.errors import ConfigError, NotFound
from mentionscan.followup.triage import Change
from mentionscan.lookup import make_filter
from mentionscan.models import CLOSED_STATUSES, STATUSES, Mention
from mentionscan.store.interface import AuthorStats, MentionFilter, Order, Store, words_of
from mentionscan.timeutil import utcnow
from mentionscan.workspace_db import DatabaseCommands

if TYPE_CHECKING:
    from email.message import EmailMessage

    from mentionscan.config import opml as opml_lists
    from mentionscan.delivery.digest import Deliver, DigestResult
    from mentionscan.delivery.formats import Detail, Format
    from mentionscan.delivery.notify import NotifyResult
    from mentionscan.fetching.doctor import Check
    from mentionscan.fetching.run import Progress, RunResult
    from mentionscan.followup.contact import Found
    from mentionscan.followup.reply import Draft
    from mentionscan.matching.explain import Explanation, Trial
    from mentionscan.sources.discover import FoundFeed


class Workspace(DatabaseCommands):
    """The one object a command or a script holds. Make it with `Workspace.open()`."""

    def __init__(self, config_path: Path | None, database: str | None, *, config_needed: bool) -> None:
        self.notice: Callable[[str], None] | None = None  # told of a long step before it starts
        self._config_path = config_path
        self._database = database
        self._config: Config | None = None
        self._config_needed = config_needed
        self.config_file = config_path or default_config_path()  # read, whether or not it exists

    @classmethod
    def open(cls, config: str | Path | None = None, database: str | None = None) -> Workspace:
        """A workspace with the CLI's lookup rules.

        The config: `config`, else `$MENTIONSCAN_CONFIG`, else `$MENTIONSCAN_HOME/config.toml`, else
        the user config dir. The database: `database`, else `$MENTIONSCAN_DB`, else the config's
        `database`, else the user data dir. When the database is given (or in the environment) and
        no config is, the config is read only by the calls that need it (fetch, digest, explain).
        """
        from mentionscan.lookup import database_override

        location = database_override(database)
        path = Path(config).expanduser() if config else None
        return cls(path, location, config_needed=path is not None or location is None)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to release: each call opens and closes what it uses."""

    # What it is made of

    @property
    def config(self) -> Config:
        """The config, read on first use (ConfigError when it cannot be)."""
        if self._config is None:
            self._config = load_config(self._config_path)
        return self._config

    @property
    def settings(self) -> Settings:
        """The config's settings, or the defaults when the config is not needed and not given."""
        return self.config.settings if self._config_needed or self._config else Settings()

    @property
    def database(self) -> str:
        """Where the mentions are: a path, or sqlite:///path."""
        if self._database is None:
            self._database = self.config.settings.database
        return self._database

    def store(
        self, *, write: bool = False, purpose: str = "", brief: bool = False
    ) -> AbstractContextManager[Store]:
        """The database for one `with` block: `write=True` locks a file database for the block
        (for `purpose`, said to whoever waits for it; `brief`: only to open and to save)."""
        from mentionscan.store import open_store

        settings = self.settings
        return open_store(
            self.database,
            write=write,
            purpose=purpose,
            brief=brief,
            lock_timeout=settings.lock_timeout,
            notice=self.notice,
            password_env=settings.database_password_env,
        )

    def _config_if_any(self) -> Config | None:  # none is needed when only a database was given
        return self.config if self._config_needed or self._config else None

    # The main job

    def fetch(
        self,
        *,
        sources: Sequence[str] | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
        notify: bool | None = None,
        shard: tuple[int, int] | None = None,
    ) -> RunResult:
        """Ask every enabled source (or those named), store what they match, and (`notify`) send it on.

        `shard=(i, n)`: only the i-th of n fixed shares of the sources (each machine its own).
        """
        from mentionscan.fetching.run import run_fetch

        config, send_on = self.config, None
        if config.settings.notify if notify is None else notify:  # importing notify costs 15 ms
            from mentionscan.delivery.notify import after_fetch

            send_on = after_fetch(config, notify, dry_run)  # the channels are checked before a request
        with self.store(write=not dry_run, purpose="fetch", brief=True) as store:
            found = run_fetch(config, store, dry_run=dry_run, only=sources, progress=progress, shard=shard)
            return send_on(store, found) if send_on else found

    def mentions(self, selection: MentionFilter | None = None, **filters: Any) -> Iterator[Mention]:
        """Stored mentions, newest first: `selection`, or the filters `filter()` takes."""
        chosen = selection or self.filter(**filters)
        with self.store() as store:
            yield from store.mentions(chosen)

    def count(self, selection: MentionFilter | None = None, **filters: Any) -> int:
        with self.store() as store:
            return store.count(selection or self.filter(**filters))

    filter = staticmethod(make_filter)  # a MentionFilter from what a user types: since="7d", status=[...]

    def check_names(self, *, queries: Sequence[str] = (), sources: Sequence[str] = ()) -> None:
        """ConfigError for a query or source name neither the config nor any stored mention has."""
        from mentionscan.lookup import check_names

        check_names(self._config_if_any(), self.store, queries=queries, sources=sources)

    def get(self, id_or_prefix: str) -> Mention:
        """The mention this id or unique id prefix names (NotFound for none, or more than one)."""
        with self.store() as store:
            return store.resolve(id_or_prefix)

    def histories(self, mentions: Sequence[Mention]) -> dict[str, AuthorStats]:
        """Each mention's author's history, by mention id."""
        with self.store() as store:
            stats = store.authors({m.author_key for m in mentions})
        return {m.id: stats[m.author_key] for m in mentions}

    def show(self, id_or_prefix: str) -> Detail:
        """One mention whole: the record and its author's history."""
        from mentionscan.delivery.formats import Detail

        with self.store() as store:
            mention = store.resolve(id_or_prefix)
            history = store.authors([mention.author_key])[mention.author_key]
            return Detail(mention, history, tuple(m for m in map(store.get, mention.related) if m))

    def followups(self, now: datetime | None = None) -> list[Mention]:
        """Open mentions whose report-back date is past or today (local time), oldest first."""
        from mentionscan.followup.triage import due_cutoff

        open_statuses = tuple(s for s in STATUSES if s not in CLOSED_STATUSES)
        selection = MentionFilter(statuses=open_statuses, due_before=due_cutoff(now), order=Order.DUE)
        return list(self.mentions(selection))

    def search(self, text: str, *, limit: int | None = None) -> list[Mention]:
        """Stored mentions (any status) with every word in their title, text, author, notes or contacts."""
        wanted = tuple(words_of(text))
        if not wanted:
            raise ConfigError(f"search {text!r}: no word to look for (words are letters and digits)")
        return list(self.mentions(MentionFilter(words=wanted, limit=limit)))

    # Following up

    def mark(
        self,
        status: str,
        ids: Sequence[str] = (),
        *,
        selection: MentionFilter | None = None,
        note: str | None = None,
        due: str | None = None,
        now: datetime | None = None,
    ) -> list[Change]:
        """Set the status of the mentions named by id prefix, or else of those `selection` picks.

        Every id and argument is checked before anything changes; the changes are saved at once.
        """
        from mentionscan.followup.triage import check_status, due_date, mark_all

        check_status(status)
        due_date(due, now)  # a bad --due fails before the database is opened
        with self.store(write=True, purpose="mark") as store:
            return mark_all(store, status, ids, selection or MentionFilter(), note=note, due=due, now=now)

    def note(self, id_or_prefix: str, text: str) -> Mention:
        """Add a note to a mention's timeline; the changed mention."""
        from mentionscan.followup.triage import add_note

        return self._change(id_or_prefix, lambda mention: add_note(mention, text), "note")

    def set_due(self, id_or_prefix: str, due: str) -> Mention:
        """Set (a duration from now, a date) or clear (`none`) a mention's report-back date."""
        from mentionscan.followup.triage import mark

        return self._change(id_or_prefix, lambda mention: mark(mention, due=due))

    def draft_reply(self, id_or_prefix: str, *, record: bool = False, due: str | None = None) -> Draft:
        """The email to the author; with `record`, the draft is logged and the mention set contacted."""
        from mentionscan.followup.reply import reply_for
        from mentionscan.followup.triage import mark

        if due is not None and not record:
            raise ConfigError("--due needs --mark (the report-back date is set when you write)")
        now = utcnow()
        mention = self.get(id_or_prefix)
        draft = reply_for(mention, self._config_if_any(), due, now)
        if record:
            self._change(
                mention.id,
                lambda m: mark(
                    m.with_event("draft", draft.log_text(), at=now), "contacted", due=due, now=now
                ),
                "reply",
            )
        return draft

    def answer(self, id_or_prefix: str, message: EmailMessage, *, send: bool) -> tuple[Mention, str]:
        """Send a reply (a draft, edited) through [email], or keep it as .eml; log it, mark contacted."""
        from mentionscan.delivery.replies import keep_reply, record_answer, send_reply

        mention = self.get(id_or_prefix)
        where = (
            send_reply(self.config, message)
            if send
            else f"kept in {keep_reply(self.database, mention, message)}"
        )
        return self._change(mention.id, lambda m: record_answer(m, message, where)), where

    def find_contact(self, id_or_prefix: str, *, github_api: str | None = None) -> tuple[Mention, Found]:
        """Look for the author's email and pages (at most 5 requests), and store what was found.

        The database is not locked while pages are fetched: it is read first, then locked only
        to store the result.
        """
        from mentionscan.fetching.http import HttpClient
        from mentionscan.followup.contact import GITHUB_API, apply_contacts, find_contacts

        mention = self.get(id_or_prefix)
        origin = None
        config = self._config_if_any()
        if config is not None:
            spec = next((s for s in config.sources if s.name == mention.source), None)
            origin = (spec.get("url") or spec.base_url) if spec is not None else None
        with HttpClient(self.settings) as client:
            found = find_contacts(mention, client, origin=origin, github_api=github_api or GITHUB_API)

        def store_found(current: Mention) -> Mention:
            return apply_contacts(current, found)

        try:
            updated = self._change(mention.id, store_found, "contact")
        except NotFound:
            raise NotFound(f"mention {mention.id} was deleted while its author was looked for") from None
        return updated, found

    def explain(self, id_or_prefix: str) -> tuple[Mention, list[Explanation]]:
        """Which query matches a mention, in which field, on which words."""
        from mentionscan.matching.explain import explain

        mention = self.get(id_or_prefix)
        return mention, explain(mention, self.config.queries)

    def test_query(
        self, expression: str, *, sources: Sequence[str] = (), fetch: bool = False
    ) -> tuple[list[Trial], RunResult | None]:
        """What `expression` matches: among stored mentions, or (`fetch`) in a fetch that stores nothing."""
        from mentionscan.matching.explain import Trial, try_query
        from mentionscan.matching.query import parse_query

        parse_query(expression)  # the error names the position, before anything is read or fetched
        if not fetch:
            stored = self.mentions(MentionFilter(sources=tuple(sources)))
            return [Trial(m, ev) for m, ev in try_query(expression, stored)], None
        from mentionscan.fetching.trial import trial_fetch

        with self.store() as store:
            return trial_fetch(self.config, store, expression, sources)

    # Delivery

    def digest(self, deliver: Deliver, **options: Any) -> DigestResult:
        """Build the digest, hand it to `deliver`, then mark it; `options`: those of `run_digest`."""
        from mentionscan.delivery.digest import run_digest

        config = self.config
        options.setdefault("wait", self.settings.lock_timeout)
        with self.store(write=True, purpose="digest") as store:
            return run_digest(store, config, deliver, **options)

    def notify(
        self, channels: Sequence[str] | None = None, *, dry_run: bool = False, test: bool = False
    ) -> NotifyResult:
        """Send each `[[notify]]` channel (or those named) what it has not had; `test`: a test message."""
        from mentionscan.delivery.notify import run_notify, send_checks

        if test:
            return send_checks(self.config, channels)
        with self.store(write=not dry_run) as store:
            return run_notify(store, self.config, names=channels, dry_run=dry_run)

    def export(
        self,
        fmt: Format,
        out: TextIO,
        selection: MentionFilter | None = None,
        *,
        feed_url: str = "",
        page_url: str = "",
    ) -> int:
        """Write the mentions `selection` picks (every one without it) to `out` in `fmt`; how many.
        `Format.backup` is `export --full`; `feed_url` and `page_url` are an Atom feed's links."""
        from mentionscan.delivery.formats import Context, export

        context = Context(feed_key=self.database, feed_url=feed_url, page_url=page_url)
        with self.store() as store:
            return export(store, fmt, out, selection or MentionFilter(), context)

    def doctor(self, sources: Sequence[str] | None = None) -> list[Check]:
        """Ask each configured source (or those named) once whether it answers."""
        from mentionscan.fetching.doctor import check_sources
        from mentionscan.fetching.health import SourceHealth

        config = self.config
        with self.store() as store:
            health = {s.name: store.read_state(SourceHealth, s.name) for s in config.sources}
        return check_sources(config, health, names=sources)

    def add_feed(self, url: str, **options: Any) -> tuple[str, FoundFeed]:
        """Add the feed at `url` (or the one its page names; `choose=` picks one of several), `name=`."""
        from mentionscan.fetching.discovery import add_feed

        added, feed, self._config = add_feed(self.config, url, **options)
        return added, feed

    def check_config(self) -> Config:
        """The config, read and checked as `fetch` would check it (credentials too), without a request."""
        from mentionscan.fetching.run import build_sources

        build_sources(self.config)  # every enabled source's credentials are in the environment
        return self.config

    def import_sources(self, opml: Path, *, dry_run: bool = False) -> opml_lists.Imported:
        """Add an OPML file's feeds to the config file as `feed` sources (`dry_run`: only say which)."""
        from mentionscan.config.opml import import_opml

        return import_opml(self.config, opml, dry_run=dry_run)

    def export_sources(self, out: TextIO) -> int:
        """Write the config's feed sources to `out` as an OPML list; how many."""
        from mentionscan.config.opml import export_opml

        return export_opml(self.config, out)

    # Helpers

    def _change(
        self, id_or_prefix: str, change: Callable[[Mention], Mention], why: str = "change"
    ) -> Mention:
        """Apply `change` to the current version of one mention, and save it, in one locked step."""
        with self.store(write=True, purpose=why) as store:
            mention = store.resolve(id_or_prefix)
            changed = change(mention)
            if changed is not mention:
                # Someone else changed it meanwhile (a shared database): the same change, on theirs.
                store.put(changed, rebase=change)
                store.save()
        return changed
