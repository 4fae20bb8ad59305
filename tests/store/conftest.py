"""The store's contract suite runs each test once per backend.

To hold a new backend to the contract, add its name to `BACKENDS` and teach
`tools.location_in` to make a location for it (a database of its own per test); tests that
look at the database file itself live in the backend's own `test_<backend>_file.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.tools import location_in

BACKENDS = ("json", "sqlite")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(tmp_path: Path, backend: str) -> str:
    """A database of this backend that does not exist yet."""
    return location_in(tmp_path, backend)
