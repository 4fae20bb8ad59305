"""Secrets never shown: every token, key and password read from the environment is masked in
every message, in whatever encoding it appears (as typed, percent-encoded in upper or lower
case, `+` for a space, HTML-escaped).

A Stack Exchange key such as `U4DMV*8nvpm3EOpvf69Rxw((` goes out as `U4DMV%2A8nvpm3EOpvf69Rxw%28%28`
in a URL, and an error line quoting that URL must not give it away: masking only the key as
typed would. `remember` is called wherever a secret is read (`config.model.require_env`);
`mask` by every error's message (`errors.MentionscanError`) and by what a run stores.
"""

from __future__ import annotations

import html
import re
import threading

MASK = "***"
SHORTEST = 4  # a shorter value would mask ordinary words: no real token or password is that short

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def remember(secret: str | None) -> None:
    """From now on, mask `secret` in every message of this process."""
    global _pattern
    if not secret or len(secret) < SHORTEST:
        return
    with _lock:
        if secret not in _secrets:
            _secrets.add(secret)
            # Longest first, so that a secret inside another is never masked only in part.
            spelled = sorted((_spellings(s) for s in _secrets), key=len, reverse=True)
            _pattern = re.compile("|".join(spelled))


def mask(text: str) -> str:
    """`text` with every spelling of every remembered secret replaced by `***`."""
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None and text else text


def forget_all() -> None:
    """Forget every secret (for tests, and for a long-lived process that changed its config)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def _spellings(secret: str) -> str:
    """A pattern for `secret` with each character as typed, or percent-encoded in either case
    (a space also as `+`): every mix a URL encoder, a server or a log may produce."""
    parts = []
    for char in secret:
        options = [re.escape(char)]
        options.append("".join(f"%(?i:{byte:02x})" for byte in char.encode("utf-8")))
        if char == " ":
            options.append(r"\+")
        if (escaped := html.escape(char)) != char:
            options.append(re.escape(escaped))
        parts.append("(?:" + "|".join(options) + ")")
    return "".join(parts)
