"""Taking tickets in the console: the ticket an operator chooses, answering one nobody has
taken, the list of one's own tickets in work, "Взять следующее" only for those who take, and
the question a ticket opened by the widget's "Позвать оператора" button shows."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.core.roles import Role
from tests.bot.web.conftest import Web, csrf_of, log_in

pytestmark = pytest.mark.anyio

UNKNOWN = [
    "сломался карбюратор у трактора",
    "где купить семена огурцов",
    "как настроить антенну на даче",
]
TAKE_BUTTON = "Взять в работу</button>"


def _visible(page: str) -> str:
    """What a reader sees of a piece of page: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _mine(page: str) -> str:
    """What the queue page's "Мои обращения в работе" shows."""
    found = re.search(r'<section id="my-tickets".*?</section>', page, re.S)
    assert found is not None, "the queue page has no list of the operator's tickets"
    return _visible(found.group(0))


def _queue(page: str) -> str:
    """What the queue page's list of waiting tickets shows."""
    found = re.search(r'<div id="queue-live".*?</div>', page, re.S)
    assert found is not None
    return _visible(found.group(0))


async def _hand_off(web: Web, question: str) -> tuple[int, str]:
    """A citizen (a session of their own) asks for a person: the ticket's number, the session."""
    reply = (await web.client.post("/api/v1/handoff", json={"question": question})).json()
    assert isinstance(reply["ticket_number"], int), reply
    return reply["ticket_number"], reply["session_id"]


