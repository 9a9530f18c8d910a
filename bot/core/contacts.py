"""Optional contacts a citizen leaves with a ticket, validated with Russian messages."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.email_address import AddressError, checked_address
from bot.core.errors import ContactError
from bot.core.privacy import PersonalData, ascii_digits, find_phones, mask_personal_data

MAX_NAME_LENGTH = 100
# Dashes as sites and phones' autocorrection print them (‐ ‑ ‒ – — −) count as hyphens,
# and a typographic apostrophe (’ ʼ, what iOS puts for ') as one: a number or a name copied
# from a page or typed on a phone was refused as "недопустимые символы" (until 2026-12-05).
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
APOSTROPHES = "\u2019\u02bc"
PHONE_SEPARATORS = re.compile(rf"[\s()\-.{DASHES}]")
RUSSIAN_MOBILE_DIGITS = 11
NAME_PATTERN = re.compile(rf"^[^\W\d_]+(?:[ .'\-{APOSTROPHES}{DASHES}][^\W\d_]*)*$")


@dataclass(frozen=True, slots=True)
class Contacts:
    """Validated, normalised contacts; every field is optional."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when the citizen left no contacts at all."""
        return self.name is None and self.phone is None and self.email is None

    def masked(self) -> Contacts:
        """Which contacts were left, each replaced by its label: "[телефон]"."""
        return Contacts(
            name=None if self.name is None else PersonalData.NAME.placeholder,
            phone=None if self.phone is None else PersonalData.PHONE.placeholder,
            email=None if self.email is None else PersonalData.EMAIL.placeholder,
        )


def normalize_phone(raw: str) -> str:
    """A Russian phone number as `+7XXXXXXXXXX`, or `ContactError` saying what is wrong."""
    # NFKC: full-width digits (an East Asian keyboard) are digits 0-9, "＋" is "+"; any other
    # script's decimal digits ("٨٩٠٠…" from an Arabic keyboard) are 0-9 too (until 2026-12-05
    # "недопустимые символы").
    text = PHONE_SEPARATORS.sub("", ascii_digits(unicodedata.normalize("NFKC", raw)).strip())
    digits = text[1:] if text.startswith("+") else text
    if not (digits.isascii() and digits.isdigit()):
        raise ContactError(
            f"Телефон «{raw}» содержит недопустимые символы: укажите только цифры, "
            "например +7 900 123-45-67."
        )
    if len(digits) == RUSSIAN_MOBILE_DIGITS and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == RUSSIAN_MOBILE_DIGITS - 1 and not text.startswith("+"):
        return "+7" + digits
    raise ContactError(
        f"Телефон «{raw}» указан неверно: нужен номер из 11 цифр, например +7 900 123-45-67."
    )


def normalize_email(raw: str) -> str:
    """An e-mail address as `email-validator` reads it (a..b@x.ru and <script>@x.ru are not
    addresses), or `ContactError`."""
    try:
        return checked_address(raw, any_script=True)
    except AddressError as error:
        raise ContactError(str(error)) from None


def normalize_name(raw: str) -> str:
    """A person's name with single spaces, or `ContactError`."""
    text = " ".join(raw.split())
    if len(text) > MAX_NAME_LENGTH:
        raise ContactError(f"Имя слишком длинное: не больше {MAX_NAME_LENGTH} символов.")
    if not NAME_PATTERN.match(text):
        raise ContactError(f"Имя «{raw}» должно состоять из букв, например «Анна Петрова».")
    return text


def make_contacts(
    *, name: str | None = None, phone: str | None = None, email: str | None = None
) -> Contacts:
    """Validate what a citizen typed; blank fields count as not given."""
    return Contacts(
        name=normalize_name(name) if name and name.strip() else None,
        phone=normalize_phone(phone) if phone and phone.strip() else None,
        email=normalize_email(email) if email and email.strip() else None,
    )


# Words by which a citizen says a number in their message is their own ("мой телефон …",
# "перезвоните мне на …", "для связи …").
OWN_NUMBER = re.compile(
    r"(?<!\w)(?:мо[йяиеё]\w*|мне|меня|перезвон\w*|позвоните|звоните|для\s+связи)(?!\w)",
    re.IGNORECASE,
)


def own_phone(text: str, known: str | None) -> str | None:
    """The citizen's own phone typed in a message, as `+7XXXXXXXXXX`, or None.

    With no phone known yet, any Russian number in the message. With one known (shared with
    the button, or typed before), only a message that is the number alone ("89001112233",
    a correction) or says it is theirs ("мой новый номер …"): "в МФЦ звонила по 8 (495) …"
    names someone else's number and must not replace the citizen's."""
    phone = typed_phone(text)
    if phone is None or known is None or phone == known:
        return phone
    rest = mask_personal_data(text).replace(PersonalData.PHONE.placeholder, " ")
    if not re.search(r"\w", rest) or OWN_NUMBER.search(rest):
        return phone
    return None


def typed_phone(text: str) -> str | None:
    """The first Russian phone number written in a message ("мой телефон 8 912 345-67-89"),
    as `+7XXXXXXXXXX`; None when it holds none (a foreign or partial number is not taken)."""
    for raw in find_phones(text):
        try:
            return normalize_phone(raw)
        except ContactError:
            continue
    return None
