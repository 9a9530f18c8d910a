"""SMTP settings from the environment (`FAQBOT_SMTP_*`), read once at start-up.

Without `FAQBOT_SMTP_HOST` there is no e-mail channel and the widget shows no e-mail button.
The password is kept out of `repr` so that it never reaches a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from bot.mail.errors import MailSettingsError

HOST_ENV = "FAQBOT_SMTP_HOST"
PORT_ENV = "FAQBOT_SMTP_PORT"
USER_ENV = "FAQBOT_SMTP_USER"
PASSWORD_ENV = "FAQBOT_SMTP_PASSWORD"
FROM_ENV = "FAQBOT_SMTP_FROM"
SECURITY_ENV = "FAQBOT_SMTP_SECURITY"
TIMEOUT_ENV = "FAQBOT_SMTP_TIMEOUT"
MAX_PORT = 65535
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 300.0


class Security(StrEnum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    TLS = "tls"  # implicit TLS from the first byte (port 465)
    NONE = "none"  # no encryption: only for a relay on the same machine or in tests


DEFAULT_PORTS = {Security.STARTTLS: 587, Security.TLS: 465, Security.NONE: 25}


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how letters are sent."""

    host: str
    sender: str  # the From address
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: Security = Security.STARTTLS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # A letter still undelivered after this long is dropped (and its address forgotten).
    give_up_after: timedelta = timedelta(days=2)
    remembered_keys: int = 10_000  # letters remembered as sent, against duplicates

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """The settings, None when `FAQBOT_SMTP_HOST` is not set, `MailSettingsError` if wrong."""
        host = environ.get(HOST_ENV, "").strip()
        if not host:
            return None
        sender = environ.get(FROM_ENV, "").strip()
        username = environ.get(USER_ENV, "").strip() or None
        if not sender and username and "@" in username:
            sender = username
        if not sender or "@" not in sender:
            raise MailSettingsError(
                f"{FROM_ENV} — адрес, от которого уходят письма, например faqbot@example.ru "
                f"(сейчас {sender!r}); он обязателен, когда задан {HOST_ENV}."
            )
        security_text = environ.get(SECURITY_ENV, "").strip().lower() or Security.STARTTLS.value
        try:
            security = Security(security_text)
        except ValueError:
            raise MailSettingsError(
                f"{SECURITY_ENV}={security_text!r}: нужно одно из значений "
                f"{', '.join(s.value for s in Security)}."
            ) from None
        password = environ.get(PASSWORD_ENV) or None
        if password is not None and username is None:
            raise MailSettingsError(f"{PASSWORD_ENV} задан, а {USER_ENV} нет: задайте оба.")
        return cls(
            host=host,
            sender=sender,
            port=_port(environ.get(PORT_ENV, ""), DEFAULT_PORTS[security]),
            username=username,
            password=password,
            security=security,
            timeout_seconds=_timeout(environ.get(TIMEOUT_ENV, "")),
        )


def _port(text: str, default: int) -> int:
    text = text.strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_PORT:
        raise MailSettingsError(f"{PORT_ENV}={text!r}: нужен номер порта от 1 до 65535.")
    return int(text)


def _timeout(text: str) -> float:
    text = text.strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise MailSettingsError(
            f"{TIMEOUT_ENV}={text!r}: нужно число секунд больше 0 и не больше 300 (например, 10)."
        )
    return value
