"""`faqbot queue`: the tickets waiting for people, as an operator overview in the shell."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.cli.database import acting_operator, add_database_option, run_on_database
from bot.cli.local_time import show_time, zone_phrase
from bot.cli.table import format_table
from bot.core.clock import system_clock
from bot.core.desk import Desk
from bot.core.labels import channel_label
from bot.core.tickets import Ticket
from bot.storage.database import Database

HEADERS = ("№", "Статус", "Канал", "Создано", "Срок ответа", "Просрочено")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `queue`."""
    parser = commands.add_parser(
        "queue",
        help="обращения, ждущие оператора",
        description="Обращения, ждущие оператора, ближайший срок первым; с --overdue — все "
        "открытые обращения, у которых прошёл обещанный срок ответа.",
    )
    parser.add_argument(
        "--overdue", action="store_true", help="открытые обращения с прошедшим сроком ответа"
    )
    parser.add_argument(
        "--as",
        dest="as_login",
        metavar="ЛОГИН",
        default=None,
        help="действовать от имени этой учётной записи (нужно право видеть очередь); "
        "по умолчанию — администратор сервера",
    )
    add_database_option(parser)
    parser.set_defaults(run=lambda a: run_on_database(a, lambda db: print_queue(db, a)))


def queue_table(tickets: Sequence[Ticket]) -> str:
    """The tickets as a table: channels named as operators know them, times in the staff's
    zone."""
    now = system_clock()
    rows = [
        [
            str(t.number),
            t.status_label,
            channel_label(t.channel),
            show_time(t.created_at),
            show_time(t.due_at),
            "да" if t.is_overdue(now) else "",
        ]
        for t in tickets
    ]
    return format_table(HEADERS, rows)


async def print_queue(db: Database, args: argparse.Namespace) -> int:
    """Print the queue (or the overdue tickets) for the account `--as`."""
    operator = await acting_operator(db, args.as_login) if args.as_login else None
    desk = Desk(db)
    tickets = await (desk.overdue(operator) if args.overdue else desk.queue(operator))
    if not tickets:
        print("Просроченных обращений нет." if args.overdue else "Обращений в очереди нет.")
        return 0
    print(queue_table(tickets))
    print(f"Всего: {len(tickets)}. Время {zone_phrase()}.")
    return 0
