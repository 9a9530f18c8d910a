"""Append approved entries to a YAML topic file of the knowledge base (CONTRACTS.md §1).

The write is atomic (a temporary file renamed over the old one) and serialised by a lock
file, so that the server's hot reload never sees half a file and two approvals never lose
each other's entries.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOCK_SUFFIX = ".lock"
# Long lines stay whole: folded answers make diffs of the base hard to review.
NO_WRAP_WIDTH = 1_000_000_000


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append, in the fields of the knowledge-base format."""

    id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str | None = None


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, as people write the base by hand."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def existing_ids(kb_dir: Path) -> set[str]:
    """Ids of all entries in the base's YAML files (files that fail to parse are skipped)."""
    ids: set[str] = set()
    for path in kb_dir.rglob("*.yaml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the loader reports broken files; here we only avoid id clashes
        if isinstance(data, dict):
            for entry in data.get("entries") or []:
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    ids.add(entry["id"])
    return ids


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the writers' lock of the topic file `path` while the block runs."""
    lock_path = path.with_name(path.name + LOCK_SUFFIX)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _entry_mapping(entry: NewEntry) -> dict[str, Any]:
    mapping: dict[str, Any] = {"id": entry.id, "question": entry.question}
    if entry.alternatives:
        mapping["alternatives"] = list(entry.alternatives)
    mapping["answer"] = entry.answer.rstrip("\n") + "\n"
    if entry.tags:
        mapping["tags"] = list(entry.tags)
    if entry.source:
        mapping["source"] = entry.source
    return mapping


def append_entry(path: Path, entry: NewEntry, *, topic: str) -> None:
    """Add `entry` to the topic file at `path`, creating the file with `topic` if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
                raise ValueError(
                    f"{path} is not a topic file (expected `topic:` and `entries:`); "
                    "fix it or set another proposals file name."
                )
        else:
            data = {}
        document = {"topic": data.get("topic", topic), "entries": list(data.get("entries") or [])}
        document["entries"].append(_entry_mapping(entry))
        text = yaml.dump(
            document, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=NO_WRAP_WIDTH
        )
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
