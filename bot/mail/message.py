"""A letter as an RFC 5322 message: `email.message.EmailMessage`, UTF-8 plain text with an
HTML alternative of the same words (`bot.mail.html`)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from bot.core.letters import Letter
from bot.mail.html import html_body


def message_id(idempotency_key: str, sender: str) -> str:
    """A Message-ID fixed by the outbox row, so a resent letter is recognisably the same."""
    domain = sender.rpartition("@")[2] or "faqbot.invalid"
    return f"<{idempotency_key}@{domain}>"


def build_message(
    letter: Letter, *, sender: str, recipient: str, idempotency_key: str, now: datetime
) -> EmailMessage:
    """The letter with its headers; the subject is encoded for UTF-8 by the stdlib."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(idempotency_key, sender)
    # RFC 3834: an automatic letter, so auto-responders stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "ru"
    message.set_content(letter.body, subtype="plain", charset="utf-8")
    # multipart/alternative: mail clients show the HTML part and fall back to the text.
    message.add_alternative(html_body(letter.subject, letter.body), subtype="html", charset="utf-8")
    return message
