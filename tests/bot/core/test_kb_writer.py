"""Approved entries are appended to a topic file without restyling what staff wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.kb_writer import NewEntry, append_entry
from bot.kb.alternatives import add_alternative
from matcher import load_knowledge_base
from tests.conftest import PROJECT_KB

NEW = NewEntry(
    id="proposed-1",
    question="Что делать, если сломался карбюратор?",
    answer="ЭПТС не хранит сведения о ремонте.\nОбратитесь в сервисный центр.",
    alternatives=("ремонт карбюратора",),
    tags=("ремонт",),
)
TOPIC_FILES = sorted(p.name for p in PROJECT_KB.glob("*.yaml") if "synonyms" not in p.name)


@pytest.mark.parametrize("name", TOPIC_FILES)
def test_appending_keeps_the_hand_written_file_as_it_was(tmp_path: Path, name: str) -> None:
    # A curator's approval must show in review as the new entry alone, not as a restyled file.
    kb = Path(shutil.copytree(PROJECT_KB, tmp_path / "kb"))
    before = (kb / name).read_text(encoding="utf-8")
    append_entry(kb / name, NEW, topic="Новые ответы")
    after = (kb / name).read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before) :].startswith("\n  - id: proposed-1\n")
    assert "    tags: [ремонт]\n" in after[len(before) :]
    entry = load_knowledge_base(kb).get("proposed-1")
    assert entry is not None and entry.answer == NEW.answer


def test_a_new_file_is_created_with_the_topic(tmp_path: Path) -> None:
    append_entry(tmp_path / "proposed.yaml", NEW, topic="Новые ответы")
    text = (tmp_path / "proposed.yaml").read_text(encoding="utf-8")
    assert text.startswith("topic: Новые ответы\nentries:\n  - id: proposed-1\n")


def test_writing_leaves_nothing_else_in_the_staff_folder(tmp_path: Path) -> None:
    """An approval and a phrasing added from the console write their topic files and no lock
    or temporary file that a curator's `git add .` would pick up."""
    kb = Path(shutil.copytree(PROJECT_KB, tmp_path / "kb"))
    before = sorted(p.name for p in kb.iterdir())
    append_entry(kb / "technical.yaml", NEW, topic="Технические неполадки")
    assert add_alternative(kb / "technical.yaml", "proposed-1", "карбюратор барахлит")
    assert sorted(p.name for p in kb.iterdir()) == before
    entry = load_knowledge_base(kb).get("proposed-1")
    assert entry is not None and entry.alternatives[-1] == "карбюратор барахлит"


def test_hidden_files_and_folders_are_not_topics(tmp_path: Path) -> None:
    """An editor's backup and a repository's CI settings sit beside the topics; they are not
    loaded (a `.github/workflows/ci.yaml` failed the whole base as a topic without `topic`)."""
    kb = Path(shutil.copytree(PROJECT_KB, tmp_path / "kb"))
    (kb / ".github" / "workflows").mkdir(parents=True)
    (kb / ".github" / "workflows" / "ci.yaml").write_text("on: push\n", encoding="utf-8")
    (kb / ".#account.yaml").write_text("topic: [broken\n", encoding="utf-8")
    assert len(load_knowledge_base(kb)) == len(load_knowledge_base(PROJECT_KB))