@asynccontextmanager
async def _logged_in(web: Web, login: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (own cookies) with `login` logged in."""
    transport = httpx.ASGITransport(app=web.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await log_in(client, login)
        yield client


async def test_an_operator_takes_the_ticket_they_choose_and_only_one_take_wins(web: Web) -> None:
    first, _ = await _hand_off(web, UNKNOWN[0])
    chosen, session = await _hand_off(web, UNKNOWN[1])
    await web.operator("anna")
    await web.operator("boris")
    async with _logged_in(web, "anna") as anna, _logged_in(web, "boris") as boris:
        page = (await anna.get(f"/console/tickets/{chosen}")).text
        assert TAKE_BUTTON in page
        # Both press "Взять в работу" on the same ticket at once: one of them has it.
        tokens = [csrf_of((await client.get("/console")).text) for client in (anna, boris)]
        pressed = await asyncio.gather(
            *(
                client.post(f"/console/tickets/{chosen}/take", data={"csrf_token": token})
                for client, token in zip((anna, boris), tokens, strict=True)
            )
        )
        assert sorted(r.status_code for r in pressed) == [303, 403], [r.text for r in pressed]
        winner, loser = (anna, boris) if pressed[0].status_code == 303 else (boris, anna)
        refused = pressed[1] if winner is anna else pressed[0]
        assert "в работе у другого сотрудника" in refused.text

        page = (await winner.get(f"/console/tickets/{chosen}")).text
        shown = _visible(page)
        assert f"Обращение № {chosen} у вас в работе." in shown
        assert f"Обращение № {chosen} В работе" in shown
        assert TAKE_BUTTON not in page
        # The other one sees who has it, and no forms that would only be refused.
        other = (await loser.get(f"/console/tickets/{chosen}")).text
        assert TAKE_BUTTON not in other
        assert "Ответ гражданину" not in other and "Завершить без сообщения" not in other
        # The older ticket still waits in the queue.
        waiting = _queue((await loser.get("/console")).text)
        assert UNKNOWN[0] in waiting and UNKNOWN[1] not in waiting
        assert str(first) in waiting
    status = await web.client.get(f"/api/v1/tickets/{chosen}", params={"session_id": session})
    assert status.json()["status_label"] == "В работе"


@pytest.mark.parametrize(
    ("action", "text", "status"),
    [
        ("reply", "Обратитесь в сервисный центр.", "В работе"),
        ("ask", "Какая марка трактора?", "Нужны сведения"),
        ("resolve", "Обратитесь в сервисный центр.", "Завершено"),
        ("resolve", "", "Завершено"),
    ],
)
async def test_answering_a_ticket_nobody_has_taken_takes_it_first(
    web: Web, action: str, text: str, status: str
) -> None:
    """As in the operators' Telegram group: the reply form on a new ticket works."""
    number, session = await _hand_off(web, UNKNOWN[0])
    await web.operator("anna")
    await log_in(web.client, "anna")
    page = (await web.client.get(f"/console/tickets/{number}")).text
    assert "Ответ гражданину" in page and "Завершить без сообщения" in page
    done = await web.client.post(
        f"/console/tickets/{number}/{action}", data={"csrf_token": csrf_of(page), "text": text}
    )
    assert done.status_code == 303, done.text
    shown = _visible((await web.client.get(f"/console/tickets/{number}")).text)
    assert f"Обращение № {number} {status}" in shown
    assert "Исполнитель anna" in shown and "Взято в работу — anna" in shown
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    said = [m["text"] for m in history["messages"]]
    assert f"Специалист взял обращение № {number} в работу." in said
    if text:
        assert text in said


async def test_rejecting_a_ticket_nobody_has_taken_takes_it_first(web: Web) -> None:
    """«Отклонить» on a new ticket used to close it with nobody in «Исполнитель», no
    «Взято в работу» in the history and no word to the citizen that someone took it, unlike
    replying and resolving."""
    number, session = await _hand_off(web, UNKNOWN[1])
    await web.operator("anna")
    await web.operator("boris")
    await log_in(web.client, "anna")
    page = (await web.client.get(f"/console/tickets/{number}")).text
    done = await web.client.post(
        f"/console/tickets/{number}/reject",
        data={"csrf_token": csrf_of(page), "text": "Вопрос не о госуслугах."},
    )
    assert done.status_code == 303, done.text
    async with _logged_in(web, "boris") as boris:
        shown = _visible((await boris.get(f"/console/tickets/{number}")).text)
    assert f"Обращение № {number} Отклонено" in shown
    assert "Исполнитель anna" in shown
    assert re.search(
        r"Взято в работу — anna → В работе .*Отклонено — anna: Вопрос не о госуслугах\.", shown
    ), shown
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    said = [m["text"] for m in history["messages"]]
    assert said[-2:] == [
        f"Специалист взял обращение № {number} в работу.",
        f"Обращение № {number} отклонено. Причина: Вопрос не о госуслугах.",
    ]


async def test_rejecting_from_a_page_opened_before_a_colleague_rejected_says_it_is_closed(
    web: Web,
) -> None:
    """Anna and Boris both open a ticket nobody has; Anna rejects it (taking it first). Boris's
    «Отклонить» from his page used to read «в работе у другого сотрудника: отклонить может
    только он», as if Anna were still working on it."""
    number, _ = await _hand_off(web, UNKNOWN[1])
    await web.operator("anna")
    await web.operator("boris")
    async with _logged_in(web, "anna") as anna, _logged_in(web, "boris") as boris:
        pages = [(await c.get(f"/console/tickets/{number}")).text for c in (anna, boris)]
        done = await anna.post(
            f"/console/tickets/{number}/reject",
            data={"csrf_token": csrf_of(pages[0]), "text": "Вопрос не о госуслугах."},
        )
        assert done.status_code == 303, done.text
        late = await boris.post(
            f"/console/tickets/{number}/reject",
            data={"csrf_token": csrf_of(pages[1]), "text": "Не по теме."},
        )
    assert late.status_code == 409, late.text
    shown = _visible(html.unescape(late.text))
    assert f"Обращение № {number} в статусе «Отклонено»" in shown, shown
    assert "в работе у другого сотрудника" not in shown


async def test_a_specialist_takes_an_escalated_ticket_from_its_page(web: Web) -> None:
    number, _ = await _hand_off(web, UNKNOWN[0])
    await web.operator("anna")
    await web.operator("pavel", Role.SPECIALIST)
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    await web.client.post(f"/console/tickets/{number}/take", data={"csrf_token": token})
    await web.client.post(
        f"/console/tickets/{number}/escalate", data={"csrf_token": token, "text": "Нужна ЕСИА"}
    )
    # The first line may not take it back: neither the button nor the forms.
    page = (await web.client.get(f"/console/tickets/{number}")).text
    assert TAKE_BUTTON not in page and "Ответ гражданину" not in page
    await web.client.post("/console/logout", data={"csrf_token": token})

    await log_in(web.client, "pavel")
    page = (await web.client.get(f"/console/tickets/{number}")).text
    assert TAKE_BUTTON in page
    assert "Передать специалисту" not in page  # it is with specialists already
    taken = await web.client.post(
        f"/console/tickets/{number}/take", data={"csrf_token": csrf_of(page)}
    )
    assert taken.status_code == 303, taken.text
    shown = _visible((await web.client.get(f"/console/tickets/{number}")).text)
    assert "Исполнитель pavel" in shown and "Обращение № 1 Передано специалисту" in shown
    assert UNKNOWN[0] in _mine((await web.client.get("/console")).text)


async def test_the_queue_page_lists_the_operators_own_tickets_in_work(web: Web) -> None:
    numbers = [(await _hand_off(web, question))[0] for question in UNKNOWN]
    await web.operator("anna")
    await web.operator("boris")
    async with _logged_in(web, "boris") as boris:
        token = csrf_of((await boris.get("/console")).text)
        await boris.post(f"/console/tickets/{numbers[2]}/take", data={"csrf_token": token})

    await log_in(web.client, "anna")
    page = (await web.client.get("/console")).text
    assert "У вас нет обращений в работе." in _mine(page)
    token = csrf_of(page)
    for _ in numbers[:2]:
        await web.client.post("/console/take", data={"csrf_token": token})
    await web.client.post(
        f"/console/tickets/{numbers[1]}/ask", data={"csrf_token": token, "text": "Какая дача?"}
    )
    page = (await web.client.get("/console")).text
    assert "Очередь пуста." in _queue(page)
    mine = _mine(page)
    # Due first, with the status and the time promised; boris's ticket is not anna's.
    assert re.search(
        rf"{numbers[0]} {UNKNOWN[0]} В работе \d\d\.\d\d\.\d{{4}} \d\d:\d\d МСК "
        rf"{numbers[1]} {UNKNOWN[1]} Нужны сведения \d\d\.\d\d\.\d{{4}} \d\d:\d\d МСК$",
        mine,
    ), mine
    assert UNKNOWN[2] not in mine
    # The list is among the parts the open page refreshes (console.js: `data-live`).
    assert re.search(r'<section id="my-tickets" data-live', page)

    await web.client.post(f"/console/tickets/{numbers[0]}/resolve", data={"csrf_token": token})
    mine = _mine((await web.client.get("/console")).text)
    assert UNKNOWN[0] not in mine and UNKNOWN[1] in mine


@pytest.mark.parametrize(
    ("role", "takes"),
    [
        (Role.OPERATOR, True),
        (Role.SPECIALIST, True),
        (Role.ADMIN, True),
        (Role.CURATOR, False),
        (Role.ANALYST, False),
    ],
)
async def test_take_next_is_offered_only_to_roles_that_take_tickets(
    web: Web, role: Role, takes: bool
) -> None:
    number, _ = await _hand_off(web, UNKNOWN[0])
    await web.operator("kira", role)
    await log_in(web.client, "kira")
    queue = (await web.client.get("/console")).text
    assert UNKNOWN[0] in _queue(queue)  # everyone sees the queue
    assert ("Взять следующее" in queue) == takes
    assert ("Мои обращения в работе" in queue) == takes
    assert (TAKE_BUTTON in (await web.client.get(f"/console/tickets/{number}")).text) == takes


async def test_a_call_by_button_shows_the_question_asked_before_it(web: Web) -> None:
    """ "Позвать оператора" with an empty box: the ticket's question is what the citizen asked."""
    asked = "не могу записаться к врачу через госуслуги"
    first = await web.client.post("/api/v1/ask", json={"question": asked})
    assert first.json()["kind"] in {"answer", "clarify"}, first.text
    session = first.json()["session_id"]
    await web.client.post("/api/v1/handoff", json={"session_id": session})
    await web.client.post("/api/v1/handoff", json={})  # a citizen who asked nothing
    await web.operator("anna")
    await log_in(web.client, "anna")
    queue = re.findall(r'<td class="question">(.*?)</td>', (await web.client.get("/console")).text)
    assert queue == [asked, "Позовите специалиста"]
    facts = (await web.client.get("/console/tickets/1")).text.split('id="facts"', 1)[1]
    assert f"<dt>Вопрос</dt><dd>{asked}</dd>" in facts


async def test_calling_a_person_again_says_the_ticket_is_with_them_and_adds_nothing(
    web: Web,
) -> None:
    """ "Позвать оператора" pressed again while the ticket waits: the citizen is told it is
    with people (number, status, answer time) and invited to write; the ticket gets no new
    message (it got "Позовите специалиста" each time, and the citizen «Добавили ваше
    сообщение…» for a message never written), only contacts given with the press."""
    asked = "не могу записаться к врачу через госуслуги"
    first = await web.client.post("/api/v1/ask", json={"question": asked})
    session = first.json()["session_id"]
    opened = await web.client.post("/api/v1/handoff", json={"session_id": session})
    number = opened.json()["ticket_number"]
    await web.operator("anna")
    await log_in(web.client, "anna")
    before = _visible((await web.client.get(f"/console/tickets/{number}")).text)

    again = await web.client.post("/api/v1/handoff", json={"session_id": session})
    told = again.json()["text"]
    assert told.startswith(f"Ваш вопрос уже у специалистов. Обращение № {number}: Принято; ")
    assert "ответим до" in told
    assert told.endswith(
        "Если хотите что-то добавить, просто напишите это сюда: сообщение попадёт в обращение."
    )
    assert again.json()["ticket_number"] == number
    with_phone = await web.client.post(
        "/api/v1/handoff",
        json={"session_id": session, "contacts": {"phone": "+7 912 345-67-89"}},
    )
    assert with_phone.json()["text"].startswith("Ваш вопрос уже у специалистов.")

    after = _visible((await web.client.get(f"/console/tickets/{number}")).text)
    assert after.count("Позовите специалиста") == before.count("Позовите специалиста")
    assert "Добавили ваше сообщение" not in after
    assert "+79123456789" in after.replace(" ", "").replace("-", "")
    history = await web.client.get("/api/v1/history", params={"session_id": session})
    assert told in [m["text"] for m in history.json()["messages"]]  # kept for a reopened chat


async def test_a_call_typed_in_words_shows_the_question_asked_before_it(web: Web) -> None:
    """ "позовите оператора" typed after the question is the button in words: the queue read
    "позовите оператора", and the answers from the base were looked up for that."""
    asked = "не приходит код подтверждения на телефон"
    first = await web.client.post("/api/v1/ask", json={"question": asked})
    assert first.json()["kind"] == "answer", first.text
    session = first.json()["session_id"]
    call = await web.client.post(
        "/api/v1/ask", json={"question": "позовите оператора", "session_id": session}
    )
    assert call.json()["kind"] == "handoff", call.text
    await web.client.post("/api/v1/ask", json={"question": "хочу живого оператора"})
    await web.operator("anna")
    await log_in(web.client, "anna")
    queue = re.findall(r'<td class="question">(.*?)</td>', (await web.client.get("/console")).text)
    assert queue == [asked, "хочу живого оператора"]  # one who asked nothing before: as typed
    page = html.unescape((await web.client.get("/console/tickets/1")).text)
    assert "позовите оператора" in page  # the conversation keeps what was typed


async def test_a_call_that_says_more_is_the_tickets_question(web: Web) -> None:
    """A call with a new problem beside it: the problem is what the operator must read, not
    the question the bot answered before."""
    first = await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})
    session = first.json()["session_id"]
    said = "хочу живого оператора, вопрос про трактор"
    call = await web.client.post("/api/v1/ask", json={"question": said, "session_id": session})
    assert call.json()["kind"] == "handoff", call.text
    await web.operator("anna")
    await log_in(web.client, "anna")
    queue = re.findall(r'<td class="question">(.*?)</td>', (await web.client.get("/console")).text)
    assert queue == [said]


