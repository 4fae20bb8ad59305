"""Any filter on any mentions, saved or not: each backend answers what `MentionFilter`'s reference
meaning (`interface.select`, `accepts`) answers."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentionscan.models import STATUSES, Event, Mention
from mentionscan.store import MentionFilter, Order, open_store
from mentionscan.store.interface import select
from tests.store.conftest import BACKENDS
from tests.store.tools import T0, location_in, make

HOURS = [T0 + timedelta(hours=h) for h in range(-3, 4)]  # few, so that ties are common
WORDS = ["Acme", "acmé", "ÀCME", "widget", "widgets", "Straße", "strasse", "日本語", "x2", "über", ""]
SOURCES = ["blog", "hn", "reddit"]
QUERIES = ["acme", "widget", "acme 2"]
AUTHORS = [None, "Zoë", "zoe", "ZOË  ", "Ann"]

times = st.sampled_from(HOURS)
maybe_times = st.none() | times
texts = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)


@st.composite
def mentions(draw: st.DrawFn, number: int) -> Mention:
    contacted = draw(st.lists(st.tuples(times, st.sampled_from(["draft", "status", "note"])), max_size=2))
    # A note's words are searched, a draft's are not; so are the author's address and contacts.
    events = tuple(
        Event(at, kind, draw(texts) if kind != "status" else "contacted") for at, kind in contacted
    )
    contacts = draw(st.lists(texts.map(lambda value: {"kind": "page", "value": value}), max_size=1))
    return make(
        number,
        title=draw(texts),
        snippet=draw(texts),
        text=draw(texts),
        author=draw(st.sampled_from(AUTHORS)),
        author_email=draw(st.sampled_from([None, "widget@acme.example"])),
        contacts=tuple(contacts),
        url=draw(st.sampled_from(["https://a.example/1", "https://b.example/2"])),
        status=draw(st.sampled_from(STATUSES)),
        source=draw(st.sampled_from(SOURCES)),
        queries=tuple(draw(st.lists(st.sampled_from(QUERIES), max_size=2, unique=True))),
        found_at=draw(times),
        published=draw(maybe_times),
        due=draw(maybe_times),
        digested_at=draw(maybe_times),
        timeline=events,
    )


FIELDS = {
    "statuses": st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3).map(tuple),
    "queries": st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2).map(tuple),
    "sources": st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2).map(tuple),
    "found_since": times,
    "found_before": times,
    "published_since": times,
    "published_before": times,
    "due_before": times,
    "author_keys": st.lists(st.sampled_from(["author:zoe", "author:ann", "site:a.example"]), min_size=1).map(
        tuple
    ),
    "words": st.lists(
        st.sampled_from(["acme", "acm", "widget", "strasse", "日本", "x", "uber", "", "Acme"]),
        min_size=1,
        max_size=2,
    ).map(tuple),
    "undigested": st.just(True),
}


@st.composite
def filters(draw: st.DrawFn) -> MentionFilter:
    """A filter that sets a few fields (most often none or one), so that its answer is seldom empty."""
    chosen = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True))
    values = {name: draw(FIELDS[name]) for name in chosen}
    limit = draw(st.none() | st.integers(1, 4))
    return MentionFilter(**values, limit=limit, order=draw(st.sampled_from(list(Order))))


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Mention], list[Mention]]:
    """Mentions to save, then puts not saved: changes to some of them and new ones."""
    saved = [draw(mentions(n)) for n in range(draw(st.integers(0, 8)))]
    changed = [replace(draw(mentions(int(m.id[1:]))), id=m.id) for m in saved if draw(st.booleans())]
    new = [draw(mentions(n)) for n in range(len(saved), len(saved) + draw(st.integers(0, 3)))]
    return saved, changed + new


def as_stored(saved: list[Mention], unsaved: list[Mention]) -> list[Mention]:
    """Every mention as the store should hold it, in stored order."""
    current = {m.id: m for m in saved}
    current.update((m.id, m) for m in unsaved)
    return list(current.values())


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), selections=st.lists(filters(), min_size=1, max_size=4))
def test_every_backend_answers_as_the_reference(backend, history, selections):
    saved, unsaved = history
    expected = as_stored(saved, unsaved)
    with tempfile.TemporaryDirectory() as folder:
        location = location_in(Path(folder), backend)
        with open_store(location) as store:
            for mention in saved:
                store.put(mention)
            store.save()
            for mention in unsaved:
                store.put(mention)
            for selection in selections:
                assert [m.id for m in store.mentions(selection)] == [
                    m.id for m in select(expected, selection)
                ]
                assert store.count(selection) == len(select(expected, replace(selection, limit=None)))
            keys = ["author:zoe", "author:ann", "site:a.example", "site:b.example"]
            for key, stats in store.authors(keys).items():
                theirs = [m for m in expected if m.author_key == key]
                contacts = [m.last_contacted for m in theirs if m.last_contacted is not None]
                assert (stats.mentions, stats.last_contacted) == (len(theirs), max(contacts, default=None))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), selections=st.lists(filters(), min_size=1, max_size=3))
def test_a_database_opened_afresh_answers_as_the_reference(backend, history, selections):
    # The JSON backend answers a query of a file it has only read (no lookup yet, no save) from
    # the file as read, and one with a limit through views of its documents.
    saved, changed = history
    with tempfile.TemporaryDirectory() as folder:
        location = location_in(Path(folder), backend)
        for batch in (saved, changed):
            with open_store(location) as store:
                for mention in batch:
                    store.put(mention)
                store.save()
        expected = as_stored(saved, changed)
        for selection in selections:
            with open_store(location, write=False) as store:
                assert list(store.mentions(selection)) == select(expected, selection)


@given(mention=mentions(0), published=st.sampled_from([None, "2026-11-23T07:00:00+01:00", 1795000000, "?"]))
def test_a_document_view_reads_every_field_as_its_mention(mention, published):
    from mentionscan.store.docs import DocumentView

    doc = {**mention.to_dict(), "published": published}  # also as other programs write a time
    whole = Mention.from_dict(doc)
    view = DocumentView(Path("db.json"), doc)
    for name in [*Mention.__dataclass_fields__, "author_key", "last_contacted"]:
        assert getattr(view, name) == getattr(whole, name), name
    assert view.mention() == whole


def test_a_document_view_of_a_malformed_mention_says_what_to_mention_does():
    from mentionscan.errors import StoreError
    from mentionscan.store.docs import DocumentView, to_mention

    doc = {**make(1).to_dict(), "published": 5, "queries": 7}
    view = DocumentView(Path("db.json"), doc)
    assert view.published is not None  # epoch seconds, as `parse_time` reads them
    with pytest.raises(StoreError) as whole:
        to_mention(Path("db.json"), doc)
    with pytest.raises(StoreError) as one:
        view.queries  # noqa: B018 - the read is what is tested
    assert str(one.value) == str(whole.value)
    assert "mention 'm000001' is malformed" in str(one.value)
