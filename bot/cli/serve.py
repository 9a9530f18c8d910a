"""`faqbot serve`: the web app (public API, widget, operator console) under uvicorn."""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import argparse_ru
from bot.cli.database import database_works, run_on_database
from bot.cli.locations import default_kb_dir, load_base

if TYPE_CHECKING:
    from bot.web.app import Mount
    from bot.web.settings import WebSettings

GRACEFUL_SHUTDOWN_SECONDS = 3
MAX_PORT = 65535


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` subcommand."""
    parser = commands.add_parser(
        "serve",
        help="запустить веб-приложение: API, виджет и консоль операторов",
        description="Публичный API, встраиваемый виджет и консоль операторов.",
    )
    parser.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    parser.add_argument(
        "--host", default="127.0.0.1", metavar="АДРЕС", help="адрес для входящих соединений"
    )
    parser.add_argument(
        "--port", type=argparse_ru.integer, default=8000, metavar="ПОРТ", help="порт"
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="URL базы данных SQLAlchemy (по умолчанию SQLite)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="писать строку в журнал на каждый запрос (по умолчанию нет, как в gunicorn: "
        "журнал запросов обычно ведёт прокси перед сервером, а вопросы и так есть в журнале "
        "вопросов)",
    )
    parser.add_argument(
        "--no-telegram",
        action="store_true",
        help="не запускать здесь бота Telegram, даже если задан TELEGRAM_BOT_TOKEN "
        "(когда его запускает отдельный процесс `faqbot telegram`)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the settings, then serve until interrupted."""
    import uvicorn

    from bot.cli.process_log import log_config
    from bot.web.app import create_app
    from bot.web.errors import SettingsError
    from bot.web.serving import Server
    from bot.web.settings import WebSettings

    try:
        settings = WebSettings.from_env(
            kb_dir=args.kb or default_kb_dir(), database_url=args.database
        )
    except SettingsError as error:
        print(f"faqbot: {error}", file=sys.stderr)
        return 2
    try:
        mounts = [] if args.no_telegram else telegram_mounts(settings)
    except TelegramConfigError as error:
        print(f"faqbot: {error}", file=sys.stderr)
        return 2
    if not 0 < args.port <= MAX_PORT:
        print(
            f"faqbot: порт {args.port} не подходит: нужно число от 1 до {MAX_PORT}.",
            file=sys.stderr,
        )
        return 2
    if load_base(settings.kb_dir) is None:  # one line, not a traceback of the start-up
        return 2
    if status := run_on_database(args, database_works):
        return status
    # The address is taken before saying where to go: a port another program holds is
    # reported as such, not after a "сервер работает по адресу" that points at that program.
    try:
        listening = _listen(args.host, args.port)
    except OSError as error:
        why = (
            "порт занят другой программой: выберите другой с помощью --port"
            if error.errno == errno.EADDRINUSE
            else str(error)
        )
        print(f"faqbot: не удаётся слушать {args.host}:{args.port}: {why}", file=sys.stderr)
        return 3
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}"
    # The one line that says where to go: the widget's page and the operators' console.
    print(
        f"faqbot: сервер работает по адресу {url}/ (консоль операторов: {url}/console)",
        flush=True,
    )
    app = create_app(settings, mounts=mounts)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
        log_config=log_config(),
        access_log=args.access_log,
    )
    Server(config, app).run(sockets=[listening])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port`, chosen as uvicorn chooses: IPv6 for an address
    with a colon, else IPv4 ("localhost" is 127.0.0.1 even where ::1 resolves first)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


class TelegramConfigError(Exception):
    """The Telegram webhook is asked for but cannot run (no token, a bad setting)."""


def telegram_mounts(settings: WebSettings) -> list[Mount]:
    """The Telegram bot when `TELEGRAM_BOT_TOKEN` is set: on the webhook when
    `TELEGRAM_WEBHOOK_URL` is set too, else long polling; nothing without a token."""
    import dataclasses
    import os

    from bot.telegram.errors import MissingTokenError, TelegramSettingsError
    from bot.telegram.settings import TOKEN_ENV, TelegramSettings, webhook_url_from

    try:
        webhook = webhook_url_from(os.environ) is not None
        if not webhook and not os.environ.get(TOKEN_ENV, "").strip():
            return []
        telegram = TelegramSettings.from_env(
            kb_dir=settings.kb_dir, database_url=settings.database_url
        )
    except (MissingTokenError, TelegramSettingsError) as error:
        raise TelegramConfigError(f"Telegram: {error}") from error
    telegram = dataclasses.replace(telegram, core=settings.core)
    if webhook:
        from bot.telegram.webhook import TelegramWebhook

        print(
            f"faqbot: бот Telegram получает обновления на {telegram.webhook_endpoint}", flush=True
        )
        return [TelegramWebhook(telegram)]
    from bot.telegram.polling import TelegramPolling

    print(f"faqbot: бот Telegram подключается к {telegram.api_base}", flush=True)
    return [TelegramPolling(telegram)]
