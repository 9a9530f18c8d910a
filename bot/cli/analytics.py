"""`faqbot analytics purge`: delete recorded questions older than the retention period, and
chats' dialogue memories past theirs (a phone number shared in Telegram among them)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.cli import argparse_ru
from bot.cli.database import add_database_option, run_on_database
from bot.cli.local_time import show_time, zone_phrase
from bot.core.dialogues import DialogueMemory
from bot.core.errors import InvalidInputError
from bot.core.question_log import PurgeScope, QuestionLog
from bot.core.settings import CoreSettings
from bot.storage.database import Database

CONFIRMATIONS = frozenset({"да", "д", "yes", "y"})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `analytics purge`."""
    parser = commands.add_parser("analytics", help="журнал вопросов граждан")
    actions = parser.add_subparsers(
        dest="analytics_command", required=True, metavar="ДЕЙСТВИЕ", title="действия"
    )
    purge = actions.add_parser("purge", help="удалить вопросы старше срока хранения")
    purge.add_argument(
        "--older-than",
        type=argparse_ru.integer,
        default=None,
        metavar="ДНЕЙ",
        help=f"возраст в днях (по умолчанию {CoreSettings().analytics.retention_days})",
    )
    purge.add_argument(
        "--yes",
        action="store_true",
        help="не спрашивать подтверждения, когда --older-than короче срока хранения "
        "(без терминала без --yes такое удаление не выполняется)",
    )
    add_database_option(purge)
    purge.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    """Delete the old records and say how many went."""

    async def purge(db: Database) -> int:
        log = QuestionLog(db)
        before = log.cutoff(args.older_than)
        removed = 0
        if before is not None:
            scope = await log.scope(before)
            retention = CoreSettings().analytics.retention_days
            shorter = args.older_than is not None and args.older_than < retention
            if shorter and scope.doomed and not args.yes:
                _confirm(scope, before, retention)
            removed = await log.purge_before(before)
        print(f"Удалено записей о вопросах: {removed}.")
        # A bot that is never restarted would keep them (unread) until its next start.
        memories = DialogueMemory(db, ttl=CoreSettings().dialogue_memory)
        print(f"Удалено устаревших записей диалогов: {await memories.forget_stale()}.")
        return 0

    return run_on_database(args, purge)


def _confirm(scope: PurgeScope, before: datetime, retention: int) -> None:
    """Ask at a terminal before deleting records the retention period keeps; without a
    terminal (a script, cron) such a purge needs --yes. InvalidInputError when not confirmed."""
    which = "все" if scope.doomed == scope.total else f"из {scope.total}"
    question = (
        f"Будут удалены записи о вопросах, заданных до {show_time(before)} ({zone_phrase()}): "
        f"{scope.doomed} ({which}), хотя срок хранения — {retention} дн."
    )
    if not sys.stdin.isatty():
        raise InvalidInputError(
            f"{question} Ничего не удалено: подтвердите, добавив --yes, или запустите "
            "команду в терминале."
        )
    try:
        answer = input(f"{question}\nУдалить? Введите «да», чтобы подтвердить: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in CONFIRMATIONS:
        raise InvalidInputError("Ничего не удалено.")
