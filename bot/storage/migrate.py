"""Bring a database's schema up to date with the Alembic migrations, from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Serialises start-up migrations of several processes on one PostgreSQL database.
MIGRATION_LOCK_KEY = 0x66617162  # "faqb"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations folder, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade_sync(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    command.upgrade(alembic_config(connection), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply all migrations up to `revision` in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync, revision)
