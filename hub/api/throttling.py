"""A rate limit per key, set by the admin on the key (calls per minute).

Counted in the ``shared`` cache (Redis), so every web process on every machine counts the same calls. Redis
only counts: when it cannot be reached, the limit is counted in this process's memory for a minute (a key
then gets up to its rate per process), and the call is never refused or delayed for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from hub.api.models import ApiKey

log = logging.getLogger(__name__)
LOCAL_FOR = 60.0  # seconds to count locally after the shared cache failed
_shared_down_until = 0.0


class KeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self) -> None:  # the rate comes from the key, not from settings
        self.rate: str | None = None
        self.num_requests, self.duration = 0, 60

    def allow_request(self, request: Request, view: Any) -> bool:
        global _shared_down_until
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # refused earlier by the permission; nothing to count
        self.rate, self.num_requests = f"{key.rate_limit_per_minute}/m", key.rate_limit_per_minute
        if time.monotonic() >= _shared_down_until:
            self.cache = caches["shared"]
            try:
                return super().allow_request(request, view)
            except (RedisError, OSError) as error:
                _shared_down_until = time.monotonic() + LOCAL_FOR
                log.warning("rate limits counted per process for %.0f s: %s", LOCAL_FOR, type(error).__name__)
        self.cache = caches["default"]
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        return f"throttle_api_key_{key.prefix}" if isinstance(key, ApiKey) else None
