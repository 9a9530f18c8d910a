"""Shared fixtures of the core and storage tests: a throwaway PostgreSQL, databases, a clock.

The PostgreSQL server is started once per session from the installed binaries (`initdb`,
`pg_ctl`), as the `postgres` system user when the tests run as root (initdb refuses root).
Without the binaries the PostgreSQL cases are skipped, loudly, unless `CI=true`, where they fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import Database, open_database
from tests.conftest import fresh_sqlite
from tests.support.postgres import PostgresServer, PostgresUnavailableError, ThrowawayPostgres

TEMPLATE_DB = "faqbot_test"
BACKENDS = ("sqlite", "postgresql")
# A Friday evening, after hours, in Moscow (UTC+3): 2026-11-20 19:30 MSK.
FRIDAY_EVENING = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
# A Tuesday morning in working hours: 2026-11-24 10:00 MSK.
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def postgres_unavailable(reason: str) -> None:
    """Skip loudly without PostgreSQL; in CI (`CI=true`) fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(f"!!! PostgreSQL tests SKIPPED: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start PostgreSQL in a temporary folder for the whole session; stop it afterwards."""
    try:
        cluster = ThrowawayPostgres()
        server = cluster.start()
    except PostgresUnavailableError as error:
        postgres_unavailable(str(error))
        raise AssertionError("unreachable") from error
    try:
        asyncio.run(_create_template(server))
        yield server
    finally:
        cluster.stop()


async def _execute(url: str, *statements: str) -> list[str]:
    """Run statements outside a transaction; returns the first column of the last result."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    rows: list[str] = []
    try:
        async with engine.connect() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
                rows = [str(r[0]) for r in result] if result.returns_rows else []
    finally:
        await engine.dispose()
    return rows


async def _create_template(server: PostgresServer) -> None:
    await _execute(server.url("postgres"), f"CREATE DATABASE {TEMPLATE_DB}")
    # Migrating once also proves the migrations run on PostgreSQL.
    database = await open_database(server.url(TEMPLATE_DB))
    await database.close()


async def _reset_pg_database(server: PostgresServer) -> str:
    """Empty the shared test database: faster than creating one per test."""
    url = server.url(TEMPLATE_DB)
    tables = await _execute(
        url,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version'",
    )
    names = ", ".join(f'"{name}"' for name in tables)
    await _execute(
        url,
        f"TRUNCATE {names} RESTART IDENTITY CASCADE",
        "ALTER SEQUENCE ticket_number_seq RESTART",
    )
    return url


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio."""
    return "asyncio"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs against."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        return fresh_sqlite(template, tmp_path / "data" / "faqbot.sqlite3")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return asyncio.run(_reset_pg_database(server))


@pytest.fixture
async def db(database_url: str, anyio_backend: str) -> AsyncIterator[Database]:
    """The database, migrated, closed after the test."""
    database = await open_database(database_url)
    try:
        yield database
    finally:
        await database.close()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = TUESDAY_MORNING) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    """A clock stopped on a Tuesday morning in working hours."""
    return FakeClock()


@pytest.fixture
def calendar_loading_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, loading a production calendar fails the test: what a test does next
    must use the calendars loaded before (at start-up)."""

    def load(*args: object, **kwargs: object) -> None:
        raise AssertionError("a production calendar is loaded here")

    monkeypatch.setattr(holidays, "country_holidays", load)
