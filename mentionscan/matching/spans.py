"""From occurrences found in an entry's fold back to `Span`s: offsets into the original text."""

from __future__ import annotations

from collections.abc import Iterator

from mentionscan.matching.parts import FIELD_NAMES, FIELD_RANK, LINK, TAG, TAG_LIST, URL, Occurrence
from mentionscan.matching.records import Document, Span
from mentionscan.text import fold


class Spans:
    """Turns the occurrences found in one document into Spans, mapping offsets back lazily."""

    def __init__(self, doc: Document, found: dict[int, list[Occurrence]]) -> None:
        self.doc, self.found = doc, found
        self.maps: dict[tuple[int, int], list[int] | None] = {}  # field -> its fold_offsets

    def of(self, written: Iterator[tuple[int, str]]) -> tuple[Span, ...]:
        """The spans of these (term id, term as written), by field then position."""
        spans = sorted(
            (FIELD_RANK[field], tag_index, *self._original(field, tag_index, start, end), term, field)
            for tid, term in written
            for field, tag_index, start, end in self.found[tid]
        )
        return tuple(Span(FIELD_NAMES[f], start, end, term, i) for _, i, start, end, term, f in spans)

    def _original(self, field: int, tag_index: int, start: int, end: int) -> tuple[int, int]:
        if field in (URL, TAG_LIST, LINK):
            return start, end
        key = (field, tag_index)
        if key not in self.maps:
            doc = self.doc
            text = doc.tags[tag_index] if field == TAG else (doc.title, doc.text, "", doc.author)[field]
            self.maps[key] = None if text.isascii() else fold_offsets(text)
        where = self.maps[key]
        if where is None:
            return start, end
        # an end inside a character that folds to several (½ -> 1⁄2) takes the whole character
        return where[start], where[end] + (where[end] == where[end - 1])


def non_ascii_runs(text: str, raw: bytes) -> Iterator[tuple[int, int]]:
    """Where the runs of non-ASCII characters are; `raw` is `text` encoded to ASCII with "?" for them."""
    # bytes.find skips ASCII at C speed, where a regex tries each position (~25 µs per 800 chars)
    at = raw.find(b"?")
    while at >= 0:
        if text[at] == "?":
            at = raw.find(b"?", at + 1)
            continue
        end = at + 1
        while end < len(text) and text[end] >= "\x80":
            end += 1
        yield at, end
        at = raw.find(b"?", end)


def fold_offsets(text: str) -> list[int]:
    """For each index into fold(text), the index of the character it came from; then len(text)."""
    where: list[int] = []
    at = 0
    for start, end in non_ascii_runs(text, text.encode("ascii", "replace")):
        where.extend(range(at, start))
        for i in range(start, end):
            where.extend([i] * len(fold(text[i])))
        at = end
    where.extend(range(at, len(text) + 1))
    return where
