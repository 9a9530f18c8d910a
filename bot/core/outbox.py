"""Channel senders: the protocol a front end implements, and the registry the worker uses."""

from __future__ import annotations

from typing import Protocol
from uuid import uuid4

from bot.core.errors import UnknownChannelError
from bot.core.records import OutboxMessage


class Sender(Protocol):
    """Delivers one reply to a citizen on one channel.

    `send` returns when the channel has accepted the message and raises on any failure;
    the worker then retries later. It may be called again for a message already sent (a
    worker died before acknowledging): use `message.idempotency_key` to send it only once.
    """

    async def send(self, message: OutboxMessage) -> None:
        """Deliver `message.text` to `message.recipient`."""
        ...


class SenderRegistry:
    """Senders by channel name; each front end registers its own at start-up."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        """Use `sender` for replies on `channel` (replacing any earlier one)."""
        self._senders[channel] = sender

    def get(self, channel: str) -> Sender:
        """The sender of a channel, or `UnknownChannelError`."""
        try:
            return self._senders[channel]
        except KeyError:
            raise UnknownChannelError(
                f"No sender registered for channel {channel!r}; registered: "
                f"{sorted(self._senders) or 'none'}. Register one with SenderRegistry.register."
            ) from None

    @property
    def channels(self) -> frozenset[str]:
        """Channels with a sender."""
        return frozenset(self._senders)


def new_idempotency_key() -> str:
    """A fresh key that identifies one reply across all delivery attempts."""
    return uuid4().hex
