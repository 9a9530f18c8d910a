"""Inline and reply keyboards, and the callback data their buttons carry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.core.records import MAX_STARS, MIN_STARS
from bot.core.replies import Choice
from bot.telegram import texts
from matcher import Entry

CALLBACK_DATA_LIMIT = 64  # bytes Telegram keeps of a button's data


class TopicCallback(CallbackData, prefix="topic"):
    """A topic of the knowledge base, by its position in the list of topics (buttons sent
    before `TopicKeyCallback`: still in chats, so still understood)."""

    index: int


class TopicKeyCallback(CallbackData, prefix="tkey"):
    """A topic of the knowledge base, by a fingerprint of its title (`topic_key`): a button
    sent before the base changed opens the topic it names, not whichever took its place."""

    key: str


def topic_key(topic: str) -> str:
    """A short fingerprint of a topic's title that fits in a button's data."""
    return hashlib.sha256(topic.encode()).hexdigest()[:12]


def pressed_topic(topics: Sequence[str], pressed: TopicCallback | TopicKeyCallback) -> str | None:
    """The topic a button names, wherever it is now; None when it is gone."""
    if isinstance(pressed, TopicKeyCallback):
        return next((t for t in topics if topic_key(t) == pressed.key), None)
    return topics[pressed.index] if 0 <= pressed.index < len(topics) else None


class TopicsCallback(CallbackData, prefix="topics"):
    """Back to the list of topics."""


class EntryCallback(CallbackData, prefix="entry"):
    """One knowledge-base entry: show its answer."""

    entry_id: str


class RateCallback(CallbackData, prefix="rate"):
    """👍 or 👎 for the bot's message `message_id` (the core's id, not Telegram's)."""

    message_id: int
    helpful: bool


class TicketMarkCallback(CallbackData, prefix="mark"):
    """A 1-5 mark for the citizen's closed ticket `number`."""

    number: int
    stars: int


def topics_keyboard(topics: Iterable[str]) -> InlineKeyboardMarkup:
    """One button per topic."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=topic, callback_data=TopicKeyCallback(key=topic_key(topic)).pack()
                )
            ]
            for topic in topics
        ]
    )


def entries_keyboard(entries: Iterable[Entry]) -> InlineKeyboardMarkup:
    """One button per question of a topic, and a way back."""
    rows = [
        [InlineKeyboardButton(text=e.question, callback_data=data)]
        for e in entries
        if (data := _entry_data(e.id)) is not None
    ]
    rows.append(
        [InlineKeyboardButton(text=texts.BACK_TO_TOPICS, callback_data=TopicsCallback().pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choices_keyboard(choices: Iterable[Choice]) -> InlineKeyboardMarkup:
    """The candidates of an ambiguous question."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=c.title, callback_data=data)]
            for c in choices
            if (data := _entry_data(c.entry_id)) is not None
        ]
    )


def rating_keyboard(message_id: int) -> InlineKeyboardMarkup:
    """👍/👎 under an answer."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts.RATE_UP,
                    callback_data=RateCallback(message_id=message_id, helpful=True).pack(),
                ),
                InlineKeyboardButton(
                    text=texts.RATE_DOWN,
                    callback_data=RateCallback(message_id=message_id, helpful=False).pack(),
                ),
            ]
        ]
    )


def ticket_mark_keyboard(number: int, *, chosen: int | None = None) -> InlineKeyboardMarkup:
    """1 to 5 under the message that closes ticket `number`; the mark given is ticked (it
    can be changed: the latest counts)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts.CHOSEN_MARK.format(stars=stars) if stars == chosen else str(stars),
                    callback_data=TicketMarkCallback(number=number, stars=stars).pack(),
                )
                for stars in range(MIN_STARS, MAX_STARS + 1)
            ]
        ]
    )


def main_keyboard() -> ReplyKeyboardMarkup:
    """The reply keyboard: share a phone number (Telegram asks first), call a person."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=texts.SHARE_PHONE_BUTTON, request_contact=True)],
            [KeyboardButton(text=texts.ASK_PERSON_BUTTON)],
        ],
        resize_keyboard=True,
        is_persistent=False,
    )


def _entry_data(entry_id: str) -> str | None:
    # An id too long for a button's data gets no button rather than a broken one.
    try:
        data = EntryCallback(entry_id=entry_id).pack()
    except ValueError:  # aiogram refuses data over Telegram's limit
        return None
    return data if len(data.encode()) <= CALLBACK_DATA_LIMIT else None
