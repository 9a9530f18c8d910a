"""Shared fixtures of the core and storage tests: a throwaway PostgreSQL, databases, a clock.

The PostgreSQL server is started once per session from the installed binaries (`initdb`,
`pg_ctl`), as the `postgres` system user when the tests run as root (initdb refuses root).
Without the binaries the PostgreSQL cases are skipped, loudly, unless `CI=true`, where they fail.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import Database, open_database

PG_USER = "postgres"
TEMPLATE_DB = "faqbot_test"
BACKENDS = ("sqlite", "postgresql")
# A Friday evening, after hours, in Moscow (UTC+3): 2026-11-20 19:30 MSK.
FRIDAY_EVENING = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
# A Tuesday morning in working hours: 2026-11-24 10:00 MSK.
TUESDAY_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running throwaway server: where to connect."""

    host: str
    port: int

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+asyncpg://{PG_USER}@{self.host}:{self.port}/{database}"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(f"!!! PostgreSQL tests SKIPPED: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start PostgreSQL in a temporary folder for the whole session; stop it afterwards."""
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        _unavailable("initdb/pg_ctl not found; install the `postgresql` package")
        raise AssertionError("unreachable")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", PG_USER, "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
    if as_root:
        shutil.chown(base, user=PG_USER)
    data = base / "data"
    port = _free_port()

    def run(*args: str) -> None:
        result = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, check=False, cwd=base
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "server.log"),
            "-w",
            "start",
        )
    except (RuntimeError, OSError) as error:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"could not start a server: {error}")
    server = PostgresServer(host="127.0.0.1", port=port)
    try:
        asyncio.run(_create_template(server))
        yield server
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
            cwd=base,
        )
        shutil.rmtree(base, ignore_errors=True)


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
        return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'faqbot.sqlite3'}"
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
