"""`faqbot kb`: the staff's tools for the knowledge base."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.locations import default_kb_dir
from bot.cli.progress import PHRASINGS, VECTORS, bar

if TYPE_CHECKING:
    from bot.kb.check import Report as CheckReport


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `kb check`, `kb export` and `kb import`."""
    parser = commands.add_parser("kb", help="проверка и правка базы знаний")
    tools = parser.add_subparsers(
        dest="kb_command", required=True, metavar="ИНСТРУМЕНТ", title="инструменты"
    )

    check = tools.add_parser("check", help="найти ошибки, дубли и конфликты")
    check.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=None,
        metavar="ПАПКА",
        help="папка базы знаний (по умолчанию база проекта)",
    )
    check.add_argument("--json", action="store_true", help="отчёт в JSON")
    check.add_argument("--strict", action="store_true", help="предупреждения тоже считать ошибками")
    check.set_defaults(run=run_check)

    export = tools.add_parser("export", help="выгрузить базу в таблицу (.xlsx или .csv)")
    export.add_argument(
        "--out", type=Path, required=True, metavar="ФАЙЛ", help="ФАЙЛ.xlsx или ФАЙЛ.csv"
    )
    export.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    export.set_defaults(run=run_export)

    load = tools.add_parser("import", help="записать исправленную таблицу обратно в файлы YAML")
    load.add_argument("sheet", type=Path, metavar="ТАБЛИЦА", help="ФАЙЛ.xlsx или ФАЙЛ.csv")
    load.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    load.add_argument(
        "--force",
        action="store_true",
        help="записать изменённые в таблице строки, даже если база изменилась после выгрузки",
    )
    load.add_argument(
        "--delete-missing",
        action="store_true",
        help="удалить записи базы, которых нет в таблице (по умолчанию они остаются)",
    )
    load.set_defaults(run=run_import)


def run_check(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when there are errors (or warnings, with --strict)."""
    from bot.kb.check import check_directory  # the matcher: heavy, so only when used

    with bar(VECTORS) as building, bar(PHRASINGS) as progress:
        report = check_directory(
            args.directory or default_kb_dir(), progress=progress, building=building
        )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    failed = report.errors > 0 or (args.strict and report.warnings > 0)
    return 1 if failed else 0


def _print_report(report: CheckReport) -> None:
    for finding in report.findings:
        print(finding)
    print(f"Записей: {report.entries}. Ошибок: {report.errors}. Предупреждений: {report.warnings}.")


def run_export(args: argparse.Namespace) -> int:
    """Write the base to a spreadsheet."""
    from bot.kb.spreadsheet import export_command

    return export_command(args.kb or default_kb_dir(), args.out)


def run_import(args: argparse.Namespace) -> int:
    """Write an edited spreadsheet back to the YAML files, then check the base as `kb check`
    does: a row that takes another entry's questions shows at once. Exit 0 once written."""
    from bot.kb.check import check_directory
    from bot.kb.spreadsheet import import_command

    kb_dir = args.kb or default_kb_dir()
    written = import_command(
        kb_dir, args.sheet, force=args.force, delete_missing=args.delete_missing
    )
    if written != 0:
        return written
    print("\nПроверка базы после импорта:")
    with bar(VECTORS) as building, bar(PHRASINGS) as progress:
        report = check_directory(kb_dir, progress=progress, building=building)
    _print_report(report)
    if report.errors:
        print(
            "Файлы записаны, но с ошибками база работает хуже: исправьте их (в таблице или в "
            "файлах) до публикации и проверьте снова командой faqbot kb check."
        )
    return 0
