"""The real bot (aiogram Dispatcher + Bot) polling a fake Bot API server on loopback."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.settings import CoreSettings, OutboxSettings
from bot.telegram.app import TelegramApp, telegram_app
from bot.telegram.settings import RetrySettings, TelegramSettings
from matcher import Morphology
from tests.bot.telegram.citizen import Citizen
from tests.bot.telegram.fake_api import FakeBotApi
from tests.conftest import fresh_sqlite

PROJECT_KB = Path(__file__).resolve().parents[3] / "knowledge_base"
TOKEN = "7000001:AAF-secret-token-for-tests_0123456789abc"
FAST_OUTBOX = OutboxSettings(
    first_retry=timedelta(milliseconds=100),
    max_retry=timedelta(milliseconds=400),
    poll_interval=timedelta(milliseconds=50),
)
FAST_RETRY = RetrySettings(attempts=3, first_delay=0.05, max_delay=0.2, max_retry_after=5)


@pytest.fixture
async def api(anyio_backend: str) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API server, listening."""
    server = FakeBotApi(token=TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def settings(api: FakeBotApi, tmp_path: Path, sqlite_template: Path) -> TelegramSettings:
    """The bot's settings: the fake API, a copy of the project's base, SQLite in tmp_path."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, kb_dir)
    return TelegramSettings(
        token=TOKEN,
        kb_dir=kb_dir,
        api_base=api.base_url,
        database_url=fresh_sqlite(sqlite_template, tmp_path / "faqbot.sqlite3"),
        core=CoreSettings(outbox=FAST_OUTBOX),
        retry=FAST_RETRY,
        polling_timeout=1,
        kb_reload_interval=0.1,
        request_timeout=10,
    )


@dataclass(frozen=True, slots=True)
class RunningBot:
    """The bot as it runs, with the server it talks to."""

    app: TelegramApp
    api: FakeBotApi
    task: asyncio.Task[None]

    @property
    def polling(self) -> bool:
        """The bot is still running (no handler's failure stopped it)."""
        return not self.task.done()

    def citizen(self, user_id: int = 501) -> Citizen:
        """A citizen writing from their private chat."""
        return Citizen(self.api, user_id)


@asynccontextmanager
async def polling(
    settings: TelegramSettings, morphology: Morphology
) -> AsyncIterator[tuple[TelegramApp, asyncio.Task[None]]]:
    """One run of the bot process: polling until the block ends (a restart is a second one)."""
    async with telegram_app(settings, morphology=morphology) as app:
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(stop))
        try:
            yield app, task
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def running(
    api: FakeBotApi, settings: TelegramSettings, morphology: Morphology
) -> AsyncIterator[RunningBot]:
    """The bot polling the fake API until the test ends."""
    async with polling(settings, morphology) as (app, task):
        await api.wait_for(lambda: bool(api.calls_of("getUpdates")), what="polling")
        yield RunningBot(app, api, task)
