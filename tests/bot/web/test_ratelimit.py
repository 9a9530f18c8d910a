"""The token buckets behind the API's and the log-in form's limits (`bot.web.ratelimit`)."""

from __future__ import annotations

from bot.web.ratelimit import RateLimiter
from bot.web.settings import RateLimit

FIVE_AN_HOUR = RateLimit(burst=5, per_second=5 / 3600)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_new_keys_does_not_reopen_a_closed_bucket() -> None:
    """Five wrong passwords close anna's bucket; a guesser then tries 10,000 junk logins (or
    rotates addresses) to push her bucket out of the table and start afresh."""
    clock = Clock()
    limiter = RateLimiter(FIVE_AN_HOUR, now=clock, max_keys=100)
    assert [limiter.take("anna") for _ in range(5)] == [0.0] * 5
    assert limiter.take("anna") > 0
    for number in range(10_000):
        clock.now += 0.01
        limiter.take(f"junk-{number}")
    assert limiter.take("anna") > 0


def test_the_table_stays_bounded_even_when_every_bucket_is_closed() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(burst=1, per_second=1 / 3600), now=clock, max_keys=100)
    for number in range(1_000):
        limiter.take(f"key-{number}")
    assert len(limiter._buckets) == 100
