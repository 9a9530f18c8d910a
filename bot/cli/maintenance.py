"""`faqbot maintenance`: tell citizens that people are unavailable until a given time.

The bot keeps answering from the knowledge base; only the promise of a human answer changes.
"""

from __future__ import annotations

import argparse

from bot.cli.database import add_database_option, run_on_database
from bot.cli.local_time import parse_time, show_time, zone_phrase
from bot.core.clock import system_clock
from bot.core.errors import InvalidInputError
from bot.core.maintenance import MaintenanceSwitch
from bot.core.records import Maintenance
from bot.storage.database import Database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `maintenance on|off|status`."""
    parser = commands.add_parser("maintenance", help="включить или выключить режим профилактики")
    actions = parser.add_subparsers(
        dest="maintenance_command", required=True, metavar="ДЕЙСТВИЕ", title="действия"
    )

    on = actions.add_parser("on", help="операторы недоступны до времени --until")
    on.add_argument(
        "--until",
        required=True,
        metavar="ВРЕМЯ",
        help="конец профилактики: «2026-11-23 06:00» (по московскому времени) "
        "или время ISO со смещением",
    )
    on.add_argument("--note", default=None, metavar="ТЕКСТ", help="что происходит, для сотрудников")
    on.set_defaults(run=run_on)

    off = actions.add_parser("off", help="операторы снова доступны")
    off.set_defaults(run=lambda a: run_on_database(a, turn_off))

    status = actions.add_parser("status", help="включена ли профилактика и до какого времени")
    status.set_defaults(run=lambda a: run_on_database(a, print_status))

    for action in (on, off, status):
        add_database_option(action)


def describe(maintenance: Maintenance | None) -> str:
    """The switch's state in one sentence."""
    if maintenance is None:
        return "Профилактика выключена: операторы доступны в рабочие часы."
    text = f"Профилактика включена до {show_time(maintenance.until)} ({zone_phrase()})."
    if maintenance.note:
        text += f" Примечание: {maintenance.note}"
    return text


def run_on(args: argparse.Namespace) -> int:
    """Turn maintenance on; a time in the past is refused."""

    async def turn_on(db: Database) -> int:
        until = parse_time(args.until)
        if until <= system_clock():
            raise InvalidInputError(
                f"Время {show_time(until)} ({zone_phrase()}) уже прошло: "
                "укажите конец профилактики в будущем."
            )
        print(describe(await MaintenanceSwitch(db).turn_on(until, note=args.note)))
        return 0

    return run_on_database(args, turn_on)


async def turn_off(db: Database) -> int:
    """Turn maintenance off."""
    await MaintenanceSwitch(db).turn_off()
    print(describe(None))
    return 0


async def print_status(db: Database) -> int:
    """Print whether maintenance is on."""
    print(describe(await MaintenanceSwitch(db).current()))
    return 0
