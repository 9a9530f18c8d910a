"""`faqbot user`: create operator accounts, list them, change roles, passwords and access.

The password is never a default and never an argument (it would stay in the shell history):
it is typed twice at a terminal, or read as one line of standard input from a script.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from bot.cli import argparse_ru
from bot.cli.database import add_database_option, fail, run_on_database
from bot.cli.local_time import show_time
from bot.cli.table import format_table
from bot.core.accounts import Accounts, normalize_login
from bot.core.errors import InvalidInputError
from bot.core.roles import ROLE_LABELS, Role
from bot.storage.database import Database

ROLE_CHOICES = [role.value for role in Role]
YES, NO = "да", "нет"
FIRST_ACCOUNT_HINT = "faqbot user add --login admin --role admin"
ROLE_HELP = "; ".join(f"{role.value} — {label}" for role, label in ROLE_LABELS.items())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `user add|list|disable|enable|role|password|telegram`."""
    parser = commands.add_parser("user", help="учётные записи операторов")
    actions = parser.add_subparsers(
        dest="user_command", required=True, metavar="ДЕЙСТВИЕ", title="действия"
    )

    add = actions.add_parser(
        "add",
        help="создать учётную запись",
        description="Создать учётную запись. Пароль спрашивается дважды в терминале "
        "или читается одной строкой из стандартного ввода: echo 'пароль' | faqbot user add ...",
    )
    add.add_argument(
        "--login", required=True, metavar="ЛОГИН", help="латинские буквы, цифры, . _ -"
    )
    add.add_argument("--role", required=True, choices=ROLE_CHOICES, help=ROLE_HELP)
    add.add_argument("--name", default=None, metavar="ИМЯ", help="имя, которое видят коллеги")
    add.set_defaults(run=run_add)

    listing = actions.add_parser("list", help="все учётные записи с ролями и состоянием")
    listing.set_defaults(run=lambda a: run_on_database(a, list_accounts))

    disable = actions.add_parser("disable", help="запретить вход и работу")
    disable.add_argument("login", metavar="ЛОГИН", help="логин учётной записи")
    disable.set_defaults(run=_set_active_command(active=False))

    enable = actions.add_parser("enable", help="снова разрешить вход и работу")
    enable.add_argument("login", metavar="ЛОГИН", help="логин учётной записи")
    enable.set_defaults(run=_set_active_command(active=True))

    role = actions.add_parser("role", help="сменить роль учётной записи")
    role.add_argument("login", metavar="ЛОГИН", help="логин учётной записи")
    role.add_argument("role", choices=ROLE_CHOICES, metavar="РОЛЬ", help=ROLE_HELP)
    role.set_defaults(run=run_role)

    password = actions.add_parser("password", help="задать новый пароль (читается, как для add)")
    password.add_argument("login", metavar="ЛОГИН", help="логин учётной записи")
    password.set_defaults(run=run_password)

    telegram = actions.add_parser(
        "telegram",
        help="связать учётную запись с пользователем Telegram (группа операторов)",
        description="Разрешить учётной записи работать в группе операторов Telegram от имени "
        "этого пользователя Telegram (число; своё покажет @userinfobot). --unlink убирает связь.",
    )
    telegram.add_argument("login", metavar="ЛОГИН", help="логин учётной записи")
    telegram.add_argument(
        "telegram_user_id",
        type=argparse_ru.integer,
        nargs="?",
        default=None,
        metavar="НОМЕР_TELEGRAM",
        help="номер пользователя Telegram",
    )
    telegram.add_argument("--unlink", action="store_true", help="убрать связь")
    telegram.set_defaults(run=run_telegram)

    for action in (add, listing, disable, enable, role, password, telegram):
        add_database_option(action)


def read_new_password() -> str:
    """Twice with `getpass` at a terminal (both must match); else one line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Пароль: ")
    if getpass.getpass("Пароль ещё раз: ") != first:
        raise InvalidInputError("Пароли не совпадают: ничего не изменено, попробуйте ещё раз.")
    return first


def run_add(args: argparse.Namespace) -> int:
    """Create the account with a password read from the terminal or stdin."""
    try:
        password = read_new_password()
    except InvalidInputError as error:
        return fail(error)

    async def add(db: Database) -> int:
        role = Role(args.role)
        operator = await Accounts(db).create(
            args.login, password, role=role, display_name=args.name
        )
        print(f"Учётная запись «{operator.login}» создана: {ROLE_LABELS[role]}.")
        return 0

    return run_on_database(args, add)


async def list_accounts(db: Database) -> int:
    """Print every account as a table."""
    operators = await Accounts(db).all()
    if not operators:
        print(f"Учётных записей нет. Первую создайте так: {FIRST_ACCOUNT_HINT}")
        return 0
    rows = [
        [
            o.login,
            ROLE_LABELS[o.role],
            YES if o.active else NO,
            show_time(o.created_at),
            o.display_name,
        ]
        for o in operators
    ]
    print(format_table(["Логин", "Роль", "Активна", "Создана", "Имя"], rows))
    return 0


def _set_active_command(*, active: bool) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        async def switch(db: Database) -> int:
            done = await Accounts(db).set_active(args.login, active)
            login = done.operator.login
            if active:
                print(f"Учётная запись «{login}» включена.")
            elif done.returned:
                numbers = ", ".join(f"№ {number}" for number in done.returned)
                print(
                    f"Учётная запись «{login}» отключена. "
                    f"Возвращены в очередь обращения: {numbers}."
                )
            else:
                print(f"Учётная запись «{login}» отключена. Обращений в работе у неё не было.")
            return 0

        return run_on_database(args, switch)

    return run


def run_role(args: argparse.Namespace) -> int:
    """Give the account another role."""

    async def change(db: Database) -> int:
        operator = await Accounts(db).set_role(args.login, Role(args.role))
        print(f"Учётная запись «{operator.login}»: теперь {ROLE_LABELS[operator.role]}.")
        return 0

    return run_on_database(args, change)


def run_password(args: argparse.Namespace) -> int:
    """Set a new password read from the terminal or stdin."""
    try:
        password = read_new_password()
    except InvalidInputError as error:
        return fail(error)

    async def change(db: Database) -> int:
        await Accounts(db).change_password(args.login, password)
        print(f"Пароль учётной записи «{normalize_login(args.login)}» изменён.")
        return 0

    return run_on_database(args, change)


def run_telegram(args: argparse.Namespace) -> int:
    """Link the account to a Telegram user id, or unlink it."""
    if (args.telegram_user_id is None) == (not args.unlink):
        return fail(
            InvalidInputError(
                "Укажите номер пользователя Telegram (faqbot user telegram ЛОГИН 123456789) "
                "или --unlink, чтобы отвязать."
            )
        )

    async def link(db: Database) -> int:
        user_id = None if args.unlink else args.telegram_user_id
        operator = await Accounts(db).set_telegram_user(args.login, user_id)
        if user_id is None:
            print(f"Учётная запись «{operator.login}» отвязана от Telegram.")
        else:
            print(
                f"Учётная запись «{operator.login}» связана с пользователем Telegram {user_id}: "
                "он может работать с обращениями в группе операторов."
            )
        return 0

    return run_on_database(args, link)
