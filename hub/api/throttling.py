"""A rate limit per key, set by the admin on the key (calls per minute).

Counted in the ``shared`` cache (Redis), so every web process on every machine counts the same calls. Redis
only counts: when it cannot be reached, the limit is counted in this process's memory for a minute (a key
then gets up to its rate per process), and the call is never refused or delayed for it.

The count is a fixed window of a minute, kept atomically: ``add`` starts the window's counter, ``incr`` counts
in the cache itself, so concurrent calls can never both take the last place (a read-modify-write of a list of
timestamps could). ``Retry-After`` is the time left in the window.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import BaseCache, caches
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from hub.api.models import ApiKey

log = logging.getLogger(__name__)
LOCAL_FOR = 60.0  # seconds to count locally after the shared cache failed
WINDOW = 60  # seconds: the rate is per minute
_shared_down_until = 0.0
clock = time.time  # tests pin it, so that a window never ends in the middle of one


def counter_key(prefix: str, window: int | None = None) -> str:
    """The cache key counting a key's calls in one window (the current one by default)."""
    number = int(clock() // WINDOW) if window is None else window
    return f"throttle_api_key_{prefix}_{number}"


def _count(cache: BaseCache, name: str) -> int:
    if cache.add(name, 1, timeout=WINDOW + 5):
        return 1
    try:
        return int(cache.incr(name))
    except ValueError:  # expired between add and incr: a new window
        cache.add(name, 1, timeout=WINDOW + 5)
        return 1


class KeyRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.wait_seconds = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        global _shared_down_until
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # refused earlier by the permission; nothing to count
        now = clock()
        name = counter_key(key.prefix, int(now // WINDOW))
        self.wait_seconds = WINDOW - (now % WINDOW)
        count = None
        if time.monotonic() >= _shared_down_until:
            try:
                count = _count(caches["shared"], name)
            except (RedisError, OSError) as error:
                _shared_down_until = time.monotonic() + LOCAL_FOR
                log.warning("rate limits counted per process for %.0f s: %s", LOCAL_FOR, type(error).__name__)
        if count is None:
            count = _count(caches["default"], name)
        return count <= key.rate_limit_per_minute

    def wait(self) -> float:
        return self.wait_seconds
