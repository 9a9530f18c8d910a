"""`faqbot kb check`: the report staff read, and its exit status."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.kb.check import Kind, Severity, check_base, check_directory
from matcher import Match, Matcher, MatcherSettings, leave_one_out, load_knowledge_base
from matcher.settings import Meaning
from tests.conftest import FIXTURE_KB, PROJECT_KB
from tests.support.terminal import faqbot_on_terminal


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "kb", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    return target


def add_entry(root: Path, text: str) -> None:
    (root / "extra.yaml").write_text(text, encoding="utf-8")


def test_project_base_passes_clean() -> None:
    report = check_directory(PROJECT_KB)
    assert report.entries >= 150
    # Clean means no warnings either: no phrasing of ours sits closer to another entry.
    assert [str(f) for f in report.findings] == []


def test_clean_fixture_exits_zero() -> None:
    done = run_check(str(FIXTURE_KB))
    assert done.returncode == 0, done.stdout
    assert "Ошибок: 0" in done.stdout


def test_schema_error_reported_with_file_and_line(kb_copy: Path) -> None:
    add_entry(kb_copy, "topic: Т\nentries:\n  - id: broken\n    question: Вопрос\n")
    done = run_check(str(kb_copy), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    finding = report["findings"][0]
    assert finding["kind"] == "schema"
    assert finding["file"].endswith("extra.yaml")
    assert finding["line"] == 3
    assert "нет поля `answer`" in finding["message"]


def test_progress_is_told_of_every_phrasing_asked() -> None:
    heard: list[tuple[int, int]] = []
    check_directory(FIXTURE_KB, progress=lambda asked, total: heard.append((asked, total)))
    phrasings = sum(len(e.phrasings) for e in load_knowledge_base(FIXTURE_KB))
    assert heard == [(n, phrasings) for n in range(1, phrasings + 1)]


def test_a_terminal_sees_the_progress_and_a_pipe_sees_only_the_report() -> None:
    """A big base takes tens of seconds: a curator at a terminal sees how far the check is;
    a script reading the output gets the report alone."""
    piped = run_check(str(FIXTURE_KB))
    assert piped.stderr == ""
    assert piped.stdout.splitlines()[-1].startswith("Записей:")

    shown = faqbot_on_terminal("kb", "check", str(FIXTURE_KB))
    assert shown.returncode == 0
    assert "Проверка формулировок" in shown.screen
    assert "Смысловые векторы" not in shown.screen  # the piped check above cached them
    assert shown.stdout.splitlines()[-1].startswith("Записей:")


def test_a_first_check_shows_the_vectors_it_waits_for_on_a_terminal(tmp_path: Path) -> None:
    """An empty cache: the check waits for the base's vectors first (minutes for a big
    base), and says so."""
    shown = faqbot_on_terminal(
        "kb", "check", str(FIXTURE_KB), env={"FAQBOT_CACHE_DIR": str(tmp_path)}
    )
    assert shown.returncode == 0, shown.screen
    assert "Смысловые векторы базы" in shown.screen
    assert "0/30" in shown.screen  # 6 passages and 24 phrasings to go
    assert "Проверка формулировок" in shown.screen
    assert shown.stdout == run_check(str(FIXTURE_KB)).stdout


def test_same_question_under_two_entries(kb_copy: Path) -> None:
    add_entry(
        kb_copy,
        "topic: Т\nentries:\n  - id: copy\n    question: Забыл пароль!\n"
        "    alternatives: [пароль забыт совсем, не помню пароль вообще]\n    answer: О\n",
    )
    report = check_directory(kb_copy)
    kinds = {(f.kind, f.entry_id, f.line) for f in report.findings}
    assert (Kind.DUPLICATE_QUESTION, "copy", 4) in kinds
    assert report.errors >= 1


def test_conflict_when_an_alternative_belongs_elsewhere(kb_copy: Path) -> None:
    add_entry(
        kb_copy,
        "topic: Т\nentries:\n  - id: payment\n    question: Как оплатить пошлину?\n"
        "    alternatives:\n      - оплата госпошлины\n      - заплатить пошлину картой\n"
        "      - выписка из электронного птс нужна срочно\n"
        "    answer: Оплатите пошлину картой.\n",
    )
    report = check_directory(kb_copy)
    conflicts = [f for f in report.findings if f.kind is Kind.CONFLICT]
    assert [f.entry_id for f in conflicts] == ["payment"]
    assert "epts-extract" in conflicts[0].message
    # The line of the phrasing itself, not of its entry's `- id:` (line 3).
    assert conflicts[0].line == 8


def test_thin_entry_is_a_warning_and_strict_fails(kb_copy: Path) -> None:
    add_entry(
        kb_copy,
        "topic: Т\nentries:\n  - id: lonely\n    question: Как подать жалобу на МФЦ?\n"
        "    answer: Напишите жалобу.\n",
    )
    report = check_directory(kb_copy)
    assert [(f.kind, f.severity) for f in report.findings if f.entry_id == "lonely"] == [
        (Kind.THIN, Severity.WARNING)
    ]
    assert run_check(str(kb_copy)).returncode == 0
    assert run_check(str(kb_copy), "--strict").returncode == 1


def test_a_yaml_file_the_base_does_not_read_is_pointed_out(kb_copy: Path) -> None:
    """Only `*.yaml` is read (CONTRACTS.md §1): a topic saved as `.yml` was silently left out
    of the base, its entries gone with "Ошибок: 0"."""
    (kb_copy / "epts.yaml").rename(kb_copy / "epts.yml")
    (kb_copy / "archive.yml").mkdir()  # a folder is not a file to rename
    report = check_directory(kb_copy)
    [unread] = [f for f in report.findings if f.kind is Kind.UNREAD_FILE]
    assert unread.severity is Severity.WARNING and unread.file is not None
    assert unread.file.endswith("epts.yml") and "«epts.yaml»" in unread.message
    assert run_check(str(kb_copy), "--strict").returncode == 1


def test_a_word_in_two_synonym_groups_is_a_warning(kb_copy: Path) -> None:
    (kb_copy / "more-synonyms.yaml").write_text(
        "synonyms:\n  - [ЭПТС, ПТС]\n  - [личный кабинет, ЛК]\n", encoding="utf-8"
    )
    report = check_directory(kb_copy)
    overlaps = [f for f in report.findings if f.kind is Kind.SYNONYMS]
    assert overlaps and all(f.severity is Severity.WARNING for f in overlaps)
    assert any("«эптс»" in f.message for f in overlaps)
    assert not [f for f in check_directory(FIXTURE_KB).findings if f.kind is Kind.SYNONYMS]


# An entry that takes other entries' questions (as typed, with courtesy, with a typo, one word
# for word), and an entry of one phrasing that other entries' phrasings go to.
CONFLICTING = """topic: Проверка
entries:
  - id: mixed-bag
    question: Как оплатить пошлину за выписку?
    alternatives:
      - забыл пароль от госуслуг что делать
      - Здравствуйте, не приходит смс с кодом
      - не могу войти в личный кабинет
      - выписка из электронного птс нужна срочно
      - забыл пороль
      - спасибо
      - оплата госпошлины картой
    answer: Оплатите пошлину картой.
  - id: lonely
    question: Как подать жалобу на МФЦ?
    answer: Напишите жалобу.
