"""What an administrator reads in the log of a running `faqbot serve` and `faqbot telegram`.

Found on 2026-12-05: under `serve` faqbot's own warnings printed as a bare English message,
without time, level or logger («DeleteWebhook failed on attempt 1 (TelegramNetworkError),
retrying in 0.5 s»), beside uvicorn's «INFO:     …» lines; `faqbot telegram` had the time,
level and logger but the same English messages. Now every line but the access log's reads
"time LEVEL logger: message", and faqbot's messages are Russian.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.telegram.test_webhook import message_update
from tests.support.ports import free_port

TOKEN = "123:abc"
# The Bot API nobody answers: the bot waits for it at start, with a warning each time.
RETRIED = "Telegram недоступен (нет связи с http://127.0.0.1:"
STAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) [\w.]+: \S")


def _log_of(tmp_path: Path, *args: str) -> list[str]:
    """The lines `faqbot ARGS` writes until its bot has retried a request, then stopped."""
    log = tmp_path / "faqbot.log"
    environment = {
        **os.environ,
        "FAQBOT_ENV": "development",
        "FAQBOT_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{free_port()}",
    }
    environment.pop("TELEGRAM_WEBHOOK_URL", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", *args],
            cwd=tmp_path,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while not _retried(log.read_text("utf-8")) and process.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail(f"no retry logged in 90 s:\n{log.read_text('utf-8')}")
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return log.read_text("utf-8").splitlines()


def _retried(text: str) -> bool:
    # "retrying in": the English, before the fix; "повтор через": a retried request, before
    # the bot waited for Telegram at start (since 2026-12-05).
    return any(words in text for words in ("следующая через", "повтор через", "retrying in"))


def _assert_stamped_and_russian(lines: list[str]) -> None:
    logged = [line for line in lines if not line.startswith("faqbot: ")]
    assert any(RETRIED in line for line in logged), "\n".join(lines)
    for line in logged:
        assert STAMPED.match(line), f"a line without time, level and logger: {line!r}"
    retried = next(line for line in logged if RETRIED in line)
    assert " WARNING bot.telegram.app: " in retried
    assert not [line for line in lines if "failed on attempt" in line or "retrying in" in line]
    assert not [line for line in lines if TOKEN in line]


def test_serve_writes_its_warnings_with_time_level_and_logger_in_russian(
    tmp_path: Path,
) -> None:
    lines = _log_of(tmp_path, "serve", "--port", str(free_port()))
    _assert_stamped_and_russian(lines)
    # uvicorn's own lines are in the same form.
    assert any(" INFO uvicorn.error: Приложение запущено" in line for line in lines), lines


def test_the_telegram_command_writes_the_same_lines(tmp_path: Path) -> None:
    lines = _log_of(tmp_path, "telegram")
    _assert_stamped_and_russian(lines)


@pytest.mark.anyio
async def test_the_telegram_command_says_how_polling_failed_and_recovered(
    tmp_path: Path,
) -> None:
    """Another bot instance held getUpdates twice, then let go. aiogram's count of waits
    was shown as attempts: «Новая попытка через 1.0 с (попыток: 0…)» right after a failed
    one, and the bot's name hung at the end of the line («…опрашивает Telegram: 'Bot'»)."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.fail(
        409,
        2,
        methods=("getUpdates",),
        description="Conflict: terminated by other getUpdates request",
    )
    # News waiting, so the first getUpdates that goes through answers at once: aiogram says
    # it recovered only after one does, and an empty long poll takes its 10 s.
    api.push(message_update(701, "забыл пароль"))
    log = tmp_path / "faqbot.log"
    environment = {
        **os.environ,
        "FAQBOT_ENV": "development",
        "FAQBOT_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api.base_url,
    }
    environment.pop("TELEGRAM_WEBHOOK_URL", None)
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "telegram",
            cwd=tmp_path, env=environment, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "Связь с Telegram восстановлена" not in log.read_text("utf-8"):
            if time.monotonic() > deadline or process.returncode is not None:
                pytest.fail(f"no recovery logged:\n{log.read_text('utf-8')}")
            await asyncio.sleep(0.2)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=30)
        await api.close()
    messages = [line.split(": ", 1)[1] for line in log.read_text("utf-8").splitlines()]
    assert "Бот @faqbot_test_bot (id=123, имя 'Консультант') опрашивает Telegram" in messages
    # The delays are aiogram's, with a random spread after the first.
    waits = [m for m in messages if m.startswith("Новая попытка")]
    assert [re.sub(r"через \d+\.\d с", "через … с", m) for m in waits] == [
        "Новая попытка через … с (повторов до неё: 0, бот id=123)",
        "Новая попытка через … с (повторов до неё: 1, бот id=123)",
    ], waits
    assert "Связь с Telegram восстановлена (повторов: 2, бот id=123)" in messages
