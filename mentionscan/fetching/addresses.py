"""Where a request may go: the class of an address, and which redirects may be followed.

A URL the user wrote may point anywhere. A redirect (or a link found on the web) may not move
from a public address into a private, loopback or link-local one, nor into link-local (cloud
metadata) from anywhere, unless the user allowed it; and the address a redirect's connection
really reached is checked again after the handshake (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mentionscan.errors import FetchError
from mentionscan.urls import redact

Resolver = Callable[[str], list[str]]
Guard = Callable[[str, str], None]


def system_resolver(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself, without a lookup)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def address_class(address: str) -> str:
    """`public`, `private`, `loopback` or `link-local` (cloud metadata addresses are link-local)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return "public"
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches that IPv4 address.
        if ip.ipv4_mapped or ip.sixtofour:
            ip = ip.ipv4_mapped or ip.sixtofour or ip
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_loopback:
        return "loopback"
    # 100.100.100.200 (Alibaba) and fd00:ec2::254 (AWS IPv6) are metadata services too.
    if ip.is_link_local or str(ip) in ("100.100.100.200", "fd00:ec2::254"):
        return "link-local"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or ip in _SHARED:
        return "private"
    return "public"


_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def bare_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@dataclass(slots=True)
class RedirectPolicy:
    """The redirect rules of one client: `check` before a hop, `peer_guard` on its connection."""

    allow_private: bool = False
    resolver: Resolver = system_resolver
    classify: Callable[[str], str] = address_class

    def check(self, origin: str, target: str) -> None:
        """Raise FetchError unless a redirect (or a link) from `origin` to `target` may be followed.

        Only http and https; and unless `allow_private_redirects`, no move from a public address
        into a loopback, private or link-local one (nor into link-local from anywhere).
        """
        try:
            parts = urlsplit(target)
            target_host = parts.hostname or ""
            origin_host = urlsplit(origin).hostname or ""
        except ValueError:
            raise FetchError(f"{redact(origin)}: refused a redirect to an invalid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"{redact(origin)}: refused a redirect to a {scheme or 'relative'}: URL")
        if self.allow_private:
            return
        target_classes = {self.classify(a) for a in self.resolver(target_host)}
        self._refuse(origin, target, target_classes, lambda: self.resolver(origin_host))

    def _refuse(
        self, origin: str, target: str, target_classes: set[str], origin_addresses: Callable[[], list[str]]
    ) -> None:
        sensitive = target_classes - {"public"}
        if not sensitive:
            return
        origin_classes = {self.classify(a) for a in origin_addresses()}
        # A URL the user wrote may point anywhere, and its own network's redirects are its
        # business; but the metadata service is never a place a feed should send us.
        if "link-local" in sensitive or not sensitive <= origin_classes:
            kind = "/".join(sorted(sensitive))
            raise FetchError(
                f"{redact(origin)}: refused a redirect to {kind} address {redact(target)} "
                "(set allow_private_redirects = true in [settings] to allow it)"
            )

    def peer_guard(self, origin: str, target: str) -> Guard | None:
        """The same check on the address a redirect's connection really reached.

        The name was resolved once for `check` and is resolved again to connect: a
        name that answers a public address first and a private one next (DNS rebinding) is
        caught here, after the TCP handshake and before a byte of the request is sent.
        """
        if self.allow_private:
            return None
        target_host = bare_host(urlsplit(target).hostname or "")
        origin_host = urlsplit(origin).hostname or ""
        addresses: list[str] = []

        def origin_addresses() -> list[str]:
            if not addresses:
                addresses.extend(self.resolver(origin_host))
            return addresses

        def guard(host: str, peer: str) -> None:
            if bare_host(host) != target_host:
                return  # a connection to a proxy: the proxy resolves the name, not us
            self._refuse(origin, target, {self.classify(peer)}, origin_addresses)

        return guard
