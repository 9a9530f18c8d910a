"""The question path's common case in a transaction without SQLAlchemy's session.

A question in a conversation the bot answers costs a read of the conversation, the exchange
and the question log: three `Prepared` statements; a first contact adds the citizen, its
identity and conversation, and a read of the maintenance switch.
`Database.quick_transaction` runs them on a pooled driver connection with nothing between
(SQLite's, see `prepared.py`, or asyncpg's, see `pg_driver.py`); anything else (a hand-off,
a conversation a person owns or closed, an identity linked from another channel) takes
`Database.transaction` and its repositories.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.core.identity import Identity
from bot.core.records import Conversation
from bot.storage.conversation_repo import ConversationStatements
from bot.storage.prepared import Driver
from bot.storage.question_repo import QuestionStatements
from bot.storage.request_repo import RequestStatements


class QuickUnitOfWork:
    """The question path's statements in one transaction; `cancel` rolls it back at the end
    of the block instead of committing (the caller found it needs the full path)."""

    __slots__ = ("cancelled", "conversations", "questions", "requests")

    def __init__(self, transaction: Driver) -> None:
        self.conversations = ConversationStatements(transaction)
        self.questions = QuestionStatements(transaction)
        self.requests = RequestStatements(transaction)
        self.cancelled = False

    def cancel(self) -> None:
        """Roll the transaction back when the block ends."""
        self.cancelled = True

    async def start_reading(
        self, identity: Identity, now: datetime, switch: str
    ) -> tuple[Conversation, dict[str, object] | None] | None:
        """A first contact's new conversation and the value of the shared switch `switch`;
        None when the identity exists already (linked from another channel): the caller
        then cancels and takes the full path."""
        try:
            conversation = await self.conversations.start(identity, now)
        except IntegrityError:
            return None
        return conversation, await self.conversations.switch(switch)
