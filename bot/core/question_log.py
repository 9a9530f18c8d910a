"""The question log: every question the bot decides on, masked, with its outcome.

`record_question` is called by the conversation service inside the transaction that decides
the question, so every channel records the same way; choices after a clarification and
ratings are attached later to the same record. Personal data is masked before the text is
written, and records older than the retention period are purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock, system_clock
from bot.core.errors import InvalidInputError
from bot.core.privacy import mask_personal_data
from bot.core.question_records import Decision, NewQuestion, QuestionRecord
from bot.core.replies import Reply, ReplyKind
from bot.core.settings import AnalyticsSettings
from bot.core.tickets import HandoffReason
from bot.storage.database import Database
from bot.storage.quick import QuickUnitOfWork
from bot.storage.unit_of_work import UnitOfWork
from matcher.match import Match

DECISIONS = {
    ReplyKind.ANSWER: Decision.ANSWER,
    ReplyKind.CLARIFY: Decision.CLARIFY,
    ReplyKind.HANDOFF: Decision.HANDOFF,
}


async def record_question(
    uow: UnitOfWork | QuickUnitOfWork,
    *,
    channel: str,
    conversation_id: int,
    question: str,
    match: Match | None,
    reason: HandoffReason | None,
    reply: Reply,
    now: datetime,
) -> int | None:
    """Record a decided question; replies that decide nothing (silence, notices) are skipped."""
    decision = DECISIONS.get(reply.kind)
    if decision is None:
        return None
    closest = match.entry_id if match is not None else None
    if closest is None and match is not None and match.candidates:
        closest = match.candidates[0].entry_id
    return await uow.questions.add(
        NewQuestion(
            channel=channel,
            asked_at=now,
            text=mask_personal_data(question),
            decision=decision,
            entry_id=closest,
            score=match.score if match is not None else None,
            handoff_reason=reason.value if reason is not None else None,
            conversation_id=conversation_id,
            message_id=reply.message_id,
            ticket_number=reply.ticket_number,
        )
    )


@dataclass(frozen=True)
class PurgeScope:
    """What a purge would delete: `doomed` records of the `total` in the log."""

    doomed: int
    total: int


class QuestionLog:
    """Reads and purges the log."""

    def __init__(
        self,
        db: Database,
        *,
        settings: AnalyticsSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._settings = settings or AnalyticsSettings()
        self._clock = clock

    async def between(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[QuestionRecord]:
        """Questions asked in [since, until), oldest first."""
        async with self._db.transaction() as uow:
            return await uow.questions.between(since, until)

    async def purge(self, *, older_than_days: int | None = None) -> int:
        """Delete records older than the retention period (or `older_than_days`)."""
        before = self.cutoff(older_than_days)
        return 0 if before is None else await self.purge_before(before)

    def cutoff(self, older_than_days: int | None = None) -> datetime | None:
        """The time before which `purge` deletes records: now less the retention period (or
        `older_than_days`); None when that is before year 1 and nothing goes."""
        days = self._settings.retention_days if older_than_days is None else older_than_days
        if days < 0:
            raise InvalidInputError(f"Срок хранения — число дней не меньше 0, получено {days}.")
        try:
            return self._clock() - timedelta(days=days)
        except OverflowError:  # past year 1: every record is younger, none goes
            return None

    async def scope(self, before: datetime) -> PurgeScope:
        """How many records a purge up to `before` would delete, of how many."""
        async with self._db.transaction() as uow:
            return PurgeScope(
                doomed=await uow.questions.count(before), total=await uow.questions.count()
            )

    async def purge_before(self, before: datetime) -> int:
        """Delete the records asked before `before`; returns how many went."""
        async with self._db.transaction() as uow:
            return await uow.questions.purge(before)
