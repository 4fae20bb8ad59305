"""Subscription lists (OPML) in and out of the config: `import-sources` and `export-sources`.

listparser reads the OPML (every version, the malformed files other readers export, nested
folders as categories, `type="include"` lists skipped); tomlkit writes the new `[[sources]]`
tables, added after the config's last line, so that the user's comments, order and layout stay
as they were. The new text is checked as a config before it replaces the old one, atomically, with
the old one kept beside it as `<config>.bak`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

from mentionscan.atomic import write_atomically
from mentionscan.config.load import parse_config
from mentionscan.config.model import Config
from mentionscan.errors import ConfigError
from mentionscan.text import one_line
from mentionscan.urls import canonical_url, host_of, is_http_url

_NOT_NAME = re.compile(r"[^a-z0-9._-]+")
MAX_NAME = 40  # characters of a feed's title kept in its source name
# Latin letters that do not decompose into an ASCII letter and a mark
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
GROUP_SEP = "/"  # between the folders of a nested group: "News/Tech"


@dataclass(slots=True)
class Imported:
    """What an import added (name, url, group) and skipped (url, why), and where it wrote."""

    path: Path
    added: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    backup: Path | None = None  # None: nothing was written (a dry run, or nothing new)


def import_opml(config: Config, opml: Path, *, dry_run: bool = False) -> Imported:
    """Add each feed of the OPML file `opml` to the config file as a `feed` source."""
    feeds = _read_opml(opml)
    path = config.path
    text = path.read_text(encoding="utf-8")  # load_config has read it: it is UTF-8 TOML
    result = Imported(path)
    names = {spec.name for spec in config.sources}
    known = {canonical_url(str(s.get("url"))) for s in config.sources if s.type == "feed" and s.get("url")}
    for title, url, group in feeds:
        if not is_http_url(url):
            result.skipped.append((url, "not an http:// or https:// URL"))
            continue
        if canonical_url(url) in known:
            result.skipped.append((url, "already configured"))
            continue
        known.add(canonical_url(url))
        name = _unique(_name_of(title) or _name_of(host_of(url)) or "feed", names)
        names.add(name)
        result.added.append((name, url, group))
    if dry_run or not result.added:
        return result
    new_text = _with_sources(text, result.added, opml.name)
    parse_config(tomllib.loads(new_text), path)  # what is written is a config that loads
    backup = path.with_name(path.name + ".bak")
    write_atomically(backup, [text.encode("utf-8")], what=str(backup), error=ConfigError)
    write_atomically(path, [new_text.encode("utf-8")], what=str(path), error=ConfigError)
    result.backup = backup
    return result


def export_opml(config: Config, out: TextIO) -> int:
    """Write the config's feed sources to `out` as OPML 2.0, in folders by `group`; how many."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "mentionscan feeds"
    body = ElementTree.SubElement(root, "body")
    folders: dict[tuple[str, ...], ElementTree.Element] = {(): body}
    feeds = [s for s in config.sources if s.type == "feed"]
    for spec in feeds:
        path = tuple(p for p in str(spec.get("group") or "").split(GROUP_SEP) if p.strip())
        for depth in range(1, len(path) + 1):
            if path[:depth] not in folders:
                parent = folders[path[: depth - 1]]
                folders[path[:depth]] = ElementTree.SubElement(parent, "outline", text=path[depth - 1])
        attributes = {"type": "rss", "text": spec.name, "title": spec.name, "xmlUrl": str(spec.get("url"))}
        ElementTree.SubElement(folders[path], "outline", attributes)
    ElementTree.indent(root)
    out.write(
        '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
    )
    return len(feeds)


def _read_opml(opml: Path) -> list[tuple[str, str, str]]:
    """(title, url, group) of each feed in the file, in document order."""
    import listparser

    try:
        raw = opml.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {opml}: {exc.strerror}") from None
    parsed: Any = listparser.parse(raw)
    if not parsed.feeds:
        if parsed.get("version"):
            raise ConfigError(f"{opml}: this OPML list holds no feeds (no outline with an xmlUrl)")
        problem = parsed.get("bozo_exception")
        reason = f" ({one_line(problem)[:120]})" if problem else ""
        raise ConfigError(f"{opml}: not an OPML subscription list{reason}")
    found = []
    for feed in parsed.feeds:
        url = one_line(feed.get("url"))
        categories = feed.get("categories") or [[]]
        group = GROUP_SEP.join(one_line(c).replace(GROUP_SEP, "-") for c in categories[0] if one_line(c))
        found.append((one_line(feed.get("title")), url, group))
    return found


def _name_of(title: str) -> str:
    """A source name from a feed's title: `Archæology & Café` is `archaeology-cafe`."""
    letters = unicodedata.normalize("NFKD", title.lower().translate(_LETTERS))
    ascii_title = letters.encode("ascii", "ignore").decode()
    return _NOT_NAME.sub("-", ascii_title).strip("-._")[:MAX_NAME].strip("-._")


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... if it is taken."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def _with_sources(text: str, added: list[tuple[str, str, str]], origin: str) -> str:
    """`text` as it was, then a `[[sources]]` table for each (name, url, group), written by tomlkit.

    Appending leaves every byte the user wrote where it was (tomlkit inserting into the array
    would carry a comment that follows the last table off with the new ones); TOML takes the
    tables of one array in separate places.
    """
    import tomlkit

    tables = tomlkit.aot()
    for name, url, group in added:
        table = tomlkit.table()
        table.update({"name": name, "type": "feed", "url": url})
        if group:
            table["group"] = group
        tables.append(table)
    block = tomlkit.document()
    block.add(tomlkit.comment(f"Imported from {origin} by `mentionscan import-sources`"))
    block.append("sources", tables)
    return text.rstrip("\n") + "\n\n" + tomlkit.dumps(block).lstrip("\n")
