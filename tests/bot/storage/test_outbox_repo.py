"""The outbox table: due rows are leased once; an expired lease makes a row due again."""

from __future__ import annotations

import asyncio
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


async def _add_to(db: Database, key: str, recipient: str) -> int:
    async with db.transaction() as uow:
        added = await uow.outbox.add(
            idempotency_key=key, channel="telegram", recipient=recipient, text=key, now=NOW
        )
    return added.id


async def test_a_later_reply_waits_for_an_earlier_one_to_the_same_recipient(db: Database) -> None:
    # The first reply failed and retries in an hour; the second one was put back, due at
    # once. Sending the second first would show the citizen the answers out of order.
    first = await _add_to(db, "first", "501")
    second = await _add_to(db, "second", "501")
    other = await _add_to(db, "other chat", "502")
    assert await _claim(db, "w", NOW, {"telegram"}) == ["first", "second", "other chat"]
    async with db.transaction() as uow:
        await uow.outbox.mark_failed(
            first, worker="w", error="network down", retry_at=NOW + timedelta(hours=1)
        )
        await uow.outbox.mark_failed(second, worker="w", error="waits", retry_at=NOW)
        await uow.outbox.mark_delivered(other, NOW)
    assert await _claim(db, "w", NOW + timedelta(minutes=1), {"telegram"}) == []
    assert await _claim(db, "w", NOW + timedelta(hours=1), {"telegram"}) == ["first", "second"]


async def test_a_reply_waits_for_an_earlier_one_another_worker_is_claiming(db: Database) -> None:
    # Two delivery workers poll at the same moment: one is taking the first reply (its claim
    # not committed yet) when the other looks. Had the other taken the second reply, both
    # would go out at once and the citizen could read the answers out of order (or, having
    # blocked the bot, refuse both and staff be told of two refusals).
    await _add_to(db, "first", "501")
    await _add_to(db, "second", "501")
    async with db.transaction() as uow:
        taken = await uow.outbox.claim_due(
            channels={"telegram"}, worker="w1", now=NOW, lease=LEASE, limit=1
        )
        other = asyncio.create_task(_claim(db, "w2", NOW, {"telegram"}))
        await asyncio.wait({other}, timeout=0.5)  # what the other worker sees meanwhile
    assert [m.idempotency_key for m in taken] == ["first"]
    assert await other == []


async def test_a_row_the_database_left_leased_is_due_again_for_its_own_worker(
    db: Database,
) -> None:
    # The worker sent the reply, then lost the database before recording it: nobody else
    # may take the row until the lease ends, but the same worker retries it at once
    # instead of leaving the citizen without the reply for a whole lease.
    await _add(db, "a")
    await _add(db, "b")
    assert await _claim(db, "w", NOW, {"web"}) == ["a", "b"]
    soon = NOW + timedelta(seconds=2)
    assert await _claim(db, "other", soon, {"web"}) == []
    assert await _claim(db, "w", soon, {"web"}) == ["a", "b"]
