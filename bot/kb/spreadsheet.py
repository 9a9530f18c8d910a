"""The staff's spreadsheet round trip: the knowledge base as one table, and back.

`export_rows` turns a loaded base into rows, `write_csv`/`write_xlsx` save them; `read_rows`
reads an edited table and `import_rows` checks every row and rewrites the topic files whose
entries changed, or writes nothing at all when a row is wrong. `export_command` and
`import_command` are what `faqbot kb export|import` run. Messages for staff are in Russian.

The export records, in a last column staff leave alone («Версия записи»), a short hash of each
entry as exported. The import compares it with the base as it is now, so that a table exported
before someone edited the YAML (by hand, or through the console) does not quietly undo that
edit: a row left as exported keeps the base's newer version, and a row edited in the table
whose entry also changed in the base stops the import (unless forced). Entries of the base
missing from the table are kept unless the import is told to delete them.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from bot.core.kb_writer import locked_base, topic_file_text
from matcher.errors import KnowledgeBaseError, KnowledgeBaseErrors
from matcher.knowledge import Entry, KnowledgeBase, Link
from matcher.loading import (
    ID_RE,
    URL_RE,
    TopicFile,
    load_knowledge_base,
    parse_file,
    read_text,
    topic_paths,
)

# Russian Excel splits CSV on ";" (the list separator of the ru-RU locale); a comma-separated
# file opens there as one wide column. Reading accepts both.
CSV_DELIMITER = ";"
CSV_DELIMITERS = (";", ",", "\t")
LINK_SEPARATOR = " | "
SHEET_TITLE = "База знаний"
SUFFIXES = (".csv", ".xlsx")


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
FORMULA_MESSAGE = "в ячейке формула — вставьте значение (Вставить как значения)."
# What Excel shows, and saves into a CSV, for a cell it could not compute: text that starts
# with "-", "+" or "=" ("- Войдите в личный кабинет…", a list answer) is read as a formula.
EXCEL_ERROR_VALUES = frozenset(
    {
        "#NAME?", "#ИМЯ?", "#VALUE!", "#ЗНАЧ!", "#REF!", "#ССЫЛКА!", "#DIV/0!", "#ДЕЛ/0!",
        "#N/A", "#Н/Д", "#NUM!", "#ЧИСЛО!", "#NULL!", "#ПУСТО!",
    }
)  # fmt: skip
ERROR_VALUE_MESSAGE = (
    "в ячейке ошибка Excel «{value}» вместо текста: так Excel читает текст, начатый с «-», "
    "«+» или «=», как формулу. Впишите текст заново с апострофом в начале ('- …) или "
    "выгрузите базу в .xlsx и правьте там."
)
DATE_MESSAGE = (
    "Excel превратил текст ячейки в дату ({text}), как делает с «12.05» или «1-2»: задайте "
    "ячейке формат «Текстовый» и впишите текст заново (или начните его с апострофа: '12.05)."
)
REQUIRED_CELLS = (
    ("file", "не указан файл темы, например account.yaml."),
    ("topic", "не указана тема — её название видят граждане в меню."),
    ("id", "не указан идентификатор, например password-recovery."),
    ("question", "не указан вопрос."),
    ("answer", "пустой ответ — впишите текст ответа или удалите строку целиком."),
)


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


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. With `problems`, nothing was written.

    File names (relative to the base): `changed` were rewritten, `unchanged` are named in the
    table but hold the same entries, `removed_files` were deleted (no entry left), `untouched`
    are not named in the table and were left as they are. Entry ids: `added`, `edited` and
    `deleted` by the import; `kept`: missing from the table, kept in the base; `base_kept`:
    changed in the base since the export and left as exported in the table, so the base's
    version stays; `not_restored`: deleted from the base since the export, rows left as
    exported, so not brought back.
    """

    problems: tuple[Problem, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    untouched: tuple[str, ...] = ()
    removed_files: tuple[str, ...] = ()
    entries: int = 0
    added: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    base_kept: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the table was accepted and written."""
        return not self.problems


# ---------------------------------------------------------------- export


def export_rows(kb: KnowledgeBase) -> list[Row]:
    """One row per entry, in the base's order, with `file` relative to the base's root."""
    return [_entry_row(entry, kb.root, number) for number, entry in enumerate(kb, start=2)]


def _entry_row(entry: Entry, root: Path | None, number: int) -> Row:
    """The entry's row, its version recorded."""
    row = _entry_cells(entry, _relative_file(entry, root), number)
    return dataclasses.replace(row, version=entry_version(row))


def _relative_file(entry: Entry, root: Path | None) -> str:
    if entry.file is None or root is None:
        raise ValueError(f"entry {entry.id!r} has no file: export needs a base loaded from disk")
    return entry.file.relative_to(root).as_posix()


def _entry_cells(entry: Entry, file: str, number: int) -> Row:
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
    data = json.dumps(_canonical(row), ensure_ascii=False)
    return VERSION_PREFIX + hashlib.sha256(data.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def _canonical(row: Row) -> list[object]:
    entry = row_entry(row)
    return [
        _file_name(row),
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


def write_csv(rows: Sequence[Row], path: Path, *, delimiter: str = CSV_DELIMITER) -> None:
    """Save rows as CSV: UTF-8 with a BOM (so Excel shows Cyrillic), a header row, and
    standard quoting (cells with line breaks or separators in double quotes). The entry's
    version is the last column."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(column.header for column in TABLE_COLUMNS)
    writer.writerows([row.cell(column.name) for column in TABLE_COLUMNS] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def write_xlsx(rows: Sequence[Row], path: Path) -> None:
    """Save rows as an Excel workbook: bold frozen header, filters, wide wrapped columns; the
    entry's version in a last, hidden column (it moves with its row when rows are sorted)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([column.header for column in TABLE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        try:
            sheet.append([row.cell(column.name) for column in TABLE_COLUMNS])
        except IllegalCharacterError:
            raise SpreadsheetError(
                f"В записи «{row.id}» есть управляющий символ, который Excel не хранит: "
                "уберите его из YAML-файла или выгрузите базу в CSV."
            ) from None
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.alignment = wrap
            if cell.data_type == "f":
                cell.data_type = "s"  # text such as "=2+2" is an answer, not a formula
    for index, column in enumerate(TABLE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.column_dimensions[get_column_letter(len(TABLE_COLUMNS))].hidden = True
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)


def write_rows(rows: Sequence[Row], path: Path) -> None:
    """Save rows as CSV or XLSX, chosen by the file's extension."""
    if _suffix(path) == ".csv":
        write_csv(rows, path)
    else:
        write_xlsx(rows, path)


# ---------------------------------------------------------------- reading


def read_rows(path: Path) -> list[Row]:
    """Read an edited table (.csv or .xlsx, by extension) into rows, skipping empty rows.

    Columns are found by their headers in row 1, in any order; extra columns are ignored, and
    the version column may be missing. A cell of a workbook that holds a formula is read as
    its text and named in the row's `formulas` (`check_rows` refuses it).
    Raises SpreadsheetError when the file is not a readable table or a column is missing.
    """
    if _suffix(path) == ".csv":
        records, windows_1251 = _csv_records(path)
        return _rows_from_records(
            records, path, formulas=set(), dates=set(), windows_1251=windows_1251
        )
    records, formulas, dates = _xlsx_records(path)
    return _rows_from_records(records, path, formulas=formulas, dates=dates)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = f"«{path.suffix}»" if path.suffix else "без расширения"
        raise SpreadsheetError(
            f"{path.name}: файл {shown} не подходит. Нужна таблица .xlsx (Excel) или .csv; "
            "в Excel выберите «Сохранить как» → «Книга Excel (*.xlsx)»."
        )
    return suffix


def _csv_records(path: Path) -> tuple[list[list[str]], bool]:
    """The rows' cells, and whether the file was in Windows-1251 rather than UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SpreadsheetError(f"{path}: не удаётся прочитать файл ({error.strerror}).") from None
    try:
        text, windows_1251 = data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        text, windows_1251 = _windows_cyrillic(data, path), True
    if "\x00" in text:
        raise SpreadsheetError(f"{path.name}: это двоичный файл, а не таблица CSV.")
    first_line = text.partition("\n")[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    try:
        records = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [list(record) for record in records], windows_1251
    except csv.Error as error:
        raise SpreadsheetError(f"{path.name}: CSV испорчен ({error}).") from None


def _windows_cyrillic(data: bytes, path: Path) -> str:
    """A table a Russian Excel saved as plain "CSV (разделители — запятые)": Windows-1251,
    recognised by its header; anything else is refused."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    header = _header_key(text.partition("\n")[0])
    if not all(_header_key(HEADERS[name]) in header for name in ("id", "question", "answer")):
        raise SpreadsheetError(
            f"{path.name}: файл не в кодировке UTF-8 или это не текст. В Excel сохраните "
            "таблицу как «CSV UTF-8 (разделитель — запятая)» или как .xlsx."
        )
    return text


def _xlsx_records(
    path: Path,
) -> tuple[list[list[str]], set[tuple[int, int]], set[tuple[int, int]]]:
    """The cells' texts by row, and the (row index, column index) of cells holding formulas
    and of cells holding dates (every column is text: a date is what Excel made of it).

    Formulas are read as formulas, not as their cached values: a workbook saved by a program
    other than Excel has no cached values, and a formula's value is no text anyone wrote.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            records: list[list[str]] = []
            formulas: set[tuple[int, int]] = set()
            dates: set[tuple[int, int]] = set()
            for row_index, cells in enumerate(sheet.iter_rows()):
                records.append([_cell_text(cell.value) for cell in cells])
                formulas.update(
                    (row_index, column_index)
                    for column_index, cell in enumerate(cells)
                    if cell.data_type == "f"
                )
                dates.update(
                    (row_index, column_index)
                    for column_index, cell in enumerate(cells)
                    if isinstance(cell.value, datetime | date | time)
                )
            return records, formulas, dates
        finally:
            workbook.close()
    except FileNotFoundError:
        raise SpreadsheetError(f"{path}: файл не найден.") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ParseError, ValueError, OSError):
        raise SpreadsheetError(
            f"{path.name}: это не таблица Excel (.xlsx) — файл повреждён или имеет другой "
            "формат под этим расширением. Откройте его в Excel и сохраните как «Книга Excel "
            "(*.xlsx)» или «CSV UTF-8»."
        ) from None


def _excel_errors(row: Row) -> tuple[str, ...]:
    """The columns of `row` whose cell holds an Excel error value instead of text."""
    return tuple(
        column.name for column in COLUMNS if row.cell(column.name).strip() in EXCEL_ERROR_VALUES
    )


def _shown_date(text: str) -> str:
    """An ISO date or time as Excel shows it in Russia: "12.05.2026", "12.05.2026 09:30"."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    shown = moment.strftime("%d.%m.%Y")
    return shown if moment.time() == time(0) else f"{shown} {moment:%H:%M}"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _rows_from_records(
    records: list[list[str]],
    path: Path,
    *,
    formulas: set[tuple[int, int]],
    dates: set[tuple[int, int]],
    windows_1251: bool = False,
) -> list[Row]:
    if not records:
        raise SpreadsheetError(
            f"{path.name}: файл пуст. В первой строке должны быть заголовки: "
            f"{', '.join(HEADERS.values())}."
        )
    positions = _header_positions(records[0], path)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        cells = {
            name: _clean(record[index]) if index < len(record) else ""
            for name, index in positions.items()
        }
        # A row cleared in Excel keeps its hidden version: it is still an empty row.
        if any(cells[column.name] for column in COLUMNS):
            in_formulas = tuple(
                name for name, index in positions.items() if (number - 1, index) in formulas
            )
            in_dates = tuple(
                name for name, index in positions.items() if (number - 1, index) in dates
            )
            rows.append(
                Row(
                    **cells,
                    number=number,
                    formulas=in_formulas,
                    dates=in_dates,
                    windows_1251=windows_1251,
                )
            )
    return rows


def _header_positions(header: list[str], path: Path) -> dict[str, int]:
    known = {_header_key(column.header): column.name for column in TABLE_COLUMNS}
    known.update({column.name: column.name for column in TABLE_COLUMNS})
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = known.get(_header_key(title))
        if name is None:
            continue
        if name in positions:
            raise SpreadsheetError(
                f"{path.name}: столбец «{HEADERS[name]}» встречается дважды — оставьте один."
            )
        positions[name] = index
    missing = [HEADERS[column.name] for column in COLUMNS if column.name not in positions]
    if missing:
        raise SpreadsheetError(
            f"{path.name}: в первой строке нет столбцов {', '.join(f'«{m}»' for m in missing)}. "
            "Верните заголовки как в выгрузке (не переименовывайте и не удаляйте столбцы)."
        )
    return positions


def _header_key(title: str) -> str:
    return " ".join(title.split()).casefold().replace("ё", "е")


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- checking rows


@dataclass(frozen=True, slots=True)
class _Topic:
    """What the table says one topic file should hold."""

    title: str
    entries: list[Entry] = field(default_factory=list)


def check_rows(rows: Sequence[Row], kb_dir: Path) -> list[Problem]:
    """Every problem of every row: formulas, missing or malformed cells, duplicate ids, bad
    links, file names outside the base, a file given two topics. Empty when the table is good.

    A cell holding a formula is reported as that alone: what its text "=A1" would break
    (a bad id, say) is beside the point."""
    if not rows:
        return [Problem("в таблице нет ни одной строки с вопросами — импортировать нечего.")]
    problems: list[Problem] = []
    first_row_of_id: dict[str, int] = {}
    topic_of_file: dict[str, tuple[str, int]] = {}
    for row in rows:
        problems.extend(_row_problems(row, kb_dir))
        entry_id = row.id.strip()
        if entry_id in first_row_of_id:
            problems.append(
                _problem(
                    row,
                    "id",
                    f"идентификатор «{entry_id}» уже есть в строке "
                    f"{first_row_of_id[entry_id]}; у каждого вопроса свой.",
                )
            )
        elif entry_id:
            first_row_of_id[entry_id] = row.number
        file, topic = _file_name(row), row.topic.strip()
        if file and topic:
            first_topic, first_row = topic_of_file.setdefault(file, (topic, row.number))
            if first_topic != topic:
                problems.append(
                    _problem(
                        row,
                        "topic",
                        f"у файла {file} в строке {first_row} "
                        f"тема «{first_topic}», а здесь «{topic}»; у одного "
                        "файла одна тема — исправьте тему или файл.",
                    )
                )
    problems.extend(_clashes_with_other_files(rows, kb_dir))
    failed = {row.number: _excel_errors(row) for row in rows}
    formula_cells = {
        (row.number, HEADERS[name])
        for row in rows
        for name in (*row.formulas, *row.dates, *failed[row.number])
    }
    problems = [p for p in problems if (p.row, p.column) not in formula_cells]
    problems.extend(_problem(row, name, FORMULA_MESSAGE) for row in rows for name in row.formulas)
    problems.extend(
        _problem(row, name, DATE_MESSAGE.format(text=_shown_date(row.cell(name))))
        for row in rows
        for name in row.dates
        if name not in row.formulas
    )
    problems.extend(
        _problem(row, name, ERROR_VALUE_MESSAGE.format(value=row.cell(name).strip()))
        for row in rows
        for name in failed[row.number]
        if name not in row.formulas
    )
    return sorted(problems, key=lambda p: (p.row or 0, _column_order(p.column)))


def _row_problems(row: Row, kb_dir: Path) -> Iterator[Problem]:
    for name, message in REQUIRED_CELLS:
        if not row.cell(name).strip():
            yield _problem(row, name, message)
    entry_id = row.id.strip()
    if entry_id and not ID_RE.fullmatch(entry_id):
        yield _problem(
            row,
            "id",
            f"идентификатор «{entry_id}» может состоять только из "
            "латинских строчных букв, цифр и дефиса, например password-recovery.",
        )
    if "\n" in row.topic.strip():
        yield _problem(row, "topic", "тема должна умещаться в одну строку.")
    if row.file.strip():
        yield from (
            _problem(row, "file", message) for message in _file_problems(row.file.strip(), kb_dir)
        )
    for line in _lines(row.links):
        if _parse_link(line) is None:
            yield _problem(
                row,
                "links",
                f"строка ссылки «{line}» не разобрана: пишите "
                "«название | https://адрес», каждую ссылку с новой строки.",
            )


def _file_problems(name: str, kb_dir: Path) -> Iterator[str]:
    path = PurePosixPath(name)
    if "\\" in name:
        yield f"в имени файла «{name}» обратная косая черта; папки разделяйте знаком «/»."
    elif path.is_absolute() or ".." in path.parts:
        yield (
            f"файл «{name}» должен лежать внутри папки базы знаний: укажите путь "
            "относительно неё, без «..» и без «/» в начале."
        )
    elif path.suffix != ".yaml":
        yield f"имя файла «{name}» должно оканчиваться на .yaml, например account.yaml."
    elif _is_synonyms_file(kb_dir / path):
        yield f"«{name}» — это файл синонимов; вопросы держите в файлах тем."
    elif (kb_dir / path).is_dir():
        yield f"«{name}» — это папка, а не файл."


def _is_synonyms_file(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        return not isinstance(parse_file(read_text(path), path), TopicFile)
    except KnowledgeBaseError:
        return False  # the import refuses a base that does not load before it gets here


def _clashes_with_other_files(rows: Sequence[Row], kb_dir: Path) -> Iterator[Problem]:
    """Ids of the table that a topic file not named in the table already uses."""
    named = {_file_name(row) for row in rows}
    elsewhere: dict[str, str] = {}
    for path in topic_paths(kb_dir):
        relative = path.relative_to(kb_dir).as_posix()
        if relative in named:
            continue
        try:
            parsed = parse_file(read_text(path), path)
        except KnowledgeBaseError:
            continue  # reported by the trial load, with its line
        if isinstance(parsed, TopicFile):
            elsewhere.update(dict.fromkeys((entry.id for entry in parsed.entries), relative))
    for row in rows:
        other = elsewhere.get(row.id.strip())
        if other is not None:
            yield _problem(
                row,
                "id",
                f"идентификатор «{row.id.strip()}» уже занят в файле "
                f"{other}, которого нет в таблице; выберите другой или удалите "
                "вопрос из того файла.",
            )


def _file_name(row: Row) -> str:
    """The row's file as one spelling per file: `./a.yaml` and `a.yaml` are the same."""
    name = row.file.strip()
    return PurePosixPath(name).as_posix() if name else ""


def _problem(row: Row, name: str, message: str) -> Problem:
    return Problem(message, row=row.number, column=HEADERS[name])


def _column_order(header: str | None) -> int:
    headers = list(HEADERS.values())
    return headers.index(header) if header in headers else -1


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _items(text: str) -> list[str]:
    """Keywords or tags: one a line as exported, or separated by commas or semicolons as
    people type them in one cell ("пароль, сброс"), as in the YAML's `[пароль, сброс]`."""
    return [item.strip() for item in re.split(r"[\n,;]", text) if item.strip()]


def _parse_link(line: str) -> Link | None:
    title, separator, url = line.rpartition("|")
    title, url = title.strip(), url.strip()
    if not separator or not title or not URL_RE.fullmatch(url):
        return None
    return Link(title, url)


# ---------------------------------------------------------------- import


def row_entry(row: Row) -> Entry:
    """The entry a checked row describes (see `check_rows`)."""
    return Entry(
        id=row.id.strip(),
        topic=row.topic.strip(),
        question=row.question.strip(),
        answer=row.answer.strip(),
        alternatives=tuple(_lines(row.alternatives)),
        keywords=tuple(_items(row.keywords)),
        links=tuple(link for line in _lines(row.links) if (link := _parse_link(line))),
        tags=tuple(_items(row.tags)),
        source=row.source.strip() or None,
    )


def topic_texts(rows: Sequence[Row]) -> dict[str, str]:
    """The new text of each topic file named in the table, entries in table order."""
    return {
        name: topic_file_text(topic.title, topic.entries) for name, topic in _topics(rows).items()
    }


def import_rows(
    rows: Sequence[Row], kb_dir: Path, *, force: bool = False, delete_missing: bool = False
) -> ImportReport:
    """Check every row against the base as it is now; if all is well, rewrite the topic files
    whose entries change.

    Refused, writing nothing: a base that does not load (its hand edits would be overwritten),
    a wrong row, an entry edited both in the table and in the base since the export (unless
    `force`: then the table wins), a result that would not load. Entries of the base missing
    from the table stay where they are unless `delete_missing`; a topic file left without
    entries is deleted. A file whose entries stay the same (same parsed content) is not
    rewritten, so its comments and styles stay. Synonyms files are never touched. The result
    is loaded in a scratch copy first, so a table that would break the base writes nothing.
    The base is read and written under the writers' lock of all its folders: a phrasing the
    console adds meanwhile waits, and is not lost.
    """
    if not kb_dir.is_dir():
        return ImportReport((Problem(f"папка базы знаний {kb_dir} не найдена."),))
    with locked_base(kb_dir):
        return _import_locked(rows, kb_dir, force=force, delete_missing=delete_missing)


def _import_locked(
    rows: Sequence[Row], kb_dir: Path, *, force: bool, delete_missing: bool
) -> ImportReport:
    try:
        base = _current_base(kb_dir)
    except KnowledgeBaseErrors as errors:
        return ImportReport(tuple(_unloadable(problem, kb_dir) for problem in errors.problems))
    except KnowledgeBaseError as error:
        return ImportReport((_unloadable(error, kb_dir),))
    problems = check_rows(rows, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    if any(row.windows_1251 for row in rows) and (lost := _lost_in_windows_1251(base)):
        return ImportReport((lost,))
    merge = _merge(rows, base, force=force)
    if merge.conflicts:
        return ImportReport(merge.conflicts)
    plan = _plan(merge, base, delete_missing=delete_missing)
    problems = _trial_load(plan.texts, plan.removed_files, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    for name, text in plan.texts.items():
        _replace_file(kb_dir / name, text)
    for name in plan.removed_files:
        (kb_dir / name).unlink()
    return ImportReport(
        changed=tuple(plan.texts),
        unchanged=plan.unchanged,
        untouched=plan.untouched,
        removed_files=plan.removed_files,
        entries=len(rows),
        added=plan.added,
        edited=plan.edited,
        deleted=plan.deleted,
        kept=plan.kept,
        base_kept=merge.base_kept,
        not_restored=merge.not_restored,
    )


def _current_base(kb_dir: Path) -> KnowledgeBase:
    """The base as it is now; empty when the folder has no YAML files yet."""
    if not topic_paths(kb_dir):
        return KnowledgeBase((), (), kb_dir)
    return load_knowledge_base(kb_dir)


def _lost_in_windows_1251(base: KnowledgeBase) -> Problem | None:
    """Excel saving in Windows-1251 turns every character it lacks ("→", emoji) into "?":
    refused when the base holds any, naming the entries, since the table no longer does."""
    ids = [
        row.id
        for row in export_rows(base)
        if not all(_fits_windows_1251(row.cell(column.name)) for column in COLUMNS)
    ]
    if not ids:
        return None
    return Problem(
        "таблица сохранена в кодировке Windows-1251, в которой нет части символов записей "
        f"{', '.join(ids)}: Excel заменил их на «?». Сохраните таблицу как «CSV UTF-8 "
        "(разделитель — запятая)» или как .xlsx и повторите импорт."
    )


def _fits_windows_1251(text: str) -> bool:
    try:
        text.encode("cp1251")
    except UnicodeEncodeError:
        return False
    return True


def _unloadable(error: KnowledgeBaseError, kb_dir: Path) -> Problem:
    return Problem(
        f"база знаний не загружается, а импорт перезаписал бы файл вместе с ручной правкой: "
        f"{_where(error, kb_dir)}{error.message} — исправьте файл (проверьте командой "
        "faqbot kb check) и повторите импорт."
    )


# ---------------------------------------------------------------- the table against the base


@dataclass(frozen=True, slots=True)
class _Merge:
    """The table reconciled with the base as it is now (see `_merge`)."""

    rows: tuple[Row, ...]
    conflicts: tuple[Problem, ...] = ()
    base_kept: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()


def _merge(rows: Sequence[Row], base: KnowledgeBase, *, force: bool) -> _Merge:
    """Which rows to write, judged by the version each row recorded at export.

    A row without a version (an old table, a row staff added) is written, and so is every row
    into a folder with no entries yet (a base set up, or restored, from a table). Otherwise,
    when the
    base's entry is still as exported, the row is written; when it has changed since (or was
    deleted), a row left as exported gives way to the base, and a row edited in the table is
    a conflict, unless it says what the base says already. With `force`, a conflicting row is
    written over the base's change; rows left as exported still give way to the base.
    """
    written: list[Row] = []
    conflicts: list[Problem] = []
    base_kept: list[str] = []
    not_restored: list[str] = []
    for row in rows:
        entry_id = row.id.strip()
        current = base.get(entry_id)
        now = None if current is None else _entry_row(current, base.root, row.number)
        recorded = row.version.strip()
        if not recorded or not len(base) or (now is not None and now.version == recorded):
            written.append(row)
        elif entry_version(row) == recorded:  # left as exported: the base's change stays
            (not_restored if now is None else base_kept).append(entry_id)
        elif now is None or _canonical(now) == _canonical(row):
            written.append(row)  # a new entry from a copied row, or the base's change itself
        elif force:
            written.append(row)  # edited in both places: the table wins, as asked
        else:
            conflicts.append(_conflict(row, now))
    return _Merge(tuple(written), tuple(conflicts), tuple(base_kept), tuple(not_restored))


def _conflict(row: Row, now: Row) -> Problem:
    return Problem(
        f"запись «{now.id}» изменена в базе после выгрузки (файл {now.file}), а в таблице её "
        "тоже правили; выгрузите базу заново и перенесите правку в новую таблицу или, чтобы "
        "записать версию из таблицы для этих записей и потерять их изменения в базе, повторите "
        "импорт с флагом --force.",
        row=row.number,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an import writes: new text by file, files to delete, and the report's lists."""

    texts: dict[str, str]
    unchanged: tuple[str, ...]
    removed_files: tuple[str, ...]
    untouched: tuple[str, ...]
    added: tuple[str, ...]
    edited: tuple[str, ...]
    deleted: tuple[str, ...]
    kept: tuple[str, ...]


def _plan(merge: _Merge, base: KnowledgeBase, *, delete_missing: bool) -> _Plan:
    """The files the merged rows make. Files named in the rows are rebuilt from them, with
    the base's entries that stay (missing from the table, or given way to) in their places;
    a file losing entries to `delete_missing` is rebuilt too."""
    current = _files_of(base)
    table = _topics(merge.rows)
    written_ids = {row.id.strip() for row in merge.rows}
    missing = [entry.id for entry in base if entry.id not in written_ids]
    given_way = set(merge.base_kept)
    deleted = [i for i in missing if delete_missing and i not in given_way]
    staying = set(missing) - set(deleted)
    candidates = [*table, *(name for name in current if name not in table)]
    texts: dict[str, str] = {}
    unchanged: list[str] = []
    removed: list[str] = []
    for name in candidates:
        old_title, old_entries = current.get(name, ("", []))
        title = table[name].title if name in table else old_title
        new_entries = table[name].entries if name in table else []
        entries = _with_staying(new_entries, old_entries, staying)
        if name not in table and entries == old_entries:
            continue  # not in the table and nothing deleted: untouched
        if not entries:
            removed.append(name)
        elif title == old_title and _same_entries(entries, old_entries, name):
            unchanged.append(name)
        else:
            texts[name] = topic_file_text(title, entries)
    by_id = {entry.id: entry for entry in base}
    rebuilt_names = {*texts, *unchanged, *removed}
    return _Plan(
        texts=texts,
        unchanged=tuple(unchanged),
        removed_files=tuple(removed),
        untouched=tuple(n for n in current if n not in rebuilt_names),
        added=tuple(row.id.strip() for row in merge.rows if row.id.strip() not in by_id),
        edited=tuple(
            row.id.strip()
            for row in merge.rows
            if (entry := by_id.get(row.id.strip())) is not None
            and _canonical(_entry_cells(entry, _relative_file(entry, base.root), 0))
            != _canonical(row)
        ),
        deleted=tuple(deleted),
        kept=tuple(i for i in missing if i in staying and i not in given_way),
    )


def _files_of(base: KnowledgeBase) -> dict[str, tuple[str, list[Entry]]]:
    """Each topic file of the base: its topic and entries, in order."""
    files: dict[str, tuple[str, list[Entry]]] = {}
    for entry in base:
        files.setdefault(_relative_file(entry, base.root), (entry.topic, []))[1].append(entry)
    return files


def _topics(rows: Sequence[Row]) -> dict[str, _Topic]:
    topics: dict[str, _Topic] = {}
    for row in rows:
        topic = topics.setdefault(_file_name(row), _Topic(row.topic.strip()))
        topic.entries.append(row_entry(row))
    return topics


def _with_staying(new: list[Entry], old: list[Entry], staying: set[str]) -> list[Entry]:
    """`new` with the entries of `old` whose ids are `staying` put back, each right after the
    nearest entry that preceded it in `old` (or first)."""
    result = list(new)
    for index, entry in enumerate(old):
        if entry.id not in staying:
            continue
        ids = [e.id for e in result]
        before = [e.id for e in old[:index] if e.id in ids]
        result.insert(ids.index(before[-1]) + 1 if before else 0, entry)
    return result


def _same_entries(new: list[Entry], old: list[Entry], file: str) -> bool:
    """Whether a file would hold the same entries, read as the import reads them."""
    if len(new) != len(old):
        return False
    return all(
        _canonical(_entry_cells(a, file, 0)) == _canonical(_entry_cells(b, file, 0))
        for a, b in zip(new, old, strict=True)
    )


def _trial_load(texts: dict[str, str], removed: Sequence[str], kb_dir: Path) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="faqbot-kb-import-") as scratch:
        trial = Path(scratch) / "kb"
        shutil.copytree(kb_dir, trial)
        for name, text in texts.items():
            path = trial / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for name in removed:
            (trial / name).unlink()
        try:
            load_knowledge_base(trial)
        except KnowledgeBaseErrors as errors:
            return [_base_problem(problem, trial) for problem in errors.problems]
        except KnowledgeBaseError as error:
            return [_base_problem(error, trial)]
    return []


def _base_problem(error: KnowledgeBaseError, trial: Path) -> Problem:
    message = error.message.replace(f"{trial}{os.sep}", "")
    return Problem(f"после импорта база не загрузится: {_where(error, trial)}{message}")


def _where(error: KnowledgeBaseError, root: Path) -> str:
    """`file:line: ` of a load error, the file relative to `root`; empty without a file."""
    if error.file is None:
        return ""
    name = (
        error.file.relative_to(root).as_posix()
        if error.file.is_relative_to(root)
        else str(error.file)
    )
    return f"{name}:{error.line}: " if error.line else f"{name}: "


def _replace_file(path: Path, text: str) -> None:
    # Write beside the target and rename, so a crash never leaves half a topic file.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


# ---------------------------------------------------------------- commands


def export_command(kb_dir: Path, out: Path) -> int:
    """`faqbot kb export`: save the base as a table; print what was done. Returns the exit code."""
    try:
        kb = load_knowledge_base(kb_dir)
        rows = export_rows(kb)
        write_rows(rows, out)
    except KnowledgeBaseError as error:
        print(
            f"База знаний {kb_dir} не загружается, выгрузка не сделана:\n{error}", file=sys.stderr
        )
        return 1
    except SpreadsheetError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Не удалось сохранить {out}: {error.strerror}.", file=sys.stderr)
        return 1
    files = len({row.file for row in rows})
    print(
        f"Выгружено {_count(len(rows), 'вопрос', 'вопроса', 'вопросов')} из "
        f"{_count(files, 'файла', 'файлов', 'файлов')} в {out}."
    )
    return 0


def import_command(
    kb_dir: Path, sheet: Path, *, force: bool = False, delete_missing: bool = False
) -> int:
    """`faqbot kb import`: check a table and write it into the base; print a report.

    Returns 0 when the table was written, 1 when nothing was written. `force` and
    `delete_missing` are passed to `import_rows`.
    """
    try:
        rows = read_rows(sheet)
    except SpreadsheetError as error:
        print(f"Импорт не выполнен: {error}", file=sys.stderr)
        return 1
    report = import_rows(rows, kb_dir, force=force, delete_missing=delete_missing)
    print(format_report(report), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def format_report(report: ImportReport) -> str:
    """The report as text for staff."""
    if not report.ok:
        count = _count(len(report.problems), "ошибка", "ошибки", "ошибок")
        lines = [f"Импорт не выполнен, ни один файл не изменён. Найдено: {count}."]
        lines.extend(f"  {problem}" for problem in report.problems)
        return "\n".join(lines)
    lines = [f"Импортировано {_count(report.entries, 'вопрос', 'вопроса', 'вопросов')}."]
    lines.append(_id_list("Добавлено записей", report.added))
    lines.append(_id_list("Изменено записей", report.edited))
    lines.append(_id_list("Удалено записей", report.deleted))
    if report.kept:
        lines.append(
            f"{_id_list('Нет в таблице, оставлены в базе', report.kept)} Если их удалили "
            "намеренно, повторите импорт с флагом --delete-missing."
        )
    if report.base_kept:
        lines.append(
            _id_list(
                "Изменены в базе после выгрузки, в таблице не правились — оставлена версия из базы",
                report.base_kept,
            )
        )
    if report.not_restored:
        lines.append(
            _id_list(
                "Удалены из базы после выгрузки, в таблице не правились — не восстановлены",
                report.not_restored,
            )
        )
    lines.extend(
        _file_list(
            "Изменены файлы (комментарии в изменённых файлах не сохраняются)", report.changed
        )
    )
    lines.extend(_file_list("Без изменений", report.unchanged))
    lines.extend(_file_list("Удалены файлы (в них не осталось вопросов)", report.removed_files))
    lines.extend(_file_list("Не тронуты (их строк нет в таблице)", report.untouched))
    return "\n".join(lines)


def _id_list(title: str, ids: Sequence[str]) -> str:
    return f"{title}: {len(ids)} — {', '.join(ids)}." if ids else f"{title}: 0."


def _file_list(title: str, names: Iterable[str]) -> list[str]:
    names = list(names)
    return [f"{title}: {', '.join(names)}."] if names else []


def _count(number: int, one: str, few: str, many: str) -> str:
    if number % 10 == 1 and number % 100 != 11:
        word = one
    elif 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        word = few
    else:
        word = many
    return f"{number} {word}"
