"""A reply kept in the answer's own transaction.

A channel that lets a client send a request again (the widget's `request_id`) claims the
request first, then stores the reply it gave. Stored in a transaction of its own after the
answer's, a process that died between the two left a claim without a reply, and the repeat
that came once the claim was stale answered the question again. So the channel puts its
claim in the context here, and the core keeps the reply with the writes that made it: both
commit, or neither does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from bot.core.errors import RequestTakenOverError
from bot.storage.request_repo import RequestStatements

Result = TypeVar("Result")


@dataclass(slots=True)
class Claim:
    """A request this process answers: its row, the time it was claimed at (a stale claim
    taken over by another try gets that try's time), and how to store a result as the
    channel's reply. `kept` turns True once the reply is written in an answer's
    transaction."""

    row_id: int
    claimed_at: datetime
    render: Callable[[object], str]
    kept: bool = field(default=False)


_CLAIM: ContextVar[Claim | None] = ContextVar("faqbot_request_claim", default=None)


@contextmanager
def answering(claim: Claim) -> Iterator[Claim]:
    """The block answers `claim`'s request: `keep_reply` in its transactions stores the
    reply."""
    token = _CLAIM.set(claim)
    try:
        yield claim
    finally:
        _CLAIM.reset(token)


async def keep_reply(requests: RequestStatements, result: Result) -> Result:
    """`result`, stored as the reply of the request being answered (if any) in the
    transaction of `requests`; `RequestTakenOverError`, which rolls that transaction back,
    when another try has taken the request over."""
    claim = _CLAIM.get()
    if claim is None or claim.kept:
        return result
    if not await requests.keep(claim.row_id, claim.render(result), claimed_at=claim.claimed_at):
        raise RequestTakenOverError()
    claim.kept = True
    return result
