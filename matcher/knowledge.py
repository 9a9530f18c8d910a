"""The knowledge base as values: entries, topics, synonym groups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Link:
    """A titled link shown under an answer."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One question-and-answer entry of the knowledge base (CONTRACTS.md §1)."""

    id: str
    topic: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    tags: tuple[str, ...] = ()
    source: str | None = None
    file: Path | None = None
    line: int | None = None
    # The line of each phrasing (the question, then each alternative) in its file, when
    # loaded from one: staff checks point at the phrasing, not only at its entry.
    phrasing_lines: tuple[int, ...] = field(default=(), compare=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question followed by its alternatives."""
        return (self.question, *self.alternatives)

    def phrasing_line(self, index: int) -> int | None:
        """The line of phrasing `index` (0: the question), else the entry's own line."""
        return self.phrasing_lines[index] if index < len(self.phrasing_lines) else self.line

    @property
    def location(self) -> str:
        """`file:line` where the entry is defined, for messages to staff."""
        if self.file is None:
            return self.id
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """A loaded knowledge base: entries in file order and synonym groups."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    root: Path | None = None
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    @property
    def topics(self) -> tuple[str, ...]:
        """Topic titles in the order they first appear."""
        return tuple(dict.fromkeys(e.topic for e in self.entries))

    def in_topic(self, topic: str) -> tuple[Entry, ...]:
        """Entries of one topic, in file order."""
        return tuple(e for e in self.entries if e.topic == topic)
