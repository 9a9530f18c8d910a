"""Channel senders: the protocol a front end implements, and the registry the worker uses."""

from __future__ import annotations

from collections.abc import Callable
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
        self._masks: dict[str, Callable[[str], str]] = {}

    def register(
        self, channel: str, sender: Sender, *, mask: Callable[[str], str] | None = None
    ) -> None:
        """Use `sender` for replies on `channel` (replacing any earlier one).

        `mask` is for channels whose recipient is personal data (an e-mail address): logs
        show the masked form, and once delivered the row keeps only that.
        """
        self._senders[channel] = sender
        if mask is None:
            self._masks.pop(channel, None)
        else:
            self._masks[channel] = mask

    def masks(self, channel: str) -> bool:
        """True when the channel's recipients are personal data."""
        return channel in self._masks

    def shown_recipient(self, channel: str, recipient: str) -> str:
        """The recipient as logs may show it: masked when the channel asks for it."""
        mask = self._masks.get(channel)
        return recipient if mask is None else mask(recipient)

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
