"""The store's contract suite runs each test once per backend.

To hold a new backend (PostgreSQL, say) to the contract: add its name to `BACKENDS` and teach
`tools.location_in` to make a location for it, a database of its own per test. Everything in
test_records, test_unit_of_work, test_queries, test_queries_reference and test_old_databases
then runs against it (the last for each older schema in `OLD_WRITERS`).
test_files holds what only a backend in one local file promises (folders, bytes, permissions),
and each backend's own file format is tested in its `test_<backend>_file.py`.
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
