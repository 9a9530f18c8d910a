"""Loading a knowledge-base directory: what staff see when a file is broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher import KnowledgeBaseError, KnowledgeBaseErrors, Link, load_knowledge_base
from tests.conftest import FIXTURE_KB

GOOD_ENTRY = """\
topic: Тема
entries:
  - id: one
    question: Вопрос?
    answer: Ответ.
"""


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_fixture_base_loads_with_all_fields() -> None:
    kb = load_knowledge_base(FIXTURE_KB)
    assert len(kb) == 6
    assert kb.topics == ("Учётная запись", "ЭПТС")
    extract = kb.get("epts-extract")
    assert extract is not None
    assert extract.links == (Link("Портал поддержки", "https://help.elpts.ru/ru"),)
    assert extract.answer.endswith("- выберите транспортное средство.")
    assert "\n\n" in extract.answer  # blank-line paragraphs survive
    assert extract.location.endswith("epts.yaml:3")
    assert len(kb.synonyms) == 4


def test_subfolders_are_read(tmp_path: Path) -> None:
    write(tmp_path, "a/b/topic.yaml", GOOD_ENTRY)
    assert [e.id for e in load_knowledge_base(tmp_path)] == ["one"]


def test_base_without_synonyms_is_valid(tmp_path: Path) -> None:
    write(tmp_path, "topic.yaml", GOOD_ENTRY)
    assert load_knowledge_base(tmp_path).synonyms == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("topic: Т\nentries:\n  - id: a\n    question: [\n", 5, "ошибка YAML"),
        ("topic: Т\nentries:\n  - id: a\n    answer: Ответ\n", 3, "нет поля `question`"),
        (
            "topic: Т\nentries:\n  - id: A b\n    question: В\n    answer: О\n",
            3,
            "допустимы только латинские строчные буквы",
        ),
        ("topic: Т\nentries: []\n", 2, "непустым списком"),
        ("entries:\n  - id: a\n", 1, "нет поля `topic`"),
        (
            "topic: Т\nentries:\n  - id: a\n    question: В\n    answer: О\n    colour: red\n",
            6,
            "неизвестное поле `colour`",
        ),
        (
            "topic: Т\nentries:\n  - id: a\n    question: В\n    answer:\n",
            5,
            "`answer`: ожидается текст, а здесь пусто",
        ),
        (
            "topic: Т\nentries:\n  - id: a\n    question: В\n    answer: О\n"
            "    links:\n      - title: Т\n        url: ftp://x\n",
            8,
            "http",
        ),
        ("- просто список\n", 1, "ожидаются поля `topic` и `entries`"),
        ("synonyms:\n  - [одно]\n", 2, "хотя бы два слова"),
        (
            "topic: Т\nentries:\n  - id: a\n    question: В\n\talternatives: [x]\n    answer: О\n",
            5,
            "табуляция: отступы в YAML делаются только пробелами",
        ),
        (
            "topic: Т\nentries:\n  - id: a\n    question: Вопрос: да\n    answer: О\n",
            4,
            "возьмите текст в кавычки",
        ),
    ],
)
def test_broken_file_names_file_line_and_expectation(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "broken.yaml", text)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    error = caught.value
    assert error.file == path
    assert error.line == line
    assert message in str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_duplicate_id_across_files_points_to_both(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_ENTRY)
    second = write(tmp_path, "b.yaml", GOOD_ENTRY)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    assert caught.value.file == second
    assert "id `one` уже занят записью в" in str(caught.value)
    assert "a.yaml:3" in str(caught.value)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "topic: Т\nentries:\n  - id: a\n")
    write(tmp_path, "b.yaml", "{{{")
    with pytest.raises(KnowledgeBaseErrors) as caught:
        load_knowledge_base(tmp_path)
    assert [p.file.name for p in caught.value.problems if p.file] == ["a.yaml", "b.yaml"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "не в кодировке UTF-8"),
        (b"topic: \x00\x00", "двоичные данные"),
        ("", "файл пуст или это не тема"),
    ],
)
def test_binary_and_empty_files_are_refused_clearly(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    write(tmp_path, "bad.yaml", content)
    with pytest.raises(KnowledgeBaseError, match=message):
        load_knowledge_base(tmp_path)


@pytest.mark.parametrize("setup", ["missing", "empty", "file"])
def test_not_a_base(tmp_path: Path, setup: str) -> None:
    target = tmp_path / "kb"
    if setup == "empty":
        target.mkdir()
    elif setup == "file":
        target.write_text("x")
    with pytest.raises(KnowledgeBaseError):
        load_knowledge_base(target)
