"""The question log in the database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.question_records import (
    WORST_GOOD_STARS,
    Decision,
    NewQuestion,
    QuestionRecord,
    Triage,
)
from bot.core.records import RatingScale
from bot.core.tickets import HandoffReason
from bot.storage.prepared import Prepared, Target
from bot.storage.tables import ConversationMessageRow, QuestionLogRow, table_of

_COLUMNS = (
    QuestionLogRow.id,
    QuestionLogRow.channel,
    QuestionLogRow.asked_at,
    QuestionLogRow.text,
    QuestionLogRow.decision,
    QuestionLogRow.entry_id,
    QuestionLogRow.score,
    QuestionLogRow.handoff_reason,
    QuestionLogRow.conversation_id,
    QuestionLogRow.message_id,
    QuestionLogRow.ticket_number,
    QuestionLogRow.chosen_entry_id,
    QuestionLogRow.feedback_scale,
    QuestionLogRow.feedback_score,
    QuestionLogRow.triage,
    QuestionLogRow.operator_entry_id,
)
_QUESTIONS = table_of(QuestionLogRow)
_INSERT_ONE = Prepared(insert(_QUESTIONS).returning(_QUESTIONS.c.id))
# The entry picked after a conversation's last question, if that question was clarified and
# nothing was picked yet: one statement, so that a choice takes the quick path too.
_LAST_OF_CONVERSATION = (
    select(func.max(_QUESTIONS.c.id))
    .where(_QUESTIONS.c.conversation_id == bindparam("conversation"))
    .scalar_subquery()
)
_MESSAGES = table_of(ConversationMessageRow)
# The clarification's message offered the entry: its `choices`, a JSON list of ids, holds it
# quoted (ids are letters, digits and hyphens; LIKE's wildcards are escaped all the same).
_OFFERED = (
    select(_MESSAGES.c.id)
    .where(
        _MESSAGES.c.id == _QUESTIONS.c.message_id,
        cast(_MESSAGES.c.choices, Text).like(bindparam("offered"), escape="\\"),
    )
    .exists()
)
_CHOOSE = Prepared(
    update(_QUESTIONS)
    .where(
        _QUESTIONS.c.id == _LAST_OF_CONVERSATION,
        _QUESTIONS.c.decision == Decision.CLARIFY.value,
        _QUESTIONS.c.chosen_entry_id.is_(None),
        _OFFERED,
    )
    .values(chosen_entry_id=bindparam("chosen"), message_id=bindparam("reply_id"))
    .returning(_QUESTIONS.c.id)
)
# The inbox's questions (`is_unanswered`, which still decides): handed off, not because the
# citizen asked for a person; offered a choice and none picked; rated down.
_MAY_BE_UNANSWERED = or_(
    and_(
        QuestionLogRow.decision == Decision.HANDOFF.value,
        or_(
            QuestionLogRow.handoff_reason.is_(None),
            QuestionLogRow.handoff_reason != HandoffReason.ASKED_FOR_PERSON.value,
        ),
    ),
    and_(
        QuestionLogRow.decision == Decision.CLARIFY.value,
        QuestionLogRow.chosen_entry_id.is_(None),
    ),
    # Rated down: a thumb down, or a star rating below the good ones.
    and_(
        QuestionLogRow.feedback_scale == RatingScale.THUMBS.value,
        QuestionLogRow.feedback_score == 0,
    ),
    and_(
        or_(
            QuestionLogRow.feedback_scale.is_(None),
            QuestionLogRow.feedback_scale != RatingScale.THUMBS.value,
        ),
        QuestionLogRow.feedback_score <= WORST_GOOD_STARS - 1,
    ),
)
# SQLite allows 32766 bound parameters per statement; 15 columns a row.
INSERT_BATCH = 2000


def _values(question: NewQuestion) -> dict[str, Any]:
    return {
        "channel": question.channel,
        "asked_at": question.asked_at,
        "text": question.text,
        "decision": question.decision.value,
        "entry_id": question.entry_id,
        "score": question.score,
        "handoff_reason": question.handoff_reason,
        "conversation_id": question.conversation_id,
        "message_id": question.message_id,
        "ticket_number": question.ticket_number,
        "chosen_entry_id": question.chosen_entry_id,
        "feedback_scale": question.feedback_scale.value if question.feedback_scale else None,
        "feedback_score": question.feedback_score,
    }


def _record(row: Any) -> QuestionRecord:
    return QuestionRecord(
        id=row.id,
        channel=row.channel,
        asked_at=row.asked_at,
        text=row.text,
        decision=Decision(row.decision),
        entry_id=row.entry_id,
        score=row.score,
        handoff_reason=row.handoff_reason,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        ticket_number=row.ticket_number,
        chosen_entry_id=row.chosen_entry_id,
        feedback_scale=RatingScale(row.feedback_scale) if row.feedback_scale else None,
        feedback_score=row.feedback_score,
        triage=Triage(row.triage) if row.triage else None,
        operator_entry_id=row.operator_entry_id,
    )


class QuestionStatements:
    """The question path's statement of the log, on a session's transaction or on a quick
    one (see `quick.py`)."""

    def __init__(self, target: Target) -> None:
        self._target = target

    async def add(self, question: NewQuestion) -> int:
        """Record one question; returns its id."""
        return int(await _INSERT_ONE.scalar(self._target, _values(question)))

    async def choose(
        self, conversation_id: int, entry_id: str, message_id: int | None
    ) -> int | None:
        """Note the entry picked after the last clarification in a conversation, if that
        clarification offered it (Telegram's topic menu shows any entry through the same
        choice: a pick it did not offer is no answer to the clarification).

        Returns the record's id, or None when no clarification is waiting for this choice.
        """
        offered = entry_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        chosen = await _CHOOSE.scalar(
            self._target,
            {
                "conversation": conversation_id,
                "chosen": entry_id,
                "reply_id": message_id,
                "offered": f'%"{offered}"%',
            },
        )
        return int(chosen) if chosen is not None else None


class QuestionRepository(QuestionStatements):
    """Reads and writes recorded questions."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._session = session

    async def add_many(self, questions: Sequence[NewQuestion]) -> None:
        """Record many questions at once (imports, load tests)."""
        for start in range(0, len(questions), INSERT_BATCH):
            batch = [_values(q) for q in questions[start : start + INSERT_BATCH]]
            await self._session.execute(insert(QuestionLogRow), batch)

    async def answered_from_entry(self, ticket_number: int, entry_id: str) -> int:
        """Note that an operator answered ticket `ticket_number` with entry `entry_id`;
        returns how many recorded questions it concerns."""
        result = await self._session.execute(
            update(QuestionLogRow)
            .where(QuestionLogRow.ticket_number == ticket_number)
            .values(operator_entry_id=entry_id)
        )
        return _rowcount(result)

    async def add_feedback(self, message_id: int, scale: RatingScale, score: int) -> int:
        """Attach a rating of the bot's reply `message_id`; returns how many records changed."""
        result = await self._session.execute(
            update(QuestionLogRow)
            .where(QuestionLogRow.message_id == message_id)
            .values(feedback_scale=scale.value, feedback_score=score)
        )
        return _rowcount(result)

    async def between(
        self,
        since: datetime | None,
        until: datetime | None,
        *,
        untriaged_only: bool = False,
        unanswered_only: bool = False,
    ) -> list[QuestionRecord]:
        """Questions asked in [since, until), oldest first; with `unanswered_only`, only those
        the inbox lists (handed off not at the citizen's asking, clarified without a choice,
        rated down: `bot.core.unanswered.is_unanswered`)."""
        query = select(*_COLUMNS).order_by(QuestionLogRow.asked_at, QuestionLogRow.id)
        if unanswered_only:
            query = query.where(_MAY_BE_UNANSWERED)
        if since is not None:
            query = query.where(QuestionLogRow.asked_at >= since)
        if until is not None:
            query = query.where(QuestionLogRow.asked_at < until)
        if untriaged_only:
            query = query.where(QuestionLogRow.triage.is_(None))
        result = await self._session.execute(query)
        return [_record(row) for row in result]

    async def get(self, record_id: int) -> QuestionRecord | None:
        """One recorded question."""
        result = await self._session.execute(
            select(*_COLUMNS).where(QuestionLogRow.id == record_id)
        )
        row = result.first()
        return _record(row) if row is not None else None

    async def triage(self, record_ids: Collection[int], triage: Triage) -> int:
        """Mark questions as dealt with by a curator; returns how many changed."""
        if not record_ids:
            return 0
        result = await self._session.execute(
            update(QuestionLogRow)
            .where(QuestionLogRow.id.in_(list(record_ids)), QuestionLogRow.triage.is_(None))
            .values(triage=triage.value)
        )
        return _rowcount(result)

    async def count(self, before: datetime | None = None) -> int:
        """How many questions were asked before `before` (all of them without it)."""
        query = select(func.count()).select_from(QuestionLogRow)
        if before is not None:
            query = query.where(QuestionLogRow.asked_at < before)
        return int((await self._session.execute(query)).scalar_one())

    async def purge(self, before: datetime) -> int:
        """Delete questions asked before `before`; returns how many."""
        result = await self._session.execute(
            delete(QuestionLogRow).where(QuestionLogRow.asked_at < before)
        )
        return _rowcount(result)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
