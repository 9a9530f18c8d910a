"""The outbox's sender for channel `email`: the only module that imports aiosmtplib.

A failure the SMTP server may get over (it is down, busy, refuses the log-in) raises
`MailDeliveryError` and the outbox retries with backoff. A mailbox the server refuses for
good (5xx for the recipient or the content), or a letter still undelivered after
`give_up_after`, is dropped with a warning: retrying it would only keep the address longer.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from bot.core.clock import Clock, system_clock
from bot.core.email_address import mask_address
from bot.core.letters import Letter
from bot.core.privacy import mask_personal_data
from bot.core.records import OutboxMessage
from bot.mail.errors import MailDeliveryError
from bot.mail.message import build_message
from bot.mail.settings import Security, SmtpSettings

log = logging.getLogger(__name__)

PERMANENT_FAILURE = 500


class EmailSender:
    """Sends each outbox letter once through the configured SMTP server."""

    def __init__(self, settings: SmtpSettings, *, clock: Clock = system_clock) -> None:
        self._settings = settings
        self._clock = clock
        self._sent: OrderedDict[str, None] = OrderedDict()

    async def send(self, message: OutboxMessage) -> None:
        """Deliver the letter in `message.text` to the address `message.recipient`."""
        import aiosmtplib

        key = message.idempotency_key
        shown = mask_address(message.recipient)
        if key in self._sent:
            return  # sent before a worker died without acknowledging it
        now = self._clock()
        if now - message.created_at > self._settings.give_up_after:
            log.warning(
                "Письмо %s для %s не отправлено и больше не отправляется: не доставлено с %s",
                key,
                shown,
                message.created_at.isoformat(),
            )
            return
        letter = Letter.from_text(message.text)
        settings = self._settings
        email = build_message(
            letter,
            sender=settings.sender,
            recipient=message.recipient,
            idempotency_key=key,
            now=now,
        )
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.security is Security.TLS,
                start_tls=settings.security is Security.STARTTLS,
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPDataError) as error:
            code = _code(error)
            if code >= PERMANENT_FAILURE:
                log.warning(
                    "Письмо %s для %s отклонено окончательно (SMTP %d): %s",
                    key,
                    shown,
                    code,
                    _describe(error),
                )
                self._remember(key)
                return
            raise MailDeliveryError(f"SMTP {code}: {_describe(error)}") from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailDeliveryError(
                f"{type(error).__name__} from {settings.host}:{settings.port}: {_describe(error)}"
            ) from None
        self._remember(key)
        log.info("Письмо %s отправлено на %s", key, shown)

    def _remember(self, key: str) -> None:
        self._sent[key] = None
        while len(self._sent) > self._settings.remembered_keys:
            self._sent.popitem(last=False)


def _code(error: Exception) -> int:
    import aiosmtplib

    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return min((r.code for r in error.recipients), default=0)
    return int(getattr(error, "code", 0))


def _describe(error: Exception) -> str:
    """The server's words with any address in them masked (they are logged and stored)."""
    return mask_personal_data(str(error))[:300]
