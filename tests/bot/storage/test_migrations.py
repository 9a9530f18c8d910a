"""The schema is created by the migrations on first start, in a data folder created for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.settings import StorageSettings, data_dir_from_env, default_database_url
from bot.storage.database import Database, open_database
from bot.storage.engine import create_engine

pytestmark = pytest.mark.anyio

EXPECTED_TABLES = {
    "alembic_version",
    "app_settings",
    "attachments",
    "citizen_identities",
    "citizens",
    "conversation_messages",
    "conversations",
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
