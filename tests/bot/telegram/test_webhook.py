"""Webhook mode: a real `faqbot serve` process with the bot mounted, against the fake Bot API.

Telegram's side is played by the test: it posts updates to the served webhook over HTTP, as
Telegram would, and the fake Bot API records what the bot calls back.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.accounts import Accounts
from bot.core.roles import Role
from bot.storage.database import open_database
from bot.telegram.settings import TelegramSettings, webhook_url_from
from tests.bot.core.conftest import PASSWORD, fast_passwords
from tests.bot.telegram.conftest import PROJECT_KB, TOKEN
from tests.bot.telegram.fake_api import FakeBotApi
from tests.bot.telegram.served import Served, serving
from tests.bot.web.conftest import csrf_of, log_in
from tests.support.ports import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

PUBLIC_URL = "https://example.org"
SECRET = "webhook-secret_for-tests-0123456789"
STARTUP_SECONDS = 90.0
SETTLE_SECONDS = 1.5
TICKET_NUMBER = re.compile(r"Обращение № (\d+)")
UPDATE_IDS = itertools.count(1)


def message_update(chat_id: int, text: str) -> dict[str, Any]:
    """What Telegram posts when a citizen writes in their private chat."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}
        ]
    update_id = next(UPDATE_IDS)
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Анна"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Анна", "language_code": "ru"},
            **content,
        },
    }


@pytest.fixture
async def served(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Served]:
    """`faqbot serve` with the webhook configured, an operator account `olga` in its database."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, kb_dir)
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'faqbot.sqlite3'}")
    try:
        await Accounts(db, passwords=fast_passwords()).create(
            "olga", PASSWORD, role=Role.OPERATOR, display_name="Ольга Смирнова"
        )
    finally:
        await db.close()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api.base_url,
        "TELEGRAM_WEBHOOK_URL": PUBLIC_URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    async with serving(tmp_path, kb_dir, env) as running:
        yield running


async def test_set_webhook_with_url_and_secret_at_start(api: FakeBotApi, served: Served) -> None:
    await api.wait_for(lambda: bool(api.calls_of("setWebhook")), what="setWebhook")
    (call,) = api.calls_of("setWebhook")
    assert call.params["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert set(call.params["allowed_updates"]) == {"message", "edited_message", "callback_query"}
    assert api.calls_of("getUpdates") == []  # webhook mode never polls
    assert (
        "бот Telegram получает обновления на https://example.org/telegram/webhook"
        in served.log.read_text()
    )


async def test_an_update_with_the_secret_is_answered_and_others_get_403(
    api: FakeBotApi, served: Served
) -> None:
    hook = f"{served.url}/telegram/webhook"
    async with httpx.AsyncClient(timeout=30) as client:
        answered = await client.post(
            hook,
            json=message_update(801, "забыл пароль"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert answered.status_code == 200, answered.text
        (reply,) = await api.wait_sent(801, 1)
        assert "восстанов" in reply["text"].lower()

        wrong = await client.post(
            hook,
            json=message_update(802, "забыл пароль"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
        )
        missing = await client.post(hook, json=message_update(802, "забыл пароль"))
        garbage = await client.post(
            hook, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        health = await client.get(f"{served.url}/healthz")
    assert wrong.status_code == 403 and missing.status_code == 403
    assert garbage.status_code == 400
    assert health.status_code == 200  # the server keeps serving
    await asyncio.sleep(SETTLE_SECONDS)
    assert api.sent(802) == []
    assert len(api.sent(801)) == 1


async def test_an_operator_reply_from_the_console_reaches_the_telegram_citizen(
    api: FakeBotApi, served: Served
) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
        handed = await client.post(
            "/telegram/webhook",
            json=message_update(803, "/operator не приходит код подтверждения"),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert handed.status_code == 200
        (handoff,) = await api.wait_sent(803, 1)
        found = TICKET_NUMBER.search(handoff["text"])
        assert found, handoff["text"]
        number = int(found.group(1))

        assert (await log_in(client, "olga")).status_code == 303
        token = csrf_of((await client.get("/console")).text)
        taken = await client.post("/console/take", data={"csrf_token": token})
        assert taken.headers["location"] == f"/console/tickets/{number}"
        replied = await client.post(
            f"/console/tickets/{number}/reply",
            data={"csrf_token": token, "text": "Проверьте папку «Спам» & подождите 5 минут."},
        )
        assert replied.status_code == 303, replied.text
    sent = await api.wait_sent(803, 3, timeout=15)
    await asyncio.sleep(SETTLE_SECONDS)
    texts = [m["text"] for m in api.sent(803)]
    assert texts[1:] == [
        f"Специалист взял обращение № {number} в работу.",
        f"Ответ по обращению № {number}: Проверьте папку «Спам» &amp; подождите 5 минут.",
    ]
    assert sent[2]["parse_mode"] == "HTML"


def test_the_derived_secret_is_stable_and_secret(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://example.org/"}
    first = TelegramSettings.from_env(kb_dir=tmp_path, environ=env)
    again = TelegramSettings.from_env(kb_dir=tmp_path, environ=env)
    other = TelegramSettings.from_env(
        kb_dir=tmp_path, environ={**env, "TELEGRAM_BOT_TOKEN": "1:other"}
    )
    assert first.secret_token == again.secret_token != other.secret_token
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", first.secret_token)
    assert TOKEN.split(":")[1] not in first.secret_token
    assert first.webhook_endpoint == "https://example.org/telegram/webhook"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TELEGRAM_WEBHOOK_URL", "http://example.org", "https"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces and ü", "A-Z"),
        ("TELEGRAM_STAFF_CHAT", "operators", "-100"),
        ("TELEGRAM_STAFF_CHAT", "12345", "-100"),
    ],
)
def test_bad_telegram_settings_stop_serve_with_one_line(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    env = {
        **os.environ,
        "FAQBOT_SECRET_KEY": "s" * 48,
        "FAQBOT_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_URL": PUBLIC_URL,
        variable: value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert variable in line and expected in line
    assert TOKEN not in line


def test_a_webhook_without_a_token_stops_serve(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(
        FAQBOT_SECRET_KEY="s" * 48, FAQBOT_DATA_DIR=str(tmp_path), TELEGRAM_WEBHOOK_URL=PUBLIC_URL
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "@BotFather" in result.stderr
    assert webhook_url_from({}) is None
