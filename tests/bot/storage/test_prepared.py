"""Prepared statements give what the session gives, in the session's own transaction and
savepoints; on SQLite they skip SQLAlchemy's execution (the question path's cost)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.core.identity import Identity
from bot.core.question_records import Decision, NewQuestion
from bot.storage.database import Database
from bot.storage.prepared import Prepared
from bot.storage.tables import SettingRow, table_of
from tests.support.statements import statements_through_sqlalchemy

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 3, 12, 30, 15, 250_000, tzinfo=UTC)
_SETTINGS = table_of(SettingRow)
_READ = Prepared(select(_SETTINGS.c.value, _SETTINGS.c.updated_at).where(_SETTINGS.c.key == "k"))
_WRITE = Prepared(insert(_SETTINGS).returning(_SETTINGS.c.key, _SETTINGS.c.updated_at))
VALUE = {"until": "2026-12-03T18:00:00+03:00", "note": "работы"}


async def test_values_come_back_as_the_session_reads_them(db: Database) -> None:
    moscow = NOW.astimezone(timezone(timedelta(hours=3)))
    async with db.transaction() as uow:
        session = uow.switches._session
        written = await _WRITE.first(session, {"key": "k", "value": VALUE, "updated_at": moscow})
        read = await _READ.first(session, {})
    assert written.key == "k" and written.updated_at == NOW
    assert read.value == VALUE and read.updated_at == NOW
    assert read.updated_at.tzinfo is not None
    async with db.transaction() as uow:  # the session's own reading of the same row
        row = await uow.switches._session.get(SettingRow, "k")
        assert row is not None
        assert (row.value, row.updated_at) == (read.value, read.updated_at)
    async with db.transaction() as uow:
        assert await _READ.scalar(uow.switches._session, {}) == VALUE


async def test_a_naive_time_is_refused_as_the_session_refuses_it(db: Database) -> None:
    with pytest.raises(Exception, match="Naive datetime"):
        async with db.transaction() as uow:
            await _WRITE.first(
                uow.switches._session,
                {"key": "k", "value": {}, "updated_at": NOW.replace(tzinfo=None)},
            )


async def test_a_rolled_back_transaction_takes_the_prepared_writes_with_it(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as uow:
            await _WRITE.first(
                uow.switches._session, {"key": "k", "value": VALUE, "updated_at": NOW}
            )
            raise RuntimeError("the caller failed after writing")
    async with db.transaction() as uow:
        assert await _READ.first(uow.switches._session, {}) is None


async def test_a_savepoint_rolls_back_only_its_own_prepared_writes(db: Database) -> None:
    async with db.transaction() as uow:
        session = uow.switches._session
        await _WRITE.first(session, {"key": "k", "value": VALUE, "updated_at": NOW})
        with pytest.raises(IntegrityError):  # the driver's error, as SQLAlchemy raises it
            async with session.begin_nested():
                await _WRITE.first(session, {"key": "k2", "value": {}, "updated_at": NOW})
                await _WRITE.first(session, {"key": "k", "value": {}, "updated_at": NOW})
        kept = await session.scalars(select(_SETTINGS.c.key).order_by(_SETTINGS.c.key))
        assert list(kept) == ["k"]


async def test_what_the_session_holds_unflushed_is_written_first(db: Database) -> None:
    async with db.transaction() as uow:
        session = uow.switches._session
        session.add(SettingRow(key="k", value=VALUE, updated_at=NOW))
        assert (await _READ.first(session, {})).value == VALUE


async def test_a_missing_parameter_fails_as_through_the_session(db: Database) -> None:
    with pytest.raises(IntegrityError, match="updated_at"):
        async with db.transaction() as uow:
            await _WRITE.first(uow.switches._session, {"key": "k", "value": VALUE})


async def test_a_parameter_the_statement_needs_is_named(db: Database) -> None:
    by_key = Prepared(select(_SETTINGS.c.value).where(_SETTINGS.c.key == bindparam("key")))
    async with db.transaction() as uow:
        with pytest.raises(SQLAlchemyError, match="A value is required for bind parameter 'key'"):
            await by_key.first(uow.switches._session, {})


async def test_a_question_on_sqlite_leaves_sqlalchemy_only_the_begin(
    db: Database, backend: str
) -> None:
    identity = Identity("web", "session-prepared")
    question = NewQuestion(
        channel="web", asked_at=NOW, text="забыл пароль", decision=Decision.ANSWER, entry_id="x"
    )
    async with db.transaction() as uow:  # the first contact creates the conversation
        await uow.conversations.open_reading(identity, NOW, "maintenance")
    with statements_through_sqlalchemy(db) as seen:
        async with db.transaction() as uow:
            conversation, _ = await uow.conversations.open_reading(identity, NOW, "maintenance")
            await uow.conversations.add_exchange(conversation.id, "забыл пароль", "Ответ", NOW)
            await uow.questions.add(question)
    if backend == "sqlite":
        assert seen == ["BEGIN"]
    else:  # PostgreSQL: through the session, a round trip each
        assert seen == ["SELECT", "INSERT", "INSERT"]
    async with db.transaction() as uow:
        messages = await uow.conversations.recent_messages(conversation.id, 5)
        logged = await uow.questions.between(NOW - timedelta(seconds=1), NOW + timedelta(seconds=1))
    assert [m.text for m in messages] == ["забыл пароль", "Ответ"]
    assert [(q.text, q.asked_at, q.conversation_id) for q in logged] == [
        ("забыл пароль", NOW, None)
    ]
