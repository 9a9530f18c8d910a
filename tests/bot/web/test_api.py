"""The citizen API through the real app: the ask contract, choices, ratings, hand-off, history."""

from __future__ import annotations

import httpx
import pytest

from bot.core import unanswered
from bot.core.roles import Role
from tests.bot.web.conftest import Web, log_in

pytestmark = pytest.mark.anyio

CONTRACT_FIELDS = {"query", "action", "entry_id", "score", "candidates", "matched_terms"}
UNKNOWN = "сломался карбюратор у трактора"


@pytest.mark.parametrize(
    ("question", "action", "entry_id"),
    [
        ("забыл пароль", "answer", "account-password-recovery"),
        ("как получить выписку из ЭПТС", "answer", "epts-extract"),
        ("как войти", "clarify", None),  # signing in, or signing in from a browser
        (UNKNOWN, "handoff", None),
    ],
)
async def test_ask_returns_the_cli_contract_plus_answer_and_session(
    web: Web, question: str, action: str, entry_id: str | None
) -> None:
    response = await web.client.post("/api/v1/ask", json={"question": question})
    assert response.status_code == 200
    body = response.json()
    assert CONTRACT_FIELDS | {"answer", "session_id"} <= body.keys()
    assert body["action"] == action
    if entry_id is not None:
        assert body["entry_id"] == entry_id
    if action == "clarify":
        assert "account-cannot-sign-in" in [c["entry_id"] for c in body["candidates"][:3]]
    assert body["query"] == question
    assert len(body["candidates"]) <= 5
    assert (body["answer"] is not None) == (action == "answer")
    assert len(body["session_id"]) >= 20


async def test_a_session_id_is_kept_and_an_answer_carries_links(web: Web) -> None:
    first = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    second = (
        await web.client.post(
            "/api/v1/ask", json={"question": "выписка", "session_id": first["session_id"]}
        )
    ).json()
    assert second["session_id"] == first["session_id"]
    other = (await web.client.post("/api/v1/ask", json={"question": "выписка"})).json()
    assert other["session_id"] != first["session_id"]
    assert first["answer"].startswith("Новый пароль")
    assert first["message_id"] is not None


async def test_a_clarification_candidate_can_be_chosen(web: Web) -> None:
    asked = (await web.client.post("/api/v1/ask", json={"question": "как войти"})).json()
    assert asked["kind"] == "clarify" and len(asked["choices"]) >= 2
    pick = asked["choices"][1]
    chosen = await web.client.post(
        "/api/v1/choose", json={"session_id": asked["session_id"], "entry_id": pick["entry_id"]}
    )
    assert chosen.status_code == 200
    assert (chosen.json()["action"], chosen.json()["entry_id"]) == ("answer", pick["entry_id"])
    unknown = await web.client.post(
        "/api/v1/choose", json={"session_id": asked["session_id"], "entry_id": "no-such-entry"}
    )
    assert unknown.status_code == 422
    assert "no-such-entry" in unknown.json()["detail"]


async def test_a_candidate_pressed_after_the_hand_off_goes_to_the_ticket(web: Web) -> None:
    """The citizen called a person, then pressed a button of the earlier clarification: until
    2026-12-05 the press got no reply at all and was not kept (gone from the chat on reload)."""
    asked = (await web.client.post("/api/v1/ask", json={"question": "как войти"})).json()
    session = asked["session_id"]
    pick = asked["choices"][0]
    handed = (await web.client.post("/api/v1/handoff", json={"session_id": session})).json()
    number = handed["ticket_number"]
    chosen = await web.client.post(
        "/api/v1/choose", json={"session_id": session, "entry_id": pick["entry_id"]}
    )
    assert chosen.status_code == 200
    assert chosen.json()["text"] == f"Добавили ваше сообщение к обращению № {number}."
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    *_, said, acknowledged = history["messages"]
    assert (said["author"], said["text"]) == ("citizen", pick["title"])
    assert acknowledged["text"] == f"Добавили ваше сообщение к обращению № {number}."
    assert history["open_ticket"] == number


async def test_only_an_answer_takes_a_thumb(web: Web) -> None:
    """A 👍 or 👎 with a comment sent for the citizen's own question or for a hand-off was
    stored and counted in the reports until 2026-12-05 (the widget shows the buttons under
    answers only; a hand-made request did not care)."""
    asked = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    session = asked["session_id"]
    handed = (
        await web.client.post("/api/v1/ask", json={"question": UNKNOWN, "session_id": session})
    ).json()
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    own = [m["id"] for m in history["messages"] if m["author"] == "citizen"]
    for message_id in (*own, handed["message_id"]):
        rated = await web.client.post(
            "/api/v1/feedback",
            json={
                "session_id": session,
                "message_id": message_id,
                "helpful": False,
                "comment": "!",
            },
        )
        assert rated.status_code == 422
        assert rated.json() == {
            "detail": "Это сообщение нельзя оценить: 👍 и 👎 ставят ответам консультанта."
        }
    answer = {"session_id": session, "message_id": asked["message_id"], "helpful": True}
    assert (await web.client.post("/api/v1/feedback", json=answer)).status_code == 200


