"""Replies to widget requests with a client's request id, in the database: every `serve`
process on one database sees the same ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.prepared import Prepared, Target
from bot.storage.tables import RequestReplyRow, table_of

_REPLIES = table_of(RequestReplyRow)
_KEY = (
    _REPLIES.c.session_id == bindparam("session_id"),
    _REPLIES.c.action == bindparam("action"),
    _REPLIES.c.request_id == bindparam("request_id"),
)
_FIND = Prepared(
    select(_REPLIES.c.id, _REPLIES.c.reply, _REPLIES.c.created_at, _REPLIES.c.claimed_by).where(
        *_KEY
    )
)
_ADD = Prepared(insert(_REPLIES).returning(_REPLIES.c.id))
# Only the claim's own try stores its reply: one that went stale and was taken over by
# another try (its time changed) stores nothing.
_KEEP = Prepared(
    update(_REPLIES)
    .where(
        _REPLIES.c.id == bindparam("row_id"),
        _REPLIES.c.reply.is_(None),
        _REPLIES.c.created_at == bindparam("claimed_at"),
    )
    .values(reply=bindparam("reply"))
    .returning(_REPLIES.c.id)
)
# A claim whose request never finished (its process stopped): taken over by the next try,
# once it is stale or at once when its process is known to be gone.
_TAKE_OVER = Prepared(
    update(_REPLIES)
    .where(
        _REPLIES.c.id == bindparam("row_id"),
        _REPLIES.c.reply.is_(None),
        or_(
            _REPLIES.c.created_at < bindparam("stale_before"),
            _REPLIES.c.claimed_by == bindparam("gone"),  # NULL (none gone) matches nothing
        ),
    )
    .values(created_at=bindparam("now"), claimed_by=bindparam("owner"))
    .returning(_REPLIES.c.id)
)


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request id seen before: its row, and its reply (None while still being answered)."""

    row_id: int
    reply: str | None
    created_at: datetime
    claimed_by: str | None = None  # the process answering it, if it named itself


class RequestStatements:
    """The statements of the request path, on a session's transaction or a quick one."""

    def __init__(self, target: Target) -> None:
        self._target = target

    async def find(self, session_id: str, action: str, request_id: str) -> StoredRequest | None:
        """The request id's row, if it was seen."""
        row: Any = await _FIND.first(
            self._target, {"session_id": session_id, "action": action, "request_id": request_id}
        )
        if row is None:
            return None
        return StoredRequest(row.id, row.reply, row.created_at, row.claimed_by)

    async def claim(
        self,
        session_id: str,
        action: str,
        request_id: str,
        now: datetime,
        *,
        owner: str | None = None,
    ) -> int:
        """A new row for the request, without a reply yet, claimed by the process `owner`;
        `IntegrityError` if it exists."""
        values = {
            "session_id": session_id,
            "action": action,
            "request_id": request_id,
            "reply": None,
            "created_at": now,
            "claimed_by": owner,
        }
        return int(await _ADD.scalar(self._target, values))

    async def take_over(
        self,
        row_id: int,
        *,
        stale_before: datetime,
        now: datetime,
        gone: str | None = None,
        owner: str | None = None,
    ) -> bool:
        """Claim for `owner` a row left without a reply since before `stale_before`, or
        claimed by `gone` (a process known to have stopped); True if taken."""
        params = {
            "row_id": row_id,
            "stale_before": stale_before,
            "now": now,
            "gone": gone,
            "owner": owner,
        }
        return await _TAKE_OVER.scalar(self._target, params) is not None

    async def keep(self, row_id: int, reply: str, *, claimed_at: datetime) -> bool:
        """Store the reply given to the request claimed at `claimed_at`; False when the
        claim is no longer this try's (taken over, or the reply kept already)."""
        params = {"row_id": row_id, "reply": reply, "claimed_at": claimed_at}
        return await _KEEP.scalar(self._target, params) is not None


class RequestRepository(RequestStatements):
    """The request replies' rarer statements: a claim given up, the old ones removed."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._session = session

    async def forget(self, row_id: int, *, claimed_at: datetime) -> None:
        """Remove a claim whose request failed: the request may be sent again (unless
        another try has taken it over since)."""
        await self._session.execute(
            delete(RequestReplyRow).where(
                RequestReplyRow.id == row_id,
                RequestReplyRow.reply.is_(None),
                RequestReplyRow.created_at == claimed_at,
            )
        )

    async def delete_before(self, moment: datetime) -> int:
        """Remove the rows created before `moment`; how many went."""
        done = await self._session.execute(
            delete(RequestReplyRow).where(RequestReplyRow.created_at < moment)
        )
        return int(getattr(done, "rowcount", 0) or 0)
