"""Where a PostgreSQL connection goes, checked against the hub's list each time one is opened.

The check and the connection must look at the same addresses: a name checked once and resolved again by
the driver could lead elsewhere the second time (DNS rebinding). So each new connection resolves every
host once, checks every address (``OutboundHosts.addresses``) and hands them to libpq as ``hostaddr``
next to ``host``. libpq then connects to exactly those addresses without resolving the name again, and
still uses the name to check the server's certificate (``sslmode=verify-full``) and to find a password in
``.pgpass``.

libpq also reads hosts from the address's query (``?host=...``, ``?hostaddr=...``, comma-separated) and
from a service file (``?service=...``). SQLAlchemy hands all of them over as connection parameters, and
those are what is checked here. A service is refused because its host cannot be seen here. A Unix socket
(no host, a directory, or an abstract ``@name``) reaches a database on this machine, perhaps the hub's
own, so it counts as localhost.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from connectors.base import ConfigurationError
from connectors.outbound import OutboundHosts, Resolver, resolve

_ADDRESS = "“Database address”"


class NotResolved(Exception):
    """No host of the address could be resolved: the caller raises the driver's own error for it."""


@dataclass(frozen=True)
class Target:
    host: str  # the name as given ("" for libpq's default socket), for certificates and .pgpass
    hostaddr: str  # the checked address to connect to; "" for a socket
    port: str  # "" for the address's single port (or libpq's default)


def guard_connections(engine: Engine, allowed: OutboundHosts) -> None:
    """Check, before each new connection of ``engine`` is opened, where it goes, and send it there."""

    def before_connect(dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        try:
            cparams.update(checked_params(cparams, allowed))
        except NotResolved as error:
            # The driver's own error class, so that the connector reports it as any DNS failure.
            raise dialect.loaded_dbapi.OperationalError(str(error)) from None

    sa.event.listen(engine, "do_connect", before_connect)


def checked_params(
    params: Mapping[str, Any], allowed: OutboundHosts, resolver: Resolver = resolve
) -> dict[str, str]:
    """The ``host``, ``hostaddr`` and ``port`` parameters that send a connection to checked addresses
    only. Raises ``HostNotAllowed`` (or ``ConfigurationError``) when a host is refused, ``NotResolved``
    when no host could be resolved at all."""
    if "service" in params:
        raise ConfigurationError(f"{_ADDRESS} must name its host, not a service (?service=...).")
    hosts, hostaddrs, ports = (_split(params.get(key)) for key in ("host", "hostaddr", "port"))
    if not hosts and not hostaddrs:
        allowed.check("localhost", _port(ports))  # libpq's default: a socket on this machine
        return {}
    targets = [
        target for entry in _entries(hosts, hostaddrs, ports) for target in _targets(entry, allowed, resolver)
    ]
    if not targets:
        raise NotResolved(f"failed to resolve host {','.join(hosts)!r}")
    return _params(targets)


def _entries(hosts: list[str], hostaddrs: list[str], ports: list[str]) -> list[Target]:
    count = max(len(hosts), len(hostaddrs))
    if hosts and hostaddrs and len(hosts) != len(hostaddrs):
        raise ConfigurationError(f"{_ADDRESS} names {len(hosts)} hosts but {len(hostaddrs)} hostaddr values.")
    if len(ports) > 1 and len(ports) != count:
        raise ConfigurationError(f"{_ADDRESS} names {count} hosts but {len(ports)} ports.")
    hosts, hostaddrs = hosts or [""] * count, hostaddrs or [""] * count
    ports = ports if len(ports) > 1 else [""] * count
    return [Target(*entry) for entry in zip(hosts, hostaddrs, ports, strict=True)]


def _targets(entry: Target, allowed: OutboundHosts, resolver: Resolver) -> list[Target]:
    port = _port([entry.port]) if entry.port else None
    if entry.hostaddr:  # libpq connects there and does not look the name up
        if not _is_ip(entry.hostaddr):
            raise ConfigurationError(f"{_ADDRESS}: hostaddr must be an IP address, not {entry.hostaddr!r}.")
        allowed.check(entry.hostaddr, port)
        return [entry]
    if not entry.host or entry.host.startswith(("/", "@")):
        allowed.check("localhost", port)
        return [entry]
    found = allowed.addresses(entry.host, port, resolver=resolver)
    return [Target(entry.host, address, entry.port) for address in found]


def _params(targets: list[Target]) -> dict[str, str]:
    params = {"host": ",".join(target.host for target in targets)}
    if any(target.hostaddr for target in targets):
        params["hostaddr"] = ",".join(target.hostaddr for target in targets)
    if any(target.port for target in targets):
        params["port"] = ",".join(target.port for target in targets)
    return params


def _split(value: Any) -> list[str]:
    return [part.strip() for part in str(value).split(",")] if value not in (None, "") else []


def _port(ports: list[str]) -> int | None:
    return int(ports[0]) if len(ports) == 1 and ports[0].isdigit() else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return False
    return True
