"""Errors of the e-mail channel."""

from __future__ import annotations


class MailError(Exception):
    """Base class of the errors the e-mail channel raises on purpose."""


class MailSettingsError(MailError):
    """An SMTP setting in the environment is missing or malformed; the message says the fix."""


class MailDeliveryError(MailError):
    """The SMTP server could not take a letter now; the outbox tries again later.

    The message never holds the address or the password: it is logged and stored.
    """
