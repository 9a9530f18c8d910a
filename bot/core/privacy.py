"""Personal data in citizens' messages: masking it, and spotting secrets nobody should ask for.

Citizens paste phone numbers, passport details, card numbers and SMS codes into the chat, and
sign with their names. `mask_personal_data` replaces them with labelled placeholders
("[телефон]", "[имя]") before a message is stored or shown to operators; `find_secrets` tells
the bot to warn the citizen that support never asks for codes, passwords or card numbers.

The rules are data: an ordered list of patterns, each with the kind of data it finds. Order
matters because a rule never sees what an earlier one has replaced: passwords go first (a
password may look like anything), keyword-led rules ("ИНН 7707083893") before bare formats,
and bare digit runs, which are told apart by length, context and checksum, near the end.
Dates, times, prices and ticket numbers ("заявка № 1042") are left alone. People's names are
found last, from the dictionary (`bot.core.person_names`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from bot.core.person_names import mask_names
from matcher import shared_morphology


class PersonalData(Enum):
    """A kind of personal data; the value is the label shown in its place."""

    PASSWORD = "пароль"
    EMAIL = "e-mail"
    INN = "ИНН"
    SNILS = "СНИЛС"
    PASSPORT = "паспорт"
    CARD = "карта"
    PHONE = "телефон"
    CODE = "код"
    NAME = "имя"

    @property
    def placeholder(self) -> str:
        """The text that replaces the data: "[телефон]"."""
        return f"[{self.value}]"


class SecretKind(Enum):
    """Secrets that support never asks for; a message holding one deserves a warning."""

    ONE_TIME_CODE = "one_time_code"
    PASSWORD = "password"
    CARD = "card"


SECRET_KINDS = {
    PersonalData.CODE: SecretKind.ONE_TIME_CODE,
    PersonalData.PASSWORD: SecretKind.PASSWORD,
    PersonalData.CARD: SecretKind.CARD,
}

# How far before a bare number to look for a word that tells what it is ("заявление №").
CONTEXT_WINDOW = 40

INN_10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# Toll-free numbers (8 800 ...) belong to organisations, e.g. the Gosuslugi hotline.
TOLL_FREE_CODE = "800"
PHONE_FIRST_DIGITS = "3489"

# A number starts after neither a word character nor "+" or "/" and ends before one,
# and before a separator followed by a digit (a date, a decimal, a longer number).
_START = r"(?<![\w+/])"
_END = r"(?![\w]|[.,/:\-]\d)"
# Stricter, for short groups that could be the tail of a longer number: "8 (800) 555-35-35".
_INSIDE_NO_NUMBER = r"(?<![\w+/\-])(?<!\d[ )(\-])(?<!\)[ \-])"
# Up to two words between a keyword and its value: "ИНН организации 7707083893".
_WORDS = r"(?:\s+[^\W\d_]+){0,2}?"
_KEYWORD_SEPARATOR = r"\s*(?:[:№=\-–—]|номер)?\s*"
# A value ends before sentence punctuation that is followed by a space or the end.
_VALUE_END = r"(?=[.,;:)»\"']*(?:\s|$))"
# A passport's series and number, the number perhaps named: "45 10 номер 123456", "4510, № 123456".
_PASSPORT_SERIES_AND_NUMBER = (
    r"\d{2}\s?\d{2}\s*[,\-–]?\s*(?:(?:номер|№|н\.)(?:\s+паспорт\w*)?\s*:?\s*)?\d{6}"
)
_PASSWORD_KEYWORD = r"(?<!\w)(?:пароль|пароля|паролем|password|passwd|pwd|pass)(?!\w)"
_PASSWORD_FOR = r"(?:\s+(?:от|к|для|на)\s+[^\s:=]+)?"
# E-service passwords are Latin letters, digits and symbols (Gosuslugi refuses others),
# so a Cyrillic word after "пароль" is a verb, not a password: "пароль: не подходит".
_PASSWORD_LIKE = r"(?=\S*[0-9a-z@#$%^&*_+=~])"

# Numbers that name a ticket, an application or an organisation, not a person.
NOT_PERSONAL_BEFORE = re.compile(
    r"(?:№|#|заявк\w*|заявлени\w*|обращени\w*|заказ\w*|запрос\w*"
    r"|огрн\w*|кпп|бик|октмо|окпо|окато)\s*(?:№|номер)?\s*:?\s*$",
    re.IGNORECASE,
)
# Numbers a citizen names as something else, which a phone typed in a message is not taken
# from ("номер заказа 89001112233", "по договору 8-900-…", "лицевой счёт 9001112255"): masked
# all the same, but not a contact (`find_phones`).
NOT_A_PHONE_BEFORE = re.compile(
    r"(?<!\w)(?:№|#|заявк\w*|заявлени\w*|обращени\w*|заказ\w*|запрос\w*|договор\w*|сч[её]т\w*"
    r"|квитанци\w*|плат[её]ж\w*|накладн\w*|трек\w*|штраф\w*|постановлени\w*|полис\w*"
    r"|производств\w*|дел[оау]|огрн\w*|кпп|бик|октмо|окпо|окато)"
    r"\s*(?:№|номер)?\s*:?\s*$",
    re.IGNORECASE,
)
PHONE_BEFORE = re.compile(
    r"(?:телефон\w*|тел\.?|мобильн\w*|моб\.?|whatsapp|ватсап|звоните|позвоните)"
    r"(?:\s+номер)?\s*:?\s*$",
    re.IGNORECASE,
)


Classifier = Callable[[re.Match[str]], PersonalData | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern whose `value` group holds personal data of the kind the rule names.

    `kind` is either the kind itself or a function that decides from the match, returning
    None when the match is not personal data after all.
    """

    pattern: re.Pattern[str]
    kind: PersonalData | Classifier


