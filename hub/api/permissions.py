"""Who may call at all (a valid key, from an allowed address); what each key may do is in hub/api/scopes.py."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import permissions
from rest_framework.request import Request

from hub.api.models import ApiKey, parse_networks


def client_address(request: Request | HttpRequest) -> str:
    """The caller's address: the socket's peer, unless that peer is one of the proxies the hub was told to
    trust (HUB_TRUSTED_PROXIES), in which case the nearest address in X-Forwarded-For that is not one of
    them. A forwarded header from anyone else is ignored, so a caller cannot choose its own address."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    peer = peer if _parses(peer) else ""
    trusted = _trusted_proxies()
    if not trusted or not _within(peer, trusted):
        return peer
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _parses(address):
            return peer  # not an address: the header is not to be trusted beyond this point
        if not _within(address, trusted):
            return address
    return peer


def _parses(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return parse_networks("\n".join(settings.HUB_TRUSTED_PROXIES))


def _within(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)  # ::ffff:203.0.113.9 is 203.0.113.9 (a dual-stack socket)
    return any(
        one.version == network.version and one in network for one in candidates for network in networks
    )


def address_allowed(key: ApiKey, address: str) -> bool:
    networks = parse_networks(key.allowed_networks)
    return not networks or _within(address, networks)


class HasPartnerKey(permissions.BasePermission):
    message = "This key is not accepted from this address: the partner's admin set the addresses it may use."

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False  # DRF answers 401, because the authentication class names its header
        return address_allowed(key, client_address(request))
