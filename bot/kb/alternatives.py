"""Adding a phrasing to an existing entry of a topic file, written back as clean YAML."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from bot.core.kb_writer import locked, topic_file_text
from matcher.errors import KnowledgeBaseError
from matcher.loading import TopicFile, parse_file, read_text


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
                return False
            entries[index] = dataclasses.replace(entry, alternatives=(*entry.alternatives, text))
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(topic_file_text(parsed.topic, entries), encoding="utf-8")
            os.replace(temporary, path)
            return True
    raise AlternativeError(f"В файле {path} нет ответа «{entry_id}»: база успела измениться?")
