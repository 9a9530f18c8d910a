"""Operator accounts: no default account, no weak passwords, argon2 verification."""

from __future__ import annotations

import pytest

from bot.core.errors import (
    AccountExistsError,
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    WeakPasswordError,
)
from bot.core.passwords import Passwords
from bot.core.roles import Role
from tests.bot.core.conftest import PASSWORD, Services

pytestmark = pytest.mark.anyio


async def test_there_is_no_default_account(services: Services) -> None:
    assert list(await services.accounts.all()) == []
    for login, password in [("admin", "admin"), ("admin", ""), ("root", "root")]:
        with pytest.raises(AuthenticationError):
            await services.accounts.authenticate(login, password)


async def test_create_then_log_in(services: Services) -> None:
    created = await services.accounts.create("Olga", PASSWORD, role=Role.CURATOR)
    assert (created.login, created.role, created.active) == ("olga", Role.CURATOR, True)
    assert await services.accounts.authenticate("olga", PASSWORD) == created
    with pytest.raises(AuthenticationError, match="Неверный логин или пароль"):
        await services.accounts.authenticate("olga", PASSWORD + "x")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "не может быть пустым"),
        ("          ", "не может быть пустым"),
        ("Ab1", "слишком короткий: 3 символов, нужно не меньше 10"),
        ("abcdefghijk", "слишком простой"),
        ("Password123", "легко угадать"),
        ("aaaaaaaaaaA1", "легко угадать"),
        ("olga-Secret-2026", "не должен содержать логин"),
        # Keyboard runs, sequences, years and common words, whatever the classes and length.
        ("qwertyuiop12", "легко угадать: «qwertyuiop»"),
        ("Qwerty!2024x", "легко угадать: «Qwerty», «2024»"),
        ("1qaz2wsx3edc", "легко угадать"),
        ("1q2w3e4r5t6y", "легко угадать"),
        ("йцукенгшщз12", "легко угадать: «йцукенгшщз»"),
        ("ЫвапролдЖ123", "легко угадать"),
        ("p@ssw0rd2025", "легко угадать: «p@ssw0rd2025»"),
        ("gfhjkm-12345", "легко угадать"),
        ("Пароль2024!!", "легко угадать"),
        ("Abcdef123456", "легко угадать"),
        ("asdfgh123!!!", "легко угадать"),
    ],
)
async def test_weak_passwords_are_refused(services: Services, password: str, message: str) -> None:
    with pytest.raises(WeakPasswordError, match=message):
        await services.accounts.create("olga", password, role=Role.OPERATOR)
    assert list(await services.accounts.all()) == []


@pytest.mark.parametrize(
    "password", ["k8#Lm2pQx9!z", "Tr0ub4dor&3x", "Moscow2026!x", "Надёжный-пароль-2026"]
)
async def test_passwords_with_enough_unguessable_characters_are_taken(
    services: Services, password: str
) -> None:
    await services.accounts.create("olga", password, role=Role.OPERATOR)
    assert await services.accounts.authenticate("olga", password)


async def test_logins_are_unique_and_well_formed(services: Services) -> None:
    await services.operator("olga")
    with pytest.raises(AccountExistsError):
        await services.accounts.create("OLGA", PASSWORD, role=Role.OPERATOR)
    with pytest.raises(InvalidInputError, match="Логин «ольга» не подходит"):
        await services.accounts.create("ольга", PASSWORD, role=Role.OPERATOR)


async def test_disabled_account_cannot_log_in(services: Services) -> None:
    await services.operator("olga")
    await services.accounts.set_active("olga", False)
    with pytest.raises(AuthenticationError):
        await services.accounts.authenticate("olga", PASSWORD)


async def test_only_admins_manage_accounts(services: Services) -> None:
    operator = await services.operator("olga")
    with pytest.raises(PermissionDeniedError, match="создавать учётные записи"):
        await services.accounts.create("ivan", PASSWORD, role=Role.ADMIN, by=operator)
    admin = await services.operator("root", Role.ADMIN)
    ivan = await services.accounts.create("ivan", PASSWORD, role=Role.SPECIALIST, by=admin)
    assert ivan.role is Role.SPECIALIST


async def test_change_password(services: Services) -> None:
    await services.operator("olga")
    await services.accounts.change_password("olga", "Новый-пароль-2027")
    assert (await services.accounts.authenticate("olga", "Новый-пароль-2027")).login == "olga"


def test_hashes_are_argon2_and_salted() -> None:
    passwords = Passwords()
    first, second = passwords.hash(PASSWORD), passwords.hash(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second
    assert passwords.verify(first, PASSWORD)
    assert not passwords.verify(first, "другой")
    assert not passwords.verify("not a hash", PASSWORD)
