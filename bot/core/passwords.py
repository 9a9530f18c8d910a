"""Password hashing (argon2, the only module that imports it) and the password policy."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.core.errors import WeakPasswordError
from bot.core.settings import PasswordPolicy

# Passwords that pass length and character checks but are guessed first.
COMMON_PASSWORDS = frozenset(
    {
        "password1",
        "password123",
        "qwerty1234",
        "qwertyuiop1",
        "1234567890a",
        "administrator1",
        "admin12345",
        "letmein123",
        "пароль12345",
        "йцукенгшщз1",
    }
)
CHARACTER_CLASSES = ("строчные буквы", "заглавные буквы", "цифры", "другие знаки")

# Runs along these are guessed first: keyboard rows and columns (Latin and Russian layouts),
# the digits, the alphabets; backwards too. Three characters in a row make a run.
SEQUENCES = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
    "1q2w3e4r5t6y7u8i9o0p",
    "ё1234567890-=",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю.",
    "1йфя2цыч3увс4кам5епи6нрт7гоь8шлб9щдю0зж.-хэ=ъ",
    "1й2ц3у4к5е6н7г8ш9щ0з",
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)
MIN_RUN = 3
# Words that guessers try first, after the look-alike digits and signs are read as letters
# ("p@ssw0rd" is "password"); "gfhjkm" and "ghbdtn" are «пароль» and «привет» typed with
# the Latin layout on.
COMMON_WORDS = (
    "password", "passwd", "passw", "qwerty", "admin", "root", "login", "user", "guest",
    "test", "welcome", "letmein", "iloveyou", "love", "monkey", "dragon", "master", "secret",
    "football", "sunshine", "princess", "shadow", "superman", "batman", "hello", "freedom",
    "whatever", "faqbot", "gosuslugi", "parol", "privet", "gfhjkm", "ghbdtn",
    "пароль", "парол", "привет", "любовь", "админ", "секрет", "логин", "госуслуги",
)  # fmt: skip
# Russian words and names the leaked-password lists are full of, with a year or "1!" after
# them ("Москва2024!", "Солнышко1!"); also tried as typed with the Latin layout on and
# spelt in Latin letters.
RUSSIAN_WORDS = (
    "солнышко", "любимая", "любимый", "москва", "россия", "спартак", "зенит", "ангелина",
    "ангел", "котенок", "котёнок", "котик", "зайка", "зайчик", "малыш", "наташа", "наталья",
    "маша", "мария", "саша", "александр", "сергей", "андрей", "максим", "дмитрий", "дима",
    "светлана", "татьяна", "марина", "екатерина", "катя", "анастасия", "настя", "ольга",
    "елена", "ирина", "юлия", "владимир", "алексей", "иван", "мама", "папа",
)  # fmt: skip
RUSSIAN_IN_LATIN = (
    "solnyshko", "solnishko", "moskva", "rossiya", "rossia", "spartak", "zenit", "kotik",
    "zaika", "zayka", "malysh", "natasha", "natalia", "natalya", "masha", "maria", "sasha",
    "aleksandr", "alexander", "sergey", "sergei", "andrey", "andrei", "maksim", "maxim",
    "dmitriy", "dmitry", "dima", "svetlana", "tatyana", "tatiana", "marina", "ekaterina",
    "katya", "anastasia", "nastya", "olga", "elena", "irina", "yulia", "vladimir", "aleksey",
    "alexey", "ivan",
)  # fmt: skip
# The Russian layout's keys as the Latin layout has them: «пароль» typed unswitched is "gfhjkm".
LATIN_LAYOUT = str.maketrans(
    "йцукенгшщзхъфывапролджэячсмитьбюё", "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
)
GUESSED_WORDS = (
    *COMMON_WORDS,
    *RUSSIAN_WORDS,
    *(word.translate(LATIN_LAYOUT) for word in RUSSIAN_WORDS),
    *RUSSIAN_IN_LATIN,
)
LOOK_ALIKES = str.maketrans("0134579@$!", "oieastgasi")
YEAR = re.compile(r"(?:19|20)\d\d")
REPEAT = re.compile(r"(.)\1{2,}")
# What must be left once the runs, repeats, years and common words are taken out.
MIN_UNGUESSABLE = 6


def _classes(password: str) -> int:
    found = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return sum(found)


def check_password(password: str, *, login: str, policy: PasswordPolicy) -> None:
    """Raise `WeakPasswordError` saying how to fix a password that breaks the policy."""
    if not password or not password.strip():
        raise WeakPasswordError("Пароль не может быть пустым.")
    if len(password) < policy.min_length:
        raise WeakPasswordError(
            f"Пароль слишком короткий: {len(password)} символов, нужно не меньше "
            f"{policy.min_length}."
        )
    if _classes(password) < policy.min_character_classes:
        raise WeakPasswordError(
            f"Пароль слишком простой: используйте хотя бы {policy.min_character_classes} вида "
            f"символов из: {', '.join(CHARACTER_CLASSES)}."
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise WeakPasswordError("Этот пароль легко угадать: придумайте другой.")
    if login and login.lower() in lowered:
        raise WeakPasswordError("Пароль не должен содержать логин.")
    guessable = _guessable(lowered)
    if len(password) - sum(guessable) < MIN_UNGUESSABLE:
        pieces = "», «".join(_pieces(password, guessable))
        raise WeakPasswordError(
            f"Этот пароль легко угадать: «{pieces}» — ряды клавиш, последовательности, повторы, "
            "годы или частые слова. Придумайте пароль, где кроме них есть хотя бы "
            f"{MIN_UNGUESSABLE} других символов."
        )


def _guessable(lowered: str) -> list[bool]:
    """For each character: is it part of a keyboard or alphabet run, a repeat, a year or a
    common word."""
    marked = [False] * len(lowered)

    def mark(start: int, end: int) -> None:
        marked[start:end] = [True] * (end - start)

    sequences = SEQUENCES + tuple(sequence[::-1] for sequence in SEQUENCES)
    for start in range(len(lowered)):
        for end in range(start + MIN_RUN, len(lowered) + 1):
            if not any(lowered[start:end] in sequence for sequence in sequences):
                break
            mark(start, end)
    for pattern in (REPEAT, YEAR):
        for found in pattern.finditer(lowered):
            mark(found.start(), found.end())
    readable = lowered.translate(LOOK_ALIKES)
    for word in GUESSED_WORDS:
        start = readable.find(word)
        while start >= 0:
            mark(start, start + len(word))
            start = readable.find(word, start + 1)
    return marked


def _pieces(password: str, marked: list[bool]) -> list[str]:
    """The guessable parts of the password as they were typed."""
    pieces: list[str] = []
    for character, guessable, previous in zip(password, marked, [False, *marked[:-1]], strict=True):
        if guessable and previous:
            pieces[-1] += character
        elif guessable:
            pieces.append(character)
    return pieces


class Passwords:
    """Hashes and verifies passwords with argon2id."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        """An argon2id hash of the password, with a fresh salt."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches the hash."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than the current ones."""
        return self._hasher.check_needs_rehash(password_hash)
