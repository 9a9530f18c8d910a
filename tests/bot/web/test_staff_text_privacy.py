"""What analysts and curators see of the words staff typed into a ticket: replies, requests for
information, reasons for passing on, rejecting and reopening, the closing message. Like a
citizen's words, they are masked for roles that do not answer citizens, on the page and in its
live refresh; operators and specialists read them as written."""

from __future__ import annotations

import html

import pytest

from bot.core.roles import Role
from bot.web.routes.console import REFRESH_HEADER as REFRESH
from tests.bot.web.conftest import Web, csrf_of, log_in

pytestmark = pytest.mark.anyio

UNKNOWN = "сломался карбюратор у трактора"
ANOTHER_UNKNOWN = "где купить семена огурцов"

# What staff typed, each step with the personal data in it and what the others see instead.
REPLY = "Иван Петрович, перезвоним вам на +7 916 765-43-21 или напишем на petrov@mail.ru"
ASK = "Уточните, пожалуйста: паспорт 4510 123456 выдан на Петрова Ивана Сергеевича?"
ESCALATION = "Петров Иван Сергеевич просит перезвонить на 8 916 765-43-21"
REJECTION = "Дубль обращения Марии Петровой, СНИЛС 112-233-445 95"
REOPENING = "Мария Петровна прислала новый адрес maria.petrova@yandex.ru"
CLOSING = "Готово, Мария Петровна: карта 4276 3800 1234 5678 разблокирована, ИНН 500100732259."
SECRETS = (
    "Иван",
    "Петров",
    "Мария",
    "765-43-21",
    "petrov@mail.ru",
    "4510 123456",
    "112-233-445 95",
    "maria.petrova@yandex.ru",
    "4276 3800 1234 5678",
    "500100732259",
)
MASKED = (
    "[имя], перезвоним вам на [телефон] или напишем на [e-mail]",
    "Уточните, пожалуйста: паспорт [паспорт] выдан на [имя]?",
    "[имя] просит перезвонить на [телефон]",
    "Дубль обращения [имя], СНИЛС [СНИЛС]",
    "[имя] прислала новый адрес [e-mail]",
    "Готово, [имя]: карта [карта] разблокирована, ИНН [ИНН].",
)
WRITTEN = (REPLY, ASK, ESCALATION, REJECTION, REOPENING, CLOSING)
STAFF_WITHOUT_PERSONAL_DATA = (("olga", Role.ANALYST), ("kira", Role.CURATOR))


async def _act(web: Web, login: str, steps: list[tuple[str, str]]) -> None:
    """Log in as `login` and post each (action, text) to the ticket pages' forms."""
    await log_in(web.client, login)
    token = csrf_of((await web.client.get("/console")).text)
    for path, text in steps:
        done = await web.client.post(path, data={"csrf_token": token, "text": text})
        assert done.status_code == 303, (path, done.text)
    await web.client.post("/console/logout", data={"csrf_token": token})


async def _take(web: Web, login: str) -> None:
    await log_in(web.client, login)
    token = csrf_of((await web.client.get("/console")).text)
    taken = await web.client.post("/console/take", data={"csrf_token": token})
    assert taken.headers["location"].startswith("/console/tickets/"), taken.headers
    await web.client.post("/console/logout", data={"csrf_token": token})


async def _pages(web: Web, login: str, number: int) -> tuple[str, str]:
    """The ticket's page as `login` opens it and as console.js refreshes it."""
    await log_in(web.client, login)
    url = f"/console/tickets/{number}"
    opened = await web.client.get(url)
    refreshed = await web.client.get(url, headers={REFRESH: "1"})
    assert opened.status_code == refreshed.status_code == 200
    await web.client.post("/console/logout", data={"csrf_token": csrf_of(opened.text)})
    return html.unescape(opened.text), html.unescape(refreshed.text)


