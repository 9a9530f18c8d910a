"""Adding a phrasing to an existing entry of a topic file, written back as clean YAML."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from bot.core.kb_writer import locked, locked_base, topic_file_text
from matcher import KnowledgeBase, load_knowledge_base
from matcher.errors import KnowledgeBaseError
from matcher.loading import TopicFile, parse_file, read_text

# A check of the base with a new phrasing: the advice to show with it; raises to refuse it.
Check = Callable[[KnowledgeBase], tuple[str, ...]]


class AlternativeError(ValueError):
    """The phrasing cannot be added; the message says why and what to do."""


def clean_phrasing(phrasing: str) -> str:
    """The phrasing with single spaces, or `AlternativeError` when nothing is left."""
    text = " ".join(phrasing.split())
    if not text:
        raise AlternativeError("Формулировка пустая: впишите вопрос так, как его задают.")
    return text


def add_alternative(path: Path, entry_id: str, phrasing: str) -> bool:
    """Append `phrasing` to the alternatives of `entry_id` in the topic file `path`.

    Returns False when the entry already has this phrasing (nothing is written). The file
    is replaced atomically under the writers' lock, so the hot reload never sees half of it.
    """
    text = clean_phrasing(phrasing)
    with locked(path):
        return _add(path, entry_id, text, lambda: ()) is not None


def add_checked_alternative(
    kb_dir: Path, path: Path, entry_id: str, phrasing: str, check: Check, *, lock: bool = True
) -> tuple[str, ...] | None:
    """Append `phrasing` to `entry_id` in `path`, a topic file of the base in `kb_dir`, once
    `check` passed on the base as its files are now; `check` raises to refuse it.

    The writers' lock of the whole base is held from reading it to writing the file, so a
    phrasing another curator adds meanwhile (to any entry) is in the base checked here, or
    waits and is checked against this one. Returns `check`'s advice, or None when the entry
    already has the phrasing (nothing is checked or written). `lock=False` when the caller
    holds that lock already (`BaseWriters`).
    """
    text = clean_phrasing(phrasing)
    with locked_base(kb_dir) if lock else nullcontext():
        return _add(path, entry_id, text, lambda: check(_base_on_disk(kb_dir)))


def _add(
    path: Path, entry_id: str, text: str, check: Callable[[], tuple[str, ...]]
) -> tuple[str, ...] | None:
    """The writing of `add_alternative`, with the writers' lock held: `check`'s advice, or
    None when the entry has the phrasing already."""
    try:
        parsed = parse_file(read_text(path), path)
    except KnowledgeBaseError as error:
        raise AlternativeError(
            f"Формулировка не добавлена: файл темы сейчас с ошибкой — {error} Исправьте "
            "файл (faqbot kb check покажет, что не так) и добавьте формулировку снова."
        ) from None
    if not isinstance(parsed, TopicFile):
        raise AlternativeError(f"{path} — файл синонимов, а не тема с ответами.")
    entries = list(parsed.entries)
    for index, entry in enumerate(entries):
        if entry.id != entry_id:
            continue
        if text.casefold() in (p.casefold() for p in entry.phrasings):
            return None
        advice = check()
        entries[index] = dataclasses.replace(entry, alternatives=(*entry.alternatives, text))
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(topic_file_text(parsed.topic, entries), encoding="utf-8")
        os.replace(temporary, path)
        return advice
    raise AlternativeError(f"В файле {path} нет ответа «{entry_id}»: база успела измениться?")


def _base_on_disk(kb_dir: Path) -> KnowledgeBase:
    try:
        return load_knowledge_base(kb_dir)
    except KnowledgeBaseError as error:
        raise AlternativeError(
            f"Формулировка не добавлена: база знаний сейчас с ошибкой — {error} Исправьте "
            "файл (faqbot kb check покажет, что не так) и добавьте формулировку снова."
        ) from None
