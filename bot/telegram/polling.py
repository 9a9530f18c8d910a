"""Long polling inside `faqbot serve`: the bot beside the web app, on the app's database and
base, when a token is set and no public webhook URL is (a local run, a small installation)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter

from bot.telegram.app import bot_on
from bot.telegram.errors import TelegramError
from bot.telegram.log_redaction import token_redaction
from bot.telegram.services import services_on
from bot.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from bot.web.services import WebServices

log = logging.getLogger(__name__)


class TelegramPolling:
    """The bot polling for updates while the web app serves; it adds no routes."""

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.router = APIRouter()

    @asynccontextmanager
    async def running(self, services: WebServices) -> AsyncIterator[None]:
        """Poll (and deliver operators' replies to Telegram) until the app stops."""
        with token_redaction(self.settings.token):
            telegram = services_on(self.settings, services.db, services.answerer)
            async with bot_on(telegram, services.telegram) as app:
                stop = asyncio.Event()
                polling = asyncio.create_task(app.run(stop), name="telegram-polling")
                polling.add_done_callback(_report_end)
                try:
                    yield
                finally:
                    stop.set()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await polling


def _report_end(task: asyncio.Task[None]) -> None:
    # The web app keeps serving without the bot; say so instead of failing silently.
    if task.cancelled() or (error := task.exception()) is None:
        return
    if isinstance(error, TelegramError):  # a refused token: one line says what to do
        log.error("Бот Telegram остановился: %s. Веб-приложение продолжает работать", error)
        return
    log.error("Бот Telegram остановился; веб-приложение продолжает работать", exc_info=error)
