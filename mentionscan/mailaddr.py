"""Email addresses: one plain `user@host` from the web, or one configured `Name <user@host>`.

An address from the web (a feed's author, a `mailto:` link) is taken only as a bare address;
one from the config may carry a display name, and is read by the `email` package's own header
parser, the same that later writes the header.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mentionscan.text import one_line

if TYPE_CHECKING:
    from email.headerregistry import Address

_PLAIN = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+\.[^@\s<>()\[\]\\,;:\"]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_address(value: str | None) -> str | None:
    """`value` if it is one plain `local@domain` address, else None."""
    value = (value or "").strip()
    return value if _PLAIN.match(value) else None


def configured_address(text: str) -> Address | None:
    """The one address `text` names (`user@host` or `Name <user@host>`), or None."""
    from email.headerregistry import HeaderRegistry

    if _CONTROL.search(text):
        return None
    try:
        header = HeaderRegistry()("From", one_line(text))
    except (ValueError, IndexError):
        return None
    found: tuple[Address, ...] = getattr(header, "addresses", ())
    if len(found) != 1 or not found[0].username or not found[0].domain:
        return None
    return found[0]


def domain_of(sender: str | None) -> str:
    """The domain for a Message-ID: the sender's, else this machine's name (never a DNS lookup)."""
    import socket

    address = configured_address(sender) if sender else None
    return (address.domain if address else "") or socket.gethostname() or "localhost"
