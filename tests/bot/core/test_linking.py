"""Linking a citizen's channels with a one-time code: who then sees which tickets, and guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.core.errors import LinkCodeError, TicketNotFoundError, TooManyLinkAttemptsError
from bot.core.identity import Identity
from bot.core.linking import ChannelLinking
from bot.core.replies import ReplyKind
from bot.core.settings import LinkSettings, StorageSettings
from bot.storage.engine import create_engine
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

WEB = Identity("web", "session-anna")
TELEGRAM = Identity("telegram", "777")
STRANGER = Identity("web", "session-boris")
STRANGER_TG = Identity("telegram", "888")
QUESTION = "сломался карбюратор у трактора"
SETTINGS = LinkSettings()


def linking_of(services: Services) -> ChannelLinking:
    return ChannelLinking(services.db, settings=SETTINGS, clock=services.clock)


async def _ticket(services: Services, identity: Identity) -> int:
    reply = await services.conversations.handle(identity, QUESTION)
    assert reply.ticket_number is not None
    return reply.ticket_number


def _wrong(code: str) -> str:
    """Another code of the same shape."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_linked_channels_see_each_others_tickets_and_strangers_still_do_not(
    services: Services,
) -> None:
    linking = linking_of(services)
    on_web = await _ticket(services, WEB)
    on_telegram = await _ticket(services, TELEGRAM)
    strangers = await _ticket(services, STRANGER)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(TELEGRAM, on_web)

    code = await linking.issue(WEB)
    assert len(code.code) == 6 and code.code.isdigit()
    said = await linking.redeem(TELEGRAM, code.code)
    assert "связали с каналом «чат на сайте»" in said

    for identity in (WEB, TELEGRAM):
        assert (await services.citizens.lookup(identity, on_web)).channel == "web"
        assert (await services.citizens.lookup(identity, on_telegram)).channel == "telegram"
        numbers = [t.number for t in await services.citizens.list(identity)]
        assert numbers == [on_telegram, on_web]
        with pytest.raises(TicketNotFoundError):
            await services.citizens.lookup(identity, strangers)
    for stranger in (STRANGER, STRANGER_TG):
        for number in (on_web, on_telegram):
            with pytest.raises(TicketNotFoundError):
                await services.citizens.lookup(stranger, number)


async def test_a_channel_linked_before_it_ever_wrote_asks_as_the_same_citizen(
    services: Services,
) -> None:
    """The linked identity exists with no conversation yet: its first question must not
    start a second citizen."""
    await services.conversations.handle(WEB, "Как восстановить пароль?")
    code = await linking_of(services).issue(WEB)
    await linking_of(services).redeem(TELEGRAM, code.code)
    reply = await services.conversations.handle(TELEGRAM, "Как восстановить пароль?")
    assert reply.kind is ReplyKind.ANSWER
    async with services.db.transaction() as uow:
        on_web = await uow.conversations.open(WEB, services.clock())
        on_telegram = await uow.conversations.open(TELEGRAM, services.clock())
        messages = await uow.conversations.recent_messages(on_telegram.id, 10)
    assert on_telegram.id != on_web.id
    assert on_telegram.citizen_id == on_web.citizen_id
    assert [m.id for m in messages][-1] == reply.message_id


