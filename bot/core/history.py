"""A citizen's conversation as they saw it: for a front end that reopens after a reload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.clock import Clock, system_clock
from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.records import ConversationMessage
from bot.storage.database import Database

DEFAULT_HISTORY_LIMIT = 50


@dataclass(frozen=True, slots=True)
class History:
    """Who owns the conversation and its last messages, oldest first; `more`: whether
    older messages than these exist (a page further back)."""

    state: ConversationState
    messages: tuple[ConversationMessage, ...]
    more: bool = False


class ConversationHistory:
    """Reads a citizen's recent messages; an identity that never wrote has an empty history."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def recent(
        self,
        identity: Identity,
        *,
        limit: int = DEFAULT_HISTORY_LIMIT,
        before: int | None = None,
    ) -> History:
        """The last `limit` messages of the identity's conversation; with `before`, the last
        ones older than the message of that id."""
        async with self._db.transaction() as uow:
            if await uow.conversations.citizen_of(identity) is None:
                # Never written: don't create a citizen just because someone looked.
                return History(state=ConversationState.BOT, messages=())
            conversation = await uow.conversations.open(identity, self._clock())
            # One more than asked for: it tells whether there is a page further back.
            messages: Sequence[ConversationMessage] = await uow.conversations.recent_messages(
                conversation.id, limit + 1, before=before
            )
            return History(
                state=conversation.state,
                messages=tuple(messages[-limit:]) if limit > 0 else (),
                more=len(messages) > limit,
            )