async def test_a_call_by_button_skips_small_talk_and_what_an_earlier_ticket_handled(
    web: Web,
) -> None:
    """ "спасибо" after the question is not the question; and a question asked before an
    earlier ticket was opened and closed is that ticket's business, not the new one's."""
    asked = "не могу записаться к врачу через госуслуги"
    first = await web.client.post("/api/v1/ask", json={"question": asked})
    session = first.json()["session_id"]
    thanks = await web.client.post(
        "/api/v1/ask", json={"question": "спасибо", "session_id": session}
    )
    assert thanks.json()["entry_id"] == "chat-thanks"
    await web.client.post("/api/v1/handoff", json={"session_id": session})
    await web.operator("anna")
    await log_in(web.client, "anna")
    queue = re.findall(r'<td class="question">(.*?)</td>', (await web.client.get("/console")).text)
    assert queue == [asked]

    # The operator closes ticket 1; later the citizen presses the button again, asking nothing.
    page = await web.client.get("/console/tickets/1")
    await web.client.post(
        "/console/tickets/1/resolve",
        data={"csrf_token": csrf_of(page.text), "text": "Запишитесь через МФЦ."},
    )
    await web.client.post("/api/v1/handoff", json={"session_id": session})
    queue = re.findall(r'<td class="question">(.*?)</td>', (await web.client.get("/console")).text)
    assert queue == ["Позовите специалиста"]


