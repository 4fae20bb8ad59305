"""Backends that keep a database in one local file (JSON, SQLite): its folder, its bytes, its mode."""

from __future__ import annotations

import re

import pytest

from mentionscan.errors import StoreError
from mentionscan.store import open_store
from tests.store.conftest import BACKENDS
from tests.store.tools import location_in, make, path_of, populate, temp_files

FILE_BACKENDS = [b for b in BACKENDS if b in ("json", "sqlite")]
pytestmark = pytest.mark.parametrize("backend", FILE_BACKENDS)


def test_a_missing_file_stays_missing_until_a_save_creates_it_and_its_folder(tmp_path, backend):
    location = location_in(tmp_path / "new" / "folder", backend)
    with open_store(location) as store:
        assert store.count() == 0
        store.save()
    assert not path_of(location).exists()
    with open_store(location) as store:
        store.put(make(1))
        store.save()
    assert path_of(location).is_file()
    with open_store(location, write=False) as store:
        assert store.get("m000001") == make(1)


def test_saves_that_change_nothing_leave_the_file_as_it_was(location):
    populate(location, 5)
    with open_store(location) as store:
        store.set_state("s", {"a": 1})
        store.save()
    path = path_of(location)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    with open_store(location) as store:
        store.save()
        store.put(make(3))
        store.set_state("s", {"a": 1})
        store.save()
    with open_store(location, write=False) as store:
        store.put(make(7))
        with pytest.raises(StoreError):
            store.save()
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_file_permissions_are_kept_and_a_new_file_is_private(location):
    populate(location, 1)
    path = path_of(location)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o640)
    populate(location, 1, start=2)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_folder_that_cannot_be_created_is_named(tmp_path, backend):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    location = location_in(blocker, backend)
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert str(caught.value) == (
        f"cannot create folder {blocker} for database {path_of(location)}: it is not a folder"
    )
    deeper = location_in(blocker / "sub", backend)
    with (
        pytest.raises(StoreError, match=re.escape(f"cannot create folder {blocker / 'sub'} ")),
        open_store(deeper),
    ):
        pass


def test_stale_temp_files_are_removed_by_the_next_writer(tmp_path, backend):
    location = location_in(tmp_path, backend)
    populate(location, 1)
    name = path_of(location).name
    stale = tmp_path / f".{name}.abc123.tmp"
    stale.write_bytes(b"half")
    other = tmp_path / ".other.json.abc.tmp"
    other.write_bytes(b"not ours")
    with open_store(location, write=False):
        assert stale.exists()  # readers hold no lock, so they leave it alone
    with open_store(location):
        pass
    assert not stale.exists()
    assert other.exists()
    assert temp_files(tmp_path) == [".other.json.abc.tmp"]