def mask_personal_data(text: str) -> str:
    """`text` with every piece of personal data replaced by its placeholder ("[паспорт]")."""
    masked, _ = _scan(text)
    return mask_names(masked, shared_morphology(), PersonalData.NAME.placeholder)


def has_personal_data(text: str) -> bool:
    """Whether `text` holds personal data that `mask_personal_data` would mask (a dash or a
    no-break space it plains on the way is not personal data)."""
    masked, found = _scan(text)
    names = PersonalData.NAME.placeholder
    return bool(found) or mask_names(masked, shared_morphology(), names) != masked


def find_secrets(text: str) -> frozenset[SecretKind]:
    """The secrets `text` seems to hold: a one-time code, a password or a card number."""
    _, found = _scan(text)
    return frozenset(SECRET_KINDS[kind] for kind in found if kind in SECRET_KINDS)


def mask_file_name(name: str) -> str:
    """A file's name masked as a message is, "_" read as a space between words: "\\w"
    takes in "_", so "паспорт_4510_123456.pdf" or "скан_89123456789.jpg" kept the numbers.
    A name with nothing to mask stays as it was."""
    spaced = name.replace("_", " ")
    masked = mask_personal_data(spaced)
    return name if masked == spaced else masked


def find_phones(text: str) -> list[str]:
    """The phone numbers in `text` as written there (with separators made plain): the values
    `mask_personal_data` replaces with "[телефон]", but those the words before them name as
    an order's, a contract's or an account's number (`NOT_A_PHONE_BEFORE`)."""
    values: list[tuple[PersonalData, re.Match[str]]] = []
    _scan(text, values)
    return [
        match.group("value")
        for kind, match in values
        if kind is PersonalData.PHONE and not _preceded_by(match, NOT_A_PHONE_BEFORE)
    ]


def _scan(
    text: str, values: list[tuple[PersonalData, re.Match[str]]] | None = None
) -> tuple[str, frozenset[PersonalData]]:
    found: set[PersonalData] = set()
    text = _plain_separators(text)
    for rule in RULES if _DIGIT.search(text) else WORD_RULES:
        text = _apply(rule, text, found, values)
    return text, frozenset(found)


