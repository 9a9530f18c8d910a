"""What SQLAlchemy hands to the database driver: to check which statements skip it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.storage.database import Database


@contextmanager
def statements_through_sqlalchemy(db: Database) -> Iterator[list[str]]:
    """The statements SQLAlchemy hands to the driver while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split(maxsplit=1)[0].upper())

    engine = db._engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
