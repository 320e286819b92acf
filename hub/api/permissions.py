"""Who may call at all (a valid key, from an allowed address); what each key may do is in hub/api/scopes.py."""

from __future__ import annotations

import ipaddress
from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from hub.api.models import ApiKey, parse_networks


def client_address(request: Request) -> str:
    # The socket's peer. Behind a proxy this is the proxy: see docs/api/README.md before setting IP ranges.
    return str(request.META.get("REMOTE_ADDR") or "")


def address_allowed(key: ApiKey, address: str) -> bool:
    networks = parse_networks(key.allowed_networks)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in networks)


class HasPartnerKey(permissions.BasePermission):
    message = "This key is not accepted from this address: the partner's admin set the addresses it may use."

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False  # DRF answers 401, because the authentication class names its header
        return address_allowed(key, client_address(request))
