"""Every problem of an edited table, row by row and column by column, before anything is
written; messages for staff in Russian."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, time
from pathlib import Path, PurePosixPath

from bot.kb.spreadsheet.rows import (
    COLUMNS,
    HEADERS,
    Problem,
    Row,
    cell_lines,
    file_name,
    parse_link,
)
from matcher.errors import KnowledgeBaseError
from matcher.loading import (
    ID_RE,
    TopicFile,
    parse_file,
    read_text,
    topic_paths,
)

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
        file, topic = file_name(row), row.topic.strip()
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
    for line in cell_lines(row.links):
        if parse_link(line) is None:
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
    named = {file_name(row) for row in rows}
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


def _problem(row: Row, name: str, message: str) -> Problem:
    return Problem(message, row=row.number, column=HEADERS[name])


def _column_order(header: str | None) -> int:
    headers = list(HEADERS.values())
    return headers.index(header) if header in headers else -1