async def test_feedback_is_stored_against_the_entry(web: Web) -> None:
    asked = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    rate = {"session_id": asked["session_id"], "message_id": asked["message_id"], "helpful": False}
    # 👎 first; then the widget's "what was wrong?" form sends the comment for the same answer.
    assert (await web.client.post("/api/v1/feedback", json=rate)).status_code == 200
    commented = await web.client.post(
        "/api/v1/feedback",
        json={**rate, "comment": "Не нашёл кнопку, перезвоните на +7 912 345-67-89"},
    )
    assert commented.status_code == 200
    ratings = await web.services.ratings.for_entry("account-password-recovery")
    assert [(r.score, r.comment) for r in ratings] == [
        (0, "Не нашёл кнопку, перезвоните на [телефон]")
    ]
    report = await web.services.reports.build(None)
    (shown,) = report.comments
    assert (shown.entry_id, shown.rating, shown.comment) == (
        "account-password-recovery",
        "👎",
        "Не нашёл кнопку, перезвоните на [телефон]",
    )


async def test_someone_elses_message_cannot_be_rated(web: Web) -> None:
    asked = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    stranger = (await web.client.post("/api/v1/ask", json={"question": "выписка"})).json()
    rated = await web.client.post(
        "/api/v1/feedback",
        json={
            "session_id": stranger["session_id"],
            "message_id": asked["message_id"],
            "helpful": True,
        },
    )
    assert rated.status_code == 422


async def test_handoff_returns_the_ticket_number_and_due_text(web: Web) -> None:
    response = await web.client.post(
        "/api/v1/handoff",
        json={
            "question": "Не приходит СМС с кодом",
            "contacts": {"name": "Анна Петрова", "phone": "8 900 123-45-67"},
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "handoff" and body["ticket_number"] == 1
    assert body["due_text"]
    assert "Номер обращения — 1" in body["text"]
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": body["session_id"]})
    assert status.status_code == 200
    assert status.json()["status_label"] == "Принято"


async def test_the_first_handoff_after_start_does_not_load_the_production_calendar(
    web: Web, calendar_loading_refused: None
) -> None:
    """Loading it takes about 80 ms: the server does it while starting."""
    response = await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})
    assert response.status_code == 200
    assert response.json()["due_text"]


async def test_bad_contacts_are_refused_with_the_reason(web: Web) -> None:
    response = await web.client.post(
        "/api/v1/handoff", json={"contacts": {"phone": "позвоните мне"}}
    )
    assert response.status_code == 422
    assert "Телефон" in response.json()["detail"]


async def test_a_session_cannot_read_another_sessions_ticket(web: Web) -> None:
    owner = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    assert owner["ticket_number"] == 1
    stranger = (await web.client.post("/api/v1/ask", json={"question": "выписка"})).json()
    response = await web.client.get(
        "/api/v1/tickets/1", params={"session_id": stranger["session_id"]}
    )
    assert response.status_code == 404
    assert "не найдено" in response.json()["detail"]


async def test_history_comes_back_for_a_reopened_widget(web: Web) -> None:
    first = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    session = first["session_id"]
    await web.client.post("/api/v1/ask", json={"question": UNKNOWN, "session_id": session})
    history = await web.client.get("/api/v1/history", params={"session_id": session})
    assert history.status_code == 200
    body = history.json()
    assert body["state"] == "waiting"
    assert [(m["author"], m["text"][:12]) for m in body["messages"]] == [
        ("citizen", "забыл пароль"),
        ("bot", first["answer"][:12]),
        ("citizen", UNKNOWN[:12]),
        ("bot", "Передали ваш"),
    ]
    fresh = await web.client.get("/api/v1/history", params={"session_id": "a" * 32})
    assert fresh.json()["messages"] == []


async def _long_conversation(web: Web, questions: int) -> str:
    """A session that asked `questions` numbered questions (two messages each); its id."""
    session = ""
    for number in range(1, questions + 1):
        body = {"question": f"Вопрос {number}: забыл пароль"}
        if session:
            body["session_id"] = session
        session = str((await web.client.post("/api/v1/ask", json=body)).json()["session_id"])
    return session


