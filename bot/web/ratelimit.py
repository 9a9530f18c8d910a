"""Token buckets per key (client address, widget session, login) for the public API and
the console's log-in form."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.web.settings import RateLimit

MAX_KEYS = 50_000
# Past MAX_KEYS, the oldest buckets are looked at for one that holds no refusal to evict.
EVICTION_SCAN = 64


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `burst` requests at once per key, refilled at `per_second`; None allows all."""

    def __init__(
        self,
        limit: RateLimit | None,
        *,
        now: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._limit = limit
        self._now = now
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend a token: 0.0 when allowed, else the seconds to wait for the next token."""
        limit = self._limit
        if limit is None:
            return 0.0
        bucket = self._refilled(key, limit)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / limit.per_second

    def wait(self, key: str) -> float:
        """The seconds until `take` would allow `key`, spending nothing; 0.0 when it would now."""
        limit = self._limit
        if limit is None:
            return 0.0
        bucket = self._refilled(key, limit)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / limit.per_second

    def give_back(self, key: str) -> None:
        """Return a token spent on something that turned out not to count."""
        limit = self._limit
        if limit is None:
            return
        bucket = self._refilled(key, limit)
        bucket.tokens = min(float(limit.burst), bucket.tokens + 1.0)

    def forget(self, key: str) -> None:
        """Start `key` afresh with a full bucket."""
        self._buckets.pop(key, None)

    def _refilled(self, key: str, limit: RateLimit) -> _Bucket:
        now = self._now()
        bucket = self._buckets.pop(key, None) or _Bucket(float(limit.burst), now)
        bucket.tokens = min(
            float(limit.burst),
            bucket.tokens + (now - bucket.updated) * limit.per_second,
        )
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self._max_keys:
            self._evict(now, limit)
        return bucket

    def _evict(self, now: float, limit: RateLimit) -> None:
        """Drop one of the least recently used buckets, one that refuses nothing now if one
        of the oldest does: a flood of fresh keys (junk logins, rotated addresses) must not
        push out the bucket that keeps a guessed login closed."""
        for index, (key, bucket) in enumerate(self._buckets.items()):
            if index >= EVICTION_SCAN:
                break
            if bucket.tokens + (now - bucket.updated) * limit.per_second >= 1.0:
                del self._buckets[key]
                return
        self._buckets.popitem(last=False)
