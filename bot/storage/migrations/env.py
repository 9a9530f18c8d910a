"""Alembic environment: runs on a connection handed in by `bot.storage.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.tables import Base

config = context.config


def run_on(connection: Connection) -> None:
    """Apply migrations on an open synchronous connection (inside the caller's transaction)."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "The faqbot migrations run on a connection given by bot.storage.migrate; "
        "call bot.storage.migrate.upgrade(engine) instead of the alembic command line."
    )
run_on(connection)
