"""`faqbot user telegram`: linking operator accounts to Telegram users, from the shell."""

from __future__ import annotations

import asyncio

from bot.core.accounts import Accounts
from bot.storage.database import open_database
from tests.bot.cli.test_admin import STRONG, Faqbot, database_url, faqbot, ok, refused

__all__ = ["database_url", "faqbot"]  # fixtures shared with the other admin tests


async def _linked(database_url: str) -> dict[str, int | None]:
    db = await open_database(database_url)
    try:
        return {o.login: o.telegram_user_id for o in await Accounts(db).all()}
    finally:
        await db.close()


def test_accounts_are_linked_to_one_telegram_user_each(faqbot: Faqbot, database_url: str) -> None:
    ok(faqbot("user", "add", "--login", "olga", "--role", "operator", stdin=STRONG))
    ok(faqbot("user", "add", "--login", "boris", "--role", "operator", stdin=STRONG))
    linked = faqbot("user", "telegram", "olga", "4001")
    assert "«olga» связана с пользователем Telegram 4001" in ok(linked)
    taken, neither, negative, nobody = faqbot.together(
        (("user", "telegram", "boris", "4001"), ""),
        (("user", "telegram", "boris"), ""),
        (("user", "telegram", "boris", "-5"), ""),
        (("user", "telegram", "nobody", "4003"), ""),
    )
    refused(taken, "уже связан с учётной записью «olga»")
    refused(neither, "--unlink")
    refused(negative, "положительное число")
    refused(nobody, "Учётной записи «nobody» нет.")
    assert asyncio.run(_linked(database_url)) == {"boris": None, "olga": 4001}
    assert "отвязана" in ok(faqbot("user", "telegram", "olga", "--unlink"))
    ok(faqbot("user", "telegram", "boris", "4001"))
    assert asyncio.run(_linked(database_url)) == {"boris": 4001, "olga": None}
