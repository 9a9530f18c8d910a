"""argparse's own words in Russian: usage, section titles, `-h`'s help and its errors.

argparse passes every message it prints through gettext (`argparse._` and
`argparse.ngettext`); `install()` points those at the small catalogue below, so the help
and the errors of `faqbot` are Russian whatever the shell's locale. Messages missing from
the catalogue stay as argparse has them.
"""

from __future__ import annotations

import argparse
import gettext

# msgid (argparse's English, exactly as in its source) -> Russian.
MESSAGES: dict[str, str] = {
    "usage: ": "использование: ",
    "positional arguments": "позиционные аргументы",
    "options": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "не указаны обязательные аргументы: %s",
    "unrecognized arguments: %s": "неизвестные аргументы: %s",
    "invalid %(type)s value: %(value)r": "недопустимое значение %(value)r (нужен тип %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "недопустимое значение %(value)r (выберите из %(choices)s)"
    ),
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "можно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "ambiguous option: %(option)s could match %(matches)s": (
        "неоднозначный параметр: %(option)s подходит к %(matches)s"
    ),
    "not allowed with argument %s": "нельзя указывать вместе с %s",
    "ignored explicit argument %r": "лишнее значение %r",
    "one of the arguments %s is required": "нужен один из аргументов %s",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "неизвестная команда %(parser_name)r (варианты: %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": "не удаётся открыть «%(filename)s»: %(error)s",
}

# (singular msgid, plural msgid) -> Russian forms for 1, 2-4 and 5+ (and 11-14).
PLURALS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("expected %s argument", "expected %s arguments"): (
        "нужно %s значение",
        "нужно %s значения",
        "нужно %s значений",
    ),
}


def _plural_form(n: int) -> int:
    """The index of the Russian plural form for `n`: 1 рубль, 2 рубля, 5 рублей."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


class RussianArgparse(gettext.NullTranslations):
    """A gettext catalogue kept in Python: argparse's messages that `faqbot` can print."""

    def gettext(self, message: str) -> str:
        return MESSAGES.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = PLURALS.get((msgid1, msgid2))
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return forms[_plural_form(n)]


def integer(text: str) -> int:
    """argparse's `type` for a whole number: a mistake is named in Russian («нужно целое
    число, получено «abc»») instead of argparse's «(нужен тип int)»."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"нужно целое число, получено «{text}»") from None


def install() -> None:
    """Make argparse speak Russian in this process (idempotent)."""
    catalogue = RussianArgparse()
    # argparse imported `gettext as _` and `ngettext` into its own namespace: those names
    # are the hook it offers (typeshed does not declare them, hence setattr).
    setattr(argparse, "_", catalogue.gettext)  # noqa: B010
    setattr(argparse, "ngettext", catalogue.ngettext)  # noqa: B010
