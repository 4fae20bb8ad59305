"""The typer app every command module adds itself to; mentionscan's errors become one line."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from mentionscan import __version__
from mentionscan.errors import ExitCode, MentionscanError, interrupt_code


class _Group(TyperGroup):
    """Turns mentionscan's errors into `Error: ...` and its exit code, and a closed pipe into silence."""

    def invoke(self, ctx: Any) -> Any:
        from mentionscan.cli.common import error_line

        try:
            return super().invoke(ctx)
        except MentionscanError as exc:
            if os.environ.get("MENTIONSCAN_TRACEBACK"):
                raise
            error_line(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(int(ExitCode.OK)) from None
        except KeyboardInterrupt as exc:
            # A fetch says what it kept before it re-raises (FetchInterrupted); anything else
            # saves only at its end, which it did not reach.
            if not getattr(exc, "reported", False):
                error_line("interrupted: nothing from this command was saved")
            raise typer.Exit(int(interrupt_code(exc))) from None

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            plain_metavars(command)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Click cuts each command's line to fit ("Set the status of mentions: `mark ID..."):
        # give the whole first sentence, wrapped in its column.
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=300)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


# Typer writes an option's type as its metavar (`<str>`, `<list[str]>`, `<int>`): these say
# what to give instead. An option not named here gets its name in capitals.
METAVARS = {
    "--config": "PATH",
    "--db": "PATH",
    "--output": "PATH",
    "--status": "STATUS",
    "--query": "NAME",
    "--source": "NAME",
    "--name": "NAME",
    "--since": "WHEN",
    "--published-since": "WHEN",
    "--due": "WHEN",
    "--limit": "N",
    "--note": "TEXT",
    "--keep": "DIR",
    "--to": "LOCATION",
    "--from": "LOCATION",
    "--github-api": "URL",
}


def plain_metavars(command: Any) -> None:
    """Give every option of `command` (and of its subcommands) a plain metavar: PATH, NAME, N."""
    for param in command.params:
        if param.param_type_name == "option" and not param.is_flag and not param.metavar:
            long = max(param.opts, key=len)
            param.metavar = METAVARS.get(long, long.lstrip("-").upper().replace("-", "_"))
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)


def silence_stdout() -> None:
    # The reader went away (`| head`): send what is left to /dev/null so that Python's
    # flush at exit does not print a second error.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    cls=_Group,
    name="mentionscan",
    help="Find what the web writes about your product, and follow each mention up.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion: typer's own
    pretty_exceptions_enable=False,
    # Plain help, as click writes it: typer's rich help imports rich's markdown, syntax and
    # traceback modules (pygments, markdown-it, attrs) and doubles `mentionscan --help`'s time.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def command_group(name: str, help: str) -> typer.Typer:
    """A group of subcommands (`mentionscan NAME ...`), with the main app's plain help."""
    group = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(group, name=name)
    return group


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mentionscan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Find what the web writes about your product, and follow each mention up.

    Set-up: `mentionscan init`, edit the config, then `mentionscan fetch` every morning.
    """
