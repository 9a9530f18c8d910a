"""Webhook mode: the bot mounted on `faqbot serve`'s app at `/telegram/webhook`.

Telegram posts each update with the secret given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header; anything without it gets 403 and is not looked at.
Updates go to the same dispatcher as in polling mode, and the serve process delivers the
operators' replies to Telegram chats (and runs the operators' group) itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from bot.core.telegram_health import TelegramState
from bot.telegram.app import COMMANDS, TelegramApp, bot_on
from bot.telegram.errors import TokenRejectedError
from bot.telegram.log_redaction import token_redaction
from bot.telegram.services import services_on
from bot.telegram.settings import TOKEN_ENV, WEBHOOK_PATH, TelegramSettings

if TYPE_CHECKING:
    from bot.web.services import WebServices

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REGISTER_RETRY_SECONDS = (1.0, 5.0, 30.0)  # back-off of setWebhook while Telegram is away


class TelegramWebhook:
    """The bot as a part of the web app: a route, and what runs beside it while it serves."""

    def __init__(self, settings: TelegramSettings) -> None:
        if settings.webhook_endpoint is None:
            raise ValueError("TelegramWebhook needs settings with a webhook_url")
        self.settings = settings
        self._app: TelegramApp | None = None
        self.router = APIRouter()
        self.router.add_api_route(
            WEBHOOK_PATH, self.receive, methods=["POST"], include_in_schema=False
        )

    @asynccontextmanager
    async def running(self, services: WebServices) -> AsyncIterator[None]:
        """Run the bot on the web app's database and base for as long as the app serves."""
        with token_redaction(self.settings.token):
            telegram = services_on(self.settings, services.db, services.answerer)
            async with bot_on(telegram, services.telegram) as app, app.background():
                app.health.set(TelegramState.STARTING, "вебхук Telegram устанавливается")
                registering = asyncio.create_task(self._register(app), name="telegram-webhook")
                refused = asyncio.create_task(_report_refused(app), name="telegram-token")
                self._app = app
                try:
                    yield
                finally:
                    self._app = None
                    for task in (registering, refused):
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task

    async def receive(self, request: Request) -> JSONResponse:
        """One update from Telegram: checked, then handled by the dispatcher."""
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), self.settings.secret_token.encode()):
            return JSONResponse({"detail": "wrong or missing secret token"}, status_code=403)
        app = self._app
        if app is None:
            return JSONResponse({"detail": "the bot is not running"}, status_code=503)
        try:
            update = Update.model_validate(await request.json(), context={"bot": app.bot})
        except (ValueError, ValidationError) as error:
            log.warning("Вебхук: пришло не обновление Telegram (%s)", type(error).__name__)
            return JSONResponse({"detail": "the body is not a Telegram update"}, status_code=400)
        # Handled before answering: Telegram then sends a chat's updates in order.
        await app.dispatcher.feed_update(app.bot, update)
        return JSONResponse({"ok": True})

    async def _register(self, app: TelegramApp) -> None:
        """Point Telegram at our URL (with the secret), retrying while it is unreachable;
        a refused token ends the attempts with one error line."""
        attempt = 0
        while True:
            try:
                await app.bot.set_webhook(
                    url=str(self.settings.webhook_endpoint),
                    secret_token=self.settings.secret_token,
                    # The kinds of update some router handles, as polling asks for.
                    allowed_updates=app.dispatcher.resolve_used_update_types(),
                    drop_pending_updates=False,
                )
                await app.bot.set_my_commands(list(COMMANDS))
            except (TelegramUnauthorizedError, TelegramNotFound):
                return  # no retry helps a refused token; `_report_refused` says what to fix
            except (TelegramAPIError, TelegramNetworkError, ClientDecodeError) as error:
                delay = REGISTER_RETRY_SECONDS[min(attempt, len(REGISTER_RETRY_SECONDS) - 1)]
                why = (
                    "ответ не в формате Bot API" if isinstance(error, ClientDecodeError) else error
                )
                log.warning(
                    "Не удалось установить вебхук Telegram (%s); повтор через %s с", why, delay
                )
                app.health.set(
                    TelegramState.WAITING,
                    f"Telegram недоступен: не удалось установить вебхук ({why}); "
                    f"следующая попытка через {delay:.0f} с",
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            log.info("Вебхук Telegram установлен на %s", self.settings.webhook_endpoint)
            endpoint = self.settings.webhook_endpoint
            app.health.set(TelegramState.OK, f"вебхук Telegram установлен на {endpoint}")
            return


async def _report_refused(app: TelegramApp) -> None:
    """One error line once Telegram refuses the token (at start or revoked later); the
    delivery to Telegram and the operators' group have stopped, the web keeps serving."""
    await app.token_watch.rejected.wait()
    error = TokenRejectedError(TOKEN_ENV)
    app.health.set(TelegramState.STOPPED, str(error))
    log.error("Бот Telegram остановился: %s. Веб-приложение продолжает работать", error)
