"""Requests sent again: the widget sends a question with a `request_id` of its own and sends
it again with the same id when no answer came (the browser went offline, a minute passed, a
network error hid an answer that did arrive). The first reply is kept in the database, by
session, action and id, so that every `serve` process on one database gives it back and
nothing is recorded twice. Requests without an id are not kept.

A request is claimed first (a row without a reply), and the reply is written in the
transaction of the answer's own writes (`bot/core/kept_replies.py`). A repeat that finds the
claim still without a reply waits for it (`WAIT_SECONDS`, then 409); a claim older than
`STALE_AFTER` died with its process, which recorded nothing, and the repeat answers it. A
claim records its process (`bot.core.claimants`): when that process ran on this machine and
is gone (killed, or the server restarted), the repeat answers at once instead. A first try
that outlives its claim that way rolls its answer back and gives the repeat's reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from bot.core.claimants import is_gone, process_name
from bot.core.clock import Clock, system_clock
from bot.core.errors import RequestTakenOverError
from bot.core.kept_replies import Claim, answering
from bot.storage.database import Database
from bot.web.errors import RequestInProgressError

Reply = TypeVar("Reply", bound=BaseModel)
Result = TypeVar("Result")

# Long enough for a citizen to send a question again after a lost connection or a page
# reload; the table keeps about a day's widget requests.
KEEP_FOR = timedelta(days=1)
# A first request still unanswered after this long died with its process: the next try
# answers it.
STALE_AFTER = timedelta(minutes=2)
# How long a repeated request waits for the first one's reply before it is refused (409).
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.1
TRIM_EVERY = 1000  # requests, in each process


class RepeatedRequests:
    """Answers a request with an id once, and gives the same reply to its repeats."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = system_clock,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._db = db
        self._clock = clock
        self._wait_seconds = wait_seconds
        self._count = 0

    async def once(
        self,
        session_id: str,
        action: str,
        request_id: str | None,
        model: type[Reply],
        answer: Callable[[], Awaitable[Result]],
        *,
        respond: Callable[[Result], Reply],
        unkept: Mapping[str, Any] | None = None,
    ) -> Reply:
        """`respond(await answer())` the first time the request id comes in this session
        and action; the reply given then every time after. The core keeps the reply in the
        transaction of the answer's writes (`bot/core/kept_replies.py`): a process that
        dies before that commit has recorded nothing, and one that dies after it has kept
        the reply. The fields of `unkept` are not stored (the question as typed, personal
        data unmasked): a repeat gets them from its own request."""
        if request_id is None:
            return respond(await answer())
        unkept = unkept or {}
        while True:
            claimed = await self._claim(session_id, action, request_id)
            if isinstance(claimed, str):
                return model.model_validate({**json.loads(claimed), **unkept})
            row_id, claimed_at = claimed

            def render(result: object) -> str:
                return respond(cast("Result", result)).model_dump_json(exclude=set(unkept))

            claim = Claim(row_id, claimed_at, render)
            try:
                with answering(claim):
                    result = await answer()
            except RequestTakenOverError:
                # This try's claim went stale and another try answers the request now:
                # nothing of this one was kept, the other's reply is the one to give.
                continue
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._forget(row_id, claimed_at)
                raise
            reply = respond(result)
            if not claim.kept:  # an answer that wrote nothing through the core's paths
                async with self._db.quick_transaction() as work:
                    await work.requests.keep(
                        row_id, reply.model_dump_json(exclude=set(unkept)), claimed_at=claimed_at
                    )
            return reply

    async def trim(self) -> int:
        """Forget the requests older than `KEEP_FOR`; how many went."""
        async with self._db.transaction() as uow:
            return await uow.requests.delete_before(self._clock() - KEEP_FOR)

    async def _claim(
        self, session_id: str, action: str, request_id: str
    ) -> tuple[int, datetime] | str:
        """The claimed row's id and time (this request answers), or the reply given
        already."""
        self._count += 1
        if self._count % TRIM_EVERY == 0:
            await self.trim()
        waited = 0.0
        me = process_name()
        while True:
            now = self._clock()
            taken: tuple[int, datetime] | str | None = None
            async with self._db.quick_transaction() as work:
                found = await work.requests.find(session_id, action, request_id)
                if found is None:
                    try:
                        row_id = await work.requests.claim(
                            session_id, action, request_id, now, owner=me
                        )
                        taken = (row_id, now)
                    except IntegrityError:  # the same request, just claimed elsewhere
                        work.cancel()
                elif found.reply is not None:
                    taken = found.reply
                elif await work.requests.take_over(
                    found.row_id,
                    stale_before=now - STALE_AFTER,
                    now=now,
                    gone=_gone(found.claimed_by),
                    owner=me,
                ):
                    taken = (found.row_id, now)
            if taken is not None:
                return taken
            if waited >= self._wait_seconds:
                raise RequestInProgressError()
            await asyncio.sleep(POLL_SECONDS)
            waited += POLL_SECONDS

    async def _forget(self, row_id: int, claimed_at: datetime) -> None:
        async with self._db.transaction() as uow:
            await uow.requests.forget(row_id, claimed_at=claimed_at)


def _gone(owner: str | None) -> str | None:
    """`owner`, when that process is known to have stopped; None otherwise."""
    return owner if owner is not None and owner != process_name() and is_gone(owner) else None
