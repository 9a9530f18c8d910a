"""What `/healthz` says about the Telegram bot running in the same process: set by the bot
as it waits for Telegram, works, or stops; read by the web app."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TelegramState(StrEnum):
    """Where the bot is."""

    OFF = "off"  # not run by this process (no token, or `serve --no-telegram`)
    STARTING = "starting"  # asking Telegram for the first time
    WAITING = "waiting"  # Telegram unreachable or failing: retried with back-off
    OK = "ok"
    STOPPED = "stopped"  # a refused token or a failure: the bot does not answer


@dataclass(frozen=True, slots=True)
class TelegramStatus:
    """One state and its reason, in Russian, for the people who run the service."""

    state: TelegramState
    reason: str

    def as_json(self) -> dict[str, str]:
        """The `telegram` part of `/healthz`."""
        return {"status": self.state.value, "reason": self.reason}


OFF = TelegramStatus(
    TelegramState.OFF,
    "бот Telegram не запущен в этом процессе (не задан TELEGRAM_BOT_TOKEN или --no-telegram)",
)


class TelegramHealth:
    """The bot's current status; replaced in one assignment, so never read half updated."""

    def __init__(self) -> None:
        self.status = OFF

    def set(self, state: TelegramState, reason: str) -> None:
        """Record where the bot is now."""
        self.status = TelegramStatus(state, reason)