async def test_a_long_history_comes_a_page_at_a_time_with_a_backward_cursor(web: Web) -> None:
    """60 messages: the widget gets the last 50 and is told there are more; `before` the
    oldest of them brings the first 10 (until 2026-12-05 the first 10 could not be had at
    all, and nothing said they existed)."""
    session = await _long_conversation(web, 30)
    last = await web.client.get("/api/v1/history", params={"session_id": session})
    assert last.status_code == 200
    page = last.json()
    # The fields a client already reads are all there, as before.
    assert {"session_id", "state", "messages", "live", "open_ticket", "marks"} <= page.keys()
    assert page["has_more"] is True
    assert len(page["messages"]) == 50
    assert page["messages"][0]["text"] == "Вопрос 6: забыл пароль"
    assert page["messages"][-2]["text"] == "Вопрос 30: забыл пароль"

    params = {"session_id": session, "before": page["messages"][0]["id"]}
    earlier = (await web.client.get("/api/v1/history", params=params)).json()
    assert earlier["has_more"] is False
    asked = [m["text"] for m in earlier["messages"] + page["messages"] if m["author"] == "citizen"]
    assert asked == [f"Вопрос {n}: забыл пароль" for n in range(1, 31)]
    ids = [m["id"] for m in earlier["messages"] + page["messages"]]
    assert ids == sorted(set(ids))  # oldest first, nothing twice

    short = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    alone = {"session_id": short["session_id"], "before": page["messages"][-1]["id"] + 100}
    mine = (await web.client.get("/api/v1/history", params=alone)).json()
    # Another conversation's message as the cursor: only its own messages, none of theirs.
    assert [m["author"] for m in mine["messages"]] == ["citizen", "bot"]
    assert mine["messages"][0]["text"] == "забыл пароль" and mine["has_more"] is False
    for bad in ("0", "-1", "abc", str(2**63)):
        refused = await web.client.get(
            "/api/v1/history", params={"session_id": session, "before": bad}
        )
        assert refused.status_code == 422, bad
        assert refused.json()["detail"].startswith(
            "Поле «номер сообщения, до которого показать переписку» должно быть"
        )


async def test_a_clarification_comes_back_with_its_candidates(web: Web) -> None:
    """Reopened, the widget shows the candidates it offered as buttons again, not only as
    a list in the text."""
    asked = (await web.client.post("/api/v1/ask", json={"question": "статус"})).json()
    assert asked["kind"] == "clarify" and 2 <= len(asked["choices"]) <= 3
    params = {"session_id": asked["session_id"]}
    messages = (await web.client.get("/api/v1/history", params=params)).json()["messages"]
    assert [m["choices"] for m in messages] == [[], asked["choices"]]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"question": ""}, 422, "Напишите вопрос"),
        ({"question": "   \n "}, 422, "Напишите вопрос"),
        ({"question": "пароль " * 400}, 422, "не больше 2000"),
        ({"question": "я" * 10_240}, 422, "не больше"),
        ({"question": 42}, 422, "текстом"),
        ({"question": ["забыл", "пароль"]}, 422, "текстом"),
        ({"question": None}, 422, "текстом"),
        ({}, 422, "Не заполнено"),
        ({"question": "пароль", "session_id": "../../etc"}, 422, "идентификатор сессии"),
    ],
)
async def test_bad_questions_get_a_4xx_with_a_russian_message(
    web: Web, body: object, status: int, fragment: str
) -> None:
    response = await web.client.post("/api/v1/ask", json=body)
    assert response.status_code == status
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    "raw",
    [b'{"question": "\xd0\xb7\xd0', b"{question: 1}", b"", b"[1, 2]", b'"just text"'],
)
async def test_broken_json_is_a_4xx_never_a_5xx(web: Web, raw: bytes) -> None:
    response = await web.client.post(
        "/api/v1/ask", content=raw, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


async def test_an_oversized_body_is_refused_with_413(web: Web) -> None:
    response = await web.client.post("/api/v1/ask", json={"question": "я" * 100_000})
    assert response.status_code == 413
    assert "слишком большой" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("GET", "/api/v1/nothing", 404, "Такой страницы нет."),
        ("GET", "/api/v1/ask", 405, "Этот адрес не принимает запросы такого вида (GET)."),
    ],
)
async def test_what_the_framework_refuses_is_said_in_russian(
    web: Web, method: str, path: str, status: int, says: str
) -> None:
    response = await web.client.request(method, path)
    assert response.status_code == status
    assert response.json() == {"detail": says}
    if status == 405:
        assert response.headers["allow"] == "POST"


async def test_a_missing_console_page_is_a_russian_page_not_json(web: Web) -> None:
    response = await web.client.get("/console/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Такой страницы нет." in response.text


async def test_an_unexpected_fault_is_a_russian_500_and_the_next_request_is_served(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault nobody raised on purpose (a bug, a library's surprise) used to answer
    Starlette's bare English "Internal Server Error", in the widget and the console alike."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault in the code")

    transport = httpx.ASGITransport(app=web.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        real_handle = web.services.conversations.handle
        monkeypatch.setattr(web.services.conversations, "handle", broken)
        response = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert response.status_code == 500
        assert "Внутренняя ошибка сервера" in response.json()["detail"]
        monkeypatch.setattr(web.services.conversations, "handle", real_handle)
        again = await client.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert again.status_code == 200, again.text

        await web.operator("cura", Role.CURATOR)
        await log_in(client, "cura")
        monkeypatch.setattr(unanswered, "inbox_texts", broken)
        page = await client.get("/console/inbox")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "Внутренняя ошибка сервера" in page.text
        assert "Internal Server Error" not in page.text
