"""The maintenance switch: stored in the database, so every process sees it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import Clock, system_clock
from bot.core.errors import InvalidInputError
from bot.core.records import Maintenance, Operator
from bot.core.roles import Permission, require
from bot.storage.database import Database

MAINTENANCE_KEY = "maintenance"
# Citizens are told the day maintenance ends without its year, and their tickets are due
# after it: an end further away (a typo's "9999-12-31") is refused, not promised.
LONGEST = timedelta(days=90)


class MaintenanceSwitch:
    """Turns "people are unavailable until ..." on and off; the bot keeps answering."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def turn_on(
        self, until: datetime, *, by: Operator | None = None, note: str | None = None
    ) -> Maintenance:
        """People are unavailable until `until`; `by=None` means the server's administrator."""
        if by is not None:
            require(by.role, Permission.MAINTENANCE, "включать режим профилактики")
        now = self._clock()
        if until.tzinfo is None or until <= now:
            raise InvalidInputError(
                f"Конец профилактики должен быть в будущем и с часовым поясом, получено {until!r}."
            )
        if until - now > LONGEST:
            raise InvalidInputError(
                f"Профилактика не может длиться дольше {LONGEST.days} дней: укажите конец "
                "ближе (гражданам называют день конца профилактики без года)."
            )
        set_by = by.login if by is not None else None
        value: dict[str, object] = {
            "until": until.isoformat(),
            "note": note,
            "set_at": now.isoformat(),
            "set_by": set_by,
        }
        async with self._db.transaction() as uow:
            await uow.switches.put(MAINTENANCE_KEY, value, now)
        return Maintenance(until=until, note=note, set_at=now, set_by=set_by)

    async def turn_off(self, *, by: Operator | None = None) -> None:
        """People are available again."""
        if by is not None:
            require(by.role, Permission.MAINTENANCE, "выключать режим профилактики")
        async with self._db.transaction() as uow:
            await uow.switches.delete(MAINTENANCE_KEY)

    async def current(self) -> Maintenance | None:
        """The maintenance in force now, or None (off, or its end has passed)."""
        async with self._db.transaction() as uow:
            return self.in_force(await uow.switches.get(MAINTENANCE_KEY))

    def in_force(self, value: dict[str, object] | None) -> Maintenance | None:
        """The maintenance a stored switch value (None: off) describes, if it is in force."""
        if value is None:
            return None
        until = datetime.fromisoformat(str(value["until"]))
        if until <= self._clock():
            return None
        note, set_by = value.get("note"), value.get("set_by")
        return Maintenance(
            until=until,
            set_by=str(set_by) if set_by is not None else None,
            note=str(note) if note is not None else None,
            set_at=datetime.fromisoformat(str(value["set_at"])),
        )
