"""Citizens rate the answers they got: 1-5 stars or thumbs up/down, with an optional comment."""

from __future__ import annotations

import re

from bot.core.clock import Clock, system_clock
from bot.core.errors import InvalidInputError
from bot.core.identity import Identity
from bot.core.kept_replies import keep_reply
from bot.core.privacy import mask_personal_data
from bot.core.records import MAX_STARS, MIN_STARS, Rating, RatingScale
from bot.storage.database import Database

THUMB_UP, THUMB_DOWN = 1, 0
MAX_COMMENT_LENGTH = 2000
# A message that is only a mark: "5", "4!", "5/5", "3 из 5", "⭐⭐⭐⭐".
_DIGIT_MARK = re.compile(r"([1-5])\s*(?:/\s*5|из\s*5)?\s*[.!)]*", re.IGNORECASE)
_STAR_MARK = re.compile(r"(?:⭐\ufe0f?|★){1,5}")


def check_stars(stars: int) -> None:
    """Refuse a mark outside 1-5, saying so."""
    if not MIN_STARS <= stars <= MAX_STARS:
        raise InvalidInputError(f"Оценка должна быть от {MIN_STARS} до {MAX_STARS}.")


def stars_of(text: str) -> int | None:
    """The 1-5 mark a message consists of, or None if it says anything else."""
    stripped = text.strip()
    digit = _DIGIT_MARK.fullmatch(stripped)
    if digit:
        return int(digit.group(1))
    if _STAR_MARK.fullmatch(stripped):
        return stripped.count("⭐") + stripped.count("★")
    return None


class Ratings:
    """Stores ratings against the rated message and the knowledge-base entry behind it."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def rate_stars(
        self, identity: Identity, message_id: int, stars: int, *, comment: str | None = None
    ) -> Rating:
        """A 1-5 rating of the bot's or operator's message `message_id`."""
        check_stars(stars)
        return await self._rate(identity, message_id, RatingScale.STARS, stars, comment)

    async def rate_thumb(
        self, identity: Identity, message_id: int, helpful: bool, *, comment: str | None = None
    ) -> Rating:
        """👍 (`helpful=True`) or 👎 for the message `message_id`."""
        score = THUMB_UP if helpful else THUMB_DOWN
        return await self._rate(identity, message_id, RatingScale.THUMBS, score, comment)

    async def _rate(
        self,
        identity: Identity,
        message_id: int,
        scale: RatingScale,
        score: int,
        comment: str | None,
    ) -> Rating:
        text = comment.strip() if comment else None
        if text and len(text) > MAX_COMMENT_LENGTH:
            raise InvalidInputError(
                f"Комментарий слишком длинный: не больше {MAX_COMMENT_LENGTH} символов."
            )
        # Analysts read the comments: a phone or a passport number in one stays with the citizen.
        text = mask_personal_data(text) if text else None
        now = self._clock()
        async with self._db.transaction() as uow:
            conversation = await uow.conversations.open(identity, now)
            owner = await uow.conversations.message_conversation(message_id)
            message = await uow.conversations.message(message_id)
            if owner != conversation.id or message is None:
                raise InvalidInputError("Это сообщение нельзя оценить: оно не из вашего диалога.")
            if scale is RatingScale.THUMBS and message.entry_id is None:
                # The citizen's own words, a hand-off, a clarification: until 2026-12-05 a
                # 👍 or 👎 (and its comment) was stored for them and counted in the reports.
                raise InvalidInputError(
                    "Это сообщение нельзя оценить: 👍 и 👎 ставят ответам консультанта."
                )
            rating = await uow.ratings.put(
                conversation_id=conversation.id,
                scale=scale,
                score=score,
                now=now,
                message_id=message_id,
                entry_id=message.entry_id,
                ticket_id=conversation.ticket_id,
                comment=text or None,
            )
            await uow.questions.add_feedback(message_id, scale, score)
            return await keep_reply(uow.requests, rating)

    async def for_entry(self, entry_id: str) -> list[Rating]:
        """Every rating of answers from one entry (for analysts)."""
        async with self._db.transaction() as uow:
            return list(await uow.ratings.for_entry(entry_id))
