"""Password hashing (argon2, the only module that imports it) and the password policy."""

from __future__ import annotations

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
