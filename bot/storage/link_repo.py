"""Link codes and wrong-code attempts in the database."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.identity import Identity
from bot.core.link_codes import StoredLinkCode
from bot.storage.dialects import dialect_of
from bot.storage.tables import LinkCodeRow, LinkFailureRow


class LinkRepository:
    """Reads and writes one-time link codes (hashed) and failed attempts to use one."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def purge(self, *, codes_before: datetime, failures_before: datetime) -> None:
        """Forget codes that expired before `codes_before` and failures older than the window."""
        await self._session.execute(
            delete(LinkCodeRow).where(LinkCodeRow.expires_at < codes_before)
        )
        await self._session.execute(
            delete(LinkFailureRow).where(LinkFailureRow.failed_at < failures_before)
        )

    async def drop_owned_by(self, owner: Identity) -> None:
        """Remove the codes an identity asked for before (only the newest one works)."""
        await self._session.execute(
            delete(LinkCodeRow).where(
                LinkCodeRow.channel == owner.channel,
                LinkCodeRow.external_id == owner.external_id,
            )
        )

    async def add(
        self, code_hash: str, owner: Identity, *, now: datetime, expires_at: datetime
    ) -> bool:
        """Store a code; False when a code with the same hash is still kept (pick another)."""
        try:
            async with self._session.begin_nested():
                self._session.add(
                    LinkCodeRow(
                        code_hash=code_hash,
                        channel=owner.channel,
                        external_id=owner.external_id,
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
                await self._session.flush()
        except IntegrityError:
            return False
        return True

    async def find(self, code_hash: str) -> StoredLinkCode | None:
        """The stored code with this hash, expired or not."""
        row = await self._session.scalar(
            select(LinkCodeRow).where(LinkCodeRow.code_hash == code_hash)
        )
        if row is None:
            return None
        return StoredLinkCode(Identity(row.channel, row.external_id), row.expires_at)

    async def take(self, code_hash: str) -> bool:
        """Delete the code; False when another request used it first."""
        result = await self._session.execute(
            delete(LinkCodeRow).where(LinkCodeRow.code_hash == code_hash)
        )
        return bool(getattr(result, "rowcount", 0))

    async def serialise(self, keys: Collection[str]) -> None:
        """On PostgreSQL, one attempt at a time per key until the transaction ends, so that
        parallel guesses cannot all pass the count before any failure is written (SQLite
        transactions are single-writer already)."""
        if dialect_of(self._session) != "postgresql":
            return
        for key in sorted(keys):
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"link:{key}"}
            )

    async def add_failure(self, keys: Collection[str], now: datetime) -> None:
        """Count one wrong code against each key (an identity, a client address)."""
        self._session.add_all(LinkFailureRow(key=key, failed_at=now) for key in keys)
        await self._session.flush()

    async def failures_since(self, key: str, since: datetime) -> int:
        """Wrong codes counted against `key` since `since`."""
        found = await self._session.scalar(
            select(func.count())
            .select_from(LinkFailureRow)
            .where(LinkFailureRow.key == key, LinkFailureRow.failed_at >= since)
        )
        return int(found or 0)
