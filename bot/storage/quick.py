"""The question path's common case in a transaction without SQLAlchemy's session (SQLite).

A citizen who has written before, in a conversation the bot answers, costs a read of the
conversation, the exchange and the question log: three `Prepared` statements. On SQLite
`Database.quick_transaction` runs them on a pooled driver connection with nothing between
(see `prepared.py`); anything else (a first contact, a hand-off, a conversation a person
owns) takes `Database.transaction` and its repositories.
"""

from __future__ import annotations

from bot.storage.conversation_repo import ConversationStatements
from bot.storage.prepared import DriverTransaction
from bot.storage.question_repo import QuestionStatements


class QuickUnitOfWork:
    """The question path's statements in one transaction; `cancel` rolls it back at the end
    of the block instead of committing (the caller found it needs the full path)."""

    __slots__ = ("cancelled", "conversations", "questions")

    def __init__(self, transaction: DriverTransaction) -> None:
        self.conversations = ConversationStatements(transaction)
        self.questions = QuestionStatements(transaction)
        self.cancelled = False

    def cancel(self) -> None:
        """Roll the transaction back when the block ends."""
        self.cancelled = True
