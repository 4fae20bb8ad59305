"""The real command line in a subprocess: a command builds only its own options, and everything
that needs the whole command list (help, a typo, completion) still has it."""

from __future__ import annotations

from pathlib import Path

from mentionscan.store import open_store
from tests.hardening_tools import run_mentionscan
from tests.store.tools import make


def test_a_command_runs_with_its_own_options_and_help(isolated_home: Path) -> None:
    listed = run_mentionscan(
        "list", "--db", str(isolated_home / "m.json"), "--limit", "1", home=isolated_home
    )
    assert listed.returncode == 0, listed.stderr
    assert b"No mentions to show" in listed.stderr
    helped = run_mentionscan("list", "--help", home=isolated_home)
    assert helped.returncode == 0
    assert helped.stdout.startswith(b"Usage: mentionscan list [OPTIONS]")
    group = run_mentionscan("db", "--help", home=isolated_home)
    assert group.returncode == 0
    assert b"migrate" in group.stdout and b"upgrade" in group.stdout


def test_the_help_and_a_typo_see_every_command(isolated_home: Path) -> None:
    helped = run_mentionscan("--help", home=isolated_home)
    assert helped.returncode == 0
    for name in (b"fetch", b"list", b"inbox", b"digest", b"db"):
        assert b"\n  " + name + b" " in helped.stdout
    typo = run_mentionscan("lst", home=isolated_home)
    assert typo.returncode == 2
    assert b"No such command 'lst'. Did you mean 'list'?" in typo.stderr
    option_first = run_mentionscan("--version", home=isolated_home)
    assert option_first.returncode == 0 and option_first.stdout.startswith(b"mentionscan ")


def test_shell_completion_offers_every_command(isolated_home: Path) -> None:
    completed = run_mentionscan(
        "f",
        home=isolated_home,
        env={"_MENTIONSCAN_COMPLETE": "complete_bash", "COMP_WORDS": "mentionscan f", "COMP_CWORD": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    assert sorted(completed.stdout.split()) == [b"fetch", b"followups"]


def test_a_command_ends_with_its_database_closed(isolated_home: Path) -> None:
    """The process leaves its objects to the OS at exit (no collection): whatever must be
    written is written by the command itself, so SQLite's log is folded back, as on any exit."""
    path = isolated_home / "m.db"
    with open_store(f"sqlite:///{path}") as store:
        store.put(make(1))
        store.save()
    marked = run_mentionscan("mark", "m000001", "todo", "--db", f"sqlite:///{path}", home=isolated_home)
    assert marked.returncode == 0, marked.stderr
    assert not [p.name for p in isolated_home.glob("m.db-*")]  # no -wal, no -shm
    with open_store(f"sqlite:///{path}", write=False) as store:
        assert [m.status for m in store.mentions()] == ["todo"]
    missing = run_mentionscan("show", "nope", "--db", f"sqlite:///{path}", home=isolated_home)
    assert missing.returncode == 2 and missing.stderr == b"Error: no mention with id 'nope'\n"
