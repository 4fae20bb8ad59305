"""`mentionscan demo`: sample feeds served on 127.0.0.1, a temporary config, a real fetch."""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path

from mentionscan.errors import ConfigError, MentionscanError, reason
from mentionscan.timeutil import to_iso, utcnow
from mentionscan.workspace import Workspace

FEEDS = {
    "blog.rss": "application/rss+xml",
    "questions.atom": "application/atom+xml",
    "social.json": "application/feed+json",
}
_PLACEHOLDER = re.compile(r"@@(RFC822|ISO)\((\d+)\)@@")

CONFIG = """\
# Written by `mentionscan demo`: three sample feeds on this machine.
[settings]
database = "mentions.json"

[[queries]]
name = "quillpad"
match = 'quillpad OR "quill pad" -"quillpad careers" -title:calligraphy'

[[queries]]
name = "quillpad-support"
match = "tag:quillpadhelp"

[[sources]]
name = "small-tools-blog"
type = "feed"
url = "{base}/blog.rss"

[[sources]]
name = "questions"
type = "feed"
url = "{base}/questions.atom"

[[sources]]
name = "social"
type = "feed"
url = "{base}/social.json"
"""


def render(name: str) -> bytes:
    """A sample feed with its dates set relative to now, so they are always recent."""
    text = files("mentionscan").joinpath(f"data/demo/{name}").read_text(encoding="utf-8")
    now = utcnow()

    def date(match: re.Match[str]) -> str:
        when = now - timedelta(hours=int(match.group(2)))
        return format_datetime(when, usegmt=True) if match.group(1) == "RFC822" else to_iso(when) or ""

    return _PLACEHOLDER.sub(date, text).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.lstrip("/").split("?")[0]
        if name not in FEEDS:
            self.send_error(404)
            return
        body = render(name)
        self.send_response(200)
        self.send_header("Content-Type", f"{FEEDS[name]}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's output is the fetch, not an access log


@contextmanager
def serve() -> Iterator[str]:
    """Serve the sample feeds from a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def check_keep(folder: Path) -> None:
    """ConfigError unless `folder` can take the demo's config and database without replacing anything.

    As `init`, the demo never writes over a config or adds its samples to a real database.
    """
    if folder.is_file() or (not folder.exists() and folder.suffix in (".toml", ".json", ".db")):
        raise ConfigError(
            f"--keep takes a folder for the demo's config.toml and mentions.json, and {folder} "
            "is a file name: give a folder, like --keep ~/mentionscan-demo"
        )
    for name in ("config.toml", "mentions.json"):
        if (folder / name).exists():
            raise ConfigError(
                f"{folder / name} already exists; it was left as it is (--keep needs a new or empty folder)"
            )


@contextmanager
def demo_environment(keep: Path | None = None) -> Iterator[Workspace]:
    """A running sample server and a config pointing at it; yields the workspace."""
    if keep is not None:
        keep = keep.expanduser()
        check_keep(keep)
    with serve() as base, tempfile.TemporaryDirectory(prefix="mentionscan-demo-") as scratch:
        folder = keep or Path(scratch)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "config.toml"
            # O_EXCL: a config that appeared since the check is not replaced either.
            with path.open("x", encoding="utf-8") as out:
                out.write(CONFIG.format(base=base))
        except FileExistsError:
            raise ConfigError(f"{folder / 'config.toml'} already exists; it was left as it is") from None
        except OSError as error:
            raise MentionscanError(f"cannot write the demo's config in {folder}: {reason(error)}") from None
        yield Workspace.open(path)
