"""Settings of the Telegram bot, read from the environment only when asked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.settings import CoreSettings
from bot.telegram.errors import MissingTokenError

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_BASE_ENV = "TELEGRAM_API_BASE"
DEFAULT_API_BASE = "https://api.telegram.org"
# The public Bot API refuses to hand out files bigger than this through getFile.
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How API calls are retried in place before the outbox takes over.

    `attempts`: calls in all, the first included; `first_delay`/`max_delay`: seconds of the
    doubling back-off after a 5xx or a network error; `max_retry_after`: the longest
    "retry after" from Telegram the bot waits out in place (a longer one fails the call).
    """

    attempts: int = 3
    first_delay: float = 0.5
    max_delay: float = 5.0
    max_retry_after: float = 30.0


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Everything `faqbot telegram` runs with."""

    token: str
    kb_dir: Path
    api_base: str = DEFAULT_API_BASE
    database_url: str | None = None
    core: CoreSettings = field(default_factory=CoreSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    polling_timeout: int = 10  # seconds a getUpdates call waits for news
    kb_reload_interval: float = 2.0
    request_timeout: float = 30.0
    remembered_deliveries: int = 10_000  # idempotency keys kept to drop repeated sends

    @property
    def max_download_bytes(self) -> int:
        """The biggest file the bot downloads: our attachment limit, capped by the Bot API."""
        return min(self.core.attachments.max_bytes, BOT_API_DOWNLOAD_LIMIT)

    @classmethod
    def from_env(
        cls,
        *,
        kb_dir: Path,
        database_url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> TelegramSettings:
        """Settings from `TELEGRAM_BOT_TOKEN` and `TELEGRAM_API_BASE`; no token is an error."""
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            raise MissingTokenError(TOKEN_ENV)
        api_base = env.get(API_BASE_ENV, "").strip().rstrip("/") or DEFAULT_API_BASE
        return cls(token=token, kb_dir=kb_dir, api_base=api_base, database_url=database_url)
