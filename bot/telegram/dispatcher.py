"""The dispatcher: every feature's router registered here, in order, and the services injected."""

from __future__ import annotations

from aiogram import Dispatcher, F
from aiogram.enums import ChatType
from aiogram.fsm.storage.memory import MemoryStorage

from bot.telegram import (
    commands,
    failures,
    feedback,
    media,
    questions,
    start,
    unsupported,
)
from bot.telegram.services import TelegramServices


def build_dispatcher(services: TelegramServices) -> Dispatcher:
    """A dispatcher with the bot's routers; handlers get the services by parameter name."""
    dp = Dispatcher(storage=MemoryStorage())
    # Citizens talk to the bot in private; in a group it would answer everyone's chatter.
    dp.message.filter(F.chat.type == ChatType.PRIVATE)
    dp.include_routers(
        start.build_router(),
        commands.build_router(),
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
    return dp
