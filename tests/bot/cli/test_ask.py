"""`faqbot ask` end to end, as CONTRACTS.md §2 defines it: a real process, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB
from tests.support.terminal import faqbot_on_terminal

CONTRACT_FIELDS = {"query", "action", "entry_id", "score", "candidates", "matched_terms"}


def faqbot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_one_question_json() -> None:
    done = faqbot("ask", "--kb", str(FIXTURE_KB), "--json", "забыл пароль")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= CONTRACT_FIELDS
    assert data["action"] == "answer"
    assert data["entry_id"] == "password-recovery"
    assert 0 <= data["score"] <= 1
    assert len(data["candidates"]) <= 5
    assert "пароль" in data["matched_terms"]


def test_stream_on_stdin_answers_each_line_in_order() -> None:
    stdin = "забыл пароль\n\nвыписка эптс\nкакая завтра погода\n"
    done = faqbot("ask", "--kb", str(FIXTURE_KB), "--json", stdin=stdin)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["query"] for d in lines] == ["забыл пароль", "выписка эптс", "какая завтра погода"]
    assert [d["entry_id"] for d in lines[:2]] == ["password-recovery", "epts-extract"]
    assert lines[2]["action"] == "handoff"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("как восстановить пароль", "Нажмите «Восстановить»"),
        ("какая завтра погода", "будет передан специалисту"),
        ("пароль заблокирован", "Уточните, пожалуйста"),
    ],
)
def test_human_output(question: str, expected: str) -> None:
    done = faqbot("ask", "--kb", str(FIXTURE_KB), question)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_broken_base_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("topic: Т\nentries:\n  - id: x\n", encoding="utf-8")
    done = faqbot("ask", "--kb", str(tmp_path), "вопрос")
    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "bad.yaml:3" in done.stderr


def test_default_base_is_the_projects_own() -> None:
    done = faqbot("ask", "--json", "не приходит смс с кодом")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entry_id"] is not None


def test_a_first_start_shows_its_progress_on_a_terminal_and_then_answers_as_ever(
    tmp_path: Path,
) -> None:
    # An empty cache: the fixture base's 6 entries and 24 phrasings are embedded first.
    cache = {"FAQBOT_CACHE_DIR": str(tmp_path)}
    first = faqbot_on_terminal("ask", "--kb", str(FIXTURE_KB), "--json", "забыл пароль", env=cache)
    assert first.returncode == 0, first.screen
    assert "Смысловые векторы базы" in first.screen
    assert "0/30" in first.screen  # 6 passages and 24 phrasings to go
    assert json.loads(first.stdout)["entry_id"] == "password-recovery"
    # Cached: no bar, the same answer.
    again = faqbot_on_terminal("ask", "--kb", str(FIXTURE_KB), "--json", "забыл пароль", env=cache)
    assert again.returncode == 0, again.screen
    assert "Смысловые векторы" not in again.screen
    assert again.stdout == first.stdout


def test_a_first_start_shows_no_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "ask", "--kb", str(FIXTURE_KB), "забыл пароль"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "FAQBOT_CACHE_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "Смысловые векторы" not in done.stderr
    assert "Нажмите «Восстановить»" in done.stdout
