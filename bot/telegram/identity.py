"""A Telegram chat as the core's identity of a citizen."""

from __future__ import annotations

from bot.core.identity import Identity

TELEGRAM_CHANNEL = "telegram"


def chat_identity(chat_id: int) -> Identity:
    """The citizen behind a Telegram chat: channel `telegram` and the chat id."""
    return Identity(TELEGRAM_CHANNEL, str(chat_id))
