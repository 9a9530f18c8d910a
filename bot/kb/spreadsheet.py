"""The staff's spreadsheet round trip: the knowledge base as one table, and back.

`export_rows` turns a loaded base into rows, `write_csv`/`write_xlsx` save them; `read_rows`
reads an edited table and `import_rows` checks every row and rewrites the topic files named in
it, or writes nothing at all when a row is wrong. `export_command` and `import_command` are
what `faqbot kb export|import` run. Messages for staff are in Russian.
"""

from __future__ import annotations

import csv
import io
import os
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

from bot.core.kb_writer import topic_file_text
from matcher.errors import KnowledgeBaseError, KnowledgeBaseErrors
from matcher.knowledge import Entry, KnowledgeBase, Link
from matcher.loading import ID_RE, URL_RE, TopicFile, load_knowledge_base, parse_file, read_text

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
HEADERS = {column.name: column.header for column in COLUMNS}
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

    `number` is the row in the spreadsheet (the header is row 1), for messages to staff.
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
    number: int = 0

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
    """What an import did. With `problems`, nothing was written."""

    problems: tuple[Problem, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    untouched: tuple[str, ...] = ()
    entries: int = 0

    @property
    def ok(self) -> bool:
        """True when the table was accepted and written."""
        return not self.problems


# ---------------------------------------------------------------- export


def export_rows(kb: KnowledgeBase) -> list[Row]:
    """One row per entry, in the base's order, with `file` relative to the base's root."""
    return [_entry_row(entry, kb.root, number) for number, entry in enumerate(kb, start=2)]


def _entry_row(entry: Entry, root: Path | None, number: int) -> Row:
    if entry.file is None or root is None:
        raise ValueError(f"entry {entry.id!r} has no file: export needs a base loaded from disk")
    return Row(
        file=entry.file.relative_to(root).as_posix(),
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


def write_csv(rows: Sequence[Row], path: Path, *, delimiter: str = CSV_DELIMITER) -> None:
    """Save rows as CSV: UTF-8 with a BOM (so Excel shows Cyrillic), a header row, and
    standard quoting (cells with line breaks or separators in double quotes)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(column.header for column in COLUMNS)
    writer.writerows([row.cell(column.name) for column in COLUMNS] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def write_xlsx(rows: Sequence[Row], path: Path) -> None:
    """Save rows as an Excel workbook: bold frozen header, filters, wide wrapped columns."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([column.header for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        try:
            sheet.append([row.cell(column.name) for column in COLUMNS])
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
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
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

    Columns are found by their headers in row 1, in any order; extra columns are ignored.
    Raises SpreadsheetError when the file is not a readable table or a column is missing.
    """
    records = _csv_records(path) if _suffix(path) == ".csv" else _xlsx_records(path)
    return _rows_from_records(records, path)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = f"«{path.suffix}»" if path.suffix else "без расширения"
        raise SpreadsheetError(
            f"{path.name}: файл {shown} не подходит. Нужна таблица .xlsx (Excel) или .csv; "
            "в Excel выберите «Сохранить как» → «Книга Excel (*.xlsx)»."
        )
    return suffix


def _csv_records(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SpreadsheetError(f"{path}: не удаётся прочитать файл ({error.strerror}).") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpreadsheetError(
            f"{path.name}: файл не в кодировке UTF-8 или это не текст. В Excel сохраните "
            "таблицу как «CSV UTF-8 (разделитель — запятая)» или как .xlsx."
        ) from None
    if "\x00" in text:
        raise SpreadsheetError(f"{path.name}: это двоичный файл, а не таблица CSV.")
    first_line = text.partition("\n")[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    try:
        return [list(record) for record in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise SpreadsheetError(f"{path.name}: CSV испорчен ({error}).") from None


def _xlsx_records(path: Path) -> list[list[str]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [
                [_cell_text(value) for value in values]
                for values in sheet.iter_rows(values_only=True)
            ]
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


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _rows_from_records(records: list[list[str]], path: Path) -> list[Row]:
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
        if any(cells.values()):
            rows.append(Row(**cells, number=number))
    return rows


def _header_positions(header: list[str], path: Path) -> dict[str, int]:
    known = {_header_key(column.header): column.name for column in COLUMNS}
    known.update({column.name: column.name for column in COLUMNS})
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
    """Every problem of every row: missing or malformed cells, duplicate ids, bad links,
    file names outside the base, a file given two topics. Empty when the table is good."""
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
        return False  # a broken file named in the table is simply rewritten


def _clashes_with_other_files(rows: Sequence[Row], kb_dir: Path) -> Iterator[Problem]:
    """Ids of the table that a topic file not named in the table already uses."""
    named = {_file_name(row) for row in rows}
    elsewhere: dict[str, str] = {}
    for path in sorted(kb_dir.rglob("*.yaml")):
        relative = path.relative_to(kb_dir).as_posix()
        if relative in named or not path.is_file():
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
        keywords=tuple(_lines(row.keywords)),
        links=tuple(link for line in _lines(row.links) if (link := _parse_link(line))),
        tags=tuple(_lines(row.tags)),
        source=row.source.strip() or None,
    )


def topic_texts(rows: Sequence[Row]) -> dict[str, str]:
    """The new text of each topic file named in the table, entries in table order."""
    topics: dict[str, _Topic] = {}
    for row in rows:
        topic = topics.setdefault(_file_name(row), _Topic(row.topic.strip()))
        topic.entries.append(row_entry(row))
    return {name: topic_file_text(topic.title, topic.entries) for name, topic in topics.items()}


def import_rows(rows: Sequence[Row], kb_dir: Path) -> ImportReport:
    """Check every row; if all are good, rewrite the topic files named in the table.

    Synonyms files and topic files absent from the table stay as they are. The result is
    loaded in a scratch copy first, so a table that would break the base writes nothing; after
    writing, the base is loaded again to prove it parses.
    """
    if not kb_dir.is_dir():
        return ImportReport((Problem(f"папка базы знаний {kb_dir} не найдена."),))
    problems = check_rows(rows, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    texts = topic_texts(rows)
    problems = _trial_load(texts, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    changed = [name for name, text in texts.items() if _current_text(kb_dir / name) != text]
    for name in changed:
        _replace_file(kb_dir / name, texts[name])
    kb = load_knowledge_base(kb_dir)
    untouched = dict.fromkeys(
        entry.file.relative_to(kb_dir).as_posix() for entry in kb if entry.file is not None
    )
    return ImportReport(
        changed=tuple(changed),
        unchanged=tuple(name for name in texts if name not in changed),
        untouched=tuple(name for name in untouched if name not in texts),
        entries=len(rows),
    )


def _trial_load(texts: dict[str, str], kb_dir: Path) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="faqbot-kb-import-") as scratch:
        trial = Path(scratch) / "kb"
        shutil.copytree(kb_dir, trial)
        for name, text in texts.items():
            path = trial / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            load_knowledge_base(trial)
        except KnowledgeBaseErrors as errors:
            return [_base_problem(problem, trial) for problem in errors.problems]
        except KnowledgeBaseError as error:
            return [_base_problem(error, trial)]
    return []


def _base_problem(error: KnowledgeBaseError, trial: Path) -> Problem:
    where = ""
    if error.file is not None:
        name = (
            error.file.relative_to(trial).as_posix()
            if error.file.is_relative_to(trial)
            else str(error.file)
        )
        where = f"{name}:{error.line}: " if error.line else f"{name}: "
    message = error.message.replace(f"{trial}{os.sep}", "")
    return Problem(f"после импорта база не загрузится: {where}{message}")


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


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


def import_command(kb_dir: Path, sheet: Path) -> int:
    """`faqbot kb import`: check a table and write it into the base; print a report.

    Returns 0 when the table was written, 1 when nothing was written.
    """
    try:
        rows = read_rows(sheet)
    except SpreadsheetError as error:
        print(f"Импорт не выполнен: {error}", file=sys.stderr)
        return 1
    report = import_rows(rows, kb_dir)
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
    lines.extend(_file_list("Изменены файлы", report.changed))
    lines.extend(_file_list("Без изменений", report.unchanged))
    lines.extend(
        _file_list(
            "Не тронуты (их строк нет в таблице; если вопросы удалены намеренно, удалите файлы "
            "вручную)",
            report.untouched,
        )
    )
    return "\n".join(lines)


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
