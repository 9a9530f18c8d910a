"""/start, and browsing the knowledge base: topics → questions → the answer."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, Message

from bot.core.answerer import Answerer
from bot.core.conversation import ConversationService
from bot.telegram import texts
from bot.telegram.chats import callback_chat_id, show_in_place
from bot.telegram.identity import chat_identity
from bot.telegram.keyboards import (
    EntryCallback,
    TopicCallback,
    TopicKeyCallback,
    TopicsCallback,
    entries_keyboard,
    main_keyboard,
    pressed_topic,
    topics_keyboard,
)
from bot.telegram.render import RenderOptions
from bot.telegram.replying import send_reply


async def greet(message: Message, answerer: Answerer) -> None:
    """Greet, offer the phone and person buttons, and list the topics."""
    await message.answer(texts.GREETING, reply_markup=main_keyboard())
    await message.answer(texts.TOPICS, reply_markup=topics_keyboard(answerer.kb.topics))


async def show_topics(query: CallbackQuery, bot: Bot, answerer: Answerer) -> None:
    """Back to the list of topics."""
    await show_in_place(query, bot, texts.TOPICS, topics_keyboard(answerer.kb.topics))
    await query.answer()


async def show_topic(
    query: CallbackQuery,
    callback_data: TopicCallback | TopicKeyCallback,
    bot: Bot,
    answerer: Answerer,
) -> None:
    """The questions of one topic, in place of the list of topics."""
    kb = answerer.kb
    topic = pressed_topic(kb.topics, callback_data)
    if topic is None:
        await query.answer(texts.TOPIC_GONE, show_alert=True)
        return
    text = texts.TOPIC_QUESTIONS.format(topic=html.escape(topic, quote=False))
    await show_in_place(query, bot, text, entries_keyboard(kb.in_topic(topic)))
    await query.answer()


async def show_entry(
    query: CallbackQuery,
    *,
    callback_data: EntryCallback,
    bot: Bot,
    conversations: ConversationService,
    render_options: RenderOptions,
    answerer: Answerer,
) -> None:
    """A question picked from a topic or from the candidates: its answer."""
    chat_id = callback_chat_id(query)
    reply = await conversations.choose(chat_identity(chat_id), callback_data.entry_id)
    await query.answer()
    await send_reply(bot, chat_id, reply, render_options, answerer.kb)


def build_router() -> Router:
    """The start handlers, registered in order on a fresh router."""
    router = Router(name="start")
    router.message.register(greet, CommandStart(ignore_case=True))
    router.callback_query.register(show_topics, TopicsCallback.filter())
    router.callback_query.register(show_topic, TopicKeyCallback.filter())
    router.callback_query.register(show_topic, TopicCallback.filter())
    router.callback_query.register(show_entry, EntryCallback.filter())
    return router