CLOSING = {
    "reject": ("Вопрос не о госуслугах.", "Отклонено"),
    "resolve": ("Готово.", "Завершено"),
}
# Each form of a ticket page as the browser posts it, and the action as the refusal names it.
LATE_ACTIONS = [
    ("reply", {"text": "Добрый день!"}, "ответить"),
    ("ask", {"text": "Укажите VIN."}, "запросить сведения"),
    ("reject", {"text": "Не по теме."}, "отклонить"),
    ("resolve", {"text": "Готово."}, "завершить"),
    ("escalate", {"text": "Нужна ЕСИА."}, "передать специалисту"),
    ("take", {}, "взять в работу"),
]


@pytest.mark.parametrize("closed_by", sorted(CLOSING))
@pytest.mark.parametrize(("action", "form", "named"), LATE_ACTIONS)
async def test_any_action_from_a_page_opened_before_the_ticket_was_closed_says_it_is_closed(
    web: Web, closed_by: str, action: str, form: dict[str, str], named: str
) -> None:
    """Anna and Boris both open a ticket nobody has; Anna closes it. A reply or «запросить
    сведения» from Boris's page used to end «(сначала возьмите обращение в работу)», advice
    that cannot be followed on a closed ticket; every action now names the ticket's status
    and says it is closed."""
    number, _ = await _hand_off(web, UNKNOWN[2])
    await web.operator("anna")
    await web.operator("boris")
    text, status = CLOSING[closed_by]
    async with _logged_in(web, "anna") as anna, _logged_in(web, "boris") as boris:
        pages = [(await c.get(f"/console/tickets/{number}")).text for c in (anna, boris)]
        done = await anna.post(
            f"/console/tickets/{number}/{closed_by}",
            data={"csrf_token": csrf_of(pages[0]), "text": text},
        )
        assert done.status_code == 303, done.text
        late = await boris.post(
            f"/console/tickets/{number}/{action}",
            data={"csrf_token": csrf_of(pages[1]), **form},
        )
    assert late.status_code == 409, late.text
    shown = _visible(html.unescape(late.text))
    assert (
        f"Обращение № {number} в статусе «{status}»: действие «{named}» недоступно "
        "(обращение закрыто; чтобы продолжить, верните его в работу)." in shown
    ), shown
    assert "возьмите обращение в работу" not in shown and "другого сотрудника" not in shown
