"""``Authorization: Api-Key <prefix>.<secret>``: the key is looked up by its prefix, then its hash checked."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from hub.api.keys import KeyRefused, api_key_check
from hub.api.models import ApiKey

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """No header: anonymous (the permission then answers 401). A header with a bad key: 401 at once."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != KEYWORD.lower() or not raw.strip():
            raise exceptions.AuthenticationFailed(f"Send the key as 'Authorization: {KEYWORD} <key>'.")
        try:
            key = api_key_check(raw=raw.strip())
        except KeyRefused as refused:
            request.refused_key = refused.key  # type: ignore[attr-defined]  # audited by the view
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return None, key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
