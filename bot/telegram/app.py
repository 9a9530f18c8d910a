"""The running bot: Bot API client, dispatcher, outbox delivery, operators' group, polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand

from bot.core.delivery import DeliveryWorker
from bot.core.errors import DatabaseUnavailableError
from bot.core.outbox import SenderRegistry
from bot.core.telegram_health import TelegramHealth, TelegramState
from bot.telegram.dispatcher import build_dispatcher
from bot.telegram.errors import TokenRejectedError
from bot.telegram.identity import TELEGRAM_CHANNEL
from bot.telegram.log_redaction import token_redaction
from bot.telegram.mark_buttons import MarkButtons
from bot.telegram.polling_health import PollingHealth
from bot.telegram.retrying import RetryMiddleware
from bot.telegram.sender import TelegramSender
from bot.telegram.services import TelegramServices, build_services
from bot.telegram.settings import TOKEN_ENV, TelegramSettings
from bot.telegram.staff_announcer import StaffAnnouncer
from bot.telegram.token_watch import TokenWatch
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


def connect_delay(attempt: int, settings: TelegramSettings) -> float:
    """Seconds to wait after the `attempt`-th failed try (from 0) to reach Telegram at start:
    doubling, capped. The exponent is capped first: a start blocked for a day (over a
    thousand tries) made `2**attempt` too large for a float, and the wait an OverflowError."""
    doubled = settings.connect_first_delay * 2.0 ** min(attempt, 30)
    return min(doubled, settings.connect_max_delay)


@dataclass(frozen=True, slots=True)
class TelegramApp:
    """The bot, its dispatcher and services, ready to poll or to take webhook updates."""

    bot: Bot
    dispatcher: Dispatcher
    services: TelegramServices
    senders: SenderRegistry
    token_watch: TokenWatch
    staff_announcer: StaffAnnouncer | None = None
    health: TelegramHealth = field(default_factory=TelegramHealth)  # for `/healthz`

    @asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """Deliver operators' replies (and keep the operators' group in step) meanwhile."""
        worker = DeliveryWorker(
            self.services.db, self.senders, settings=self.services.settings.core.outbox
        )
        stop = asyncio.Event()
        tasks = [asyncio.create_task(worker.run(stop), name="telegram-delivery")]
        if self.staff_announcer is not None:
            tasks.append(
                asyncio.create_task(self.staff_announcer.run(stop), name="telegram-staff-group")
            )
        # A refused token fails every send: stop them; the replies wait in the outbox.
        refused = asyncio.create_task(self.token_watch.rejected.wait())
        refused.add_done_callback(lambda _: stop.set())
        try:
            yield
        finally:
            stop.set()
            refused.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*tasks, return_exceptions=True),
                    timeout=DELIVERY_SHUTDOWN_SECONDS,
                )

    async def run(self, stop: asyncio.Event, *, handle_signals: bool = False) -> None:
        """Wait for Telegram, then poll for updates and deliver operators' replies until
        `stop` is set (or SIGINT/SIGTERM with `handle_signals`).

        Raises `TokenRejectedError` when Telegram refuses the token, and whatever stopped
        polling otherwise: the caller says so instead of the bot falling silent.
        """
        api_base = self.services.settings.api_base
        self.health.set(TelegramState.STARTING, f"бот Telegram подключается к {api_base}")
        try:
            with _stop_on_signals(stop) if handle_signals else contextlib.nullcontext():
                if not await self.connect(stop):
                    return
                await prepare(self.bot)
                async with self.background():
                    self.health.set(TelegramState.OK, f"бот Telegram опрашивает {api_base}")
                    await self._poll(stop)
        except TokenRejectedError as error:
            self.health.set(TelegramState.STOPPED, str(error))
            raise
        except Exception as error:
            why = f"бот Telegram остановился из-за ошибки: {type(error).__name__}"
            self.health.set(TelegramState.STOPPED, why)
            raise

    async def connect(self, stop: asyncio.Event) -> bool:
        """Ask Telegram who the bot is until it answers (True), waiting with back-off while
        it is unreachable or failing; False when `stop` is set first."""
        settings = self.services.settings
        attempt = 0
        while not stop.is_set():
            asking = asyncio.create_task(self.bot.me())
            stopped = asyncio.create_task(stop.wait())
            try:  # a Telegram that never answers (packets dropped) must not hold up a stop
                await asyncio.wait({asking, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopped.cancel()
                if not asking.done():
                    asking.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asking
            if asking.cancelled():
                return False
            try:
                asking.result()
            except (TelegramUnauthorizedError, TelegramNotFound) as error:
                raise TokenRejectedError(TOKEN_ENV) from error
            except TelegramRetryAfter as error:
                # Never sooner than the first back-off step: a 0 would ask again at once.
                delay = max(float(error.retry_after), settings.connect_first_delay)
                why = "Telegram просит подождать"
            except TelegramServerError as error:
                delay = connect_delay(attempt, settings)
                why = f"Telegram ответил ошибкой сервера: {error.message}"
            except (TelegramAPIError, TelegramNetworkError) as error:
                delay = connect_delay(attempt, settings)
                why = f"нет связи с {settings.api_base}: {type(error).__name__}"
            except ClientDecodeError:  # a proxy's error page, say, instead of Bot API JSON
                delay = connect_delay(attempt, settings)
                why = f"{settings.api_base} ответил не в формате Bot API"
            else:
                return True
            attempt += 1
            self.health.set(
                TelegramState.WAITING,
                f"Telegram недоступен ({why}); следующая попытка через {delay:.0f} с",
            )
            log.warning(
                "Telegram недоступен (%s); бот начнёт работу, как только Telegram ответит: "
                "попытка %d не удалась, следующая через %.0f с",
                why,
                attempt,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
        return False

    async def _poll(self, stop: asyncio.Event) -> None:
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                polling_timeout=self.services.settings.polling_timeout,
                handle_signals=False,  # `stop` is set on signals instead (see `run`)
                close_bot_session=False,
            ),
            name="telegram-polling",
        )
        stopped = asyncio.create_task(stop.wait())
        refused = asyncio.create_task(self.token_watch.rejected.wait())
        try:
            await asyncio.wait({polling, stopped, refused}, return_when=asyncio.FIRST_COMPLETED)
            if polling.done():
                await polling  # what stopped polling is raised, not left in the task
            if refused.done() and not stop.is_set():  # the token was revoked while polling
                raise TokenRejectedError(TOKEN_ENV)
        finally:
            refused.cancel()
            if not polling.done():
                try:
                    await self.dispatcher.stop_polling()
                except RuntimeError:  # polling had not started yet
                    polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
            stopped.cancel()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (while Telegram is awaited and while polling)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        yield
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


@asynccontextmanager
async def telegram_app(
    settings: TelegramSettings, *, morphology: Morphology | None = None
) -> AsyncIterator[TelegramApp]:
    """Build the bot and its services with the token kept out of the logs; close them after."""
    with token_redaction(settings.token):
        async with (
            build_services(settings, morphology=morphology) as services,
            bot_on(services) as app,
        ):
            yield app


@asynccontextmanager
async def bot_on(
    services: TelegramServices, health: TelegramHealth | None = None
) -> AsyncIterator[TelegramApp]:
    """The bot over services already built (by `telegram_app`, or by `serve`'s webhook);
    `health`: where `serve`'s `/healthz` reads the bot's status."""
    settings = services.settings
    await forget_stale_dialogues(services)
    bot = create_bot(settings)
    token_watch = TokenWatch()
    bot.session.middleware(token_watch)
    health = health or TelegramHealth()
    bot.session.middleware(PollingHealth(health, settings.api_base))
    try:
        dispatcher = build_dispatcher(services)
        senders = SenderRegistry()
        senders.register(
            TELEGRAM_CHANNEL,
            TelegramSender(
                bot,
                services.render_options,
                remember=settings.remembered_deliveries,
                marks=MarkButtons(dispatcher.storage),
            ),
        )
        announcer = None
        if services.staff is not None:
            announcer = StaffAnnouncer(
                bot,
                services.staff,
                zone=settings.core.working_hours.timezone,
                interval=settings.staff_poll_interval,
            )
        dispatcher["staff_announcer"] = announcer
        yield TelegramApp(
            bot=bot,
            dispatcher=dispatcher,
            services=services,
            senders=senders,
            token_watch=token_watch,
            staff_announcer=announcer,
            health=health,
        )
    finally:
        await bot.session.close()


async def forget_stale_dialogues(services: TelegramServices) -> None:
    """Remove chats' dialogue memories past their time (a shared phone number among them)."""
    try:
        forgotten = await services.dialogues.forget_stale()
    except DatabaseUnavailableError:
        log.warning("Не удалось удалить устаревшую память диалогов: база данных недоступна")
        return
    if forgotten:
        log.info("Удалена память диалогов, давно не менявшаяся: %d", forgotten)


async def prepare(bot: Bot) -> None:
    """Switch the bot to long polling and publish its commands in the Telegram menu.

    Telegram has just answered `connect`; should it fail here, polling keeps trying.
    """
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await bot.set_my_commands(list(COMMANDS))
    except (TelegramAPIError, TelegramNetworkError) as error:
        log.warning("Не удалось подготовить бота (%s); опрос Telegram всё равно начинается", error)
    except ClientDecodeError:  # a proxy's error page, say, instead of Bot API JSON
        log.warning(
            "Не удалось подготовить бота (Telegram ответил не в формате Bot API); "
            "опрос Telegram всё равно начинается"
        )
