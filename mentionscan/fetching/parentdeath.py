"""The parse pool's processes die with the run that started them, however it ends.

A `fetch` killed by SIGKILL or SIGTERM (cron's `timeout`, the OOM killer, a reboot's stop) runs
no cleanup, and multiprocessing's fork server and its workers would stay for good, holding the
run's stderr open: `mentionscan fetch 2>&1 | cat` would never end and cron would never mail its
errors. So each asks the kernel for a signal when its parent dies (Linux: PR_SET_PDEATHSIG),
or, elsewhere, watches its parent from a thread. With them gone, multiprocessing's resource
tracker sees its pipe close and ends too.

The fork server imports this module first (`scheduler.PARSER_MODULES`); `PARENT` in its
environment names the run that started it. Each worker calls `die_with_parent(run)` as it starts.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PARENT = "MENTIONSCAN_PARSE_PARENT"  # the pid of the run that starts the parse pool
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(run: int) -> None:
    """End this process when its parent ends, or now if that parent is already gone.

    Its parent is the fork server this module started in, else the run (pid `run`) itself.
    """
    parent = _server or run
    if sys.platform.startswith("linux"):
        import ctypes  # here: the run imports this module too, and only its workers call this

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
    if os.getppid() != parent:  # it died before we asked: no one would ever tell us now
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# In the fork server of the run named in its environment: from now on it dies with that run.
# The workers it forks inherit `_server`, so each knows its parent is this process.
_server = 0
_run = os.environ.pop(PARENT, "")
if _run.isdigit():
    die_with_parent(int(_run))
    _server = os.getpid()
