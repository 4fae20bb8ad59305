"""Languages for `lang:` queries: language tags as written (`en`, `pt-BR`), and detection.

An entry's language is the one its feed or site declares (`<language>`, `xml:lang`, a status's
`language`), else the one py3langid detects in its title and text. py3langid (a fork of
langid.py) ships its model in the wheel, works offline, and was the more accurate of the two
small detectors we tried on short posts in many languages (lingua's low-accuracy mode took
Spanish for Portuguese and Dutch for Afrikaans), six times faster per entry and a twentieth of
the size. Its model takes about two seconds to load, so it is loaded on the first entry that
needs it, and only entries a `lang:` query is about to accept are ever detected.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_DETECT_CHARS = 240  # the title and the start of the text tell a language (py3langid: ~1 ms per 300)
_UNKNOWN = frozenset({"zxx", "und", "mul", "xx"})  # "no linguistic content", "undetermined", ...
_lock = threading.Lock()
_identifier: Any = None


def language_tag(value: object) -> str:
    """`value` as a BCP 47 language tag in its usual case (`pt-BR`, `zh-Hant`), or "" if it is none."""
    return _language_tag(value) if value and isinstance(value, str) else ""


@functools.lru_cache(maxsize=256)  # every entry of a feed says the same language, or none
def _language_tag(value: str) -> str:
    written = value.strip()
    if not _TAG.match(written):
        return ""
    first, *rest = re.split(r"[-_]", written)
    if first.lower() in _UNKNOWN:
        return ""
    parts = [first.lower()]
    for part in rest:
        parts.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(parts)


def same_language(wanted: str, actual: str) -> bool:
    """Whether an entry in `actual` is in `wanted`: `en` takes en-GB, `pt-BR` takes pt-BR only."""
    want, have = wanted.lower().split("-"), actual.lower().split("-")
    return bool(actual) and have[: len(want)] == want


def detect(text: str) -> str:
    """The language `text` is most likely in (a tag like `de`), or "" when it cannot tell."""
    global _identifier
    if not text.strip():
        return ""
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    code, _score = _identifier.classify(text[:_DETECT_CHARS])
    return language_tag(code)
