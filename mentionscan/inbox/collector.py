"""Python's garbage collector while the inbox starts: off from the command until the list is shown.

Each collection in that second walks the objects just imported (Textual, rich, the CLI): 0.05
to 0.1 s of the start-up in all. What start-up makes stays, and the little it drops waits a second.
"""

from __future__ import annotations

import gc

_paused = False  # by `pause`, not yet resumed


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """On again, if `pause` turned it off, with what start-up made frozen: no collection walks it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
