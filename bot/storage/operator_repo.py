"""Operator accounts in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.records import Operator
from bot.core.roles import Role
from bot.storage.converters import to_operator
from bot.storage.tables import OperatorRow


class OperatorRepository:
    """Reads and writes operator accounts; the hash never leaves as part of `Operator`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, login: str, display_name: str, role: Role, password_hash: str, now: datetime
    ) -> Operator:
        """Insert an active account."""
        row = OperatorRow(
            login=login,
            display_name=display_name,
            role=role.value,
            password_hash=password_hash,
            active=True,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_operator(row)

    async def by_login(self, login: str) -> tuple[Operator, str] | None:
        """An account and its password hash, or None."""
        row = await self._session.scalar(select(OperatorRow).where(OperatorRow.login == login))
        return (to_operator(row), row.password_hash) if row else None

    async def by_id(self, operator_id: int, *, share: bool = False) -> Operator | None:
        """An account by id; `share`: locked against changes (FOR SHARE on PostgreSQL) until
        the transaction ends, so that disabling the account waits for an action in flight."""
        row = await self._session.get(
            OperatorRow,
            operator_id,
            with_for_update={"read": True} if share else None,
            populate_existing=share,
        )
        return to_operator(row) if row else None

    async def set_password_hash(self, operator_id: int, password_hash: str) -> None:
        """Replace an account's password hash."""
        row = await self._session.get_one(OperatorRow, operator_id)
        row.password_hash = password_hash
        await self._session.flush()

    async def set_active(self, operator_id: int, active: bool) -> None:
        """Enable or disable an account."""
        row = await self._session.get_one(OperatorRow, operator_id)
        row.active = active
        await self._session.flush()

    async def set_role(self, operator_id: int, role: Role) -> None:
        """Change an account's role."""
        row = await self._session.get_one(OperatorRow, operator_id)
        row.role = role.value
        await self._session.flush()

    async def by_telegram_user(self, telegram_user_id: int) -> Operator | None:
        """The account mapped to a Telegram user, or None."""
        row = await self._session.scalar(
            select(OperatorRow).where(OperatorRow.telegram_user_id == telegram_user_id)
        )
        return to_operator(row) if row else None

    async def set_telegram_user(self, operator_id: int, telegram_user_id: int | None) -> None:
        """Map an account to a Telegram user (None: unmap)."""
        row = await self._session.get_one(OperatorRow, operator_id)
        row.telegram_user_id = telegram_user_id
        await self._session.flush()

    async def all(self) -> Sequence[Operator]:
        """Every account, by login."""
        rows = await self._session.scalars(select(OperatorRow).order_by(OperatorRow.login))
        return [to_operator(r) for r in rows]
