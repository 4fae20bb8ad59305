"""An entry's text folded once, and in its boundary form, where every character that is not a letter or
digit, or is one of a script written without spaces (`parts.UNSPACED`), is a space (same length as
the fold, so offsets carry over)."""

from __future__ import annotations

import functools
import re

from mentionscan.matching.parts import SEP, UNSPACED
from mentionscan.text import fold


# `re`'s \w is exactly str.isalnum() plus "_"; the letters of unspaced scripts are boundaries too.
# Compiled when first needed (they take 10 ms): only text that is not ASCII needs them.
@functools.cache
def _not_alnum() -> re.Pattern[str]:
    return re.compile(f"[\\W_{UNSPACED}]")


@functools.cache
def _not_alnum_or_sep() -> re.Pattern[str]:
    return re.compile(f"[^\\w\\x1f]|[_{UNSPACED}]")


# bytes.translate table to the boundary form: letters lowered, digits and SEP kept, the rest a space
# (including the "?" that stands in for each non-ASCII character, which is handled apart)
_BOUNDARY = bytes(
    ord(chr(b).lower()) if (chr(b).isalnum() and b < 128) or chr(b) == SEP else 0x20 for b in range(256)
)
_FEW_NON_ASCII = 64  # beyond this many non-ASCII characters, folding the whole text at once is faster
_RUN_CACHE_LIMIT = 50_000


class Folder:
    """Folds texts, keeping the fold of short non-ASCII runs (quotes, dashes, accents) for reuse."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[str, str]] = {}

    def prepare(self, text: str) -> tuple[str, str]:
        """The fold of `text` and its boundary form (" " + fold with non-alnum as spaces + " ")."""
        raw = text.encode("ascii", "replace")  # one byte per character: offsets line up
        if text.isascii():
            return text.lower(), " " + raw.translate(_BOUNDARY).decode("ascii") + " "
        if raw.count(b"?") - text.count("?") > _FEW_NON_ASCII:
            whole = fold(text)
            return whole, " " + _not_alnum_or_sep().sub(" ", whole) + " "
        # Most text is ASCII with a few quotes, dashes and accents: fold only those runs (the fold
        # works character by character, so the pieces add up). bytes.find skips the ASCII at C speed.
        lower, blank = raw.lower().decode("ascii"), raw.translate(_BOUNDARY).decode("ascii")
        folded: list[str] = []
        scan, at, runs = [" "], 0, self._runs
        start = raw.find(b"?")
        while start >= 0:
            end = start + 1
            if text[start] != "?":
                while end < len(text) and text[end] > "\x7f":
                    end += 1
                run = text[start:end]
                run_folded, run_scan = runs.get(run) or self.fold_run(run)
                folded += (lower[at:start], run_folded)
                scan += (blank[at:start], run_scan)
                at = end
            start = raw.find(b"?", end)
        folded.append(lower[at:])
        scan += (blank[at:], " ")
        return "".join(folded), "".join(scan)

    def fold_run(self, run: str) -> tuple[str, str]:
        cached = self._runs.get(run)
        if cached is None:
            run_folded = fold(run)
            cached = (run_folded, _not_alnum().sub(" ", run_folded))
            if len(run) <= 4:  # short runs repeat (quotes, dashes, accents); long ones rarely do
                if len(self._runs) >= _RUN_CACHE_LIMIT:
                    self._runs.clear()
                self._runs[run] = cached
        return cached
