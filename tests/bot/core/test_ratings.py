"""Citizens rate answers; the rating is stored against the message and its entry."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInputError
from bot.core.identity import Identity
from bot.core.ratings import Ratings, stars_of
from bot.core.records import RatingScale
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

ANNA = Identity("web", "anna")
BORIS = Identity("telegram", "42")


async def test_stars_and_thumbs_are_stored_against_the_entry(services: Services) -> None:
    ratings = Ratings(services.db, clock=services.clock)
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.message_id is not None
    stars = await ratings.rate_stars(ANNA, reply.message_id, 4, comment=" Помогло ")
    thumb = await ratings.rate_thumb(ANNA, reply.message_id, False)
    assert (stars.scale, stars.score, stars.entry_id, stars.comment) == (
        RatingScale.STARS,
        4,
        "password-recovery",
        "Помогло",
    )
    assert (thumb.scale, thumb.score) == (RatingScale.THUMBS, 0)
    stored = await ratings.for_entry("password-recovery")
    assert [(r.scale, r.score) for r in stored] == [
        (RatingScale.STARS, 4),
        (RatingScale.THUMBS, 0),
    ]


@pytest.mark.parametrize("stars", [0, 6, -1])
async def test_stars_outside_one_to_five_are_refused(services: Services, stars: int) -> None:
    ratings = Ratings(services.db, clock=services.clock)
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.message_id is not None
    with pytest.raises(InvalidInputError, match="от 1 до 5"):
        await ratings.rate_stars(ANNA, reply.message_id, stars)


async def test_nobody_rates_someone_elses_answer(services: Services) -> None:
    ratings = Ratings(services.db, clock=services.clock)
    reply = await services.conversations.handle(ANNA, "забыл пароль")
    assert reply.message_id is not None
    with pytest.raises(InvalidInputError, match="не из вашего диалога"):
        await ratings.rate_stars(BORIS, reply.message_id, 1)


@pytest.mark.parametrize(
    ("text", "stars"),
    [
        ("5", 5),
        (" 1 ", 1),
        ("4!", 4),
        ("5/5", 5),
        ("3 из 5", 3),
        ("⭐⭐⭐⭐", 4),
        ("★★", 2),
        ("0", None),
        ("6", None),
        ("10", None),
        ("5 минут жду", None),
        ("2 вопроса", None),
        ("", None),
    ],
)
def test_a_message_that_is_only_a_mark_reads_as_stars(text: str, stars: int | None) -> None:
    assert stars_of(text) == stars
