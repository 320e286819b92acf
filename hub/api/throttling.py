"""A rate limit per key, set by the admin on the key (calls per minute).

Counted in Django's default cache. With the default local-memory cache each web process counts on its
own, so N processes allow up to N times the limit; point CACHES at Redis for one shared count.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from hub.api.models import ApiKey


class KeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self) -> None:  # the rate comes from the key, not from settings
        self.rate: str | None = None
        self.num_requests, self.duration = 0, 60

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # refused earlier by the permission; nothing to count
        self.rate, self.num_requests = f"{key.rate_limit_per_minute}/m", key.rate_limit_per_minute
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        return f"throttle_api_key_{key.pk}" if isinstance(key, ApiKey) else None
