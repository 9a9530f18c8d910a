"""`faqbot analytics purge`: delete recorded questions older than the retention period, and
chats' dialogue memories past theirs (a phone number shared in Telegram among them)."""

from __future__ import annotations

import argparse

from bot.cli.database import add_database_option, run_on_database
from bot.core.dialogues import DialogueMemory
from bot.core.question_log import QuestionLog
from bot.core.settings import CoreSettings
from bot.storage.database import Database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `analytics purge`."""
    parser = commands.add_parser("analytics", help="журнал вопросов граждан")
    actions = parser.add_subparsers(
        dest="analytics_command", required=True, metavar="ДЕЙСТВИЕ", title="действия"
    )
    purge = actions.add_parser("purge", help="удалить вопросы старше срока хранения")
    purge.add_argument(
        "--older-than",
        type=int,
        default=None,
        metavar="ДНЕЙ",
        help=f"возраст в днях (по умолчанию {CoreSettings().analytics.retention_days})",
    )
    add_database_option(purge)
    purge.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    """Delete the old records and say how many went."""

    async def purge(db: Database) -> int:
        removed = await QuestionLog(db).purge(older_than_days=args.older_than)
        print(f"Удалено записей о вопросах: {removed}.")
        # A bot that is never restarted would keep them (unread) until its next start.
        memories = DialogueMemory(db, ttl=CoreSettings().dialogue_memory)
        print(f"Удалено устаревших записей диалогов: {await memories.forget_stale()}.")
        return 0

    return run_on_database(args, purge)
