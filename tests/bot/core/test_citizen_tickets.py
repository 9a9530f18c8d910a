"""Citizens look up their own tickets from any channel, leave contacts, attach files and
rate the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.attachments import Upload
from bot.core.contacts import make_contacts
from bot.core.errors import (
    AttachmentError,
    AttachmentNotFoundError,
    ContactError,
    InvalidInputError,
    TicketNotFoundError,
)
from bot.core.history import ConversationHistory
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.settings import AttachmentSettings
from bot.core.tickets import Via
from tests.bot.core.conftest import Services

pytestmark = pytest.mark.anyio

WEB = Identity("web", "session-anna")
TELEGRAM = Identity("telegram", "777")
STRANGER = Identity("web", "session-boris")
QUESTION = "сломался карбюратор у трактора"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100


async def _ticket(services: Services, identity: Identity = WEB) -> int:
    reply = await services.conversations.handle(identity, QUESTION)
    assert reply.ticket_number is not None
    return reply.ticket_number


async def test_citizen_sees_own_ticket_status(services: Services) -> None:
    number = await _ticket(services)
    text = await services.citizens.describe(WEB, number)
    assert text == (
        f"Обращение № {number}: Принято; ответим до 10:00 25 ноября по московскому времени."
    )


async def test_a_ticket_past_its_time_is_not_promised_for_a_moment_gone_by(
    services: Services,
) -> None:
    """A look-up two days after the promised time used to say "ответим до 10:00 25 ноября"
    still; the citizen reads that the time has passed and an apology."""
    number = await _ticket(services)
    services.clock.advance(timedelta(days=3))
    text = await services.citizens.describe(WEB, number)
    assert text == (
        f"Обращение № {number}: Принято. Срок ответа (до 10:00 25 ноября по московскому"
        " времени) прошёл: ответим как можно скорее, извините за ожидание."
    )


async def test_someone_elses_ticket_is_not_found(services: Services) -> None:
    number = await _ticket(services)
    await _ticket(services, STRANGER)
    with pytest.raises(TicketNotFoundError, match=f"№ {number} не найдено"):
        await services.citizens.lookup(STRANGER, number)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(TELEGRAM, number)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.lookup(WEB, 999)


async def test_a_linked_identity_sees_the_tickets_from_another_channel(
    services: Services,
) -> None:
    number = await _ticket(services)
    await services.citizens.link(WEB, TELEGRAM)
    ticket = await services.citizens.lookup(TELEGRAM, number)
    assert ticket.channel == "web", "replies still go where the question was asked"
    assert [t.number for t in await services.citizens.list(TELEGRAM)] == [number]


async def test_contacts_are_stored_normalised(services: Services) -> None:
    contacts = make_contacts(name=" Анна  Петрова ", phone="8 (900) 123-45-67", email="A@Mail.RU")
    reply = await services.conversations.handle(WEB, QUESTION, contacts=contacts)
    assert reply.ticket_number is not None
    ticket = await services.citizens.lookup(WEB, reply.ticket_number)
    assert (ticket.contacts.name, ticket.contacts.phone, ticket.contacts.email) == (
        "Анна Петрова",
        "+79001234567",
        "A@mail.ru",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Телефон «12345» указан неверно"),
        ("phone", "+7 900 abc", "содержит недопустимые символы"),
        ("email", "anna@", "Адрес электронной почты «anna@» указан неверно"),
        ("email", "anna mail.ru", "указан неверно"),
        # Not addresses, though each has an @ and a dot: no one could write to them.
        ("email", "<script>@x.ru", "указан неверно"),
        ("email", "x@x.ru<script>", "указан неверно"),
        ("email", "a..b@x.ru", "указан неверно"),
        ("name", "R2-D2", "должно состоять из букв"),
    ],
)
def test_bad_contacts_get_a_russian_explanation(field: str, value: str, message: str) -> None:
    with pytest.raises(ContactError, match=message):
        make_contacts(**{field: value})


def test_an_address_in_cyrillic_letters_is_an_address() -> None:
    assert make_contacts(email=" Иван@Почта.рф ").email == "Иван@почта.рф"


def test_blank_contacts_mean_no_contacts() -> None:
    assert make_contacts(name=" ", phone="", email=None).is_empty


async def test_scans_and_screenshots_are_attached(services: Services) -> None:
    number = await _ticket(services)
    png = await services.citizens.attach(WEB, number, Upload("C:\\Users\\anna\\скрин.png", PNG))
    pdf = await services.citizens.attach(WEB, number, Upload("птс.pdf", PDF))
    assert (png.filename, png.content_type, png.size) == ("скрин.png", "image/png", len(PNG))
    assert pdf.content_type == "application/pdf"
    admin = await services.operator("root", Role.ADMIN)
    details = await services.desk.details(admin, number)
    assert [a.filename for a in details.attachments] == ["скрин.png", "птс.pdf"]
    assert await services.desk.attachment_file(admin, number, png.id) == (png, PNG)
    with pytest.raises(AttachmentNotFoundError):
        await services.desk.attachment_file(admin, number, png.id + 100)


async def test_the_scan_or_the_phone_asked_for_puts_the_ticket_back_to_work(
    services: Services,
) -> None:
    """The operator asks for a screenshot (and, on the second line, a phone): the citizen
    attaches it, or leaves the phone, without a word; the ticket used to stay «Нужны сведения»
    in the queue and in the citizen's look-up, as if nothing had come."""
    number = await _ticket(services)
    olga = await services.operator("olga")
    await services.desk.take_next(olga)
    await services.desk.ask_for_information(olga, number, "Пришлите скриншот.", via=Via.CONSOLE)
    await services.citizens.attach(WEB, number, Upload("скрин.png", PNG))
    assert (await services.citizens.lookup(WEB, number)).status_label == "В работе"

    await services.desk.escalate(olga, number, "Нужна проверка учётной записи")
    ivan = await services.operator("ivan", Role.SPECIALIST)
    await services.desk.take(ivan, number)
    await services.desk.ask_for_information(ivan, number, "Ваш телефон?", via=Via.CONSOLE)
    await services.citizens.give_contacts(WEB, number, make_contacts(phone="+79001234567"))
    assert (await services.citizens.lookup(WEB, number)).status_label == "Передано специалисту"
    details = await services.desk.details(ivan, number)
    assert [e.action for e in details.events].count("information_given") == 2


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (Upload("virus.exe", b"MZ\x90\x00"), "принимаем только JPEG, PDF, PNG"),
        (Upload("fake.png", b"<html>"), "принимаем только"),
        (Upload("empty.pdf", b""), "пустой"),
        (Upload("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "слишком большой"),
    ],
)
async def test_unsuitable_files_are_refused(
    services: Services, upload: Upload, message: str
) -> None:
    number = await _ticket(services)
    with pytest.raises(AttachmentError, match=message):
        await services.citizens.attach(WEB, number, upload)


