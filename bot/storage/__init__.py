"""Storage of the core on SQLAlchemy (SQLite or PostgreSQL), with Alembic migrations.

ORM rows never leave this package: repositories return the core's frozen dataclasses.
Import the modules you need directly (``from bot.storage.database import open_database``).
"""
