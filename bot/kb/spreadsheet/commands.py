"""`faqbot kb export` and `faqbot kb import`: what they do and print."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.kb.spreadsheet.importing import ImportReport, import_rows
from bot.kb.spreadsheet.rows import SpreadsheetError, export_rows
from bot.kb.spreadsheet.tables import read_rows, write_rows
from matcher.errors import KnowledgeBaseError
from matcher.loading import (
    load_knowledge_base,
)


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
