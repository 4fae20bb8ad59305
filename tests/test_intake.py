"""The run's decisions, without I/O: what an entry is (too old, not a match, new, seen again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mentionscan.fetching.intake import MAX_KEYS, NOT_A_MATCH, TOO_OLD, Candidate, Intake, fresh_id
from mentionscan.matching.matcher import Matcher
from mentionscan.models import Entry

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def intake(max_age_days: int = 14) -> Intake:
    matcher = Matcher([("acme", "acme"), ("widgets", "widgets"), ("support", "tag:acmehelp")])
    return Intake(matcher, ["acme", "widgets", "support"], NOW, max_age_days)


def entry(title: str = "Acme widgets are great", **changes: object) -> Entry:
    values: dict[str, object] = {
        "source": "blog",
        "source_type": "feed",
        "url": "https://blog.example/acme?utm_source=x",
        "title": title,
        "published": NOW - timedelta(days=1),
    }
    values.update(changes)
    return Entry(**values)  # type: ignore[arg-type]


def candidate(seen: Candidate | str) -> Candidate:
    assert isinstance(seen, Candidate), seen
    return seen


def test_an_entry_older_than_max_age_is_too_old_and_without_a_limit_it_is_not() -> None:
    old = entry(published=NOW - timedelta(days=15))
    assert intake(14).screen(old, ["acme"]) == TOO_OLD
    assert candidate(intake(0).screen(old, ["acme"])).queries == ("acme",)


def test_a_date_in_the_future_is_taken_as_now() -> None:
    seen = candidate(intake().screen(entry(published=NOW + timedelta(days=3)), ["acme"]))
    assert seen.published == NOW


def test_only_the_queries_named_for_the_source_are_tried() -> None:
    assert candidate(intake().screen(entry(), ["acme", "widgets"])).queries == ("acme", "widgets")
    assert intake().screen(entry(), ["support"]) == NOT_A_MATCH


def test_control_characters_and_unsafe_links_are_cleaned_before_matching() -> None:
    seen = candidate(intake().screen(entry("Ac\x1b[31mme news", url="javascript:alert(1)"), ["acme"]))
    assert seen.entry.title == "Acme news" and seen.entry.url == ""


def test_a_new_mention_records_where_and_why_it_was_found() -> None:
    run = intake()
    seen = candidate(run.screen(entry(), ["acme", "widgets"]))
    mention = run.mention(seen, "abc123")
    assert (mention.id, mention.status, mention.found_at, mention.queries) == (
        "abc123",
        "new",
        NOW,
        ("acme", "widgets"),
    )
    assert mention.keys == seen.keys and mention.keys[0] == "u:blog.example/acme"
    assert [(e.kind, e.text) for e in mention.timeline] == [("found", "found by blog for acme, widgets")]


def test_a_second_sighting_adds_its_queries_in_config_order_and_logs_them() -> None:
    run = intake()
    stored = run.mention(candidate(run.screen(entry("Widgets"), ["widgets"])), "abc123")
    merged = run.merge(stored, candidate(run.screen(entry("Acme widgets"), ["acme", "widgets"])))
    assert merged is not None
    assert merged.queries == ("acme", "widgets")
    assert merged.timeline[-1].text == "also matched acme"


def test_a_sighting_that_adds_nothing_changes_nothing() -> None:
    run = intake()
    seen = candidate(run.screen(entry(), ["acme"]))
    assert run.merge(run.mention(seen, "abc123"), seen) is None


def test_a_mention_keeps_at_most_max_keys_however_often_its_guid_changes() -> None:
    run = intake()
    stored = run.mention(candidate(run.screen(entry(native_id="g0"), ["acme"])), "abc123")
    for n in range(1, 20):
        merged = run.merge(stored, candidate(run.screen(entry(native_id=f"g{n}"), ["acme"])))
        stored = merged or stored
    assert len(stored.keys) == MAX_KEYS


def test_a_taken_id_is_salted_until_free() -> None:
    first = fresh_id("u:blog.example/a", lambda i: False)
    second = fresh_id("u:blog.example/a", lambda i: i == first)
    assert len(first) == len(second) == 12 and first != second
