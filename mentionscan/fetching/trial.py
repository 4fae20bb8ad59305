"""`test-query --fetch`: a fetch into a scratch database, to see what a query would find."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mentionscan.config.model import Config, QuerySpec
from mentionscan.fetching.run import RunResult, run_fetch
from mentionscan.matching.explain import TEST_QUERY, Trial, try_query
from mentionscan.store import open_store
from mentionscan.store.interface import Store


def trial_fetch(
    config: Config, store: Store, expression: str, sources: Sequence[str] = ()
) -> tuple[list[Trial], RunResult]:
    """Fetch `config`'s sources (or those named) for `expression` alone, storing nothing; each
    match says whether `store` holds it already."""
    trial = replace(config, queries=(QuerySpec(TEST_QUERY, expression),))
    # A scratch database: every entry is seen whole (no conditional GET, no skipped source).
    with (
        tempfile.TemporaryDirectory(prefix="mentionscan-test-query-") as scratch,
        open_store(Path(scratch) / "scratch.json", write=False) as empty,
    ):
        result = run_fetch(trial, empty, dry_run=True, only=sources or None)
    found = dict((m.id, ev) for m, ev in try_query(expression, result.new))
    trials = [
        Trial(m, found[m.id], store.find_by_keys(m.keys) is not None) for m in result.new if m.id in found
    ]
    return trials, result