"""


@pytest.mark.parametrize(
    ("meaning", "alone_share"),
    # With the meaning's stage, a phrasing the words leave unsure is asked alone (its
    # sentence embedding is not worked out in bulk), and one the words answer with an entry
    # alike in meaning to the runner-up close behind (`Matcher._alike`): about 37 in 100 of
    # our base's.
    [(False, 0.01), (True, 0.40)],
    ids=["words", "meaning"],
)
def test_the_check_asks_all_phrasings_at_once_and_finds_what_asking_each_one_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meaning: bool, alone_share: float
) -> None:
    """A base of 2,000 entries of 20 phrasings took `kb check` about 100 s: each phrasing was
    one match against the base that lacked it. The phrasings are now scored all at once;
    the report is the one asking each phrasing gives, to the figures in its messages."""
    root = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, root)
    add_entry(root, CONFLICTING)
    kb = load_knowledge_base(root)
    matcher = Matcher(kb, settings=MatcherSettings(meaning=Meaning(enabled=meaning)))
    asked: list[tuple[str, int]] = []
    match_without = Matcher.match_without

    def asking(self: Matcher, entry_id: str, phrasing: int) -> Match:
        asked.append((entry_id, phrasing))
        return match_without(self, entry_id, phrasing)

    monkeypatch.setattr(Matcher, "match_without", asking)
    at_once = check_base(kb, matcher)
    asked_at_once = len(asked)
    monkeypatch.setattr(leave_one_out, "BULK_SHARE", math.inf)  # one match per phrasing
    one_by_one = check_base(kb, matcher)

    assert at_once.to_json() == one_by_one.to_json()
    kinds = Counter(f.kind for f in one_by_one.findings)
    assert kinds[Kind.CONFLICT] >= 8 and kinds[Kind.AMBIGUOUS] >= 1
    assert kinds[Kind.DUPLICATE_QUESTION] == 1 and kinds[Kind.THIN] == 1
    assert "«забыл пороль» получает ответ записи account-password-recovery" in str(
        one_by_one.findings
    )
    # Only phrasings the bulk scores cannot settle are matched one by one (here: «спасибо»,
    # word for word another entry's phrasing, and those the meaning's stage decides).
    phrasings = sum(len(e.phrasings) for e in kb)
    assert len(asked) - asked_at_once == phrasings - 1  # all but the thin entry's
    assert asked_at_once < phrasings * alone_share
