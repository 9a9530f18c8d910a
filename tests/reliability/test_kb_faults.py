"""Knowledge-base faults during hot reload: the last good base keeps answering, and `/healthz`
says what is wrong, with the file and the line."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.bot.web.conftest import Web

pytestmark = pytest.mark.anyio

QUESTION = "забыл пароль"
EXPECTED = "account-password-recovery"
DUPLICATE = """topic: Дубликаты
entries:
  - id: account-password-recovery
    question: Как восстановить пароль ещё раз?
    answer: Это второй ответ с тем же id.
"""


async def _still_answers_and_reports(web: Web, *fragments: str) -> None:
    result = await asyncio.to_thread(web.services.answerer.check)
    assert result.changed and not result.reloaded
    asked = await web.client.post("/api/v1/ask", json={"question": QUESTION})
    assert asked.status_code == 200
    assert (asked.json()["action"], asked.json()["entry_id"]) == ("answer", EXPECTED)
    health = await web.client.get("/healthz")
    assert health.status_code == 200
    error = health.json()["knowledge_base"]["last_error"]
    assert error is not None
    for fragment in fragments:
        assert fragment in error, (fragment, error)


async def test_a_broken_base_keeps_the_last_good_one_serving(web: Web, kb_dir: Path) -> None:
    topic = kb_dir / "account.yaml"
    good = topic.read_text("utf-8")
    lines = good.splitlines()
    broken_line = 5
    lines.insert(broken_line - 1, "  - id: a: b")
    topic.write_text("\n".join(lines) + "\n", "utf-8")
    await _still_answers_and_reports(web, f"account.yaml:{broken_line}:", "ошибка YAML")

    topic.write_text(good, "utf-8")
    (kb_dir / "extra.yaml").write_text(DUPLICATE, "utf-8")
    await _still_answers_and_reports(
        web, "extra.yaml:3:", f"id `{EXPECTED}` уже занят", "account.yaml:"
    )

    backup = kb_dir.parent / "backup"
    shutil.move(kb_dir, backup)
    kb_dir.mkdir()
    await _still_answers_and_reports(web, "нет файлов *.yaml", str(kb_dir))

    kb_dir.rmdir()
    shutil.move(backup, kb_dir)
    (kb_dir / "extra.yaml").unlink()
    recovered = await asyncio.to_thread(web.services.answerer.check)
    assert recovered.reloaded and recovered.error is None
    health = (await web.client.get("/healthz")).json()
    assert health["status"] == "ok" and health["knowledge_base"]["last_error"] is None
    assert web.services.answerer.status.version == 2
