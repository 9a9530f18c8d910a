"""`faqbot ask` end to end, as CONTRACTS.md §2 defines it: a real process, real output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB

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
