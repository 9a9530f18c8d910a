"""The question path's common case in a transaction without SQLAlchemy's session (SQLite).

A citizen who has written before, in a conversation the bot answers, costs a read of the
conversation, the exchange and the question log: three `Prepared` statements. On SQLite
`Database.quick_transaction` runs them on a pooled driver connection with nothing between
(see `prepared.py`); anything else (a first contact, a hand-off, a conversation a person
owns) takes `Database.transaction` and its repositories.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.identity import Identity
from bot.core.question_records import NewQuestion
from bot.core.records import Conversation
from bot.storage.conversation_repo import find_reading, write_exchange
from bot.storage.prepared import DriverTransaction
from bot.storage.question_repo import write_question


class QuickConversations:
    """The conversation statements of the question path."""

    def __init__(self, transaction: DriverTransaction) -> None:
        self._transaction = transaction

    async def find_reading(
        self, identity: Identity, switch: str
    ) -> tuple[Conversation, dict[str, object] | None] | None:
        """The identity's conversation and a switch's value; None when it has none yet."""
        return await find_reading(self._transaction, identity, switch)

    async def add_exchange(
        self,
        conversation_id: int,
        question: str,
        answer: str,
        now: datetime,
        *,
        entry_id: str | None = None,
    ) -> int:
        """The citizen's message and the bot's reply; returns the reply's id."""
        return await write_exchange(
            self._transaction, conversation_id, question, answer, now, entry_id=entry_id
        )


class QuickQuestions:
    """The question log's statement of the question path."""

    def __init__(self, transaction: DriverTransaction) -> None:
        self._transaction = transaction

    async def add(self, question: NewQuestion) -> int:
        """Record one question; returns its id."""
        return await write_question(self._transaction, question)


class QuickUnitOfWork:
    """The question path's statements in one transaction; `cancel` rolls it back at the end
    of the block instead of committing (the caller found it needs the full path)."""

    __slots__ = ("cancelled", "conversations", "questions")

    def __init__(self, transaction: DriverTransaction) -> None:
        self.conversations = QuickConversations(transaction)
        self.questions = QuickQuestions(transaction)
        self.cancelled = False

    def cancel(self) -> None:
        """Roll the transaction back when the block ends."""
        self.cancelled = True
