"""The reliability tests reuse the web tests' fixtures: the real app, SQLite, a base copy."""

from __future__ import annotations

from tests.bot.web.conftest import anyio_backend, kb_dir, web, web_settings

__all__ = ["anyio_backend", "kb_dir", "web", "web_settings"]
