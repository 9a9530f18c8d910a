"""The schema is created by the migrations on first start, in a data folder created for it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.settings import StorageSettings, data_dir_from_env, default_database_url
from bot.storage.database import Database, open_database
from bot.storage.engine import create_engine
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.tables import OutboxRow
from tests.bot.conftest import _execute
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.anyio

EXPECTED_TABLES = {
    "alembic_version",
    "app_settings",
    "attachments",
    "citizen_identities",
    "citizens",
    "conversation_messages",
    "conversations",
    "dialogue_memory",
    "operators",
    "outbox",
    "proposals",
    "ratings",
    "ticket_events",
    "ticket_messages",
    "tickets",
}


def _tables(connection: object) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url, StorageSettings())
    try:
        async with engine.connect() as connection:
            assert isinstance(connection, AsyncConnection)
            return await connection.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_first_start_creates_the_data_folder_and_schema(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "data"
    url = default_database_url(folder)
    database = await open_database(url)
    await database.close()
    assert (folder / "faqbot.sqlite3").exists()
    assert await _table_names(url) >= EXPECTED_TABLES


async def test_second_start_keeps_the_data(tmp_path: Path) -> None:
    url = default_database_url(tmp_path)
    first = await open_database(url)
    number = await first.allocate_ticket_number(_now())
    await first.close()
    second = await open_database(url)
    try:
        assert await second.allocate_ticket_number(_now()) == number + 1
    finally:
        await second.close()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = default_database_url(tmp_path)
    database = await open_database(url)
    await database.close()
    engine = create_engine(url, StorageSettings())
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    finally:
        await engine.dispose()
    assert (mode, keys) == ("wal", 1)


async def test_schema_comes_from_the_migrations(db: Database, database_url: str) -> None:
    assert await _table_names(database_url) >= EXPECTED_TABLES


def test_data_folder_follows_the_environment(tmp_path: Path) -> None:
    assert data_dir_from_env({"FAQBOT_DATA_DIR": str(tmp_path)}) == tmp_path
    assert data_dir_from_env({}) == Path.cwd() / "data"


def _now() -> datetime:
    return datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_the_migrations_form_one_line() -> None:
    """Two helpers adding a revision on the same parent would leave two heads: `upgrade head`
    would then refuse to run on every server."""
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; renumber the newest revision"


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database of the test's backend without any schema, for stepping through revisions."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'stepped.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"stepped_{uuid4().hex[:8]}"
    asyncio.run(_execute(server.url("postgres"), f"CREATE DATABASE {name}"))
    return server.url(name)


async def _columns(engine: AsyncEngine, table: str) -> dict[str, dict[str, Any]]:
    def read(connection: Connection) -> dict[str, dict[str, Any]]:
        return {c["name"]: dict(c) for c in inspect(connection).get_columns(table)}

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_0006_adds_where_operators_wrote_their_messages_and_can_be_undone(
    empty_database_url: str,
) -> None:
    """Nullable: citizens' messages, and every row written before the column, have no place."""
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine, "0005")
        assert "via" not in await _columns(engine, "ticket_messages")
        await upgrade(engine)
        via = (await _columns(engine, "ticket_messages"))["via"]
        assert via["nullable"] is True
        await _downgrade(engine, "0005")
        assert "via" not in await _columns(engine, "ticket_messages")
        assert "text" in await _columns(engine, "ticket_messages")
    finally:
        await engine.dispose()


async def _indexes(engine: AsyncEngine, table: str) -> dict[str, list[str]]:
    def read(connection: Connection) -> dict[str, list[str]]:
        return {
            str(i["name"]): [str(c) for c in i["column_names"]]
            for i in inspect(connection).get_indexes(table)
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def test_0009_indexes_the_outbox_by_recipient_and_can_be_undone(
    empty_database_url: str,
) -> None:
    """Claiming a batch checks each reply for an earlier undelivered one to its recipient;
    without this index that check read the whole backlog for every candidate."""
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine)
        indexes = await _indexes(engine, "outbox")
        assert indexes["ix_outbox_waiting"] == ["channel", "recipient", "delivered_at", "id"]
        await _downgrade(engine, "0008")
        assert "ix_outbox_waiting" not in await _indexes(engine, "outbox")
        assert "ix_outbox_due" in await _indexes(engine, "outbox")
    finally:
        await engine.dispose()


