"""Errors of the Telegram channel."""

from __future__ import annotations


class TelegramError(Exception):
    """Base class of the errors the Telegram channel raises on purpose."""


class MissingTokenError(TelegramError):
    """The bot cannot start without a token."""

    def __init__(self, variable: str) -> None:
        super().__init__(
            f"нет токена бота: задайте {variable} — токен, который даёт @BotFather в Telegram "
            "(отправьте ему /newbot)"
        )


class FloodWaitError(TelegramError):
    """Telegram asked the bot to wait before sending again; the outbox retries later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"Telegram flood control: not sending for another {seconds:.0f} s "
            "(the reply stays in the outbox)"
        )
        self.seconds = seconds


class TelegramSettingsError(TelegramError):
    """A Telegram setting has a value the bot cannot use; the message says how to fix it."""


class TokenRejectedError(TelegramError):
    """Telegram refused the bot's token (401, or 404 for a malformed one): no retry helps."""

    def __init__(self, variable: str) -> None:
        super().__init__(
            f"Telegram не принял токен бота из {variable}: токен неверен или отозван. "
            "Возьмите действующий у @BotFather (/mybots → API Token) и запустите бота снова"
        )
