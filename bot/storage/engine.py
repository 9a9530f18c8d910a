"""Create the async SQLAlchemy engine: SQLite tuned for several writers, or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.errors import CoreError
from bot.core.settings import StorageSettings
from bot.storage.sqlite_driver import BEGIN, inline_connector

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def is_sqlite(url: URL) -> bool:
    """True for an SQLite URL."""
    return url.get_backend_name() == "sqlite"


# aiosqlite logs every statement with its parameters at DEBUG: citizens' messages, contacts
# and personal data would reach the logs of anyone who turns debugging on.
QUIET_DRIVER_LOGGERS = ("aiosqlite",)


def create_engine(url: str, settings: StorageSettings) -> AsyncEngine:
    """An engine for `url`; for SQLite the file's folder is created and WAL is switched on."""
    for name in QUIET_DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    parsed = make_url(url)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise CoreError(
            f"Адрес базы данных «{parsed.render_as_string(hide_password=True)}» не "
            f"поддерживается: нужен один из {', '.join(d + '://...' for d in SUPPORTED_DRIVERS)}."
        )
    if not is_sqlite(parsed):
        return create_async_engine(
            parsed,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.wait_timeout.total_seconds(),
            pool_pre_ping=True,
        )
    database = parsed.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        raise CoreError(
            f"База SQLite «{database}» должна быть файлом: очередь общая для всех "
            "соединений, а база в памяти у каждого своя."
        )
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    busy_ms = int(settings.sqlite_busy_timeout.total_seconds() * 1000)
    engine = create_async_engine(
        parsed,
        async_creator=inline_connector(database, busy_timeout_ms=busy_ms),
        # Every transaction begins IMMEDIATE, so SQLite runs one at a time anyway; one
        # connection makes the others wait in the pool's queue (fair, no polling) instead
        # of in SQLite's busy handler, which sleeps in growing steps while the lock is held.
        pool_size=1,
        max_overflow=0,
        # Every session ends its transaction (`Database.transaction` commits or rolls back),
        # so the pool's own rollback on return is one more call to the driver.
        pool_reset_on_return=None,
    )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that `begin` below decides how to BEGIN.
        dbapi_connection.isolation_level = None
        # The busy timeout is set where the connection is opened (`inline_connector`).
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # One writer at a time, decided when the transaction starts: two operators taking
        # the next ticket are serialised instead of both reading the same one.
        connection.exec_driver_sql(BEGIN)
