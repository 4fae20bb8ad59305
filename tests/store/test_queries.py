"""What `mentions`, `count` and `authors` answer: each `MentionFilter` field, together, limited, ordered.

Every case runs on every backend, on the saved database and with changes not saved yet.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentionscan.errors import ConfigError
from mentionscan.models import Event
from mentionscan.store import MentionFilter, Order, open_store
from mentionscan.store.interface import words_of
from mentionscan.text import fold
from tests.store.corpus import DUE, NEWEST, D, H, corpus, ids
from tests.store.tools import T0, make, store_all

FIELDS = {
    "every mention": (MentionFilter(), NEWEST),
    "ids": (MentionFilter(ids=("m000003", "m000001", "nope")), [3, 1]),
    "one status": (MentionFilter(statuses=("new",)), [6, 5, 1]),
    "two statuses": (MentionFilter(statuses=("todo", "contacted")), [3, 2]),
    "a query": (MentionFilter(queries=("acme",)), [2, 6, 5, 1, 4]),
    "a query is matched whole": (MentionFilter(queries=("widget",)), [3, 2]),
    "a query with a space": (MentionFilter(queries=("widget 2",)), [7]),
    "a source": (MentionFilter(sources=("hn",)), [8, 2]),
    "found since (inclusive)": (MentionFilter(found_since=T0 + H), [8, 7, 3, 2]),
    "found before (exclusive)": (MentionFilter(found_before=T0), [4]),
    "published since, else found": (MentionFilter(published_since=T0 + H), [8, 7, 3, 2, 6, 5]),
    "published before": (MentionFilter(published_before=T0 + H), [1, 4]),
    "a second before": (MentionFilter(published_before=T0 + H + H / 3600), [2, 6, 5, 1, 4]),
    "due before": (MentionFilter(due_before=T0 + 2 * D), [3, 4]),
    "an author": (MentionFilter(author_keys=("author:zoe unicode",)), [3, 1]),
    "a site for want of an author": (MentionFilter(author_keys=("site:forum.example.org",)), [2]),
    "undigested": (MentionFilter(undigested=True), [8, 7, 3, 6, 5, 1]),
    "a word with accents folded": (MentionFilter(words=("strasse",)), [1]),
    "a word from the text, upper case": (MentionFilter(words=("angstrom",)), [2]),
    "a word's start": (MentionFilter(words=("widget",)), [3, 2, 1]),
    "not inside a word": (MentionFilter(words=("idget",)), []),
    "every word": (MentionFilter(words=("acme", "review")), [1]),
    "every word, in one mention": (MentionFilter(words=("acme", "tips")), []),
    "words never span fields": (MentionFilter(words=("review", "strasse")), [1]),
    "an empty word: any word at all": (MentionFilter(words=("",)), [7, 3, 2, 6, 5, 1, 4]),
    "a word not folded matches nothing": (MentionFilter(words=("Widget",)), []),
    "an accent not folded matches nothing": (MentionFilter(words=("café",)), []),
    "a word with a space matches nothing": (MentionFilter(words=("acme widgets",)), []),
    "an author's name": (MentionFilter(words=("zoe",)), [3, 1]),
    "an author's address": (MentionFilter(words=("help",)), [2]),
    "a note": (MentionFilter(words=("callback",)), [5]),
    "a contact found": (MentionFilter(words=("ops", "corp")), [6]),
    "a draft is not searched": (MentionFilter(words=("hello",)), []),
    "a note and the title": (MentionFilter(words=("friday", "same")), [5]),
}
COMBINED = {
    "status, query and time": (
        MentionFilter(statuses=("new", "todo"), queries=("acme",), published_since=T0),
        [2, 6, 5],
    ),
    "and words": (
        MentionFilter(statuses=("new", "todo"), queries=("acme",), published_since=T0, words=("same",)),
        [6, 5],
    ),
    "a range": (MentionFilter(found_since=T0, found_before=T0 + 2 * H), [2, 6, 5, 1]),
    "nothing in common": (MentionFilter(sources=("hn",), statuses=("new",)), []),
    "author and due": (MentionFilter(author_keys=("author:writer",), due_before=T0 + 3 * D), [7, 4]),
}
ORDERS = {
    "newest first": (MentionFilter(order=Order.NEWEST), NEWEST),
    "due first, none last": (MentionFilter(order=Order.DUE), DUE),
    "as stored": (MentionFilter(order=Order.STORED), [1, 2, 3, 4, 5, 6, 7, 8]),
    "limit after the order": (MentionFilter(limit=3), NEWEST[:3]),
    "limit, due": (MentionFilter(order=Order.DUE, limit=2), DUE[:2]),
    "limit, stored": (MentionFilter(order=Order.STORED, limit=2), [1, 2]),
    "limit after the filter": (MentionFilter(queries=("acme",), limit=2), [2, 6]),
    "limit beyond the answer": (MentionFilter(sources=("hn",), limit=10), [8, 2]),
    "filtered, by due date": (MentionFilter(due_before=T0 + 3 * D, order=Order.DUE), [4, 3, 2, 7]),
}
CASES = {**FIELDS, **COMBINED, **ORDERS}


@pytest.fixture(params=["saved", "unsaved"])
def filled(request, location):
    """The corpus in a store: saved and read back, or put in a store and not saved yet."""
    if request.param == "saved":
        store_all(location, corpus())
        with open_store(location, write=False) as store:
            yield store
    else:
        with open_store(location) as store:
            for mention in corpus():
                store.put(mention)
            yield store


@pytest.mark.parametrize(("selection", "expected"), CASES.values(), ids=CASES.keys())
def test_mentions_picks_orders_and_limits(filled, selection, expected):
    assert [m.id for m in filled.mentions(selection)] == ids(expected)


@pytest.mark.parametrize(("selection", "expected"), FIELDS.values(), ids=FIELDS.keys())
def test_count_counts_what_mentions_picks(filled, selection, expected):
    assert filled.count(selection) == len(expected)
    assert filled.count(replace(selection, limit=1)) == len(expected)  # the limit is ignored


def test_without_a_filter_every_mention_in_stored_order(filled):
    assert [m.id for m in filled.mentions()] == ids([1, 2, 3, 4, 5, 6, 7, 8])
    assert filled.count() == 8
    assert list(filled.mentions()) == corpus()  # read back whole


def test_authors_counts_mentions_and_finds_the_last_contact(filled):
    keys = ["author:zoe unicode", "author:writer", "site:forum.example.org", "author:nobody"]
    found = filled.authors(iter(keys))
    assert list(found) == keys
    assert {k: (s.key, s.mentions, s.last_contacted) for k, s in found.items()} == {
        "author:zoe unicode": ("author:zoe unicode", 2, T0 + 5 * H),  # Zoë Ünïcode and zoe  unicode
        "author:writer": ("author:writer", 2, T0 + 6 * H),  # a draft at T0-1d, contacted at T0+6h
        "site:forum.example.org": ("site:forum.example.org", 1, None),
        "author:nobody": ("author:nobody", 0, None),
    }
    assert filled.authors([]) == {}


def test_words_as_a_user_types_them(filled):
    def search(text: str) -> list[str]:
        return [m.id for m in filled.mentions(MentionFilter(words=tuple(words_of(text))))]

    assert search("STRASSE Café") == ids([1])
    assert search("straße") == ids([1])
    assert search("Ångström") == ids([2])
    assert search("ZOË") == ids([3, 1])  # the author's name, folded
    assert search("Promised callback") == ids([5])  # a note
    assert search("wid") == ids([3, 2, 1])


def test_values_no_mention_can_hold_match_nothing(filled):
    assert list(filled.mentions(MentionFilter(sources=("\ud800",)))) == []
    assert list(filled.mentions(MentionFilter(words=("\ud800",)))) == []
    assert filled.count(MentionFilter(author_keys=("\udfff",))) == 0
    assert filled.authors(["\ud800"])["\ud800"].mentions == 0


def test_long_lists_of_values(filled):
    many = (*(f"source{n}" for n in range(200)), "reddit")
    assert [m.id for m in filled.mentions(MentionFilter(sources=many))] == ids([3])
    every = (*(m.id for m in corpus()), *(f"x{n}" for n in range(100)))
    assert filled.count(MentionFilter(ids=every)) == 8


def test_a_wrong_filter_is_refused_before_any_query():
    with pytest.raises(ConfigError, match="unknown status 'done'"):
        MentionFilter(statuses=("done",))
    with pytest.raises(ConfigError, match="--limit must be 1 or more"):
        MentionFilter(limit=0)


# The overlay: unsaved puts are part of every answer


def changes():
    mentions = {m.id: m for m in corpus()}
    return [
        replace(mentions["m000003"], status="resolved"),  # no longer contacted
        replace(mentions["m000001"], author="Someone Else"),  # zoe unicode keeps one mention
        mentions["m000007"].with_event("status", "contacted", at=T0 + 9 * H),  # writer contacted later
        replace(mentions["m000004"], published=T0 + 8 * H),  # moves up, stays in its stored place
        make(9, title="Brand new", snippet="", published=T0 + 10 * H, found_at=T0 + 10 * H,
             author="Writer", queries=("acme",)),
    ]  # fmt: skip


def check_changed(store) -> None:
    newest = [m.id for m in store.mentions(MentionFilter(limit=3))]
    assert newest == ids([9, 4, 8])
    assert [m.id for m in store.mentions()] == ids([1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert [m.id for m in store.mentions(MentionFilter(statuses=("contacted",)))] == []
    assert [m.id for m in store.mentions(MentionFilter(statuses=("resolved",)))] == ids([8, 3])
    assert [m.id for m in store.mentions(MentionFilter(words=("brand",)))] == ids([9])
    assert store.count() == 9
    assert store.count(MentionFilter(queries=("acme",))) == 6
    assert store.count(MentionFilter(author_keys=("author:zoe unicode",))) == 1
    found = store.authors(["author:zoe unicode", "author:someone else", "author:writer"])
    assert [(s.mentions, s.last_contacted) for s in found.values()] == [
        (1, T0 + 5 * H),
        (1, None),
        (3, T0 + 9 * H),
    ]
    assert store.get("m000003").status == "resolved"


@pytest.mark.parametrize("write", [True, False])
def test_unsaved_puts_are_seen_by_every_query(location, write):
    store_all(location, corpus())
    with open_store(location, write=write) as store:
        for mention in changes():
            store.put(mention)
        check_changed(store)
        if write:
            store.save()
    if write:
        with open_store(location, write=False) as store:
            check_changed(store)  # and the same once saved


def test_a_mention_put_twice_is_answered_as_last_put(location):
    store_all(location, corpus())
    with open_store(location) as store:
        first = replace(corpus()[0], status="todo", queries=("other",))
        store.put(first)
        store.put(replace(first, status="ignored"))
        assert [m.id for m in store.mentions(MentionFilter(statuses=("ignored",)))] == ids([1, 4])
        assert store.count(MentionFilter(statuses=("todo",))) == 1  # m000002 only
        assert store.count(MentionFilter(queries=("other",))) == 1
        assert store.count(MentionFilter(queries=("acme",))) == 4


def test_iterating_while_putting_sees_each_mention_once(location):
    store_all(location, corpus())
    with open_store(location) as store:
        seen = []
        for mention in store.mentions(MentionFilter(statuses=("new",))):
            seen.append(mention.id)
            store.put(replace(mention, status="todo"))
        assert seen == ids([6, 5, 1])
        store.save()
        assert store.count(MentionFilter(statuses=("todo",))) == 4


def test_a_mention_changed_since_iteration_began_is_read_as_it_was_then(location):
    # An iterator answers as of its first step; later puts show in the next query.
    store_all(location, corpus())
    with open_store(location) as store:
        answer = store.mentions(MentionFilter(order=Order.STORED))
        first = next(answer)
        store.put(replace(corpus()[1], title="changed"))
        assert [m.title for m in store.mentions(MentionFilter(ids=("m000002",)))] == ["changed"]
        assert first.id == "m000001"
        assert len([first, *answer]) == 8


def test_times_compare_to_the_microsecond(location):
    store_all(location, [make(1, found_at=T0)])
    with open_store(location, write=False) as store:
        just_after = T0 + H / 3_600_000_000
        assert store.count(MentionFilter(found_since=just_after)) == 0
        assert store.count(MentionFilter(found_before=just_after)) == 1
        assert store.count(MentionFilter(found_since=T0)) == 1


def test_a_contact_logged_as_a_draft_counts(location):
    mention = make(1, author="Ann", timeline=(Event(T0, "draft", "hi"), Event(T0 + H, "note", "x")))
    store_all(location, [mention])
    with open_store(location, write=False) as store:
        assert store.authors(["author:ann"])["author:ann"].last_contacted == T0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_words_are_the_folded_runs_of_letters_and_digits(text):
    assert words_of(text) == re.findall(r"[^\W_]+", fold(text))


def test_words_fold_case_accents_and_ligatures():
    assert words_of("Ácme ﬁx-Straße, a_b 2.0 日本語") == [
        "acme",
        "fix",
        "strasse",
        "a",
        "b",
        "2",
        "0",
        "日本語",
    ]
    assert words_of("") == []
    assert words_of("--- !!") == []