async def test_the_owner_is_told_on_their_channel(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    await linking.redeem(TELEGRAM, code.code)
    await services.worker.run_once()
    assert services.web.texts == [
        "Канал «Telegram» связан с этим чатом. Если это были не вы, обратитесь в поддержку."
    ]


async def test_unlinking_splits_the_tickets_by_channel_and_tells_the_other_side(
    services: Services,
) -> None:
    linking = linking_of(services)
    on_web = await _ticket(services, WEB)
    on_telegram = await _ticket(services, TELEGRAM)
    await linking.redeem(TELEGRAM, (await linking.issue(WEB)).code)
    await services.worker.run_once()  # the linking notice

    said = await linking.unlink(TELEGRAM)
    assert said.startswith("Готово: этот чат больше не связан с каналом «чат на сайте»")
    assert [t.number for t in await services.citizens.list(TELEGRAM)] == [on_telegram]
    assert [t.number for t in await services.citizens.list(WEB)] == [on_web]
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(WEB, on_telegram)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(TELEGRAM, on_web)
    await services.worker.run_once()
    assert services.web.texts[-1] == "Канал «Telegram» больше не связан с этим чатом."

    assert await linking.unlink(TELEGRAM) == "Этот чат не связан с другими каналами."
    assert await linking.unlink(STRANGER) == "Этот чат не связан с другими каналами."
    await linking.redeem(WEB, (await linking.issue(TELEGRAM)).code)  # and can link again
    assert [t.number for t in await services.citizens.list(WEB)] == [on_telegram, on_web]


async def test_a_code_works_once(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(TELEGRAM)
    await linking.redeem(WEB, code.code)
    with pytest.raises(LinkCodeError, match="Код не подошёл"):
        await linking.redeem(STRANGER, code.code)
    number = await _ticket(services, TELEGRAM)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(STRANGER, number)


async def test_a_code_expires(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    services.clock.advance(SETTINGS.valid_for + timedelta(seconds=1))
    with pytest.raises(LinkCodeError, match=r"Срок действия кода истёк.*10 минут"):
        await linking.redeem(TELEGRAM, code.code)
    number = await _ticket(services, WEB)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(TELEGRAM, number)


async def test_a_code_works_until_just_before_it_expires(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    services.clock.advance(SETTINGS.valid_for - timedelta(seconds=1))
    await linking.redeem(TELEGRAM, code.code)


async def test_a_new_code_replaces_the_old_one(services: Services) -> None:
    linking = linking_of(services)
    old = await linking.issue(WEB)
    new = await linking.issue(WEB)
    if old.code != new.code:
        with pytest.raises(LinkCodeError, match="Код не подошёл"):
            await linking.redeem(TELEGRAM, old.code)
    await linking.redeem(TELEGRAM, new.code)


async def test_own_code_in_the_same_channel_is_explained(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    with pytest.raises(LinkCodeError, match="Введите его в другом канале"):
        await linking.redeem(WEB, code.code)
    await linking.redeem(TELEGRAM, code.code)  # still usable where it belongs


@pytest.mark.parametrize(
    "typed",
    ["12345", "1234567", "abcdef", "١٢٣٤٥٦", ""],
)
async def test_something_that_is_not_a_code_says_what_a_code_is(
    services: Services, typed: str
) -> None:
    with pytest.raises(LinkCodeError, match="Код связи — это 6 цифр"):
        await linking_of(services).redeem(TELEGRAM, typed)


async def test_spaces_and_dashes_between_digits_are_fine(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    await linking.redeem(TELEGRAM, f" {code.code[:3]} - {code.code[3:]} ")


async def test_wrong_codes_are_limited_per_identity(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(WEB)
    for _ in range(SETTINGS.failures_per_identity):
        with pytest.raises(LinkCodeError, match="Код не подошёл"):
            await linking.redeem(TELEGRAM, _wrong(code.code))
    with pytest.raises(TooManyLinkAttemptsError, match="Попробуйте снова через 30 минут"):
        await linking.redeem(TELEGRAM, code.code)  # even the right code: no more guessing
    await linking.redeem(STRANGER_TG, code.code)  # someone else's chat is not blocked

    services.clock.advance(SETTINGS.failure_window + timedelta(seconds=1))
    fresh = await linking.issue(WEB)
    await linking.redeem(TELEGRAM, fresh.code)


async def test_wrong_codes_are_limited_per_address(services: Services) -> None:
    linking = linking_of(services)
    code = await linking.issue(TELEGRAM)
    for n in range(SETTINGS.failures_per_source):
        with pytest.raises(LinkCodeError):
            await linking.redeem(
                Identity("web", f"session-guess-{n}"), _wrong(code.code), source="203.0.113.7"
            )
    with pytest.raises(TooManyLinkAttemptsError):
        await linking.redeem(WEB, code.code, source="203.0.113.7")
    await linking.redeem(WEB, code.code, source="198.51.100.2")


async def test_codes_are_stored_hashed(services: Services, database_url: str) -> None:
    code = await linking_of(services).issue(WEB)
    engine = create_engine(database_url, StorageSettings())
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM link_codes"))).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    assert all(code.code not in str(value) for value in rows[0])
