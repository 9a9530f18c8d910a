"""Settings of the Telegram bot, read from the environment only when asked."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.settings import CoreSettings
from bot.telegram.errors import MissingTokenError, TelegramSettingsError

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_BASE_ENV = "TELEGRAM_API_BASE"
WEBHOOK_URL_ENV = "TELEGRAM_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
STAFF_CHAT_ENV = "TELEGRAM_STAFF_CHAT"
WEBHOOK_PATH = "/telegram/webhook"
# What Telegram accepts as a secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
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
    # Back-off while Telegram is unreachable at start: seconds, doubling up to the maximum.
    connect_first_delay: float = 1.0
    connect_max_delay: float = 60.0
    remembered_deliveries: int = 10_000  # idempotency keys kept to drop repeated sends
    # Webhook mode (mounted on `faqbot serve`): the public base URL Telegram posts to.
    webhook_url: str | None = None
    webhook_secret: str | None = None  # None: derived from the token (see `secret_token`)
    # The operators' forum group (a supergroup with topics): its chat id, or None for none.
    staff_chat_id: int | None = None
    staff_poll_interval: float = 1.0  # seconds between looks for new tickets and changes

    @property
    def webhook_endpoint(self) -> str | None:
        """The full URL given to setWebhook, or None in polling mode."""
        if self.webhook_url is None:
            return None
        return self.webhook_url + WEBHOOK_PATH

    @property
    def secret_token(self) -> str:
        """The secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.

        Configured, or derived from the bot token (HMAC-SHA256): stable across restarts and
        the same in every `serve` process, and nobody without the token can guess it.
        """
        if self.webhook_secret:
            return self.webhook_secret
        digest = hmac.new(self.token.encode(), b"faqbot-telegram-webhook", hashlib.sha256)
        return digest.hexdigest()

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
        """Settings from `TELEGRAM_BOT_TOKEN`, `TELEGRAM_API_BASE` and the optional
        `TELEGRAM_WEBHOOK_URL`, `TELEGRAM_WEBHOOK_SECRET`, `TELEGRAM_STAFF_CHAT`; no token is
        an error, and so is a value the bot cannot use (`TelegramSettingsError`)."""
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            raise MissingTokenError(TOKEN_ENV)
        api_base = env.get(API_BASE_ENV, "").strip().rstrip("/") or DEFAULT_API_BASE
        return cls(
            token=token,
            kb_dir=kb_dir,
            api_base=api_base,
            database_url=database_url,
            webhook_url=webhook_url_from(env),
            webhook_secret=_secret(env),
            staff_chat_id=_staff_chat(env),
        )


def webhook_url_from(env: Mapping[str, str]) -> str | None:
    """The public base URL of `TELEGRAM_WEBHOOK_URL` (https only), or None when unset."""
    raw = env.get(WEBHOOK_URL_ENV, "").strip()
    if not raw:
        return None
    url = raw.rstrip("/")
    if url.endswith(WEBHOOK_PATH):
        url = url[: -len(WEBHOOK_PATH)]
    if not re.match(r"^https://[^/\s]+(/\S*)?$", url):
        raise TelegramSettingsError(
            f"{WEBHOOK_URL_ENV}={raw!r} — не публичный адрес https: Telegram присылает "
            "обновления только по HTTPS; укажите адрес, по которому доступно приложение, "
            "например https://example.org"
        )
    return url


def _secret(env: Mapping[str, str]) -> str | None:
    raw = env.get(WEBHOOK_SECRET_ENV, "").strip()
    if not raw:
        return None
    if not SECRET_PATTERN.match(raw):
        raise TelegramSettingsError(
            f"{WEBHOOK_SECRET_ENV} — от 1 до 256 символов из A-Z, a-z, 0-9, _ и - (правило "
            "Telegram для secret_token); не задавайте его, и он будет выведен из токена"
        )
    return raw


def _staff_chat(env: Mapping[str, str]) -> int | None:
    raw = env.get(STAFF_CHAT_ENV, "").strip()
    if not raw:
        return None
    try:
        chat_id = int(raw)
    except ValueError:
        chat_id = 0
    if chat_id >= 0:
        raise TelegramSettingsError(
            f"{STAFF_CHAT_ENV}={raw!r} — не номер группы: у супергрупп это отрицательные "
            "числа вроде -1001234567890 (добавьте бота в группу и возьмите номер из любого "
            "обновления или у @getidsbot)"
        )
    return chat_id
