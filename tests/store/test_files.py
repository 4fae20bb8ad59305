"""Backends that keep a database in one local file (JSON, SQLite): its folder, its bytes, its mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mentionscan.errors import StoreError, StoreLocked
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


def through(link: Path, location: str) -> str:
    """`location`, reached through the symbolic link `link` (made to point at its file)."""
    path = path_of(location)
    link.symlink_to(path)
    return location.replace(str(path), str(link))


def test_a_database_reached_through_a_symlink_is_written_and_locked_as_its_real_file(tmp_path, backend):
    real = tmp_path / "real"
    real.mkdir()
    location = location_in(real, backend)
    populate(location, 2)
    link = tmp_path / "link"
    via_link = through(link, location)
    with open_store(via_link) as store:
        store.put(make(3))
        # A run given the real file waits for the one given the link: they hold the same lock.
        with pytest.raises(StoreLocked), open_store(location, lock_timeout=0.1):
            pass
        store.save()
    assert link.is_symlink() and link.resolve() == path_of(location)  # still a link, to the same file
    with open_store(location, write=False) as store:
        assert sorted(m.id for m in store.mentions()) == ["m000000", "m000001", "m000003"]
    assert not (tmp_path / "link.lock").exists()  # the lock is beside the real file


def test_a_dangling_symlink_gets_its_target_created(tmp_path, backend):
    location = location_in(tmp_path / "real", backend)
    (tmp_path / "real").mkdir()
    link = tmp_path / "link"
    via_link = through(link, location)
    populate(via_link, 1)
    assert link.is_symlink() and path_of(location).is_file()
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(StoreError, match=f"cannot open database {loop}: its symbolic links form a loop"):
        populate(location.replace(str(path_of(location)), str(loop)), 1)


def test_a_read_only_database_file_is_read_but_never_written(location):
    populate(location, 2)
    path = path_of(location)
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, open_store(location):
        pass
    assert str(caught.value) == (
        f"database {path} is read-only (mode 0444): it was left as it is; make it writable "
        f"(chmod u+w {path}) to store in it, or only read it (list, show, export)"
    )
    with open_store(location, write=False) as store:
        assert store.count() == 2
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o444
