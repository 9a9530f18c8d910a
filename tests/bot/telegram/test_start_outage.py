"""Telegram unreachable or refusing the token when the bot starts, in real processes.

An outage at start (connection refused, 5xx) is waited out with one Russian line per wait,
and the bot answers as soon as Telegram is back; a refused token stops `faqbot telegram`
with a Russian line and status 2, and under `serve` (polling or webhook) is one error line
while the web serves.
Until 2026-12-05 three failed `getMe` calls ended polling for good: `faqbot telegram` exited
with status 0 after «Task exception was never retrieved», `serve` lost the bot silently.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.bot.telegram.conftest import PROJECT_KB, TOKEN
from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.telegram.served import TELEGRAM_SETTINGS, serving
from tests.bot.telegram.test_webhook import message_update

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

WRONG_TOKEN = "7000001:AAF-a-token-botfather-revoked_0123456789"
WAITING = "Telegram недоступен"
REFUSED = "Telegram не принял токен бота"
START_SECONDS = 90.0
NO_RETRY_SECONDS = 3.0
STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Bot:
    """A running `faqbot telegram` process and its output (stdout and stderr together)."""

    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        """What the process has written so far."""
        return self.log.read_text("utf-8")

    async def wait_for_line(self, text: str) -> None:
        """Wait until the output holds `text`, or fail showing it."""
        deadline = time.monotonic() + START_SECONDS
        while text not in self.output():
            if time.monotonic() > deadline or self.process.returncode is not None:
                status = self.process.returncode
                pytest.fail(f"no «{text}» (exit status {status}):\n{self.output()}")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def bot_process(tmp_path: Path, env: Mapping[str, str]) -> AsyncIterator[Bot]:
    """`faqbot telegram` with `env` over a clean environment; stopped (SIGTERM) at the end."""
    environment = {k: v for k, v in os.environ.items() if k not in TELEGRAM_SETTINGS}
    environment.update(FAQBOT_DATA_DIR=str(tmp_path), **env)
    log = tmp_path / "telegram.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "telegram", "--kb", str(PROJECT_KB),
            env=environment, stdout=sink, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield Bot(process, log)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_telegram_down_at_start_is_waited_for_and_then_the_bot_answers(
    api: FakeBotApi, tmp_path: Path
) -> None:
    port = urlsplit(api.base_url).port
    assert port is not None
    await api.stop()  # connection refused: the Bot API server is down
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with bot_process(tmp_path, env) as bot:
        await bot.wait_for_line(WAITING)
        await api.start(port)  # Telegram is back
        api.push(message_update(901, "забыл пароль"))
        (reply,) = await api.wait_sent(901, 1, timeout=60)
        assert "восстанов" in reply["text"].lower()
        assert bot.process.returncode is None
    assert await bot.process.wait() == 0  # stopped by SIGTERM, gracefully
    output = bot.output()
    assert "Traceback" not in output and "never retrieved" not in output, output
    assert "следующая через" in output  # the wait says when it tries again


async def test_a_refused_token_stops_faqbot_telegram_with_a_russian_line(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with bot_process(tmp_path, env) as bot:
        await asyncio.wait_for(bot.process.wait(), timeout=START_SECONDS)
    output = bot.output()
    assert bot.process.returncode == 2, output
    assert f"faqbot: {REFUSED}" in output and "@BotFather" in output
    assert "Traceback" not in output and "never retrieved" not in output, output
    assert WRONG_TOKEN.split(":")[1] not in output


async def test_under_serve_telegram_failing_at_start_is_waited_for(
    api: FakeBotApi, tmp_path: Path
) -> None:
    api.fail(502, 3, methods=("getMe",), description="Bad Gateway")
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with serving(tmp_path, PROJECT_KB, env) as served:
        api.push(message_update(902, "забыл пароль"))
        (reply,) = await api.wait_sent(902, 1, timeout=60)
        assert "восстанов" in reply["text"].lower()
    log = served.log.read_text("utf-8")
    assert f"{WAITING} (Telegram ответил ошибкой сервера: Bad Gateway)" in log
    assert "never retrieved" not in log


async def test_under_serve_a_refused_token_is_one_line_and_the_web_keeps_answering(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with serving(tmp_path, PROJECT_KB, env) as served:
        await _wait_logged(served.log, REFUSED)
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            asked = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
            health = await client.get("/healthz")
        assert asked.status_code == 200 and asked.json()["entry_id"]
        assert health.status_code == 200
    log = served.log.read_text("utf-8")
    (line,) = [line for line in log.splitlines() if REFUSED in line]
    assert "ERROR" in line and "Бот Telegram остановился" in line
    assert "Веб-приложение продолжает работать" in line
    assert "never retrieved" not in log
    assert WRONG_TOKEN.split(":")[1] not in log


async def test_in_webhook_mode_a_refused_token_is_one_line_and_not_retried(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": WRONG_TOKEN,
        "TELEGRAM_API_BASE": api.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://example.org",
    }
    async with serving(tmp_path, PROJECT_KB, env) as served:
        await _wait_logged(served.log, REFUSED)
        await asyncio.sleep(NO_RETRY_SECONDS)  # the first retry came after 1 s
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            asked = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert asked.status_code == 200 and asked.json()["entry_id"]
    assert len(api.calls_of("setWebhook", ok_only=False)) == 1
    log = served.log.read_text("utf-8")
    (line,) = [line for line in log.splitlines() if REFUSED in line]
    assert "ERROR" in line and "Веб-приложение продолжает работать" in line
    assert "Не удалось установить вебхук" not in log


async def _wait_logged(log: Path, text: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while text not in log.read_text("utf-8"):
        assert time.monotonic() < deadline, log.read_text("utf-8")
        await asyncio.sleep(0.1)


async def test_an_html_page_instead_of_the_bot_api_at_start_is_waited_for_not_a_crash(
    api: FakeBotApi, tmp_path: Path
) -> None:
    # A proxy in front of Telegram answering with its own error page, not Bot API JSON.
    api.fail(502, 2, methods=("getMe",), description="Bad Gateway", html=True)
    api.fail(502, 100, methods=("deleteWebhook",), description="Bad Gateway", html=True)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with bot_process(tmp_path, env) as bot:
        await bot.wait_for_line(f"{WAITING} ({api.base_url} ответил не в формате Bot API)")
        api.push(message_update(903, "забыл пароль"))
        (reply,) = await api.wait_sent(903, 1, timeout=60)
        assert "восстанов" in reply["text"].lower()
        assert bot.process.returncode is None
    assert await bot.process.wait() == 0  # stopped by SIGTERM, gracefully
    output = bot.output()
    assert "Traceback" not in output and "<html>" not in output, output
    assert "Не удалось подготовить бота (Telegram ответил не в формате Bot API)" in output


async def test_a_token_revoked_while_polling_stops_faqbot_telegram_with_a_russian_line(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with bot_process(tmp_path, env) as bot:
        api.push(message_update(904, "забыл пароль"))
        await api.wait_sent(904, 1, timeout=60)
        api.revoke_token("7000001:AAF-the-new-token-after-revoking_0123")
        await asyncio.wait_for(bot.process.wait(), timeout=START_SECONDS)
    output = bot.output()
    assert bot.process.returncode == 2, output
    assert f"faqbot: {REFUSED}" in output and "@BotFather" in output
    assert "Traceback" not in output and "never retrieved" not in output, output
    assert "Unauthorized" not in output, output  # no retry line every few seconds
    assert TOKEN.split(":")[1] not in output


async def test_under_serve_a_token_revoked_while_polling_is_one_line_and_the_web_keeps_answering(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with serving(tmp_path, PROJECT_KB, env) as served:
        api.push(message_update(905, "забыл пароль"))
        await api.wait_sent(905, 1, timeout=60)
        api.revoke_token("7000001:AAF-the-new-token-after-revoking_0123")
        await _wait_logged(served.log, REFUSED)
        await asyncio.sleep(NO_RETRY_SECONDS)  # polling retried after a second or so
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            asked = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert asked.status_code == 200 and asked.json()["entry_id"]
        refused = len(api.calls_of("getUpdates", ok_only=False)) - len(api.calls_of("getUpdates"))
        assert refused == 1
    log = served.log.read_text("utf-8")
    (line,) = [line for line in log.splitlines() if REFUSED in line]
    assert "ERROR" in line and "Веб-приложение продолжает работать" in line
    assert "Unauthorized" not in log and "never retrieved" not in log, log


async def test_in_webhook_mode_a_refused_token_stops_the_operators_group_and_delivery(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": WRONG_TOKEN,
        "TELEGRAM_API_BASE": api.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://example.org",
        "TELEGRAM_STAFF_CHAT": "-1001234567890",
    }
    async with serving(tmp_path, PROJECT_KB, env) as served:
        await _wait_logged(served.log, REFUSED)
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            handed = await client.post(
                "/api/v1/handoff",
                json={"question": "Не приходит СМС с кодом", "session_id": "w" * 32},
            )
        assert handed.status_code == 200, handed.text
        await asyncio.sleep(NO_RETRY_SECONDS)  # the group would have announced the ticket
    assert [c.method for c in api.calls] == ["setWebhook"]  # no send refused again and again
    log = served.log.read_text("utf-8")
    assert len([line for line in log.splitlines() if REFUSED in line]) == 1, log
    assert "Unauthorized" not in log, log


async def test_healthz_says_the_bot_waits_for_telegram_then_that_it_works(
    api: FakeBotApi, tmp_path: Path
) -> None:
    port = urlsplit(api.base_url).port
    assert port is not None
    await api.stop()  # connection refused: the Bot API server is down
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base_url}
    async with (
        serving(tmp_path, PROJECT_KB, env) as served,
        httpx.AsyncClient(base_url=served.url, timeout=30) as client,
    ):
        await _wait_logged(served.log, WAITING)
        waiting = await client.get("/healthz")
        assert waiting.status_code == 200  # the web answers: only the bot waits
        assert waiting.json()["status"] == "ok" and waiting.json()["knowledge_base"]
        assert waiting.json()["telegram"]["status"] == "waiting"
        assert waiting.json()["telegram"]["reason"].startswith(WAITING)
        await api.start(port)  # Telegram is back
        api.push(message_update(906, "забыл пароль"))
        await api.wait_sent(906, 1, timeout=60)
        working = (await client.get("/healthz")).json()["telegram"]
        assert working == {"status": "ok", "reason": f"бот Telegram опрашивает {api.base_url}"}
        await api.stop()  # Telegram goes away while the bot polls, then comes back
        await _wait_telegram(client, "waiting")
        await api.start(port)
        api.push(message_update(907, "спасибо"))  # a poll that answers at once, not in 10 s
        await _wait_telegram(client, "ok")


async def _wait_telegram(client: httpx.AsyncClient, status: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while (health := (await client.get("/healthz")).json())["telegram"]["status"] != status:
        assert time.monotonic() < deadline, health
        await asyncio.sleep(0.2)


async def test_healthz_says_the_bot_stopped_on_a_refused_token_and_off_without_a_token(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_API_BASE": api.base_url}
    for folder in ("refused", "webhook", "off"):
        (tmp_path / folder).mkdir()
    async with (
        serving(tmp_path / "refused", PROJECT_KB, env) as served,
        httpx.AsyncClient(base_url=served.url, timeout=30) as client,
    ):
        await _wait_logged(served.log, REFUSED)
        stopped = await client.get("/healthz")
        assert stopped.status_code == 200 and stopped.json()["status"] == "ok"
        assert stopped.json()["telegram"]["status"] == "stopped"
        assert stopped.json()["telegram"]["reason"].startswith(REFUSED)
    webhook = {**env, "TELEGRAM_WEBHOOK_URL": "https://example.org"}
    async with (
        serving(tmp_path / "webhook", PROJECT_KB, webhook) as served,
        httpx.AsyncClient(base_url=served.url, timeout=30) as client,
    ):
        await _wait_logged(served.log, REFUSED)
        stopped = await client.get("/healthz")
        assert stopped.status_code == 200 and stopped.json()["status"] == "ok"
        assert stopped.json()["telegram"]["status"] == "stopped"
    async with (
        serving(tmp_path / "off", PROJECT_KB, {"TELEGRAM_BOT_TOKEN": ""}) as served,
        httpx.AsyncClient(base_url=served.url, timeout=30) as client,
    ):
        off = await client.get("/healthz")
        assert off.status_code == 200 and off.json()["telegram"]["status"] == "off"
        assert "TELEGRAM_BOT_TOKEN" in off.json()["telegram"]["reason"]


async def test_a_stop_while_telegram_never_answers_is_prompt(tmp_path: Path) -> None:
    # Telegram's packets dropped on the way (a firewall): the connection hangs, no answer.
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": f"http://127.0.0.1:{port}"}
    try:
        async with bot_process(tmp_path, env) as bot:
            await bot.wait_for_line("подключается к")
            await _request_arrived(held)
            started = time.monotonic()
            bot.process.terminate()  # SIGTERM, as systemd stops the bot; Ctrl-C alike
            status = await asyncio.wait_for(bot.process.wait(), timeout=START_SECONDS)
            took = time.monotonic() - started
    finally:
        silent.close()
    output = bot.output()
    assert status == 0 and took < STOP_SECONDS, (took, output)  # not the 30 s of a request
    assert "Traceback" not in output and WAITING not in output, output


async def _request_arrived(held: list[asyncio.StreamWriter]) -> None:
    """Wait until the bot's request has reached the silent server."""
    deadline = time.monotonic() + START_SECONDS
    while not held:
        assert time.monotonic() < deadline, "the bot never called the Bot API"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


def test_the_wait_for_telegram_doubles_to_a_minute_and_stays_there_for_days() -> None:
    """At 60 s a try, 1,024 tries is 17 hours: the doubling was computed uncapped, and a
    start blocked that long ended in an OverflowError instead of another wait."""
    from bot.telegram.app import connect_delay
    from bot.telegram.settings import TelegramSettings

    settings = TelegramSettings(token=TOKEN, kb_dir=PROJECT_KB)
    assert [connect_delay(a, settings) for a in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert connect_delay(2_000, settings) == 60
