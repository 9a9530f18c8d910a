"""The table's rows: its columns, an entry as a row and a row as an entry, and the
version the export records for each entry."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from matcher.knowledge import Entry, KnowledgeBase, Link
from matcher.loading import URL_RE

LINK_SEPARATOR = " | "


class SpreadsheetError(Exception):
    """A table that cannot be read or written; the message (Russian) says how to fix it."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the table: internal name, the header staff see, its width in Excel."""

    name: str
    header: str
    width: int


COLUMNS = (
    Column("file", "Файл", 22),
    Column("topic", "Тема", 26),
    Column("id", "Идентификатор", 28),
    Column("question", "Вопрос", 40),
    Column("alternatives", "Другие формулировки", 40),
    Column("keywords", "Ключевые слова", 22),
    Column("answer", "Ответ", 80),
    Column("links", "Ссылки (название | адрес)", 40),
    Column("tags", "Метки", 18),
    Column("source", "Источник", 24),
)
# Not for editing: the entry's version at export (see `entry_version`). Optional on import, so
# tables exported before it existed still import (without the check).
VERSION_COLUMN = Column("version", "Версия записи (не менять)", 14)
TABLE_COLUMNS = (*COLUMNS, VERSION_COLUMN)
HEADERS = {column.name: column.header for column in TABLE_COLUMNS}
VERSION_LENGTH = 12  # hex digits; after a letter, so that no spreadsheet reads a number
VERSION_PREFIX = "v"  # "880941e80087" alone is 8.8E+85 to Excel


@dataclass(frozen=True, slots=True)
class Row:
    """One entry as table cells: text, lists one item a line, links as `title | url` lines.

    `number` is the row in the spreadsheet (the header is row 1), for messages to staff;
    `version` is what the export recorded for the entry (empty in rows staff added and in old
    tables); `formulas` names the columns whose cell holds an Excel formula, not a value, and
    `dates` those whose cell Excel holds as a date (it turns typed "12.05" or "1-2" into one).
    """

    file: str = ""
    topic: str = ""
    id: str = ""
    question: str = ""
    alternatives: str = ""
    keywords: str = ""
    answer: str = ""
    links: str = ""
    tags: str = ""
    source: str = ""
    version: str = ""
    number: int = 0
    formulas: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    windows_1251: bool = False  # read from a CSV in Windows-1251, which lacks most symbols

    def cell(self, name: str) -> str:
        """The text of the column called `name` (an internal name from COLUMNS)."""
        value = getattr(self, name)
        assert isinstance(value, str)
        return value


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the table: where (row, column header) and what to do, in Russian."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [f"строка {self.row}"] if self.row is not None else []
        if self.column is not None:
            where.append(f"столбец «{self.column}»")
        if not where:
            return self.message
        text = ", ".join(where)
        return f"{text[0].upper()}{text[1:]}: {self.message}"


def export_rows(kb: KnowledgeBase) -> list[Row]:
    """One row per entry, in the base's order, with `file` relative to the base's root."""
    return [entry_row(entry, kb.root, number) for number, entry in enumerate(kb, start=2)]


def entry_row(entry: Entry, root: Path | None, number: int) -> Row:
    """The entry's row, its version recorded."""
    row = entry_cells(entry, relative_file(entry, root), number)
    return dataclasses.replace(row, version=entry_version(row))


def relative_file(entry: Entry, root: Path | None) -> str:
    if entry.file is None or root is None:
        raise ValueError(f"entry {entry.id!r} has no file: export needs a base loaded from disk")
    return entry.file.relative_to(root).as_posix()


def entry_cells(entry: Entry, file: str, number: int) -> Row:
    return Row(
        file=file,
        topic=entry.topic,
        id=entry.id,
        question=entry.question,
        alternatives="\n".join(entry.alternatives),
        keywords="\n".join(entry.keywords),
        answer=entry.answer,
        links="\n".join(f"{link.title}{LINK_SEPARATOR}{link.url}" for link in entry.links),
        tags="\n".join(entry.tags),
        source=entry.source or "",
        number=number,
    )


def entry_version(row: Row) -> str:
    """A short hash of what the row says about its entry: its file and every field, read as
    the import reads them (so "same version" means "the import would write the same entry").
    The version and row number are not part of it."""
    data = json.dumps(canonical(row), ensure_ascii=False)
    return VERSION_PREFIX + hashlib.sha256(data.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def canonical(row: Row) -> list[object]:
    entry = row_entry(row)
    return [
        file_name(row),
        entry.id,
        entry.topic,
        entry.question,
        list(entry.alternatives),
        list(entry.keywords),
        entry.answer,
        [[link.title, link.url] for link in entry.links],
        list(entry.tags),
        entry.source or "",
    ]


def row_entry(row: Row) -> Entry:
    """The entry a checked row describes (see `check_rows`)."""
    return Entry(
        id=row.id.strip(),
        topic=row.topic.strip(),
        question=row.question.strip(),
        answer=row.answer.strip(),
        alternatives=tuple(cell_lines(row.alternatives)),
        keywords=tuple(cell_items(row.keywords)),
        links=tuple(link for line in cell_lines(row.links) if (link := parse_link(line))),
        tags=tuple(cell_items(row.tags)),
        source=row.source.strip() or None,
    )


def file_name(row: Row) -> str:
    """The row's file as one spelling per file: `./a.yaml` and `a.yaml` are the same."""
    name = row.file.strip()
    return PurePosixPath(name).as_posix() if name else ""


def cell_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def cell_items(text: str) -> list[str]:
    """Keywords or tags: one a line as exported, or separated by commas or semicolons as
    people type them in one cell ("пароль, сброс"), as in the YAML's `[пароль, сброс]`."""
    return [item.strip() for item in re.split(r"[\n,;]", text) if item.strip()]


def parse_link(line: str) -> Link | None:
    title, separator, url = line.rpartition("|")
    title, url = title.strip(), url.strip()
    if not separator or not title or not URL_RE.fullmatch(url):
        return None
    return Link(title, url)
