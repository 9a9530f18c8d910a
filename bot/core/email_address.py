"""E-mail addresses a citizen types to receive an answer: checked with `email-validator`.

The only module that imports `email_validator`. An address is personal data: `mask_address`
is what logs and staff see ("i***@mail.ru").
"""

from __future__ import annotations

from bot.core.errors import InvalidInputError

# The outbox keeps the recipient in a 200-character column until the letter is delivered.
MAX_ADDRESS_LENGTH = 200
EXAMPLE_ADDRESS = "name@example.ru"


class AddressError(InvalidInputError):
    """An address that mail cannot be sent to; the message says what a good one looks like."""


def checked_address(raw: str, *, any_script: bool = False) -> str:
    """The address as mail is sent to it (domain in ASCII form), or `AddressError`.

    Only plain addresses are accepted: no display names, lists, quotes or non-Latin
    mailbox names, so a value can never name a second recipient or break a header.
    `any_script`: a mailbox name in any letters is accepted too ("иван@почта.рф"), for an
    address left for an operator to write to, not for our own letters.
    """
    from email_validator import EmailNotValidError, validate_email

    text = raw.strip()
    if not text:
        raise AddressError(f"Укажите адрес электронной почты, например {EXAMPLE_ADDRESS}.")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise AddressError(
            f"Адрес электронной почты слишком длинный: не больше {MAX_ADDRESS_LENGTH} символов."
        )
    try:
        valid = validate_email(text, check_deliverability=False, allow_smtputf8=any_script)
    except EmailNotValidError:
        raise AddressError(
            f"Адрес электронной почты «{text}» указан неверно: нужен адрес вида "
            f"{EXAMPLE_ADDRESS}" + ("." if any_script else " (латинские буквы до знака @).")
        ) from None
    address = valid.ascii_email or valid.normalized
    if len(address) > MAX_ADDRESS_LENGTH:
        raise AddressError(
            f"Адрес электронной почты слишком длинный: не больше {MAX_ADDRESS_LENGTH} символов."
        )
    return address


def mask_address(address: str) -> str:
    """The address with its mailbox hidden: "ivan.petrov@mail.ru" → "i***@mail.ru"."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
