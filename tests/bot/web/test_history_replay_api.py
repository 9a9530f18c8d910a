"""The history's replay fields (`shown_text`, `ticket_number`, `due_text`, `pressed_mark`)
through the real app: what a reloaded widget is told a message looked like live."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.core.clock import system_clock
from bot.core.desk import Desk
from bot.core.tickets import Via
from bot.core.workhours import WorkCalendar
from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.web.conftest import Web, serving

pytestmark = pytest.mark.anyio
UNKNOWN = "сломался карбюратор у трактора"
OTHER = "у комбайна не заводится двигатель"
REPLY = "Обратитесь в сервисный центр по месту жительства."


async def _history(web: Web, session: str) -> dict[str, Any]:
    response = await web.client.get("/api/v1/history", params={"session_id": session})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def _delivered(web: Web, session: str, count: int) -> dict[str, Any]:
    """The history once `count` live replies are delivered to the session."""
    for _ in range(200):
        history = await _history(web, session)
        if len(history["live"]) >= count:
            return history
        await asyncio.sleep(0.05)
    raise AssertionError("the live replies were not delivered")


async def _ask(web: Web, session: str | None, question: str) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if session:
        body["session_id"] = session
    response = await web.client.post("/api/v1/ask", json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_typed_mark_phrase_is_the_citizens_message_not_a_pressed_button(web: Web) -> None:
    """«Оценка 5 из 5» typed (no ticket to rate: a question like any other) stays in the
    reloaded chat as the citizen's message, as it was shown when typed."""
    first = await _ask(web, None, "забыл пароль")
    session = first["session_id"]
    await _ask(web, session, "Оценка 5 из 5")
    history = await _history(web, session)
    typed = [m for m in history["messages"] if m["text"] == "Оценка 5 из 5"]
    assert [m["author"] for m in typed] == ["citizen"]
    assert typed[0]["pressed_mark"] is False


async def test_a_pressed_mark_is_still_shown_as_the_pressed_button(web: Web) -> None:
    first = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    session, number = first["session_id"], first["ticket_number"]
    await web.operator("olga")
    olga = await web.services.accounts.get("olga")
    await web.services.desk.take(olga, number)
    await web.services.desk.resolve(olga, number, REPLY, via=Via.CONSOLE)
    rated = await web.client.post(
        f"/api/v1/tickets/{number}/rating", json={"session_id": session, "stars": 5}
    )
    assert rated.status_code == 200
    history = await _history(web, session)
    marks = [m for m in history["messages"] if m["text"] == "Оценка 5 из 5"]
    assert [m["pressed_mark"] for m in marks] == [True]


async def test_a_reopened_tickets_hand_off_keeps_the_promise_it_was_given(web: Web) -> None:
    """Reopened days later, the ticket has a new answer time: the hand-off's «Номер
    обращения» line still shows the promise the hand-off made (its own text says it too)."""
    first = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    session, number = first["session_id"], first["ticket_number"]
    await web.operator("olga")
    olga = await web.services.accounts.get("olga")
    await web.services.desk.take(olga, number)
    await web.services.desk.resolve(olga, number, REPLY, via=Via.CONSOLE)
    later = Desk(
        web.services.db,
        calendar=WorkCalendar(web.services.settings.core.working_hours),
        clock=lambda: system_clock() + timedelta(days=9),
    )
    await later.reopen(olga, number, "гражданин написал снова")
    history = await _history(web, session)
    handed = [m for m in history["messages"] if m["ticket_number"] == number and m["due_text"]]
    assert [m["due_text"] for m in handed] == [first["due_text"]]
    assert first["due_text"] in handed[0]["text"]


async def test_the_same_words_in_two_tickets_are_headed_each_with_its_own(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    """An operator wrote the same words in ticket 1 and, after more news than the live
    replies kept (`live_backlog`), in ticket 2: neither is headed with the other's number."""
    async with serving(replace(web_settings, live_backlog=3), morphology) as web:
        first = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
        session = first["session_id"]
        await web.operator("olga")
        olga = await web.services.accounts.get("olga")
        await web.services.desk.take(olga, 1)
        await web.services.desk.resolve(olga, 1, REPLY, via=Via.CONSOLE)
        await _delivered(web, session, 3)
        second = await web.client.post(
            "/api/v1/handoff", json={"question": OTHER, "session_id": session}
        )
        assert second.json()["ticket_number"] == 2
        await web.services.desk.take(olga, 2)
        await web.services.desk.reply(olga, 2, REPLY, via=Via.CONSOLE)
        history = await _delivered(web, session, 3)
        for _ in range(100):  # until ticket 2's reply is among the live replies
            if history["live"][-1]["text"].endswith(REPLY):
                break
            await asyncio.sleep(0.05)
            history = await _history(web, session)
        replies = [m for m in history["messages"] if m["author"] == "operator"]
        assert [m["text"] for m in replies] == [REPLY, REPLY]
        headed = [(m["shown_text"], m["ticket_number"]) for m in replies]
        assert headed[1] == (f"Ответ по обращению № 2: {REPLY}", 2)
        assert headed[0][1] in (None, 1)
        assert "№ 2" not in (headed[0][0] or "")


async def test_a_message_to_the_ticket_is_answered_with_its_own_id_in_the_history(
    web: Web,
) -> None:
    """No message of the bot's is kept after a message to the ticket (an operator holds the
    chat: nothing at all is said back): the reply names the message itself, so the widget
    knows it in the history, where its text may read otherwise (masked)."""
    first = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    session, number = first["session_id"], first["ticket_number"]
    added = await _ask(web, session, "мой телефон +7 912 345-67-89")
    assert added["kind"] == "notice"
    await web.operator("olga")
    olga = await web.services.accounts.get("olga")
    await web.services.desk.take(olga, number)
    held = await _ask(web, session, "жду звонка")
    assert held["kind"] == "silent"
    kept = {m["id"]: m["text"] for m in (await _history(web, session))["messages"]}
    assert kept[added["said_id"]] == "мой телефон [телефон]"
    assert kept[held["said_id"]] == "жду звонка"


@pytest.mark.parametrize(
    ("path", "call", "kept"),
    [
        ("/api/v1/handoff", None, "Позовите специалиста"),  # the button, the box empty
        ("/api/v1/ask", "позовите оператора", "позовите оператора"),  # the button in words
    ],
)
async def test_a_call_while_people_have_the_ticket_is_kept_as_the_chat_showed_it(
    web: Web, path: str, call: str | None, kept: str
) -> None:
    """The chat showed the call as the citizen's message, then where the ticket stands: until
    2026-12-05 only the second was kept, and a chat loaded anew lost the call."""
    first = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    session = first["session_id"]
    told = (await web.client.post(path, json={"session_id": session, "question": call})).json()
    assert told["text"].startswith("Ваш вопрос уже у специалистов."), told
    messages = (await _history(web, session))["messages"]
    assert [(m["author"], m["text"]) for m in messages[-2:]] == [
        ("citizen", kept),
        ("system", told["text"]),
    ]
    assert messages[-2]["id"] == told["said_id"]
