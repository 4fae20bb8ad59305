"""The first page read ahead: in a forked copy of `mentionscan inbox` (one thread, Linux), else here.

Each case runs in a fresh interpreter, as the command starts: a test process has threads of its
own, and forking is only done without them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.inbox.tools import MENTIONS, write_database

linux = pytest.mark.skipif(sys.platform != "linux", reason="the copy is forked on Linux only")

READ = """
import json, os, sys, threading
from mentionscan.inbox import ahead
from mentionscan.inbox.session import Session
from mentionscan.workspace import Workspace

real = Session._first_page

def spy(session):
    with open(sys.argv[3] + ".readers", "a") as readers:  # which processes read the page
        readers.write(f"{os.getpid()}\\n")
    if sys.argv[2] == "killed" and os.getpid() != parent:
        os._exit(9)  # the copy dies before it sends anything
    return real(session)

Session._first_page = spy
parent = os.getpid()
if sys.argv[2] == "threads":
    threading.Thread(target=threading.Event().wait, daemon=True).start()
ws = Workspace.open(sys.argv[1])
session = Session(ws, ws.filter(status=["new", "todo"]))
page = session.read_ahead()
try:
    result = {"ids": [m.id for m in page.result(timeout=30)]}
except Exception as error:
    result = {"error": f"{type(error).__name__}: {error}"}
with open(sys.argv[3] + ".readers") as readers:
    result["elsewhere"] = [int(pid) != parent for pid in readers]
with open(sys.argv[3], "w") as out:
    json.dump(result, out)
"""


def read_ahead(tmp_path, case: str, *, broken: bool = False) -> dict:
    config = write_database(tmp_path)
    if broken:
        (tmp_path / "mentions.json").write_text("{not json")
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-c", READ, str(config), case, str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(out.read_text())


OPEN = [m.id for m in MENTIONS if m.status in ("new", "todo")]


@linux
def test_the_page_is_read_in_a_forked_copy_and_arrives_whole(tmp_path):
    found = read_ahead(tmp_path, "alone")
    assert found == {"ids": OPEN, "elsewhere": [True]}


def test_a_process_with_other_threads_reads_it_on_a_thread_of_its_own(tmp_path):
    assert read_ahead(tmp_path, "threads") == {"ids": OPEN, "elsewhere": [False]}


@linux
def test_a_copy_that_dies_before_it_sends_the_page_has_it_read_here(tmp_path):
    assert read_ahead(tmp_path, "killed") == {"ids": OPEN, "elsewhere": [True, False]}


@linux
def test_a_database_the_copy_cannot_read_is_reported_here_as_a_read_here_would(tmp_path):
    found = read_ahead(tmp_path, "alone", broken=True)
    assert found["error"].startswith("StoreError: cannot read database ")
    assert "mentions.json: it is not valid JSON" in found["error"]
    assert found["elsewhere"] == [True, False]  # the copy failed: read again here, for the error


def test_a_list_read_whole_is_not_read_ahead(tmp_path):
    from mentionscan.inbox.session import Session
    from mentionscan.workspace import Workspace

    ws = Workspace.open(write_database(tmp_path))
    every = Session(ws, ws.filter())  # every status
    assert every.read_ahead() is None  # no copy forked, no thread started: shown, then read whole
    assert every.first_page() is None
    opened = Session(ws, ws.filter(status=["new", "todo"]))
    page = opened.read_ahead()
    assert page is not None
    assert [m.id for m in page.result(timeout=30)] == OPEN
