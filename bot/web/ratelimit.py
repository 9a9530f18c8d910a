"""Token buckets per key (client address, widget session) for the public API."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.web.settings import RateLimit

MAX_KEYS = 50_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `burst` requests at once per key, refilled at `per_second`; None allows all."""

    def __init__(
        self, limit: RateLimit | None, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._now = now
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend a token: 0.0 when allowed, else the seconds to wait for the next token."""
        limit = self._limit
        if limit is None:
            return 0.0
        now = self._now()
        bucket = self._buckets.pop(key, None) or _Bucket(float(limit.burst), now)
        bucket.tokens = min(
            float(limit.burst),
            bucket.tokens + (now - bucket.updated) * limit.per_second,
        )
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / limit.per_second
