"""Operator accounts: create with a checked password, authenticate, change roles and passwords.

There is no default account and no default password: the first administrator is created
with `create` (the CLI asks for the password).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.clock import Clock, system_clock
from bot.core.errors import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    InvalidInputError,
)
from bot.core.passwords import Passwords, check_password
from bot.core.records import MAX_RECORD_ID, Operator
from bot.core.roles import Permission, Role, require
from bot.core.settings import PasswordPolicy
from bot.core.ticket_flow import return_to_queue
from bot.storage.database import Database

LOGIN_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MAX_DISPLAY_NAME = 100  # the column's width
MAX_HELD_TICKETS = 100_000  # more than anyone holds: all of them go back to the queue


def normalize_login(login: str) -> str:
    """A login in lower case, or `InvalidInputError` explaining the allowed form."""
    value = login.strip().lower()
    if not LOGIN_PATTERN.match(value):
        raise InvalidInputError(
            f"Логин «{login}» не подходит: 2-64 латинские буквы, цифры, точки, дефисы или "
            "подчёркивания, начиная с буквы."
        )
    return value


def password_stamp(password_hash: str) -> str:
    """What a console session keeps of the password it was opened with: once the password
    changes (`faqbot user password` after a leak), the sessions opened before end."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def clean_display_name(display_name: str | None, login: str) -> str:
    """The name shown to colleagues on one line; the login when none is given. A name the
    column cannot hold is refused (PostgreSQL refused it in English, SQLite kept it whole)."""
    name = " ".join((display_name or "").split()) or login
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidInputError(
            f"Имя слишком длинное (символов: {len(name)}): можно не больше {MAX_DISPLAY_NAME}."
        )
    return name


@dataclass(frozen=True)
class ActiveSet:
    """An account enabled or disabled, and the numbers of the open tickets it had that went
    back to the queue (disabling only)."""

    operator: Operator
    returned: tuple[int, ...] = ()


def disabled_note(operator: Operator, *, by: Operator | None) -> str:
    """Why a disabled account's tickets went back to the queue, for their history (which
    names `by`; the command line's administrator is named here)."""
    note = f"учётная запись сотрудника «{operator.display_name}» отключена"
    return note if by is not None else f"{note} администратором сервера (faqbot user disable)"


