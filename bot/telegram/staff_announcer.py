"""Keeps the operators' forum group in step with the queue: a topic per new ticket, then news.

It polls the core's `StaffBoard`, so tickets opened by any process (the web app, another
bot) get their topic, and the claims and the record of what each topic shows, in the
database, make a restart neither lose nor repeat one. Telegram's flood control pauses the
work for as long as it asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile

from bot.core.errors import DatabaseUnavailableError
from bot.core.staff_board import StaffBoard
from bot.core.staff_cards import StaffTopic, StatusChange, TicketCard, TopicMessage, TopicNews
from bot.core.tickets import ATTACHED
from bot.telegram.chats import NOT_MODIFIED
from bot.telegram.staff_texts import (
    attached_name,
    card_keyboard,
    card_text,
    change_text,
    file_caption,
    file_not_shown_text,
    topic_message_text,
    topic_name,
)

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE = timedelta(seconds=10)
UNEXPECTED_FAILURE_PAUSE = 10.0  # seconds: do not spin on a bug


class StaffAnnouncer:
    """Creates ticket topics and posts what changed, until stopped."""

    def __init__(self, bot: Bot, board: StaffBoard, *, zone: str, interval: float = 1.0) -> None:
        self._bot = bot
        self._board = board
        self._zone = zone
        self._interval = interval
        self.wake = asyncio.Event()  # set it to look at once (a button was pressed)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the board until `stop` is set; a failing pass is logged and retried."""
        while not stop.is_set():
            pause = self._interval
            try:
                await self.run_once()
            except TelegramRetryAfter as error:
                pause = max(pause, float(error.retry_after))
                log.warning(
                    "Группа операторов: Telegram ограничил частоту сообщений, пауза %s с",
                    error.retry_after,
                )
            except (TelegramAPIError, TelegramNetworkError, DatabaseUnavailableError) as error:
                log.warning("Группа операторов: проход не удался (%s), повторим", error)
            except Exception:
                # A bug must not stop the group for good: the next pass tries again.
                log.exception(
                    "Группа операторов: проход не удался из-за непредвиденной ошибки, повторим"
                )
                pause = max(pause, UNEXPECTED_FAILURE_PAUSE)
            self.wake.clear()
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(waiters, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self) -> None:
        """Create the topics due, then post the news of existing ones."""
        for topic, card in await self._board.claim():
            try:
                await self._announce(topic, card)
            except TelegramRetryAfter as error:
                await self._board.failed(topic, retry_after=timedelta(seconds=error.retry_after))
                raise
            except (TelegramAPIError, TelegramNetworkError) as error:
                log.warning(
                    "Не удалось объявить обращение № %s в группе операторов: %s",
                    topic.ticket_number,
                    error,
                )
                await self._board.failed(topic, retry_after=RETRY_AFTER_FAILURE)
        for news in await self._board.news():
            await self._post(news)

    async def _announce(self, topic: StaffTopic, card: TicketCard) -> None:
        chat_id = self._board.chat_id
        if topic.thread_id is None:
            forum = await self._bot.create_forum_topic(chat_id, topic_name(card))
            topic = await self._board.topic_created(topic, forum.message_thread_id)
        sent = await self._bot.send_message(
            chat_id,
            card_text(card, zone=self._zone),
            message_thread_id=topic.thread_id,
            reply_markup=card_keyboard(card),
        )
        await self._board.card_posted(topic, sent.message_id)

    async def _post(self, news: TopicNews) -> None:
        chat_id, thread_id = self._board.chat_id, news.topic.thread_id
        items = news.in_order()
        posted = 0
        try:
            for item in items:
                try:
                    if isinstance(item, StatusChange) and item.event.action == ATTACHED:
                        await self._post_file(news, item)
                    else:
                        text = (
                            change_text(item, zone=self._zone)
                            if isinstance(item, StatusChange)
                            else topic_message_text(item)
                        )
                        await self._bot.send_message(chat_id, text, message_thread_id=thread_id)
                except TelegramAPIError:  # flood control and network errors too
                    if posted:  # the pass is tried again from the first item not posted
                        await self._board.shown(_before(news, items[posted:]))
                    raise
                posted += 1
            if news.changes and news.topic.card_message_id is not None:
                await self.refresh_card(news.topic.card_message_id, news.card)
        except TelegramBadRequest as error:
            # The topic or its card was deleted by hand: do not retry forever.
            log.warning(
                "Группа операторов: тема обращения № %s: %s", news.topic.ticket_number, error
            )
        await self._board.shown(news)

    async def _post_file(self, news: TopicNews, change: StatusChange) -> None:
        """The citizen's file itself, into the topic, its masked name as the caption (sent
        from the service's copy: a file from the web widget has no Telegram id); when Telegram
        will not take it, a line that says so, and the file stays in the console."""
        chat_id, thread_id = self._board.chat_id, news.topic.thread_id
        found = await self._board.attached_file(news.topic.ticket_number, change.event)
        if found is None:
            why = "файла нет в обращении"
        else:
            attachment, data = found
            upload = BufferedInputFile(data, filename=attached_name(change) or attachment.filename)
            try:
                await self._bot.send_document(
                    chat_id,
                    upload,
                    caption=file_caption(change, zone=self._zone),
                    message_thread_id=thread_id,
                )
                return
            except TelegramRetryAfter:
                raise
            except (TelegramBadRequest, TelegramEntityTooLarge) as error:
                why = error.message
            except TelegramNetworkError:
                raise  # the pass is tried again: the file is not lost
            except TelegramAPIError as error:
                why = error.message
            log.warning(
                "Группа операторов: файл обращения № %s не показан: %s",
                news.topic.ticket_number,
                why,
            )
        await self._bot.send_message(
            chat_id,
            file_not_shown_text(change, why, zone=self._zone),
            message_thread_id=thread_id,
        )

    async def refresh_card(self, message_id: int, card: TicketCard) -> None:
        """Show the ticket's current status and who has it on its card."""
        try:
            await self._bot.edit_message_text(
                text=card_text(card, zone=self._zone),
                chat_id=self._board.chat_id,
                message_id=message_id,
                reply_markup=card_keyboard(card),
            )
        except TelegramBadRequest as error:
            if NOT_MODIFIED not in str(error):
                raise


def _before(news: TopicNews, unposted: list[TopicMessage | StatusChange]) -> TopicNews:
    """`news` as far as the topic shows it when the items `unposted` (the end of its timeline)
    could not be posted: they stay to do (until 2026-12-05 a pass that flood control stopped
    half-way posted its first items again when retried)."""
    events = {i.event.id for i in unposted if isinstance(i, StatusChange)}
    messages = {i.message.id for i in unposted if isinstance(i, TopicMessage)}
    return replace(news, event_ids=news.event_ids - events, message_ids=news.message_ids - messages)
