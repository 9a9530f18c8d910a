"""`faqbot`'s help and argparse's own errors are Russian, for every subcommand.

Found by the 2026-12-05 administrator's walkthrough: `--help` and mistakes in the arguments
("the following arguments are required", "invalid int value", "invalid choice",
"unrecognized arguments", "usage:", "options:") were English.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.cli import argparse_ru
from bot.cli.main import build_parser

ENGLISH = (
    "usage:",
    "options:",
    "positional arguments",
    "show this help message",
    "error:",
    "required",
    "invalid",
    "unrecognized",
    "default:",
)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
Done = subprocess.CompletedProcess[str]


def faqbot(*args: str) -> Done:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def together(*commands: tuple[str, ...]) -> list[Done]:
    """Independent commands run at once: each start costs seconds."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda command: faqbot(*command), commands))


def parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every subcommand's parser below it, with the words that call it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def test_every_help_page_is_russian() -> None:
    pages = list(parsers(build_parser()))
    assert len(pages) > 20  # every subcommand, not only the top
    for path, parser in pages:
        text = parser.format_help()
        assert text.startswith("использование: faqbot"), path
        assert "показать эту справку и выйти" in text, path
        for english in ENGLISH:
            assert english not in text, (path, english, text)
        if parser.description:
            assert CYRILLIC.search(parser.description), path
        for action in parser._actions:
            helps = [action.help]
            if isinstance(action, argparse._SubParsersAction):
                helps = [choice.help for choice in action._choices_actions]
            for help_text in helps:
                assert help_text and CYRILLIC.search(help_text), (path, action.dest)


def test_help_and_mistakes_in_arguments_are_russian_from_the_shell() -> None:
    top, user_add, missing, not_a_number, no_such_role, unknown, nothing, days = together(
        ("--help",),
        ("user", "add", "--help"),
        ("user", "add", "--login", "olga"),
        ("serve", "--port", "восемь"),
        ("user", "role", "olga", "boss"),
        ("ask", "--bogus", "вопрос"),
        (),
        ("analytics", "purge", "--older-than", "x"),
    )
    assert top.returncode == 0
    assert top.stdout.startswith("использование: faqbot [-h] КОМАНДА ...")
    assert "Виртуальный консультант по электронным госуслугам." in top.stdout
    assert "serve      запустить веб-приложение: API, виджет и консоль операторов" in top.stdout
    assert user_add.returncode == 0
    assert "--login ЛОГИН         латинские буквы, цифры, . _ -" in user_add.stdout
    assert "параметры:" in user_add.stdout

    # argparse's exit status 2, its usage line, then its error, in Russian.
    for done in (missing, not_a_number, no_such_role, unknown, nothing, days):
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr.startswith("использование: faqbot"), done.stderr
    assert missing.stderr.endswith(
        "faqbot user add: ошибка: не указаны обязательные аргументы: --role\n"
    )
    assert not_a_number.stderr.endswith(
        "faqbot serve: ошибка: аргумент --port: нужно целое число, получено «восемь»\n"
    )
    assert days.stderr.endswith(
        "faqbot analytics purge: ошибка: аргумент --older-than: нужно целое число, получено «x»\n"
    )
    assert no_such_role.stderr.endswith(
        "faqbot user role: ошибка: аргумент РОЛЬ: недопустимое значение 'boss' "
        "(выберите из 'operator', 'specialist', 'curator', 'analyst', 'admin')\n"
    )
    assert unknown.stderr.endswith("faqbot: ошибка: неизвестные аргументы: --bogus\n")
    assert nothing.stderr.endswith("faqbot: ошибка: не указаны обязательные аргументы: КОМАНДА\n")


def test_every_number_option_names_what_it_expects_in_russian() -> None:
    """Not argparse's «недопустимое значение 'x' (нужен тип int)»: every whole-number
    option and argument says what it wants and what it got."""
    numbers = [
        (path, action)
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if action.type is int or action.type is argparse_ru.integer
    ]
    assert len(numbers) >= 5  # serve --port, analytics --older-than, proposals, user telegram
    for path, action in numbers:
        assert action.type is argparse_ru.integer, (path, action.dest)
        with pytest.raises(argparse.ArgumentError) as refused:
            build_parser()._get_value(action, "abc")
        assert str(refused.value).endswith("нужно целое число, получено «abc»"), path