async def test_0010_keeps_what_each_queued_message_is_and_can_be_undone(
    empty_database_url: str,
) -> None:
    """Rows queued before the column are replies, as the widget showed them; new rows say
    whether they are an operator's words, news, or news asking for a mark."""
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine, "0009")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO web_events (idempotency_key, session_id, text, ticket_number, "
                    "created_at) VALUES ('k', 's', 'Ответ по обращению № 1: да', 1, :now)"
                ),
                {"now": datetime(2026, 12, 1, tzinfo=UTC)},
            )
        await upgrade(engine)
        for table in ("outbox", "web_events"):
            assert (await _columns(engine, table))["kind"]["nullable"] is False
        async with engine.connect() as connection:
            kinds = (await connection.execute(text("SELECT kind FROM web_events"))).scalars()
            assert list(kinds) == ["reply"]
        await _downgrade(engine, "0009")
        for table in ("outbox", "web_events"):
            assert "kind" not in await _columns(engine, table)
    finally:
        await engine.dispose()


async def test_0011_keeps_a_clarifications_choices_and_can_be_undone(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine)
        assert (await _columns(engine, "conversation_messages"))["choices"]["nullable"] is True
        await _downgrade(engine, "0010")
        assert "choices" not in await _columns(engine, "conversation_messages")
    finally:
        await engine.dispose()


async def test_0014_links_a_history_line_to_its_queued_message_and_can_be_undone(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine)
        assert (await _columns(engine, "ticket_events"))["outbox_id"]["nullable"] is True
        await _downgrade(engine, "0013")
        columns = await _columns(engine, "ticket_events")
        assert "outbox_id" not in columns and "note" in columns
    finally:
        await engine.dispose()


async def test_0015_makes_replies_never_tried_due_at_once_and_can_be_undone(
    empty_database_url: str,
) -> None:
    """A queued reply is due as soon as possible (NULL), not at the time of the clock of the
    server that queued it; one queued before the upgrade and never tried is due at once."""
    engine = create_engine(empty_database_url, StorageSettings())
    queued = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    retry = datetime(2026, 12, 5, 21, 5, tzinfo=UTC)
    try:
        await upgrade(engine, "0014")
        async with engine.begin() as connection:
            for key, attempts, due in (("never-tried", 0, queued), ("retried", 1, retry)):
                await connection.execute(
                    text(
                        "INSERT INTO outbox (idempotency_key, channel, recipient, text, "
                        "created_at, next_attempt_at, attempts, kind) "
                        "VALUES (:key, 'telegram', '1', 'Ответ', :queued, :due, :attempts, "
                        "'reply')"
                    ),
                    {"key": key, "queued": queued, "due": due, "attempts": attempts},
                )
        await upgrade(engine)
        assert (await _columns(engine, "outbox"))["next_attempt_at"]["nullable"] is True
        assert await _due_times(engine) == {"never-tried": None, "retried": retry}
        await _downgrade(engine, "0014")
        assert (await _columns(engine, "outbox"))["next_attempt_at"]["nullable"] is False
        assert await _due_times(engine) == {"never-tried": queued, "retried": retry}
    finally:
        await engine.dispose()


async def _due_times(engine: AsyncEngine) -> dict[str, datetime | None]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxRow.idempotency_key, OutboxRow.next_attempt_at)
        )
        return {key: due for key, due in rows}


async def test_0017_records_who_answers_a_widget_request_and_can_be_undone(
    empty_database_url: str,
) -> None:
    """Nullable: claims made before it have no owner and go stale as before."""
    engine = create_engine(empty_database_url, StorageSettings())
    try:
        await upgrade(engine, "0016")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO request_replies (session_id, action, request_id, reply, "
                    "created_at) VALUES ('s', 'ask', 'q-1', NULL, :now)"
                ),
                {"now": datetime(2026, 12, 6, tzinfo=UTC)},
            )
        await upgrade(engine)
        assert (await _columns(engine, "request_replies"))["claimed_by"]["nullable"] is True
        async with engine.connect() as connection:
            owners = await connection.execute(text("SELECT claimed_by FROM request_replies"))
            assert list(owners.scalars()) == [None]
        await _downgrade(engine, "0016")
        columns = await _columns(engine, "request_replies")
        assert "claimed_by" not in columns and "created_at" in columns
        async with engine.connect() as connection:
            kept = await connection.execute(text("SELECT request_id FROM request_replies"))
            assert list(kept.scalars()) == ["q-1"]
    finally:
        await engine.dispose()
