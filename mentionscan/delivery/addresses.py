"""Email addresses as the config gives them (`Name <user@host>` or `user@host`), checked and bare."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.headerregistry import Address

from mentionscan.errors import ConfigError
from mentionscan.text import one_line

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def domain_of(sender: str) -> str:
    """The domain of `sender`, for a Message-ID (localhost when it has none)."""
    address = parse_address(sender)
    return (address.domain if address else "") or "localhost"


def parse_address(text: str) -> Address | None:
    from email.headerregistry import HeaderRegistry

    try:
        header = HeaderRegistry()("From", one_line(text))
    except (ValueError, IndexError):
        return None
    found = getattr(header, "addresses", ())
    return found[0] if found else None


def addresses(values: Iterable[str], where: str = "[email]") -> list[str]:
    """The bare `user@host` of each configured address (`Name <user@host>` or `user@host`)."""
    result = []
    for value in values:
        address = None if _CONTROL.search(value) else parse_address(value)
        if address is None or not address.username or not address.domain:
            raise ConfigError(f"{where}: {value!r} is not one valid email address")
        result.append(address.addr_spec)
    return result
