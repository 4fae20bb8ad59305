"""The `Workspace` calls that look after the database itself: `db info`, `init`, `upgrade`, `migrate`,
and `import` of a backup."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mentionscan.errors import ConfigError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mentionscan.config.model import Settings
    from mentionscan.store.interface import Store
    from mentionscan.store.merge import Imported
    from mentionscan.store.migrate import DatabaseInfo, Migration


class DatabaseCommands:
    """Mixed into `Workspace`, which gives `database` and `settings`."""

    if TYPE_CHECKING:

        @property
        def database(self) -> str: ...

        @property
        def settings(self) -> Settings: ...

        def store(
            self, *, write: bool = False, purpose: str = "", brief: bool = False
        ) -> AbstractContextManager[Store]: ...

    def database_info(self) -> DatabaseInfo:
        """Where the database is, which backend, how much it holds, how big it is."""
        from mentionscan.store.migrate import database_info

        return database_info(self.database, self.settings.database_password_env)

    def init_database(self) -> bool:
        """Make the tables of a PostgreSQL database (a file database is made by its first save).

        Whether they were made (False: they were there).
        """
        from mentionscan.store import is_postgres, open_store

        if not is_postgres(self.database):
            raise ConfigError(
                f"database {self.database} is a file: the first fetch creates it; "
                "db init is for a postgresql:// database"
            )
        with open_store(self.database, password_env=self.settings.database_password_env) as store:
            return bool(store.init())  # type: ignore[attr-defined]

    def upgrade_database(self) -> tuple[int | None, int | None]:
        """Bring the database to this version's schema: (before, after)."""
        from mentionscan.store import is_postgres, open_store

        if is_postgres(self.database):
            from mentionscan.store.pg_store import upgrade_database

            return upgrade_database(self.database, self.settings.database_password_env)
        with open_store(self.database, write=False) as old:
            before = old.schema
        with open_store(self.database, lock_timeout=self.settings.lock_timeout, notice=_say) as store:
            return before, store.schema  # a file upgrades itself when opened for writing

    def migrate(self, target: str) -> Migration:
        """Copy the database into a new one at `target` (any backend), then check the copy."""
        from mentionscan.config.load import resolve_database
        from mentionscan.store.migrate import migrate

        location = resolve_database(target, Path.cwd())
        settings = self.settings
        return migrate(
            self.database,
            location,
            lock_timeout=settings.lock_timeout,
            password_env=settings.database_password_env,
        )

    def import_backup(self, path: str | Path, *, dry_run: bool = False) -> Imported:
        """Merge a backup (`export --full`) into the database, by id, losing nothing (`store.merge`)."""
        from mentionscan.delivery.formats.backup import read
        from mentionscan.store.merge import import_mentions

        backup = read(Path(path).expanduser())  # a broken file fails before the database is locked
        with self.store(write=not dry_run) as store:
            result = import_mentions(store, backup.mentions, backup.states)
            if not dry_run:
                store.save()
        return result


def _say(line: str) -> None:
    import sys

    print(line, file=sys.stderr)
