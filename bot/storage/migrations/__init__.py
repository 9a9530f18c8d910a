"""Alembic migrations of the core's schema (run by `bot.storage.migrate`)."""
