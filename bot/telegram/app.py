"""The running bot: Bot API client, dispatcher, outbox delivery, long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand

from bot.core.delivery import DeliveryWorker
from bot.core.outbox import SenderRegistry
from bot.telegram.dispatcher import build_dispatcher
from bot.telegram.identity import TELEGRAM_CHANNEL
from bot.telegram.log_redaction import token_redaction
from bot.telegram.retrying import RetryMiddleware
from bot.telegram.sender import TelegramSender
from bot.telegram.services import TelegramServices, build_services
from bot.telegram.settings import TelegramSettings
from matcher import Morphology

log = logging.getLogger(__name__)

COMMANDS = (
    BotCommand(command="start", description="Темы и частые вопросы"),
    BotCommand(command="help", description="Что умеет бот"),
    BotCommand(command="operator", description="Передать вопрос специалисту"),
    BotCommand(command="status", description="Статус обращения: /status 123"),
    BotCommand(command="cancel", description="Отменить действие"),
)
DELIVERY_SHUTDOWN_SECONDS = 5.0


def create_bot(settings: TelegramSettings) -> Bot:
    """A Bot API client for `settings.api_base`, replying in HTML, retrying within limits."""
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.api_base), timeout=settings.request_timeout
    )
    session.middleware(RetryMiddleware(settings.retry))
    return Bot(
        settings.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


@dataclass(frozen=True, slots=True)
class TelegramApp:
    """The bot, its dispatcher and services, ready to poll."""

    bot: Bot
    dispatcher: Dispatcher
    services: TelegramServices
    senders: SenderRegistry

    async def run(self, stop: asyncio.Event, *, handle_signals: bool = False) -> None:
        """Poll for updates and deliver operators' replies until `stop` is set (or a signal)."""
        worker = DeliveryWorker(
            self.services.db, self.senders, settings=self.services.settings.core.outbox
        )
        await prepare(self.bot)
        delivering = asyncio.Event()
        delivery = asyncio.create_task(worker.run(delivering), name="telegram-delivery")
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=self.services.settings.polling_timeout,
                handle_signals=handle_signals,
                close_bot_session=False,
            ),
            name="telegram-polling",
        )
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not polling.done():
                try:
                    await self.dispatcher.stop_polling()
                except RuntimeError:  # polling had not started yet
                    polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
            stopped.cancel()
            delivering.set()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(delivery, timeout=DELIVERY_SHUTDOWN_SECONDS)


@asynccontextmanager
async def telegram_app(
    settings: TelegramSettings, *, morphology: Morphology | None = None
) -> AsyncIterator[TelegramApp]:
    """Build the bot and its services with the token kept out of the logs; close them after."""
    with token_redaction(settings.token):
        async with build_services(settings, morphology=morphology) as services:
            bot = create_bot(settings)
            try:
                senders = SenderRegistry()
                senders.register(
                    TELEGRAM_CHANNEL,
                    TelegramSender(
                        bot, services.render_options, remember=settings.remembered_deliveries
                    ),
                )
                yield TelegramApp(
                    bot=bot,
                    dispatcher=build_dispatcher(services),
                    services=services,
                    senders=senders,
                )
            finally:
                await bot.session.close()


async def prepare(bot: Bot) -> None:
    """Switch the bot to long polling and publish its commands in the Telegram menu.

    An unreachable Bot API is not fatal here: polling keeps trying with back-off.
    """
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await bot.set_my_commands(list(COMMANDS))
    except (TelegramAPIError, TelegramNetworkError) as error:
        log.warning("Could not prepare the bot (%s); polling anyway", error)