def _apply(
    rule: Rule,
    text: str,
    found: set[PersonalData],
    values: list[tuple[PersonalData, re.Match[str]]] | None = None,
) -> str:
    def replace(match: re.Match[str]) -> str:
        kind = rule.kind if isinstance(rule.kind, PersonalData) else rule.kind(match)
        if kind is None:
            return match.group(0)
        found.add(kind)
        if values is not None:
            values.append((kind, match))
        start, end = match.span("value")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + kind.placeholder + whole[end - offset :]

    return rule.pattern.sub(replace, text)


def _digits(match: re.Match[str]) -> str:
    return re.sub(r"\D", "", match.group("value"))


def _preceded_by(match: re.Match[str], context: re.Pattern[str]) -> bool:
    start = match.start()
    return context.search(match.string, max(0, start - CONTEXT_WINDOW), start) is not None


def _is_repeated_digit(digits: str) -> bool:
    return len(set(digits)) == 1


def luhn_valid(digits: str) -> bool:
    """Whether a card number passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def inn_valid(digits: str) -> bool:
    """Whether a 10-digit (organisation) or 12-digit (person) ИНН has correct check digits."""

    def check(weights: tuple[int, ...]) -> int:
        return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10

    if len(digits) == 10:
        return check(INN_10_WEIGHTS) == int(digits[9])
    if len(digits) == 12:
        tenth, eleventh = check(INN_12_WEIGHTS_11), check(INN_12_WEIGHTS_12)
        return (tenth, eleventh) == (int(digits[10]), int(digits[11]))
    return False


def snils_valid(digits: str) -> bool:
    """Whether an 11-digit СНИЛС has the correct two check digits."""
    if len(digits) != 11:
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    return total % 101 % 100 == int(digits[9:])


def _phone(match: re.Match[str]) -> PersonalData | None:
    national = _digits(match)[-10:]
    return None if national.startswith(TOLL_FREE_CODE) else PersonalData.PHONE


def _card_if_luhn(match: re.Match[str]) -> PersonalData | None:
    return PersonalData.CARD if luhn_valid(_digits(match)) else None


def _passport_unless_not_personal(match: re.Match[str]) -> PersonalData | None:
    return None if _preceded_by(match, NOT_PERSONAL_BEFORE) else PersonalData.PASSPORT


def _bare_number(match: re.Match[str]) -> PersonalData | None:
    """A run of 10-19 digits with no keyword of its own: phone, ИНН, СНИЛС, card or nothing."""
    digits = _digits(match)
    if _is_repeated_digit(digits) or _preceded_by(match, NOT_PERSONAL_BEFORE):
        return None
    if len(digits) in (10, 11) and _preceded_by(match, PHONE_BEFORE):
        return PersonalData.PHONE
    if len(digits) == 10 and digits[0] == "9":
        return PersonalData.PHONE
    if len(digits) == 11 and digits[0] in "78" and digits[1] in PHONE_FIRST_DIGITS:
        return _phone(match)
    if len(digits) in (10, 12) and inn_valid(digits):
        return PersonalData.INN
    if len(digits) == 11 and snils_valid(digits):
        return PersonalData.SNILS
    if len(digits) >= 13 and luhn_valid(digits):
        return PersonalData.CARD
    return None


def _rule(pattern: str, kind: PersonalData | Classifier) -> Rule:
    return Rule(re.compile(pattern, re.IGNORECASE), kind)


# Rules whose value may be written without a digit: passwords and e-mail addresses.
WORD_RULES = (
    # "пароль: Qwerty123", "пароль от госуслуг: Qwerty123", "пароль: \"my pass\"".
    _rule(
        _PASSWORD_KEYWORD
        + _PASSWORD_FOR
        + r"\s*[:=]\s*(?P<value>\"[^\"\n]+\"|«[^»\n]+»|"
        + _PASSWORD_LIKE
        + r"\S+?)"
        + _VALUE_END,
        PersonalData.PASSWORD,
    ),
    # Without a colon, four characters or more: "мой пароль Qwerty123", "пароль — abc_2024".
    _rule(
        _PASSWORD_KEYWORD
        + _PASSWORD_FOR
        + r"(?:\s*[\-–—]\s*|\s+это\s+|\s+)(?P<value>"
        + _PASSWORD_LIKE
        + r"\S{4,}?)"
        + _VALUE_END,
        PersonalData.PASSWORD,
    ),
    _rule(r"(?P<value>[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,})", PersonalData.EMAIL),
)
# Rules whose value always holds a digit: a text without digits skips them all (most
# questions; masking runs on every one). A placeholder holds no digit, so masking by the
# rules above never makes one appear.
DIGIT_RULES = (
    _rule(
        # "ИНН 7707083893", and glued to its keyword: "ИНН7707083893".
        r"(?<!\w)инн(?![^\W\d_])"
        + _WORDS
        + _KEYWORD_SEPARATOR
        + r"(?P<value>\d{12}|\d{10})"
        + _END,
        PersonalData.INN,
    ),
    _rule(
        r"(?<!\w)снилс(?![^\W\d_])"
        + _WORDS
        + _KEYWORD_SEPARATOR
        + r"(?P<value>\d{3}[ \-]?\d{3}[ \-]?\d{3}[ \-]?\d{2})"
        + _END,
        PersonalData.SNILS,
    ),
    # "серия 4510 номер 123456", "серия и номер: 45 10 123456", "серия паспорта 45 10 номер
    # паспорта 123456".
    _rule(
        r"(?<!\w)серия(?:\s+и\s+номер)?(?:\s+паспорт\w*)?\s*:?\s*(?P<value>"
        + _PASSPORT_SERIES_AND_NUMBER
        + ")"
        + _END,
        PersonalData.PASSPORT,
    ),
    _rule(
        r"(?<!\w)паспорт\w*"
        + _WORDS
        + _KEYWORD_SEPARATOR
        + r"(?P<value>"
        + _PASSPORT_SERIES_AND_NUMBER
        + ")"
        + _END,
        PersonalData.PASSPORT,
    ),
    # The number alone after its name: "номер паспорта 123456".
    _rule(
        r"(?<!\w)(?:номер|№)\s*паспорт\w*\s*:?\s*(?P<value>\d{6})" + _END,
        PersonalData.PASSPORT,
    ),
    # The issuing office's code is printed in the passport next to its number.
    _rule(
        r"(?<!\w)код\s+подразделения\s*:?\s*(?P<value>\d{3}[ \-]?\d{3})" + _END,
        PersonalData.PASSPORT,
    ),
    _rule(
        r"(?<!\w)карт(?:а|ы|е|у|ой|очк\w*)?(?!\w)"
        + _WORDS
        + r"\s*[:№]?\s*(?P<value>\d(?:[ \-]?\d){12,18})"
        + _END,
        PersonalData.CARD,
    ),
    # The code on the back of a card is as secret as the card itself.
    _rule(
        r"(?<!\w)(?:cvv2?|cvc2?|свв|свс)(?:[ \-]?код)?\s*[:\-]?\s*(?P<value>\d{3,4})" + _END,
        PersonalData.CARD,
    ),
    _rule(
        _START + r"(?P<value>\d{4}(?P<sep>[ \-])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}"
        r"(?:(?P=sep)\d{1,3})?)" + _END,
        PersonalData.CARD,
    ),
    _rule(_START + r"(?P<value>\d{4}[ ]\d{6}[ ]\d{4,5})" + _END, _card_if_luhn),
    _rule(
        _START + r"(?P<value>\d{3}-\d{3}-\d{3}[ \-]\d{2}|\d{3}[ ]\d{3}[ ]\d{3}[ ]\d{2})" + _END,
        PersonalData.SNILS,
    ),
    # +7 912 345-67-89: exactly ten digits after +7, so that a number after it stays apart.
    _rule(r"(?<![\w+])(?P<value>\+[ ]?7(?:[ \-()]{0,2}\d){10})" + _END, _phone),
    # Other countries, +375 29 123-45-67: 10 to 14 digits in all.
    _rule(r"(?<![\w+])(?P<value>\+[ ]?[1-689](?:[ \-()]{0,2}\d){9,13})" + _END, _phone),
    # 8 (912) 345-67-89, 8-912-345-67-89, 89123456789, 7 495 123 45 67.
    _rule(
        _START + r"(?P<value>[78][ \-()]{0,2}[3489](?:[ \-()]{0,2}\d){9})" + _END,
        _phone,
    ),
    # (912) 345-67-89, 912 345 67 89: without a prefix the grouping is what tells.
    _rule(
        _INSIDE_NO_NUMBER + r"(?P<value>\(?[3489]\d{2}\)?[ \-]?\d{3}[ \-]\d{2}[ \-]\d{2})" + _END,
        _phone,
    ),
    _rule(_INSIDE_NO_NUMBER + r"(?P<value>\d{3}-\d{2}-\d{2})" + _END, PersonalData.PHONE),
    # 4510 123456, 45 10 123456, 4510 № 123456.
    _rule(
        _START + r"(?P<value>\d{2}[ ]?\d{2}[ ]+(?:№[ ]*)?\d{6})" + _END,
        _passport_unless_not_personal,
    ),
    _rule(_START + r"(?P<value>\d{10,19})" + _END, _bare_number),
    # "код 123456", "смс 4821", "код из смс: 482 193", "пин-код 1234", "смс с кодом 4821".
    _rule(
        r"(?<!\w)(?:(?:смс|sms|пин|pin)[ \-]?)?(?:код(?:а|ом|е|у)?|code|смс|sms|пин|pin)(?!\w)"
        r"(?:\s+(?:подтверждения|активации|доступа|проверки|верификации|входа))?"
        r"(?:\s+(?:из|в|по)\s+(?:смс|sms|сообщени\w*|пуш\w*|push\w*|уведомлени\w*))?"
        r"(?:\s+(?:пришёл|пришел|пришло|такой|был))?"
        r"\s*(?:[:=\-–—]\s*)?"
        r"(?P<value>\d{4,6}|\d{3}[ \-]\d{3}|\d{2}[ \-]\d{2}[ \-]\d{2})" + _END,
        PersonalData.CODE,
    ),
    # A message that is nothing but 4-6 digits is almost always a code copied from an SMS.
    _rule(r"\A\s*(?P<value>\d{4,6}|\d{3}[ \-]\d{3})\s*[.!]?\s*\Z", PersonalData.CODE),
)
RULES = WORD_RULES + DIGIT_RULES
_DIGIT = re.compile(r"\d")
# What a page or a word processor puts inside numbers copied from it: no-break and narrow
# spaces, non-breaking hyphens and dashes. The rules know " " and "-"; until 2026-12-05
# "8\u00a0900\u00a0123\u00a045\u00a067" and "123–456–789 01" reached operators and the
# question log unmasked.
_ODD_SPACE = re.compile(r"[\u00a0\u2007\u2009\u202f]")
_DASH_IN_NUMBER = re.compile(r"(?<=[\d)])[\u2010\u2011\u2012\u2013\u2014\u2212](?=[\d(])")


# Any other script's decimal digits ("٨٩٠٠…" Arabic-Indic, "۸۹۰۰…" Persian, "८९००…"
# Devanagari): `\d` finds them, but the rules' "[78]" and "[3489]" do not, so until
# 2026-12-05 "+٧ ٩١٢ ٣٤٥-٦٧-٨٩" reached operators and the question log unmasked.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> str:
    """`text` with every Unicode decimal digit written as its ASCII digit 0-9."""
    return _OTHER_DIGIT.sub(lambda digit: str(unicodedata.decimal(digit.group())), text)


def _plain_separators(text: str) -> str:
    """`text` with ASCII digits, odd spaces as " " and dashes between digits as "-"."""
    if not _DIGIT.search(text):
        return text
    return _DASH_IN_NUMBER.sub("-", _ODD_SPACE.sub(" ", ascii_digits(text)))
