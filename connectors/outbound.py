"""Which hosts a connector may connect to: the hub's guard against server-side request forgery.

Addresses are typed by admins, so without a list an admin (or someone holding an admin's session) could
make the hub call its own admin port, a database next to it or a cloud metadata address
(169.254.169.254). The list is set by whoever runs the hub (``HUB_OUTBOUND_HOSTS``), never by the admin.

Entries are host names (``crm.example.com``), wildcards for the names under a domain
(``*.example.com``, not the domain itself), IP addresses and ranges (``10.0.0.0/8``). A host may be
reached when:

- it is an IP address inside a listed address or range; or
- its name is listed (or matches a wildcard) and every address it resolves to is a public one, or is
  itself listed; or
- every address its name resolves to is listed.

A listed name opens public addresses only. This machine (loopback, 0.0.0.0/8), link-local addresses
(cloud metadata), private networks (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, carrier-grade NAT
100.64.0.0/10, unique-local fc00::/7 and the like), multicast and reserved addresses are opened only by
an address or a range on the list: a company's ERP on 10.20.1.5 is reached once ``10.20.0.0/16`` is
listed, and a listed name that someone points at 127.0.0.1 or 10.0.0.1 is refused. An IPv6 address that
carries an IPv4 one (``::ffff:10.0.0.1``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) is judged by the
IPv4 address it leads to.

The name is resolved for each check, and every address it gives is checked. ``addresses`` returns the
checked addresses, so that a connection can be made to them rather than to the name, which could
resolve differently a moment later (DNS rebinding).
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

# Networks that lead into this machine or an organisation, beyond what ``ipaddress`` calls loopback,
# link-local, unspecified, multicast or reserved: only an address or range on the list opens them.
_INTERNAL: tuple[Network, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches this machine
        "10.0.0.0/8",  # the three private networks (RFC 1918)
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT, also used inside clouds and VPNs
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking, used inside some networks
        "fc00::/7",  # unique-local
        "fec0::/10",  # site-local (deprecated)
        "64:ff9b:1::/48",  # NAT64 for local use
        "2001::/32",  # Teredo tunnels
        "100::/64",  # discard-only
    )
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_PRIVATE = "an address of a private network"
_EMPTY = ": the list is empty, so the hub connects to no system until it is set"


class HostNotAllowed(ConfigurationError):
    """The host is not on the hub's list of systems it may connect to; retrying cannot help."""


def _not_listed(host: str, why: str = "", add: str = "it") -> HostNotAllowed:
    return HostNotAllowed(
        f"{host} is not on the hub's list of systems it may connect to ({SETTING}){why}. "
        f"If the hub should connect to it, ask whoever runs the hub to add {add} to {SETTING}."
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
        self.addresses(host, port, resolver=resolver)

    def addresses(self, host: str, port: int | None = None, *, resolver: Resolver = resolve) -> list[str]:
        """The addresses of ``host`` (itself, for an IP address), resolved once and every one checked:
        raise ``HostNotAllowed`` if any is refused. Connect to these, not to the name, and the
        connection goes where the check looked. Empty when a listed name cannot be resolved."""
        given, host = host.strip().strip("[]"), _plain(host)
        if self.empty:
            raise _not_listed(host, _EMPTY)
        if _address_or_none(host) is not None:
            found = [given]  # as given: an IPv6 zone's interface name (fe80::1%eth0) keeps its case
        else:
            found = [text for text in resolver(host, port) if _address_or_none(text) is not None]
        if not found and not self._name_listed(host):
            raise _not_listed(host, add=host)
        for address in found:
            self.check_address(host, address)
        return found

    def check_address(self, host: str, address: str) -> None:
        """Raise ``HostNotAllowed`` unless ``host`` may be reached at ``address``: what a connection
        checks once connected, so that a name that changed its address since ``check`` is caught too."""
        host = _plain(host)
        peer, literal = _address_or_none(address), _address_or_none(host)
        if self.empty:
            raise _not_listed(host, _EMPTY)
        if peer is None:
            raise _not_listed(host)
        named = literal is None and self._name_listed(host)
        if self._address_listed(peer) or (named and _ordinary(peer)):
            return
        if literal is not None:
            raise _not_listed(host, add=_range_advice(peer))
        add = host if _ordinary(peer) else _range_advice(peer)
        raise _not_listed(host, _leads_to(peer, named), add)

    def _name_listed(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def _address_listed(self, address: Address) -> bool:
        return any(
            view in network
            for view in {address, _effective(address)}
            for network in self.networks
            if view.version == network.version
        )


def _plain(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


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
    return address


def _effective(address: Address) -> Address:
    """The IPv4 address an IPv4-mapped (``::ffff:127.0.0.1``), 6to4 or NAT64 address leads to; any other
    address is itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _ordinary(address: Address) -> bool:
    """A public address: one that a listed name may lead to."""
    address = _effective(address)
    special = (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or any(address in network for network in _INTERNAL if address.version == network.version)
    )
    return not special


def _kind(address: Address) -> str:
    if address.is_loopback or address.is_unspecified or address in _THIS_NETWORK:
        return "an address of this machine"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if any(address in network for network in _INTERNAL if address.version == network.version):
        return _PRIVATE
    return "a special-purpose address"


def _leads_to(address: Address, named: bool) -> str:
    effective = _effective(address)
    if _ordinary(address):
        what = ""
    elif effective != address:
        what = f" (which carries {effective}, {_kind(effective)})"
    else:
        what = f", {_kind(address)}"
    public = "; a name on the list opens only public addresses" if named and what else ""
    return f": the name leads to {_shown(address)}{what}, which is not on the list{public}"


def _shown(address: Address) -> str:
    mapped = getattr(address, "ipv4_mapped", None)  # Python before 3.13 shows it as ::ffff:a01:203
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def _range_advice(address: Address) -> str:
    """What to list to open ``address``: itself, or (in a private network) a range that holds it."""
    target = _effective(address)
    if _kind(target) != _PRIVATE:
        return str(target)
    network = ipaddress.ip_network(f"{target}/{24 if target.version == 4 else 64}", strict=False)
    return f"{target} (or a range that holds it, such as {network})"


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
