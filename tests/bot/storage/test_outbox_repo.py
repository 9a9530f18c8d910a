"""The outbox table: due rows are leased once; an expired lease makes a row due again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage.database import Database

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def _add(db: Database, key: str, channel: str = "web") -> None:
    async with db.transaction() as uow:
        await uow.outbox.add(
            idempotency_key=key, channel=channel, recipient="r", text="Ответ", now=NOW
        )


async def _claim(db: Database, worker: str, now: datetime, channels: set[str]) -> list[str]:
    async with db.transaction() as uow:
        claimed = await uow.outbox.claim_due(
            channels=channels, worker=worker, now=now, lease=LEASE, limit=10
        )
    return [m.idempotency_key for m in claimed]


async def test_a_leased_row_is_not_claimed_twice_until_the_lease_ends(db: Database) -> None:
    await _add(db, "a")
    await _add(db, "b", channel="telegram")
    assert await _claim(db, "w1", NOW, {"web"}) == ["a"]
    assert await _claim(db, "w2", NOW, {"web", "telegram"}) == ["b"]
    assert await _claim(db, "w2", NOW + LEASE - timedelta(seconds=1), {"web"}) == []
    assert await _claim(db, "w2", NOW + LEASE, {"web"}) == ["a"]


async def test_delivered_rows_are_never_claimed_again(db: Database) -> None:
    await _add(db, "a")
    async with db.transaction() as uow:
        claimed = await uow.outbox.claim_due(
            channels={"web"}, worker="w", now=NOW, lease=LEASE, limit=10
        )
        await uow.outbox.mark_delivered(claimed[0].id, NOW)
        assert await uow.outbox.undelivered_count() == 0
    assert await _claim(db, "w", NOW + timedelta(days=1), {"web"}) == []


async def test_a_stale_worker_cannot_reschedule_a_row_it_lost(db: Database) -> None:
    await _add(db, "a")
    async with db.transaction() as uow:
        (row,) = await uow.outbox.claim_due(
            channels={"web"}, worker="old", now=NOW, lease=LEASE, limit=10
        )
    assert await _claim(db, "new", NOW + LEASE, {"web"}) == ["a"]
    async with db.transaction() as uow:
        await uow.outbox.mark_failed(
            row.id, worker="old", error="boom", retry_at=NOW + timedelta(hours=1)
        )
        current = await uow.outbox.get(row.id)
    assert current is not None
    assert (current.attempts, current.last_error) == (2, None)