async def test_files_cannot_be_attached_to_someone_elses_ticket(services: Services) -> None:
    number = await _ticket(services)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.attach(STRANGER, number, Upload("a.png", PNG))


def test_attachment_limits_are_settings() -> None:
    limits = AttachmentSettings()
    assert limits.allowed_types == {"image/png", "image/jpeg", "application/pdf"}
    assert limits.max_bytes == 10 * 1024 * 1024


async def _answered(services: Services, identity: Identity = WEB) -> int:
    number = await _ticket(services, identity)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.desk.resolve(operator, number, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
    return number


async def test_the_answer_to_a_closed_ticket_is_rated_with_a_button(services: Services) -> None:
    """The 1-5 buttons under "Обращение завершено": the mark is the ticket's (the latest
    counts), its history says so, and the conversation shows what was pressed."""
    number = await _answered(services)
    thanks = await services.citizens.rate(WEB, number, 5)
    assert thanks.startswith(f"Спасибо за оценку 5 из 5 обращению № {number}!")
    await services.citizens.rate(WEB, number, 3)
    async with services.db.transaction() as uow:
        (timing,) = await uow.ticket_timings.between(None, None)
    assert [r.score for r in timing.ratings] == [3]
    operator = await services.operator("ivan")
    details = await services.desk.details(operator, number)
    assert [e.note for e in details.events if e.action == "rated"] == ["5 из 5", "3 из 5"]
    history = await ConversationHistory(services.db, clock=services.clock).recent(WEB)
    assert [m.text for m in history.messages][-2:] == [
        "Оценка 3 из 5",
        f"Спасибо за оценку 3 из 5 обращению № {number}! Если остались вопросы, задайте их здесь.",
    ]


async def test_only_ones_own_closed_ticket_is_rated_and_only_1_to_5(
    services: Services,
) -> None:
    open_number = await _ticket(services)
    with pytest.raises(InvalidInputError, match=r"ещё не закрыто \(Принято\): оценить его можно"):
        await services.citizens.rate(WEB, open_number, 5)
    number = await _answered(services)
    with pytest.raises(TicketNotFoundError):
        await services.citizens.rate(STRANGER, number, 5)
    for wrong in (0, 6, -1):
        with pytest.raises(InvalidInputError, match="Оценка должна быть от 1 до 5"):
            await services.citizens.rate(WEB, number, wrong)
    async with services.db.transaction() as uow:
        assert all(not t.ratings for t in await uow.ticket_timings.between(None, None))


async def test_the_tickets_news_stays_in_the_conversation(services: Services) -> None:
    """Taken, closed: a widget opened again shows the service's notices in their place,
    after the operator's words, as they were sent."""
    number = await _answered(services)
    history = await ConversationHistory(services.db, clock=services.clock).recent(WEB)
    said = [(m.author.value, m.text) for m in history.messages]
    assert said[-3:] == [
        ("system", f"Специалист взял обращение № {number} в работу."),
        ("operator", "Обратитесь в сервисный центр."),
        (
            "system",
            f"Обращение № {number} завершено. Оцените, пожалуйста, ответ от 1 до 5: кнопкой "
            "или цифрой в ответ.",
        ),
    ]


@pytest.mark.parametrize(
    ("reopened_at", "promise"),
    [
        # Friday 4 December 2026, 17:59 Moscow time: Saturday and Sunday do not count.
        (datetime(2026, 12, 4, 14, 59, tzinfo=UTC), "ответим до 17:59 7 декабря"),
        # Friday 20:00: picked up on Monday at 06:00, answered within 24 working hours.
        (datetime(2026, 12, 4, 17, 0, tzinfo=UTC), "ответим до 06:00 8 декабря"),
    ],
)
async def test_a_reopened_ticket_promises_a_new_answer_time(
    services: Services, reopened_at: datetime, promise: str
) -> None:
    """Asked on 24 November (due 10:00 25 ноября), closed, reopened ten days later: the
    ticket kept its first due time, so the citizen read at once «Срок ответа … прошёл».
    The answer time now counts from the reopening as for a new ticket, the citizen is told
    it, and the ticket's history keeps the first one."""
    number = await _answered(services)
    services.clock.now = reopened_at
    operator = await services.operator("ivan")
    await services.desk.reopen(operator, number, "Гражданин пишет, что не помогло")

    expected = f"{promise} по московскому времени"
    assert await services.citizens.describe(WEB, number) == (
        f"Обращение № {number}: В работе; {expected}."
    )
    await services.worker.run_once()
    assert services.web.texts[-1] == f"Обращение № {number} снова в работе; {expected}."
    history = await ConversationHistory(services.db, clock=services.clock).recent(WEB)
    assert history.messages[-1].text == services.web.texts[-1]
    details = await services.desk.details(operator, number)
    (changed,) = [e for e in details.events if e.action == "due_changed"]
    assert changed.note is not None
    assert changed.note.endswith("(прежний срок — 25.11.2026 10:00 МСК)")
