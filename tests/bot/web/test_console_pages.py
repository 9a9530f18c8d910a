"""What the console pages show and what the app reports about itself: the queue in due order
with overdue tickets flagged, escalation to the second line, the monitoring figures, the API
documentation."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.roles import Role
from bot.storage.tables import TicketRow
from bot.web.app import create_app
from bot.web.routes.console import REFRESH_HEADER as REFRESH
from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.web.conftest import Web, csrf_of, log_in, make_app

pytestmark = pytest.mark.anyio

# Questions the base has no answer for: each becomes a ticket.
UNKNOWN = [
    "сломался карбюратор у трактора",
    "где купить семена огурцов",
    "как настроить антенну на даче",
    "почему скрипит паркет в коридоре",
    "сколько стоит ремонт крыши сарая",
]
QUEUE_ROW = re.compile(
    r'<tr class="([^"]*)">\s*<td><a href="/console/tickets/(\d+)">(.*?)</tr>', re.S
)
OVERDUE_BADGE = '<strong class="badge">просрочено</strong>'


def _visible(page: str) -> str:
    """What a reader sees of a piece of page: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


async def _hand_off(web: Web, question: str) -> int:
    """A citizen (a session of their own) asks for a person; the new ticket's number."""
    reply = await web.client.post("/api/v1/handoff", json={"question": question})
    number = reply.json()["ticket_number"]
    assert isinstance(number, int), reply.text
    return number


async def _set_due(web: Web, due: dict[int, datetime]) -> None:
    """Give tickets these promised answer times, as a hand-off long ago would have.

    The web app reads the system clock (its services take no clock), so time is moved where
    the app reads it from: the tickets' rows in the database.
    """
    engine = create_async_engine(str(web.services.settings.database_url))
    try:
        async with engine.begin() as connection:
            for number, at in due.items():
                await connection.execute(
                    update(TicketRow).where(TicketRow.number == number).values(due_at=at)
                )
    finally:
        await engine.dispose()


async def test_the_queue_is_in_due_order_and_flags_only_overdue_tickets(web: Web) -> None:
    await web.operator("anna")
    await log_in(web.client, "anna")
    in_work = await _hand_off(web, UNKNOWN[0])
    token = csrf_of((await web.client.get("/console")).text)
    taken = await web.client.post("/console/take", data={"csrf_token": token})
    assert taken.headers["location"] == f"/console/tickets/{in_work}"
    waiting = [await _hand_off(web, question) for question in UNKNOWN[1:]]
    now = datetime.now(tz=UTC)
    # Due times out of the order the tickets came in, one of the waiting ones already past.
    hours = {in_work: -1, waiting[0]: 3, waiting[1]: -2, waiting[2]: 1, waiting[3]: 0.5}
    await _set_due(web, {n: now + timedelta(hours=h) for n, h in hours.items()})
    late = waiting[1]

    # The waiting tickets; the operator's own are listed apart, below.
    page, mine = (await web.client.get("/console")).text.split('<section id="my-tickets"', 1)
    rows = [(int(number), classes, cells) for classes, number, cells in QUEUE_ROW.findall(page)]
    assert [number for number, _, _ in rows] == [late, waiting[3], waiting[2], waiting[0]]
    flagged = [number for number, _, cells in rows if OVERDUE_BADGE in cells]
    assert flagged == [late]
    assert [number for number, classes, _ in rows if classes == "overdue"] == [late]
    assert page.count("просрочено") == 1
    # The ticket in work is not in the queue, but it is late too: listed below, most late first.
    late_list = _visible(
        page.split("<h2>Все просроченные обращения (в очереди и в работе)</h2>", 1)[1]
    )
    assert re.findall(r"№ (\d+)", late_list) == [str(late), str(in_work)]
    assert [(int(n), OVERDUE_BADGE in cells) for _, n, cells in QUEUE_ROW.findall(mine)] == [
        (in_work, True)
    ]

    # "Взять следующее" gives the ticket due first: the overdue one.
    taken = await web.client.post("/console/take", data={"csrf_token": token})
    assert taken.headers["location"] == f"/console/tickets/{late}"
    ticket_page = (await web.client.get(f"/console/tickets/{late}")).text
    assert '<span class="badge">просрочено</span>' in ticket_page
    on_time = (await web.client.get(f"/console/tickets/{waiting[0]}")).text
    assert "просрочено" not in on_time


