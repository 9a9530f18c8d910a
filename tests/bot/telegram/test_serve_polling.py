"""`faqbot serve` with a token and no webhook URL runs the bot itself, by long polling.

The README's one "run the product" command then brings up the web and Telegram together.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.bot.telegram.conftest import PROJECT_KB, TOKEN
from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.telegram.served import serving
from tests.bot.telegram.test_webhook import message_update

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

QUIET_SECONDS = 2.0


def _bot_env(api: FakeBotApi) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}


async def test_serve_answers_on_the_web_and_in_telegram(api: FakeBotApi, tmp_path: Path) -> None:
    async with serving(tmp_path, PROJECT_KB, _bot_env(api)) as served:
        api.push(message_update(901, "забыл пароль"))
        (reply,) = await api.wait_sent(901, 1, timeout=30)
        assert "восстанов" in reply["text"].lower()
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            asked = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert asked.status_code == 200 and asked.json()["entry_id"]  # the web serves too
    log = served.log.read_text("utf-8")
    # Said when it starts to connect, and that it polls only once Telegram has answered (it
    # said «опрашивает» before asking Telegram anything, also while Telegram was away).
    assert "faqbot: бот Telegram подключается к" in log
    assert log.index("faqbot: бот Telegram подключается к") < log.index("опрашивает Telegram")


async def test_no_telegram_leaves_the_bot_to_its_own_process(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with serving(tmp_path, PROJECT_KB, _bot_env(api), "--no-telegram") as served:
        await asyncio.sleep(QUIET_SECONDS)
        assert api.calls_of("getUpdates", ok_only=False) == []
    assert "Telegram" not in served.log.read_text("utf-8")
