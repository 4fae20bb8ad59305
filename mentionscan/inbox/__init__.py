"""`mentionscan inbox`: one full-screen view to read, decide and answer the morning's mentions.

`keys.py` is the key table (the footer, `?` help and the README show it), `session.py` what
each key does, through the `Workspace` only, `detail.py` how one mention is drawn, `app.py` the
Textual application and `dialogs.py` its small screens. Textual is imported only here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mentionscan.timeutil import utcnow

if TYPE_CHECKING:
    from mentionscan.inbox.app import Inbox
    from mentionscan.store.interface import MentionFilter
    from mentionscan.workspace import Workspace


def start(workspace: Workspace, selection: MentionFilter, *, now: Callable[[], datetime] = utcnow) -> Inbox:
    """The inbox over `selection` (not running yet), its first page already being read."""
    from mentionscan.inbox import collector
    from mentionscan.inbox.session import Session

    collector.pause()  # until the list is on the screen (the app resumes it)
    try:
        session = Session(workspace, selection)
        session.read_ahead()
        from mentionscan.inbox.app import Inbox  # Textual: imported while the first page is read

        return Inbox(session, now=now)
    except BaseException:
        collector.resume()
        raise
