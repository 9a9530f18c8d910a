"""`faqbot serve` with a token and no webhook URL runs the bot itself, by long polling.

The README's one "run the product" command then brings up the web and Telegram together.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.bot.telegram.conftest import PROJECT_KB, TOKEN
from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.telegram.test_webhook import message_update
from tests.bot.web.conftest import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

STARTUP_SECONDS = 90.0
QUIET_SECONDS = 2.0


async def _serve(
    api: FakeBotApi, tmp_path: Path, *extra: str
) -> tuple[str, asyncio.subprocess.Process, Path]:
    env = {
        **os.environ,
        "FAQBOT_SECRET_KEY": "s" * 48,
        "FAQBOT_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api.base_url,
    }
    for name in ("FAQBOT_ENV", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_STAFF_CHAT"):
        env.pop(name, None)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "serve", "--kb", str(PROJECT_KB),
            "--port", str(port), *extra,
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                pytest.fail(f"faqbot serve exited at start-up:\n{log.read_text('utf-8')}")
            try:
                if (await client.get(f"{url}/healthz", timeout=2)).status_code == 200:
                    return url, process, log
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    process.kill()
    pytest.fail(f"faqbot serve not healthy in {STARTUP_SECONDS} s:\n{log.read_text('utf-8')}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_serve_answers_on_the_web_and_in_telegram(api: FakeBotApi, tmp_path: Path) -> None:
    url, process, log = await _serve(api, tmp_path)
    try:
        api.push(message_update(901, "забыл пароль"))
        (reply,) = await api.wait_sent(901, 1, timeout=30)
        assert "восстанов" in reply["text"].lower()
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            asked = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert asked.status_code == 200 and asked.json()["entry_id"]  # the web serves too
    finally:
        await _stop(process)
    text = log.read_text("utf-8")
    assert "faqbot: Telegram bot polling" in text
    assert "Traceback" not in text, text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def test_no_telegram_leaves_the_bot_to_its_own_process(
    api: FakeBotApi, tmp_path: Path
) -> None:
    _, process, log = await _serve(api, tmp_path, "--no-telegram")
    try:
        await asyncio.sleep(QUIET_SECONDS)
        assert api.calls_of("getUpdates", ok_only=False) == []
    finally:
        await _stop(process)
    assert "Telegram" not in log.read_text("utf-8")
