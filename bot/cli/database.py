"""What the admin subcommands share: the `--database` option, running the core, its errors.

Every error the core raises on purpose carries a Russian message for people: it is printed
here, in one place, as one line on standard error, and the command exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.core.accounts import Accounts
from bot.core.clock import system_clock
from bot.core.errors import CoreError, PermissionDeniedError
from bot.core.records import Operator
from bot.storage.database import Database, open_database

DatabaseWork = Callable[[Database], Awaitable[int]]


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """Add `--database URL` (CONTRACTS.md §3) to a subcommand."""
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="URL базы данных SQLAlchemy, например postgresql+asyncpg://... "
        "(по умолчанию файл SQLite в локальной папке данных)",
    )


def fail(error: BaseException | str) -> int:
    """Print the error as one line on standard error; returns the exit status 1."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    print(f"faqbot: {' | '.join(lines) or type(error).__name__}", file=sys.stderr)
    return 1


def run_on_database(args: argparse.Namespace, work: DatabaseWork) -> int:
    """Open the database named by `--database`, run `work` on it, close it.

    Core errors, and a database that cannot be opened, end the command with one line
    on standard error and status 1.
    """
    try:
        return asyncio.run(_on_database(args.database, work))
    except CoreError as error:
        return fail(error)
    except DBAPIError as error:  # the driver's words, without the statement and its values
        return fail(f"ошибка базы данных: {error.orig}")
    except (OSError, SQLAlchemyError) as error:
        return fail(f"ошибка базы данных или файла: {error}")


async def _on_database(url: str | None, work: DatabaseWork) -> int:
    db = await open_database(url)
    try:
        return await work(db)
    finally:
        await db.close()


async def database_works(db: Database) -> int:
    """Status 0 once the database has been read and written (a write that changes nothing,
    so a read-only SQLite file fails too). `serve` and `telegram` check this before they
    start, so that a database out of reach is one line, not a traceback of the start-up."""
    await db.probe(system_clock())
    return 0


async def acting_operator(db: Database, login: str) -> Operator:
    """The active account a command acts as (`--by`, `--as`); the core checks its role."""
    operator = await Accounts(db).get(login)
    if not operator.active:
        raise PermissionDeniedError(f"Учётная запись «{operator.login}» отключена.")
    return operator
