"""Switches shared by all processes (key → JSON value), e.g. the maintenance switch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.tables import SettingRow, table_of

# A switch's stored value by its `key` (other queries take it as a subquery). Core columns
# (see `table_of`): every question reads it.
_SETTINGS = table_of(SettingRow)
SWITCH_VALUE = select(_SETTINGS.c.value).where(_SETTINGS.c.key == bindparam("key"))


def switch_value(stored: object) -> dict[str, object] | None:
    """A switch's value as read, or None when it is off (no row)."""
    return dict(stored) if isinstance(stored, dict) else None


class SwitchRepository:
    """Reads and writes shared switches."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> dict[str, object] | None:
        """A switch's value, or None when it is off."""
        return switch_value(await self._session.scalar(SWITCH_VALUE, {"key": key}))

    async def put(self, key: str, value: dict[str, object], now: datetime) -> None:
        """Turn a switch on with a value."""
        row = await self._session.get(SettingRow, key, with_for_update=True)
        if row is None:
            self._session.add(SettingRow(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
        await self._session.flush()

    async def delete(self, key: str) -> None:
        """Turn a switch off."""
        row = await self._session.get(SettingRow, key, with_for_update=True)
        if row is not None:
            await self._session.delete(row)
            await self._session.flush()
