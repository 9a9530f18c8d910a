"""Web events are stored once per idempotency key, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.records import WebEvent
from bot.storage.database import Database
from tests.support.statements import statements_through_sqlalchemy

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def _add(
    db: Database, key: str, text: str, statements: list[list[str]] | None = None
) -> tuple[WebEvent, bool]:
    async with db.transaction() as uow:
        with statements_through_sqlalchemy(db) as seen:
            added = await uow.web_events.add(
                idempotency_key=key,
                session_id="session-anna",
                text=text,
                ticket_number=7,
                created_at=NOW,
            )
    if statements is not None:
        statements.append([s for s in seen if s != "BEGIN"])  # the session's, emitted lazily
    return added


async def test_a_repeated_delivery_returns_the_stored_event_and_stores_nothing(
    db: Database,
) -> None:
    statements: list[list[str]] = []
    first, new = await _add(db, "reply-7", "Специалист ответил.", statements)
    again, new_again = await _add(db, "reply-7", "Специалист ответил.", statements)
    other, other_new = await _add(db, "reply-8", "Ещё ответ.")
    assert (new, new_again, other_new) == (True, False, True)
    assert again == first
    # One statement for a new event; a repeat also reads the stored one back.
    assert statements == [["INSERT"], ["INSERT", "SELECT"]]
    assert (first.text, first.ticket_number, first.created_at) == ("Специалист ответил.", 7, NOW)
    async with db.transaction() as uow:
        stored = await uow.web_events.after("session-anna", after=0, limit=10)
    assert stored == [first, other]
    assert first.id < other.id