async def test_an_escalated_ticket_goes_from_the_first_line_to_a_specialist(web: Web) -> None:
    await web.operator("anna")
    await web.operator("pavel", Role.SPECIALIST)
    asked = await web.client.post("/api/v1/handoff", json={"question": UNKNOWN[0]})
    session = asked.json()["session_id"]
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    await web.client.post("/console/take", data={"csrf_token": token})
    reason = "Нужна проверка записи в ЕСИА"

    escalated = await web.client.post(
        "/console/tickets/1/escalate", data={"csrf_token": token, "text": reason}
    )
    assert escalated.status_code == 303 and escalated.headers["location"] == "/console"
    queue = await web.client.get("/console")
    assert "Обращение № 1 передано специалистам." in queue.text
    (row,) = QUEUE_ROW.findall(queue.text)
    assert row[1] == "1"
    # The line in words (it read a bare "2").
    assert f"{UNKNOWN[0]} Передано специалисту вторая (специалисты) " in _visible(row[2])
    page = _visible((await web.client.get("/console/tickets/1")).text)
    assert "Обращение № 1 Передано специалисту" in page
    assert "Линия вторая (специалисты)" in page and "Исполнитель —" in page
    assert f"Передано специалисту — anna: {reason}" in page
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Передано специалисту"

    # The first line cannot take it back, nor answer it.
    again = await web.client.post("/console/take", data={"csrf_token": token})
    assert again.headers["location"] == "/console"
    assert "Очередь пуста." in (await web.client.get("/console")).text
    refused = await web.client.post(
        "/console/tickets/1/reply", data={"csrf_token": token, "text": "Ответ"}
    )
    assert refused.status_code == 403 and "не может" in refused.text

    await web.client.post("/console/logout", data={"csrf_token": token})
    await log_in(web.client, "pavel")
    queue = await web.client.get("/console")
    assert [number for _, number, _ in QUEUE_ROW.findall(queue.text)] == ["1"]
    token = csrf_of(queue.text)
    taken = await web.client.post("/console/take", data={"csrf_token": token})
    assert taken.headers["location"] == "/console/tickets/1"
    page = _visible((await web.client.get("/console/tickets/1")).text)
    assert "Исполнитель pavel" in page
    # Taken by a specialist, it stays with the second line: no change of status to show.
    assert "Взято в работу — pavel" in page
    assert "pavel → Передано специалисту" not in page
    replied = await web.client.post(
        "/console/tickets/1/reply", data={"csrf_token": token, "text": "Запись исправлена."}
    )
    assert replied.status_code == 303
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert "Запись исправлена." in [m["text"] for m in history["messages"]]


