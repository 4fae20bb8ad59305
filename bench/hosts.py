"""Give every benchmark feed its own host name, all of them 127.0.0.1, without touching DNS.

A real user's 500 feeds are on 500 hosts; our 500 are on one local server. So each feed's URL
names its own host (`feed17.bench.test`), and this module makes `socket.getaddrinfo` answer
127.0.0.1 for those names, and for `localhost` and 127.0.0.1 itself, and refuse every other name
without asking any resolver: no packet can leave for a name server or another address. Each
program under test (mentionscan, rss2email, feed2exec) runs under `python bench/hosts.py
module:function ARGS...`, which installs this and then calls the program's entry point.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
from typing import Any

LOOPBACK = "127.0.0.1"
# Defined here, not imported from feedgen: what runs under this module pays for its imports, and
# feedgen's (random, xml.sax) would count as the program's own start-up.
HOST_SUFFIX = ".bench.test"
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in (LOOPBACK, "localhost") or name.endswith(HOST_SUFFIX):
        return _real_getaddrinfo(LOOPBACK, port, *args, **kwargs)
    raise socket.gaierror(
        socket.EAI_NONAME, f"bench: {name} is not a benchmark host (only 127.0.0.1 is reachable)"
    )


def install() -> None:
    socket.getaddrinfo = _getaddrinfo
    # No proxy may route benchmark traffic anywhere else.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"


def main() -> None:
    install()
    target, args = sys.argv[1], sys.argv[2:]
    module, _, function = target.partition(":")
    sys.argv = [module, *args]
    entry = getattr(importlib.import_module(module), function)
    result = entry()
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
