"""Which hosts a connector may connect to: the hub's guard against server-side request forgery.

Addresses are typed by admins, so without a list an admin (or someone holding an admin's session) could
make the hub call its own admin port, a database next to it or a cloud metadata address
(169.254.169.254). The list is set by whoever runs the hub (``HUB_OUTBOUND_HOSTS``), never by the admin.

Entries are host names (``crm.example.com``), wildcards for the names under a domain
(``*.example.com``, not the domain itself), IP addresses and ranges (``10.0.0.0/8``). A host may be
reached when:

- it is an IP address inside a listed address or range; or
- its name is listed (or matches a wildcard) and every address it resolves to is an ordinary one, or is
  itself listed; or
- every address its name resolves to is listed.

Loopback, link-local (cloud metadata), unspecified, multicast and reserved addresses are never ordinary:
only an address or a range on the list opens them, so a listed name that someone points at 127.0.0.1 is
still refused. The name is resolved for each check, and every address it gives is checked.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from connectors.base import ConfigurationError

SETTING = "HUB_OUTBOUND_HOSTS"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int | None], list[str]]

_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


_EMPTY = ": the list is empty, so the hub connects to no system until it is set"


class HostNotAllowed(ConfigurationError):
    """The host is not on the hub's list of systems it may connect to; retrying cannot help."""


def _not_listed(host: str, why: str = "") -> HostNotAllowed:
    return HostNotAllowed(
        f"{host} is not on the hub's list of systems it may connect to ({SETTING}){why}. "
        f"Ask whoever runs the hub to add it, if the hub should connect to it."
    )


def resolve(host: str, port: int | None) -> list[str]:
    """Every address the name resolves to; empty when it cannot be resolved (the connection then fails
    with its own, clearer, DNS error)."""
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


@dataclass(frozen=True)
class OutboundHosts:
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # ".example.com" for "*.example.com"
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> OutboundHosts:
        """The list from its entries; ``ValueError`` naming the first bad entry and its position."""
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[Network] = []
        for position, raw in enumerate(entries, start=1):
            entry = raw.strip().lower().rstrip(".")
            network = _network_or_none(entry)
            if network is not None:
                networks.append(network)
            elif entry.startswith("*.") and _NAME.match(entry[2:]) and "." in entry[2:]:
                suffixes.append(entry[1:])
            elif _NAME.match(entry) and not entry.replace(".", "").isdigit():
                names.add(entry)
            else:
                raise ValueError(f"entry {position}, {raw.strip()!r}, {_what_is_wrong(entry)}")
        return cls(frozenset(names), tuple(suffixes), tuple(networks))

    @property
    def empty(self) -> bool:
        return not (self.names or self.suffixes or self.networks)

    def check(self, host: str, port: int | None = None, *, resolver: Resolver = resolve) -> None:
        """Raise ``HostNotAllowed`` unless the hub may connect to ``host``."""
        host = host.strip().lower().rstrip(".").strip("[]")
        if self.empty:
            raise _not_listed(host, _EMPTY)
        literal = _address_or_none(host)
        addresses = [literal] if literal is not None else _addresses(resolver(host, port))
        if not addresses and not self._name_listed(host):
            raise _not_listed(host)
        for address in addresses:
            self.check_address(host, str(address))

    def check_address(self, host: str, address: str) -> None:
        """Raise ``HostNotAllowed`` unless ``host`` may be reached at ``address``: what a connection
        checks once connected, so that a name that changed its address since ``check`` is caught too."""
        host = host.strip().lower().rstrip(".").strip("[]")
        peer, literal = _address_or_none(address), _address_or_none(host)
        if self.empty:
            raise _not_listed(host, _EMPTY)
        if peer is None:
            raise _not_listed(host)
        named = literal is None and self._name_listed(host)
        if not (self._address_listed(peer) or (named and _ordinary(peer))):
            raise _not_listed(host, _leads_to(host, peer, literal is not None))

    def _name_listed(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def _address_listed(self, address: Address) -> bool:
        return any(address in network for network in self.networks if address.version == network.version)


def _network_or_none(entry: str) -> Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False) if entry else None
    except ValueError:
        return None


def _address_or_none(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.partition("%")[0])  # an IPv6 zone (fe80::1%eth0) aside
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return mapped if mapped is not None else address


def _addresses(texts: Iterable[str]) -> list[Address]:
    found = [_address_or_none(text) for text in texts]
    return [address for address in found if address is not None]


def _ordinary(address: Address) -> bool:
    special = (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )
    return not special


def _leads_to(host: str, address: Address, literal: bool) -> str:
    if literal:
        return ""
    kind = "" if _ordinary(address) else " (an address of this machine or its local link)"
    return f": the name leads to {address}{kind}, which is not on the list"


def _what_is_wrong(entry: str) -> str:
    if "/" in entry:
        return "is neither a host nor a range: give a host name (crm.example.com) or a range (10.0.0.0/8)"
    if entry.count(":") == 1:
        return "names a port: give only the host name or IP address (every port of it is allowed)"
    if entry.startswith("*"):
        return "is not a usable wildcard: a wildcard names a domain's hosts, e.g. *.example.com"
    return "is not a host name, an IP address, a range such as 10.0.0.0/8 or a wildcard such as *.example.com"


NOTHING = OutboundHosts()
LOOPBACK = OutboundHosts.parse(["localhost", "127.0.0.0/8", "::1"])
