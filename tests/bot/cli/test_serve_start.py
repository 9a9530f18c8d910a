"""`faqbot serve` and `faqbot telegram` that cannot start say why in one Russian line.

Found by the 2026-12-05 administrator's walkthrough: a database out of reach (PostgreSQL not
running, a URL without `+asyncpg`, a file that is not a database, a read-only file) or a
knowledge base that does not load printed "serving on …" and then some 180 lines of
uvicorn's traceback of the start-up, and `--port 99999` a traceback of its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ports import free_port

Done = subprocess.CompletedProcess[str]


def _faqbot(tmp_path: Path, *args: str, **environment: str) -> Done:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        cwd=tmp_path,
        env={
            **os.environ,
            "FAQBOT_ENV": "development",
            "FAQBOT_DATA_DIR": str(tmp_path),
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_BASE": "http://127.0.0.1:9",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def _one_line(done: Done, status: int, reason: str) -> None:
    assert done.returncode == status, done.stderr
    assert "сервер работает" not in done.stdout
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("faqbot: ")
    assert reason in done.stderr


@pytest.mark.parametrize("command", ["serve", "telegram"])
def test_a_database_out_of_reach_is_one_line(tmp_path: Path, command: str) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("заметки администратора\n", encoding="utf-8")
    closed = _closed_port()
    cases = {
        f"postgresql+asyncpg://postgres@127.0.0.1:{closed}/faqbot": "ошибка базы данных",
        f"postgresql://postgres@127.0.0.1:{closed}/faqbot": (
            "не поддерживается: нужен один из sqlite+aiosqlite://..., postgresql+asyncpg://..."
        ),
        f"sqlite+aiosqlite:///{not_a_database}": "ошибка базы данных: file is not a database",
    }
    for url, reason in cases.items():
        extra = ["--port", str(free_port()), "--no-telegram"] if command == "serve" else []
        _one_line(_faqbot(tmp_path, command, *extra, "--database", url), 1, reason)
    assert not_a_database.read_text(encoding="utf-8") == "заметки администратора\n"


@pytest.mark.parametrize("command", ["serve", "telegram"])
def test_a_base_that_does_not_load_is_one_line(tmp_path: Path, command: str) -> None:
    """A missing folder, or a topic file saved with a tab, stopped the start-up with a
    traceback; `faqbot ask` has always said it in one line."""
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "account.yaml").write_text("topic: Вход\nentries:\n\t- id: x\n", encoding="utf-8")
    cases = {
        tmp_path / "missing": "база знаний — это папка, а «",
        broken: "account.yaml:3: ошибка YAML: табуляция",
    }
    for kb_dir, reason in cases.items():
        extra = ["--port", str(free_port()), "--no-telegram"] if command == "serve" else []
        done = _faqbot(tmp_path, command, *extra, "--kb", str(kb_dir))
        _one_line(done, 2, reason)
        assert done.stderr.startswith("faqbot: база знаний не загружается: ")


def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    done = _faqbot(tmp_path, "serve", "--port", "99999", "--no-telegram")
    _one_line(done, 2, "порт 99999 не подходит: нужно число от 1 до 65535.")


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"FAQBOT_ENV": "production", "FAQBOT_SECRET_KEY": ""}, "FAQBOT_SECRET_KEY не задан"),
        ({"FAQBOT_RATE_LIMIT_IP": "60 в минуту"}, "нужно COUNT/WINDOW, например 60/30s"),
        ({"FAQBOT_RATE_LIMIT_IP": "0/1m"}, "COUNT — не меньше 1, WINDOW — больше 0"),
        (
            {
                "FAQBOT_SMTP_HOST": "smtp.example.ru",
                "FAQBOT_SMTP_FROM": "faqbot@x.ru",
                "FAQBOT_SMTP_PORT": "smtp",
            },
            "FAQBOT_SMTP_PORT='smtp': нужен номер порта от 1 до 65535.",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.ru"},
            "не публичный адрес https",
        ),
    ],
)
def test_settings_an_administrator_gets_wrong_are_said_in_russian(
    tmp_path: Path, environment: dict[str, str], reason: str
) -> None:
    """They were English ("FAQBOT_SECRET_KEY is not set…", "expected COUNT/WINDOW…"),
    among the Russian messages of the other admin commands."""
    done = _faqbot(tmp_path, "serve", "--port", str(free_port()), **environment)
    _one_line(done, 2, reason)
