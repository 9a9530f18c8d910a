"""`faqbot telegram` refuses to start without a token, saying where to get one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.telegram.errors import MissingTokenError
from bot.telegram.settings import DEFAULT_API_BASE, TelegramSettings


def test_without_a_token_it_exits_with_one_line_on_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["FAQBOT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "telegram"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]


def test_the_token_and_api_base_come_from_the_environment(tmp_path: Path) -> None:
    settings = TelegramSettings.from_env(
        kb_dir=tmp_path,
        environ={"TELEGRAM_BOT_TOKEN": " 1:abc ", "TELEGRAM_API_BASE": "http://127.0.0.1:8081/"},
    )
    assert settings.token == "1:abc"
    assert settings.api_base == "http://127.0.0.1:8081"
    default = TelegramSettings.from_env(kb_dir=tmp_path, environ={"TELEGRAM_BOT_TOKEN": "1:a"})
    assert default.api_base == DEFAULT_API_BASE
    with pytest.raises(MissingTokenError, match="@BotFather"):
        TelegramSettings.from_env(kb_dir=tmp_path, environ={"TELEGRAM_BOT_TOKEN": "  "})


def test_the_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["telegram", "--help"])
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().out
