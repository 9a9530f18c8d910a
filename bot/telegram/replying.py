"""Sending a core `Reply` to a chat: rendered messages, with buttons under the last one."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.core.replies import Reply, ReplyKind
from bot.telegram.keyboards import choices_keyboard, rating_keyboard
from bot.telegram.render import RenderOptions, render_reply
from matcher import KnowledgeBase


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Candidates to choose from, or 👍/👎 under an answer."""
    if reply.kind is ReplyKind.CLARIFY and reply.choices:
        return choices_keyboard(reply.choices)
    if reply.kind is ReplyKind.ANSWER and reply.message_id is not None:
        return rating_keyboard(reply.message_id)
    return None


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, options: RenderOptions, kb: KnowledgeBase
) -> None:
    """Show `reply` in the chat, with the answered entry's links; a silent reply sends nothing."""
    entry = kb.get(reply.entry_id) if reply.entry_id else None
    links = entry.links if entry is not None and reply.kind is ReplyKind.ANSWER else ()
    parts = render_reply(reply, options, links=links)
    keyboard = reply_keyboard(reply)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await bot.send_message(chat_id, part, reply_markup=keyboard if last else None)
