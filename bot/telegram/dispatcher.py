"""The dispatcher: every feature's router registered here, in order, and the services injected."""

from __future__ import annotations

from aiogram import Dispatcher, F
from aiogram.enums import ChatType

from bot.telegram import (
    commands,
    failures,
    feedback,
    linking,
    media,
    questions,
    staff,
    start,
    unsupported,
)
from bot.telegram.dialogue_storage import DatabaseStorage
from bot.telegram.ordering import ChatOrder
from bot.telegram.services import TelegramServices


def build_dispatcher(services: TelegramServices) -> Dispatcher:
    """A dispatcher with the bot's routers; handlers get the services by parameter name."""
    # The FSM middleware reads the database before a handler runs: registered by hand,
    # after the chat's turn is taken, so that a chat's updates keep their order.
    dp = Dispatcher(storage=DatabaseStorage(services.dialogues), disable_fsm=True)
    dp.update.outer_middleware(ChatOrder())
    dp.update.outer_middleware(dp.fsm)
    # Citizens talk to the bot in private; in a group it would answer everyone's chatter.
    # The one group it listens to is the operators' (its own router, first in line).
    staff_chat = services.settings.staff_chat_id
    listened = (F.chat.type == ChatType.PRIVATE) | (F.chat.id == staff_chat)
    dp.message.filter(listened)
    dp.edited_message.filter(listened)
    if staff_chat is not None:
        dp.include_router(staff.build_router(staff_chat))
    dp.include_routers(
        start.build_router(),
        commands.build_router(),
        linking.build_router(services),
        feedback.build_router(),
        media.build_router(),
        questions.build_router(),
        unsupported.build_router(),  # last: whatever nobody else took
    )
    dp.errors.register(failures.on_error)  # errors of every router end up here
    dp["settings"] = services.settings
    dp["answerer"] = services.answerer
    dp["conversations"] = services.conversations
    dp["citizens"] = services.citizens
    dp["ratings"] = services.ratings
    dp["render_options"] = services.render_options
    dp["staff"] = services.staff
    dp["desk"] = services.desk
    dp["accounts"] = services.accounts
    return dp
