"""`--verbose`: what the library logs (`mentionscan.http`: each request; `mentionscan.sources`:
each site search as asked) said on stderr, through the same console as every other line."""

from __future__ import annotations

import logging
from collections.abc import Callable


class _Say(logging.Handler):
    def __init__(self, say: Callable[[str, str], None]) -> None:
        super().__init__()
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        self.say(record.getMessage(), "dim")


def say_logged(on: bool, say: Callable[[str, str], None]) -> None:
    """Send mentionscan's debug log to `say` (on), or nowhere (off): one command's choice."""
    logger = logging.getLogger("mentionscan")
    for handler in [h for h in logger.handlers if isinstance(h, _Say)]:
        logger.removeHandler(handler)
    logger.setLevel(logging.DEBUG if on else logging.NOTSET)
    logger.propagate = not on  # said once, here, whatever the root logger does
    if on:
        logger.addHandler(_Say(say))
