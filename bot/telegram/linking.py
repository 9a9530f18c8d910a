"""/link: a one-time code that links this chat with the citizen's chat on the website;
/unlink undoes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, TelegramObject

from bot.core.linking import ChannelLinking
from bot.telegram import texts
from bot.telegram.identity import chat_identity
from bot.telegram.services import TelegramServices

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


async def link(message: Message, command: CommandObject, linking: ChannelLinking) -> None:
    """`/link` shows a new code; `/link 123456` uses a code the website showed."""
    identity = chat_identity(message.chat.id)
    argument = (command.args or "").strip()
    if not argument:
        issued = await linking.issue(identity)
        await message.answer(
            texts.LINK_CODE.format(code=issued.code, minutes=linking.valid_minutes)
        )
        return
    # A wrong, expired or own code, or too many tries: the error handler answers with why.
    await message.answer(await linking.redeem(identity, argument))


async def unlink(message: Message, linking: ChannelLinking) -> None:
    """`/unlink`: this chat stops sharing tickets with the website's chat."""
    await message.answer(await linking.unlink(chat_identity(message.chat.id)))


def build_router(services: TelegramServices) -> Router:
    """The /link and /unlink handlers, with the linking service injected into their data."""
    linking = ChannelLinking(services.db, settings=services.settings.core.linking)

    async def inject(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["linking"] = linking
        return await handler(event, data)

    router = Router(name="linking")
    router.message.filter(F.chat.type == ChatType.PRIVATE)  # citizens link their own chats
    router.message.middleware(inject)
    router.message.register(link, Command("link", ignore_case=True))
    router.message.register(unlink, Command("unlink", ignore_case=True))
    return router
