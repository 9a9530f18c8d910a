"""`faqbot telegram`: the Telegram bot, long polling the Bot API."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.database import database_works, run_on_database
from bot.cli.locations import default_kb_dir, load_base

if TYPE_CHECKING:
    from bot.telegram.settings import TelegramSettings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `telegram` subcommand."""
    parser = commands.add_parser(
        "telegram",
        help="запустить бота Telegram (токен из TELEGRAM_BOT_TOKEN)",
        description=(
            "Запустить бота Telegram, опрашивающего Bot API (long polling). Токен берётся "
            "из TELEGRAM_BOT_TOKEN, адрес Bot API — из TELEGRAM_API_BASE (по умолчанию адрес "
            "самого Telegram)."
        ),
    )
    parser.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="URL базы данных SQLAlchemy (по умолчанию SQLite)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the settings, then poll until interrupted."""
    from bot.cli import process_log
    from bot.telegram.errors import (
        MissingTokenError,
        TelegramSettingsError,
        TokenRejectedError,
    )
    from bot.telegram.settings import TelegramSettings

    try:
        settings = TelegramSettings.from_env(
            kb_dir=args.kb or default_kb_dir(), database_url=args.database
        )
    except (MissingTokenError, TelegramSettingsError) as error:
        print(f"faqbot: {error}", file=sys.stderr)
        return 2
    if load_base(settings.kb_dir) is None:  # one line, not a traceback of the start-up
        return 2
    if status := run_on_database(args, database_works):
        return status
    process_log.configure()  # the same lines as `serve` writes
    try:
        asyncio.run(_serve(settings))
    except TokenRejectedError as error:  # waiting would not help: say what to fix
        print(f"faqbot: {error}", file=sys.stderr)
        return 2
    return 0


async def _serve(settings: TelegramSettings) -> None:
    from bot.telegram.app import telegram_app

    async with telegram_app(settings) as app:
        print(f"faqbot: бот Telegram подключается к {settings.api_base}", flush=True)
        await app.run(asyncio.Event(), handle_signals=True)
