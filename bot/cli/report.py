"""`faqbot report`: the analysts' report as one HTML file, with CSV files on request."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.cli.database import add_database_option, fail, run_on_database
from bot.cli.local_time import staff_zone
from bot.cli.locations import default_kb_dir
from bot.core.errors import InvalidInputError
from bot.core.report_figures import report_period
from bot.core.reports import Reports
from bot.storage.database import Database

STEPS = 7


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report`."""
    parser = commands.add_parser("report", help="отчёт для аналитиков (HTML, CSV)")
    parser.add_argument(
        "--since",
        default=None,
        metavar="ДАТА",
        help="первый день, ГГГГ-ММ-ДД или ДД.ММ.ГГГГ (по умолчанию все записи)",
    )
    parser.add_argument(
        "--until",
        default=None,
        metavar="ДАТА",
        help="последний день включительно, ГГГГ-ММ-ДД или ДД.ММ.ГГГГ (по умолчанию сегодня)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        metavar="ФАЙЛ.html",
        help="куда записать страницу (по умолчанию report.html)",
    )
    parser.add_argument(
        "--csv-dir",
        type=Path,
        default=None,
        metavar="ПАПКА",
        help="также записать каждую таблицу в CSV в ПАПКУ",
    )
    parser.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    add_database_option(parser)
    parser.set_defaults(run=run_report)


def parse_day(text: str | None, end: str) -> date | None:
    """A day as staff type it, `2026-10-05` or `05.10.2026`; InvalidInputError otherwise.
    `end` names which end of the period it is ("начала"), for the message."""
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise InvalidInputError(
        f"Дата {end} периода «{text}» не распознана: напишите день как 2026-10-05 или 05.10.2026."
    )


def run_report(args: argparse.Namespace) -> int:
    """Build the report and write the files."""
    from tqdm import tqdm

    from bot.reporting.csv_export import write_csv_dir
    from bot.reporting.page import render_report
    from bot.reporting.tables import report_tables
    from matcher import KnowledgeBaseError, Matcher, load_knowledge_base

    try:
        since, until = report_period(
            parse_day(args.since, "начала"), parse_day(args.until, "конца"), staff_zone().key
        )
    except InvalidInputError as error:
        return fail(error)
    # Said before the report is built (seconds on a big log), not after, as OSError's English.
    if args.out.is_dir():
        return fail(
            f"«{args.out}» — папка: укажите файл отчёта, например {args.out / 'report.html'}."
        )
    if args.csv_dir is not None and args.csv_dir.exists() and not args.csv_dir.is_dir():
        return fail(f"«{args.csv_dir}» — файл, а для таблиц CSV нужна папка (новую создадим).")
    bar = tqdm(total=STEPS, file=sys.stderr, disable=not sys.stderr.isatty(), unit="шаг")

    def step(name: str) -> None:
        bar.set_description(name)
        bar.update(1)

    async def build(db: Database) -> int:
        step("база знаний")
        try:
            matcher = Matcher(load_knowledge_base(args.kb or default_kb_dir()))
        except KnowledgeBaseError as error:
            bar.close()
            return fail(f"база знаний не загружается: {error}")
        reports = Reports(db, matcher, matcher.analyzer.analyze)
        report = await reports.build(None, since=since, until=until, progress=step)
        step("графики и страница")
        page = render_report(report, generated_at=datetime.now(tz=UTC))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(page, encoding="utf-8")
        if args.csv_dir is not None:
            write_csv_dir(report_tables(report), args.csv_dir)
        step("готово")
        bar.close()
        print(f"Отчёт: {args.out}. Вопросов за период: {report.total}.")
        return 0

    return run_on_database(args, build)