async def test_the_number_box_of_the_menu_opens_that_ticket(web: Web) -> None:
    await web.operator("anna")
    number = await _hand_off(web, UNKNOWN[0])
    await log_in(web.client, "anna")
    queue = (await web.client.get("/console")).text
    assert '<form class="find" method="get" action="/console/find">' in queue
    assert '<input id="find-number" name="number" type="number"' in queue
    found = await web.client.get("/console/find", params={"number": str(number)})
    assert found.status_code == 303
    assert found.headers["location"] == f"/console/tickets/{number}"
    opened = await web.client.get(found.headers["location"])
    assert f"Обращение № {number}" in opened.text and UNKNOWN[0] in opened.text
    # The operator looks among all tickets, not "among yours" as a citizen does.
    missing = await web.client.get(
        "/console/find", params={"number": "9999"}, follow_redirects=True
    )
    assert missing.status_code == 404
    assert "Обращение № 9999 не найдено." in html.unescape(missing.text)
    assert "среди ваших" not in html.unescape(missing.text)
    said = {
        "0": "Поле «номер обращения» должно быть не меньше 1.",
        "первое": "Поле «номер обращения» должно быть целым числом.",
        "": "Поле «номер обращения» должно быть целым числом.",
    }
    for typed, sentence in said.items():
        refused = await web.client.get("/console/find", params={"number": typed})
        assert refused.status_code == 422, typed
        assert refused.headers["content-type"].startswith("text/html"), typed
        assert sentence in html.unescape(refused.text), (typed, refused.text)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page by name and labels, read by Prometheus's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_follow_the_questions_and_the_queue(web: Web) -> None:
    questions = ["забыл пароль", "как войти", UNKNOWN[0], "забыл пароль от госуслуг", UNKNOWN[1]]
    before = _samples((await web.client.get("/metrics")).text)
    kinds = Counter(
        [
            (await web.client.post("/api/v1/ask", json={"question": q})).json()["kind"]
            for q in questions
        ]
    )
    assert set(kinds) == {"answer", "clarify", "handoff"}, kinds  # every counter is exercised
    after = _samples((await web.client.get("/metrics")).text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert grew("faqbot_answer_seconds_count") == len(questions)
    assert grew("faqbot_answer_seconds_bucket", le="+Inf") == len(questions)
    for outcome in ("answer", "clarify", "handoff", "notice", "silent"):
        assert grew("faqbot_questions_total", outcome=outcome) == kinds[outcome], outcome
    assert after[("faqbot_queue_length", ())] == kinds["handoff"] == 2
    assert after[("faqbot_overdue_tickets", ())] == 0

    # One ticket taken into work and past its time: one waits, one is overdue.
    await web.operator("anna")
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    await web.client.post("/console/take", data={"csrf_token": token})
    await _set_due(web, {1: datetime.now(tz=UTC) - timedelta(minutes=5)})
    figures = _samples((await web.client.get("/metrics")).text)
    assert figures[("faqbot_queue_length", ())] == len(await web.services.desk.queue(None)) == 1
    assert figures[("faqbot_overdue_tickets", ())] == 1


CITIZEN_ROUTES = {
    ("post", "/api/v1/ask"),
    ("post", "/api/v1/choose"),
    ("post", "/api/v1/feedback"),
    ("post", "/api/v1/handoff"),
    ("get", "/api/v1/tickets/{number}"),
    ("get", "/api/v1/history"),
    ("get", "/api/v1/events"),
}


def _client(app: FastAPI) -> httpx.AsyncClient:
    # The documentation is the framework's own and needs no services: no lifespan to run.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_api_is_documented_in_development_without_the_console(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    app = make_app(replace(web_settings, environment="development"), morphology)
    async with _client(app) as client:
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower() and "/api/openapi.json" in docs.text
        schema = json.loads((await client.get("/api/openapi.json")).text)
    documented = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert documented >= CITIZEN_ROUTES, CITIZEN_ROUTES - documented
    assert not [path for _, path in documented if path.startswith("/console")]


@pytest.mark.parametrize("environment", ["production", "test"])
async def test_the_api_documentation_is_not_served_outside_development(
    web_settings: WebSettings, environment: str
) -> None:
    app = create_app(replace(web_settings, environment=environment))
    async with _client(app) as client:
        for path in ("/api/docs", "/api/openapi.json", "/docs", "/openapi.json", "/redoc"):
            assert (await client.get(path)).status_code == 404, path


async def test_a_pages_own_refresh_leaves_the_message_for_the_operator(web: Web) -> None:
    await web.operator("anna")
    number = await _hand_off(web, UNKNOWN[0])
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    taken = await web.client.post("/console/take", data={"csrf_token": token})
    assert taken.status_code == 303
    said = f"Обращение № {number} у вас в работе."
    # console.js refreshing the open page in the background must not take the message...
    refreshed = await web.client.get(taken.headers["location"], headers={REFRESH: "1"})
    assert refreshed.status_code == 200 and said not in refreshed.text
    # ...meant for the page the operator opens.
    opened = await web.client.get(taken.headers["location"])
    assert said in opened.text
    assert said not in (await web.client.get(taken.headers["location"])).text


async def test_a_ticket_page_offers_only_the_forms_the_role_may_use(web: Web) -> None:
    number = await _hand_off(web, UNKNOWN[0])
    roles = {
        "anna": Role.OPERATOR,
        "pavel": Role.SPECIALIST,
        "kira": Role.CURATOR,
        "olga": Role.ANALYST,
        "root": Role.ADMIN,
    }
    for login, role in roles.items():
        await web.operator(login, role)
    workers = {"anna", "pavel", "root"}
    proposers = {"anna", "pavel", "kira", "root"}

    async def forms(login: str) -> set[str]:
        await log_in(web.client, login)
        page = (await web.client.get(f"/console/tickets/{number}")).text
        await web.client.post("/console/logout", data={"csrf_token": csrf_of(page)})
        prefix = f'action="/console/tickets/{number}/'
        return {action for action in re.findall(prefix + r'(\w+)"', page)}

    for login in roles:
        offered = await forms(login)
        if login in workers:
            assert {"reply", "resolve", "escalate", "reject"} <= offered, login
        else:
            assert offered == set(), (login, offered)

    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    await web.client.post("/console/take", data={"csrf_token": token})
    closed = await web.client.post(
        f"/console/tickets/{number}/resolve", data={"csrf_token": token, "text": "Готово."}
    )
    assert closed.status_code == 303, closed.text
    await web.client.post("/console/logout", data={"csrf_token": token})
    for login in roles:
        offered = await forms(login)
        assert ("reopen" in offered) == (login in workers), (login, offered)
        assert ("propose" in offered) == (login in proposers), (login, offered)
        assert "reply" not in offered, login
