"""“Send the answer to my e-mail”: checks the request and queues the letter in the outbox.

Delivery is the outbox's job (retries with backoff, nothing lost while the mail server is
down); the mail channel registers a sender for `EMAIL_CHANNEL`. Only an entry that the
citizen's own conversation was answered with can be sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answerer import Answerer
from bot.core.clock import Clock, system_clock
from bot.core.email_address import checked_address, mask_address
from bot.core.errors import InvalidInputError
from bot.core.identity import Identity
from bot.core.letters import compose_letter
from bot.core.outbox import new_idempotency_key
from bot.core.tickets import Author
from bot.storage.database import Database

EMAIL_CHANNEL = "email"
# How many of the conversation's last messages are searched for the answer to send.
ANSWER_LOOKBACK = 200


class AnswerNotGivenError(InvalidInputError):
    """The entry is unknown, or this conversation was never answered with it."""


@dataclass(frozen=True, slots=True)
class QueuedLetter:
    """A letter waiting in the outbox; `shown_address` is the masked address."""

    outbox_id: int
    entry_id: str
    shown_address: str


class AnswerLetters:
    """Queues knowledge-base answers for delivery by e-mail."""

    def __init__(
        self,
        db: Database,
        answerer: Answerer,
        *,
        clock: Clock = system_clock,
        lookback: int = ANSWER_LOOKBACK,
    ) -> None:
        self._db = db
        self._answerer = answerer
        self._clock = clock
        self._lookback = lookback

    async def request(self, identity: Identity, entry_id: str, address: str) -> QueuedLetter:
        """Queue the entry's answer to `address`; `InvalidInputError` says what is wrong."""
        recipient = checked_address(address)
        entry = self._answerer.kb.get(entry_id)
        if entry is None:
            raise AnswerNotGivenError(
                f"Ответ «{entry_id}» не найден: возможно, база знаний обновилась. "
                "Задайте вопрос ещё раз."
            )
        now = self._clock()
        async with self._db.transaction() as uow:
            if await uow.conversations.citizen_of(identity) is None:
                raise self._not_given()
            conversation = await uow.conversations.open(identity, now)
            messages = await uow.conversations.recent_messages(conversation.id, self._lookback)
            if not any(m.author is Author.BOT and m.entry_id == entry.id for m in messages):
                raise self._not_given()
            queued = await uow.outbox.add(
                idempotency_key=new_idempotency_key(),
                channel=EMAIL_CHANNEL,
                recipient=recipient,
                text=compose_letter(entry).to_text(),
                now=now,
            )
        return QueuedLetter(
            outbox_id=queued.id, entry_id=entry.id, shown_address=mask_address(recipient)
        )

    @staticmethod
    def _not_given() -> AnswerNotGivenError:
        return AnswerNotGivenError(
            "На почту можно отправить только ответ, который консультант дал в этом разговоре."
        )
