"""Citizens, their identities and conversations in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import JSON, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.records import Conversation, ConversationMessage
from bot.core.tickets import Author
from bot.storage.converters import to_conversation, to_conversation_message
from bot.storage.prepared import Prepared, Target
from bot.storage.switch_repo import SWITCH_VALUE, switch_value
from bot.storage.tables import (
    CitizenRow,
    ConversationMessageRow,
    ConversationRow,
    IdentityRow,
    TicketRow,
    table_of,
)

_MESSAGES = table_of(ConversationMessageRow)
_INSERT_MESSAGE = Prepared(insert(_MESSAGES).returning(_MESSAGES.c.id))
# A question and its reply: one statement of two rows (one round trip on PostgreSQL, where
# the order of the rows RETURNING gives back is not guaranteed, so a row comes back with its
# author). The question path's statements are `Prepared` (see `prepared.py`): without a
# session they skip SQLAlchemy's execution, which costs more than the database's.
_INSERT_EXCHANGE = Prepared(
    insert(_MESSAGES)
    .values(
        [
            {
                "conversation_id": bindparam("conversation_id"),
                "author": Author.CITIZEN.value,
                "text": bindparam("question"),
                "entry_id": None,
                "created_at": bindparam("created_at"),
                "choices": None,
            },
            {
                "conversation_id": bindparam("conversation_id"),
                "author": Author.BOT.value,
                "text": bindparam("answer"),
                "entry_id": bindparam("entry_id"),
                "created_at": bindparam("created_at"),
                # Typed here: in a multi-row VALUES the column's type is not applied.
                "choices": bindparam("choices", type_=JSON),
            },
        ]
    )
    .returning(_MESSAGES.c.id, _MESSAGES.c.author)
)
_INSERT_CITIZEN = Prepared(insert(table_of(CitizenRow)).returning(table_of(CitizenRow).c.id))
_INSERT_IDENTITY = Prepared(insert(table_of(IdentityRow)).returning(table_of(IdentityRow).c.id))
_INSERT_CONVERSATION = Prepared(
    insert(table_of(ConversationRow)).returning(table_of(ConversationRow).c.id)
)
# An identity's conversation, locked for the transaction (built once: building costs more
# than running it). Core columns, like the inserts above: a statement of mapped attributes
# goes through the ORM's result machinery, about 0.1 ms a question.
_CONVERSATIONS = table_of(ConversationRow)
_IDENTITIES = table_of(IdentityRow)
_OPEN_QUERY = (
    select(
        _CONVERSATIONS.c.id,
        _CONVERSATIONS.c.state,
        _CONVERSATIONS.c.ticket_id,
        _CONVERSATIONS.c.updated_at,
        _IDENTITIES.c.citizen_id,
    )
    .join(_IDENTITIES, _IDENTITIES.c.id == _CONVERSATIONS.c.identity_id)
    .where(
        _IDENTITIES.c.channel == bindparam("channel"),
        _IDENTITIES.c.external_id == bindparam("external_id"),
    )
    .with_for_update(of=_CONVERSATIONS)
)
_OPEN = Prepared(_OPEN_QUERY)
# `_OPEN` with a shared switch's value beside it.
_OPEN_READING = Prepared(_OPEN_QUERY.add_columns(SWITCH_VALUE.scalar_subquery().label("switch")))
_SWITCH_VALUE = Prepared(SWITCH_VALUE)


class ConversationStatements:
    """The question path's conversation statements, on a session's transaction or on a
    quick one (see `quick.py`)."""

    def __init__(self, target: Target) -> None:
        self._target = target

    async def find_reading(
        self, identity: Identity, switch: str
    ) -> tuple[Conversation, dict[str, object] | None] | None:
        """The identity's conversation, locked, and the value of the shared switch `switch`
        (None: off), in one query; None when the identity has no conversation yet."""
        found = await _OPEN_READING.first(
            self._target,
            {"channel": identity.channel, "external_id": identity.external_id, "key": switch},
        )
        if found is None:
            return None
        return _opened(found, identity), switch_value(found.switch)

    async def start(self, identity: Identity, now: datetime) -> Conversation:
        """A new citizen with this identity and its conversation, in three inserts.

        Raises `IntegrityError` when the identity exists already (linked from another
        channel, or created by another transaction): in a savepoint, or in a transaction
        that is then rolled back, since on PostgreSQL a failed statement spoils the rest.
        """
        citizen_id = await _INSERT_CITIZEN.scalar(self._target, {"created_at": now})
        identity_id = await _INSERT_IDENTITY.scalar(
            self._target,
            {
                "citizen_id": citizen_id,
                "channel": identity.channel,
                "external_id": identity.external_id,
                "created_at": now,
            },
        )
        conversation_id = await _INSERT_CONVERSATION.scalar(
            self._target,
            {
                "identity_id": identity_id,
                "state": ConversationState.BOT.value,
                "ticket_id": None,
                "created_at": now,
                "updated_at": now,
            },
        )
        return Conversation(
            id=int(conversation_id),
            citizen_id=int(citizen_id),
            identity=identity,
            state=ConversationState.BOT,
            ticket_id=None,
            updated_at=now,
        )

    async def switch(self, key: str) -> dict[str, object] | None:
        """The value of the shared switch `key` (None: off)."""
        return switch_value(await _SWITCH_VALUE.scalar(self._target, {"key": key}))

    async def add_exchange(
        self,
        conversation_id: int,
        question: str,
        answer: str,
        now: datetime,
        *,
        entry_id: str | None = None,
        choices: Sequence[str] = (),
    ) -> int:
        """The citizen's message and the bot's reply; returns the reply's id. `entry_id`:
        the entry the reply comes from; `choices`: the entries a clarification offered."""
        rows = await _INSERT_EXCHANGE.rows(
            self._target,
            {
                "conversation_id": conversation_id,
                "question": question,
                "answer": answer,
                "entry_id": entry_id,
                "created_at": now,
                "choices": list(choices) or None,
            },
        )
        return next(int(r.id) for r in rows if r.author == Author.BOT.value)


class ConversationRepository(ConversationStatements):
    """Reads and writes citizens, identities, conversations and their messages."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._session = session

    async def _find_row(self, identity: Identity) -> IdentityRow | None:
        """The stored identity row, or None when this citizen has never written."""
        return await self._session.scalar(
            select(IdentityRow).where(
                IdentityRow.channel == identity.channel,
                IdentityRow.external_id == identity.external_id,
            )
        )

    async def citizen_of(self, identity: Identity) -> int | None:
        """The citizen id behind an identity, or None."""
        row = await self._find_row(identity)
        return row.citizen_id if row else None

    async def _ensure_row(
        self, identity: Identity, now: datetime, *, citizen_id: int | None = None
    ) -> IdentityRow:
        """The identity's row, created (with a new citizen unless given) on first contact."""
        row = await self._find_row(identity)
        if row is not None:
            return row
        try:
            async with self._session.begin_nested():
                if citizen_id is None:
                    citizen = CitizenRow(created_at=now)
                    self._session.add(citizen)
                    await self._session.flush()
                    citizen_id = citizen.id
                row = IdentityRow(
                    citizen_id=citizen_id,
                    channel=identity.channel,
                    external_id=identity.external_id,
                    created_at=now,
                )
                self._session.add(row)
                await self._session.flush()
        except IntegrityError:
            # Another process created it between our read and our insert.
            row = await self._find_row(identity)
            if row is None:
                raise
        return row

    async def ensure_identity(self, identity: Identity, now: datetime) -> tuple[int, int]:
        """`(identity id, citizen id)` of an identity, created on first contact."""
        row = await self._ensure_row(identity, now)
        return row.id, row.citizen_id

    async def link(self, known: Identity, new: Identity, now: datetime) -> None:
        """Make `new` another identity of the citizen behind `known`.

        If `new` already belongs to another citizen, that citizen is merged in: all their
        identities and tickets move over, so that no ticket is left without an owner.
        """
        known_row = await self._ensure_row(known, now)
        new_row = await self._find_row(new)
        if new_row is None:
            await self._ensure_row(new, now, citizen_id=known_row.citizen_id)
            return
        merged, kept = new_row.citizen_id, known_row.citizen_id
        if merged == kept:
            return
        await self._session.execute(
            update(IdentityRow).where(IdentityRow.citizen_id == merged).values(citizen_id=kept)
        )
        await self._session.execute(
            update(TicketRow).where(TicketRow.citizen_id == merged).values(citizen_id=kept)
        )
        await self._session.execute(delete(CitizenRow).where(CitizenRow.id == merged))

    async def separate(self, identity: Identity, now: datetime) -> list[Identity]:
        """Undo linking for `identity`: it becomes a citizen of its own, taking the tickets
        opened from it. Returns the identities it was linked with (none: nothing to undo)."""
        row = await self._find_row(identity)
        if row is None:
            return []
        others = list(
            await self._session.scalars(
                select(IdentityRow).where(
                    IdentityRow.citizen_id == row.citizen_id, IdentityRow.id != row.id
                )
            )
        )
        if not others:
            return []
        citizen_id = await _INSERT_CITIZEN.scalar(self._session, {"created_at": now})
        await self._session.execute(
            update(IdentityRow).where(IdentityRow.id == row.id).values(citizen_id=citizen_id)
        )
        await self._session.execute(
            update(TicketRow).where(TicketRow.identity_id == row.id).values(citizen_id=citizen_id)
        )
        return [Identity(channel=o.channel, external_id=o.external_id) for o in others]

    async def open(self, identity: Identity, now: datetime) -> Conversation:
        """The identity's conversation, locked for this transaction, created on first contact."""
        # The usual case, a citizen who has written before: one prepared query.
        found = await _OPEN.first(
            self._session, {"channel": identity.channel, "external_id": identity.external_id}
        )
        if found is not None:
            return _opened(found, identity)
        return await self._open_new(identity, now)

    async def open_reading(
        self, identity: Identity, now: datetime, switch: str
    ) -> tuple[Conversation, dict[str, object] | None]:
        """`open`, and the value of the shared switch `switch` (None: off) read in the same
        query: the question path needs both for every message, and a round trip costs more
        than the reading."""
        found = await self.find_reading(identity, switch)
        if found is not None:
            return found
        return await self._open_new(identity, now), await self.switch(switch)

    async def _open_new(self, identity: Identity, now: datetime) -> Conversation:
        """`open` when the identity has no conversation yet, or it is being created."""
        created = await self._first_contact(identity, now)
        if created is not None:
            return created
        # The identity exists without a conversation (linked from another channel), or
        # another transaction created it first.
        identity_row = await self._ensure_row(identity, now)
        row = await self._locked(identity_row.id)
        if row is None:
            try:
                async with self._session.begin_nested():
                    self._session.add(
                        ConversationRow(
                            identity_id=identity_row.id,
                            state=ConversationState.BOT.value,
                            ticket_id=None,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    await self._session.flush()
            except IntegrityError:
                pass  # created concurrently; the locked read below returns it
            row = await self._locked(identity_row.id)
            assert row is not None
        return to_conversation(row, identity_row)

    async def _first_contact(self, identity: Identity, now: datetime) -> Conversation | None:
        """`start` in a savepoint; None when the identity turns out to exist already."""
        try:
            async with self._session.begin_nested():
                return await self.start(identity, now)
        except IntegrityError:
            return None

    async def get(self, conversation_id: int, *, lock: bool = False) -> Conversation | None:
        """A conversation by id."""
        query = select(ConversationRow, IdentityRow).join(
            IdentityRow, IdentityRow.id == ConversationRow.identity_id
        )
        query = query.where(ConversationRow.id == conversation_id)
        if lock:
            query = query.with_for_update(of=ConversationRow)
        found = (await self._session.execute(query)).first()
        return to_conversation(found[0], found[1]) if found else None

    async def set_state(
        self,
        conversation_id: int,
        state: ConversationState,
        now: datetime,
        *,
        ticket_id: int | None,
    ) -> None:
        """Store a new state (already checked by the caller) and the ticket it concerns."""
        row = await self._session.get_one(ConversationRow, conversation_id)
        row.state = state.value
        row.ticket_id = ticket_id
        row.updated_at = now
        await self._session.flush()

    async def add_message(
        self,
        conversation_id: int,
        author: Author,
        text: str,
        now: datetime,
        *,
        entry_id: str | None = None,
    ) -> int:
        """Append a message; returns its id."""
        # A prepared INSERT ... RETURNING (see `table_of`).
        message_id = await _INSERT_MESSAGE.scalar(
            self._session,
            {
                "conversation_id": conversation_id,
                "author": author.value,
                "text": text,
                "entry_id": entry_id,
                "created_at": now,
            },
        )
        return int(message_id)

    async def message(self, message_id: int) -> ConversationMessage | None:
        """One message by id."""
        row = await self._session.get(ConversationMessageRow, message_id)
        return to_conversation_message(row) if row else None

    async def message_conversation(self, message_id: int) -> int | None:
        """The conversation a message belongs to."""
        row = await self._session.get(ConversationMessageRow, message_id)
        return row.conversation_id if row else None

    async def recent_messages(
        self, conversation_id: int, limit: int, *, before: int | None = None
    ) -> Sequence[ConversationMessage]:
        """The last `limit` messages, oldest first; with `before`, the last ones older than
        the message of that id (a page further back)."""
        query = select(ConversationMessageRow).where(
            ConversationMessageRow.conversation_id == conversation_id
        )
        if before is not None:
            query = query.where(ConversationMessageRow.id < before)
        rows = await self._session.scalars(
            query.order_by(ConversationMessageRow.id.desc()).limit(limit)
        )
        return [to_conversation_message(r) for r in reversed(rows.all())]

    async def _locked(self, identity_id: int) -> ConversationRow | None:
        return await self._session.scalar(
            select(ConversationRow)
            .where(ConversationRow.identity_id == identity_id)
            .with_for_update()
        )


class _OpenRow(Protocol):
    """What a row of `_OPEN` holds."""

    id: int
    citizen_id: int
    state: str
    ticket_id: int | None
    updated_at: datetime


def _opened(found: _OpenRow, identity: Identity) -> Conversation:
    """A conversation from a row of `_OPEN`."""
    return Conversation(
        id=found.id,
        citizen_id=found.citizen_id,
        identity=identity,
        state=ConversationState(found.state),
        ticket_id=found.ticket_id,
        updated_at=found.updated_at,
    )