async def _a_ticket_staff_wrote_in(web: Web) -> tuple[str, int]:
    """A ticket that went through every step where staff type text; it ends resolved."""
    reply = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    session, number = reply["session_id"], reply["ticket_number"]
    for login, role in (("anna", Role.OPERATOR), ("pavel", Role.SPECIALIST)):
        await web.operator(login, role)
    for login, role in STAFF_WITHOUT_PERSONAL_DATA:
        await web.operator(login, role)
    ticket = f"/console/tickets/{number}"

    await _take(web, "anna")
    await _act(web, "anna", [(f"{ticket}/reply", REPLY), (f"{ticket}/ask", ASK)])
    answered = await web.client.post(
        "/api/v1/ask", json={"session_id": session, "question": "выдан на меня"}
    )
    assert answered.status_code == 200, answered.text
    await _act(web, "anna", [(f"{ticket}/escalate", ESCALATION)])
    await _take(web, "pavel")
    await _act(
        web,
        "pavel",
        [
            (f"{ticket}/reject", REJECTION),
            (f"{ticket}/reopen", REOPENING),
            (f"{ticket}/resolve", CLOSING),
        ],
    )
    return session, number


async def test_analysts_and_curators_see_staff_words_masked_on_a_ticket(web: Web) -> None:
    _, number = await _a_ticket_staff_wrote_in(web)

    for login, role in STAFF_WITHOUT_PERSONAL_DATA:
        for page in await _pages(web, login, number):
            for secret in SECRETS:
                assert secret not in page, (role, secret)
            for masked in MASKED:
                assert masked in page, (role, masked)
            # The history still says who did what: the reasons are there, masked.
            assert f"Передано специалисту — anna: {MASKED[2]}" in page, role
            assert f"Отклонено — pavel: {MASKED[3]}" in page, role

    for login in ("anna", "pavel"):
        for page in await _pages(web, login, number):
            for written in WRITTEN:
                assert written in page, (login, written)


async def test_an_earlier_tickets_words_in_a_new_tickets_transcript_are_masked(
    web: Web,
) -> None:
    # The conversation keeps the operator's reply and the service's notice of the rejection
    # with its reason; a new ticket from it starts with them in its thread.
    session, _ = await _a_ticket_staff_wrote_in(web)
    again = await web.client.post(
        "/api/v1/handoff", json={"session_id": session, "question": ANOTHER_UNKNOWN}
    )
    second = again.json()["ticket_number"]

    for login, role in STAFF_WITHOUT_PERSONAL_DATA:
        page, _ = await _pages(web, login, second)
        assert ANOTHER_UNKNOWN in page, role
        for secret in SECRETS:
            assert secret not in page, (role, secret)
        assert MASKED[-1] in page and MASKED[3] in page, role

    page, _ = await _pages(web, "anna", second)
    assert CLOSING in page and REJECTION in page


async def test_an_analyst_reads_a_proposal_masked_and_a_curator_as_written(web: Web) -> None:
    """An operator proposes an entry from the ticket with the reply to the citizen as its
    answer; the curator who approves it reads it whole, the analyst (who neither decides
    proposals nor answers citizens) saw the name and phone as typed."""
    _, number = await _a_ticket_staff_wrote_in(web)
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    proposed = await web.client.post(
        f"/console/tickets/{number}/propose",
        data={"csrf_token": token, "question": UNKNOWN, "answer": REPLY},
    )
    assert proposed.status_code == 303, proposed.text
    await web.client.post("/console/logout", data={"csrf_token": token})

    pages = {}
    for login in ("olga", "kira"):
        await log_in(web.client, login)
        page = await web.client.get("/console/proposals")
        pages[login] = html.unescape(page.text)
        await web.client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    assert MASKED[0] in pages["olga"]
    for secret in ("Иван", "765-43-21", "petrov@mail.ru"):
        assert secret not in pages["olga"], secret
    assert REPLY in pages["kira"]