class Accounts:
    """Operator accounts over the database."""

    def __init__(
        self,
        db: Database,
        *,
        policy: PasswordPolicy | None = None,
        passwords: Passwords | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._policy = policy or PasswordPolicy()
        self._passwords = passwords or Passwords()
        self._clock = clock

    async def create(
        self,
        login: str,
        password: str,
        *,
        role: Role,
        display_name: str | None = None,
        by: Operator | None = None,
    ) -> Operator:
        """Create an account; `by=None` means the server's administrator (the CLI)."""
        if by is not None:
            require(by.role, Permission.MANAGE_ACCOUNTS, "создавать учётные записи")
        name = normalize_login(login)
        shown = clean_display_name(display_name, name)
        check_password(password, login=name, policy=self._policy)
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        async with self._db.transaction() as uow:
            if await uow.operators.by_login(name) is not None:
                raise AccountExistsError(f"Учётная запись «{name}» уже есть.")
            return await uow.operators.add(
                login=name,
                display_name=shown,
                role=role,
                password_hash=password_hash,
                now=self._clock(),
            )

    async def authenticate(self, login: str, password: str) -> Operator:
        """The active account with this login and password, or `AuthenticationError`."""
        try:
            name = normalize_login(login)
        except InvalidInputError:
            raise AuthenticationError() from None
        async with self._db.transaction() as uow:
            found = await uow.operators.by_login(name)
        if found is None:
            raise AuthenticationError()
        operator, password_hash = found
        valid = await asyncio.to_thread(self._passwords.verify, password_hash, password)
        if not valid or not operator.active:
            raise AuthenticationError()
        if self._passwords.needs_rehash(password_hash):
            new_hash = await asyncio.to_thread(self._passwords.hash, password)
            async with self._db.transaction() as uow:
                await uow.operators.set_password_hash(operator.id, new_hash)
        return operator

    async def change_password(self, login: str, new_password: str) -> None:
        """Set a new password (the caller has checked who may do it)."""
        operator = await self.get(login)
        check_password(new_password, login=operator.login, policy=self._policy)
        new_hash = await asyncio.to_thread(self._passwords.hash, new_password)
        async with self._db.transaction() as uow:
            await uow.operators.set_password_hash(operator.id, new_hash)

    async def set_role(self, login: str, role: Role, *, by: Operator | None = None) -> Operator:
        """Change an account's role."""
        if by is not None:
            require(by.role, Permission.MANAGE_ACCOUNTS, "менять роли")
        operator = await self.get(login)
        async with self._db.transaction() as uow:
            await uow.operators.set_role(operator.id, role)
        return await self.get(login)

    async def set_active(
        self, login: str, active: bool, *, by: Operator | None = None
    ) -> ActiveSet:
        """Enable or disable an account; a disabled one can neither log in nor act, and its
        open tickets go back to the queue in the same transaction (`return_to_queue`), for
        colleagues to take."""
        if by is not None:
            require(by.role, Permission.MANAGE_ACCOUNTS, "отключать учётные записи")
        operator = await self.get(login)
        now = self._clock()
        returned: list[int] = []
        async with self._db.transaction() as uow:
            await uow.operators.set_active(operator.id, active)
            if not active:
                for held in await uow.tickets.assigned_to(operator.id, MAX_HELD_TICKETS):
                    ticket = await uow.tickets.get(held.number, lock=True)
                    if ticket is None or ticket.assignee_id != operator.id:
                        continue
                    await return_to_queue(
                        uow,
                        ticket,
                        now,
                        note=disabled_note(operator, by=by),
                        operator_id=by.id if by is not None else None,
                    )
                    returned.append(ticket.number)
        return ActiveSet(await self.get(login), tuple(sorted(returned)))

    async def set_telegram_user(self, login: str, telegram_user_id: int | None) -> Operator:
        """Let the account act from this Telegram user in the operators' group (None: unlink)."""
        if telegram_user_id is not None and not 0 < telegram_user_id <= MAX_RECORD_ID:
            raise InvalidInputError(
                f"Идентификатор пользователя Telegram «{telegram_user_id}» неверен: это "
                "положительное число (его показывает, например, @userinfobot)."
            )
        operator = await self.get(login)
        async with self._db.transaction() as uow:
            if telegram_user_id is not None:
                holder = await uow.operators.by_telegram_user(telegram_user_id)
                if holder is not None and holder.id != operator.id:
                    raise AccountExistsError(
                        f"Пользователь Telegram {telegram_user_id} уже связан с учётной "
                        f"записью «{holder.login}»: сначала отвяжите его там."
                    )
            await uow.operators.set_telegram_user(operator.id, telegram_user_id)
        return await self.get(login)

    async def by_telegram_user(self, telegram_user_id: int) -> Operator | None:
        """The account linked to a Telegram user, or None (disabled accounts included)."""
        async with self._db.transaction() as uow:
            return await uow.operators.by_telegram_user(telegram_user_id)

    async def get(self, login: str) -> Operator:
        """The account with this login, or `AccountNotFoundError`."""
        return (await self.with_stamp(login))[0]

    async def with_stamp(self, login: str) -> tuple[Operator, str]:
        """The account with this login and its password's `password_stamp`, or
        `AccountNotFoundError`."""
        name = normalize_login(login)
        async with self._db.transaction() as uow:
            found = await uow.operators.by_login(name)
        if found is None:
            raise AccountNotFoundError(f"Учётной записи «{name}» нет.")
        return found[0], password_stamp(found[1])

    async def all(self) -> Sequence[Operator]:
        """Every account, by login."""
        async with self._db.transaction() as uow:
            return await uow.operators.all()
