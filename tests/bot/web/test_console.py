"""The operator console through its forms: log-in, CSRF, roles, the full reply flow."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from bot.core.attachments import Upload
from bot.core.labels import EVENT_LABELS, HANDOFF_REASON_LABELS
from bot.core.roles import Role
from bot.web.deps import web_identity
from tests.bot.core.conftest import PASSWORD
from tests.bot.web.conftest import Web, csrf_of, log_in

pytestmark = pytest.mark.anyio

UNKNOWN = "сломался карбюратор у трактора"


async def test_a_wrong_password_is_refused(web: Web) -> None:
    await web.operator("anna")
    response = await log_in(web.client, "anna", "неверный-пароль-123")
    assert response.status_code == 401
    assert "Неверный логин или пароль" in response.text
    queue = await web.client.get("/console")
    assert queue.status_code == 303 and queue.headers["location"] == "/console/login"


async def test_the_session_cookie_is_httponly_and_lax(web: Web) -> None:
    await web.operator("anna")
    response = await log_in(web.client, "anna")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_a_form_without_the_csrf_token_is_refused(web: Web) -> None:
    await web.operator("anna")
    await web.client.get("/console/login")
    no_token = await web.client.post("/console/login", data={"login": "anna", "password": PASSWORD})
    assert no_token.status_code == 403
    await log_in(web.client, "anna")
    forged = await web.client.post("/console/take", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert "Форма устарела" in forged.text


async def _anna_resolves_ticket_1(web: Web) -> str:
    """A question the base cannot answer becomes ticket 1; the operator anna closes it with a
    reply. Returns her form token."""
    await web.operator("anna")
    await web.client.post("/api/v1/ask", json={"question": UNKNOWN})
    await log_in(web.client, "anna")
    page = await web.client.get("/console")
    await web.client.post("/console/take", data={"csrf_token": csrf_of(page.text)})
    token = csrf_of((await web.client.get("/console/tickets/1")).text)
    await web.client.post(
        "/console/tickets/1/resolve", data={"csrf_token": token, "text": "Обратитесь в сервис."}
    )
    return token


async def test_a_proposal_that_would_take_another_entrys_phrasing_waits_for_the_box(
    web: Web,
) -> None:
    """A proposed entry whose wording is another entry's phrasing would leave both
    unanswered: the curator is told so, nothing is written, and the proposal stays until they
    tick «даже если проверка базы против»."""
    sms = web.services.answerer.kb.get("account-sms-not-arriving")
    assert sms is not None
    taken = sms.alternatives[0]
    token = await _anna_resolves_ticket_1(web)
    await web.client.post(
        "/console/tickets/1/propose",
        data={
            "csrf_token": token,
            "question": "Сломался трактор",
            "answer": "В сервис.",
            "alternatives": f"карбюратор трактора\n{taken}",
        },
    )
    await web.operator("olga", Role.CURATOR)
    await web.client.post("/console/logout", data={"csrf_token": token})
    await log_in(web.client, "olga")
    token = csrf_of((await web.client.get("/console/proposals")).text)
    target = web.services.settings.kb_dir / "proposed.yaml"

    refused = await web.client.post("/console/proposals/1/approve", data={"csrf_token": token})

    assert refused.status_code == 303
    assert not target.exists()
    listing = await web.client.get("/console/proposals")
    assert '<p class="flash warning" role="status">Предложение № 1 не утверждено' in listing.text
    assert html.escape(f"«{taken}» уже есть в записи account-sms-not-arriving") in listing.text
    assert "Сломался трактор" in listing.text  # still waiting

    forced = await web.client.post(
        "/console/proposals/1/approve",
        data={"csrf_token": csrf_of(listing.text), "force": "true"},
    )

    assert forced.status_code == 303
    assert target.exists() and "Сломался трактор" in target.read_text(encoding="utf-8")


async def test_an_operator_without_the_curator_role_cannot_approve(web: Web) -> None:
    token = await _anna_resolves_ticket_1(web)
    # The proposal's answer starts as the operator's reply, to be edited into an entry.
    closed = (await web.client.get("/console/tickets/1")).text
    assert '<textarea name="answer" rows="4" required>Обратитесь в сервис.</textarea>' in closed
    proposed = await web.client.post(
        "/console/tickets/1/propose",
        data={"csrf_token": token, "question": "Сломался трактор", "answer": "В сервис."},
    )
    assert proposed.status_code == 303
    listing = await web.client.get("/console/proposals")
    assert "Сломался трактор" in listing.text and "Утверждают кураторы" in listing.text
    refused = await web.client.post("/console/proposals/1/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "не может утверждать" in refused.text

    await web.operator("olga", Role.CURATOR)
    await web.client.post("/console/logout", data={"csrf_token": token})
    await log_in(web.client, "olga")
    token = csrf_of((await web.client.get("/console/proposals")).text)
    approved = await web.client.post("/console/proposals/1/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    assert "Сломался трактор" in (web.services.proposals.target_file).read_text("utf-8")
    # Said in the curator's words, not by the entry's id ("proposed-1").
    said = (await web.client.get(approved.headers["location"])).text
    assert "Ответ на вопрос «Сломался трактор» добавлен в базу знаний." in said


async def test_the_full_reply_flow_reaches_the_citizen(web: Web) -> None:
    await web.operator("anna")
    asked = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    session = asked["session_id"]
    await log_in(web.client, "anna")
    queue = await web.client.get("/console")
    assert '<td class="question">' + UNKNOWN in queue.text
    taken = await web.client.post("/console/take", data={"csrf_token": csrf_of(queue.text)})
    assert taken.headers["location"] == "/console/tickets/1"
    page = await web.client.get("/console/tickets/1")
    assert UNKNOWN in page.text and "В работе" in page.text
    token = csrf_of(page.text)
    for action, text in [
        ("ask", "Какая марка трактора?"),
        ("reply", "Обратитесь в сервисный центр <b>производителя</b>."),
        ("resolve", ""),
    ]:
        done = await web.client.post(
            f"/console/tickets/1/{action}", data={"csrf_token": token, "text": text}
        )
        assert done.status_code == 303, (action, done.text)
    page = await web.client.get("/console/tickets/1")
    assert "Завершено" in page.text
    assert "&lt;b&gt;производителя&lt;/b&gt;" in page.text  # escaped, not markup
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    operator_texts = [m["text"] for m in history["messages"] if m["author"] == "operator"]
    assert operator_texts == [
        "Какая марка трактора?",
        "Обратитесь в сервисный центр <b>производителя</b>.",
    ]
    status = (await web.client.get("/api/v1/tickets/1", params={"session_id": session})).json()
    assert status["status_label"] == "Завершено"
    again = await web.client.post(
        "/console/tickets/1/reply", data={"csrf_token": token, "text": "Ещё"}
    )
    assert again.status_code == 409


def _visible(html: str) -> str:
    """What a reader sees of a piece of page: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _section(page: str, heading: str) -> str:
    found = re.search(rf"<h2>{heading}</h2>(.*?)</section>", page, re.S)
    assert found is not None, f"no «{heading}» section on the page"
    return _visible(found.group(1))


async def test_times_are_moscow_time_and_history_is_in_russian(web: Web) -> None:
    await web.operator("anna")
    asked = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    identity = web_identity(asked["session_id"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    await web.services.citizens.attach(identity, 1, Upload("скрин.png", png))
    ticket = await web.services.citizens.lookup(identity, 1)
    await log_in(web.client, "anna")
    queue = await web.client.get("/console")
    due = (ticket.due_at + timedelta(hours=3)).strftime("%d.%m.%Y %H:%M") + " МСК"
    assert due in _visible(queue.text)
    await web.client.post("/console/take", data={"csrf_token": csrf_of(queue.text)})
    token = csrf_of((await web.client.get("/console/tickets/1")).text)
    for action, text in [("ask", "Какая марка трактора?"), ("reply", "Понятно."), ("resolve", "")]:
        await web.client.post(
            f"/console/tickets/1/{action}", data={"csrf_token": token, "text": text}
        )
    await web.client.post(
        "/console/tickets/1/reopen", data={"csrf_token": token, "text": "Гражданин перезвонил"}
    )
    page = (await web.client.get("/console/tickets/1")).text
    # Reopened, the ticket is due anew, counted from the reopening; the history keeps both.
    reopened = await web.services.citizens.lookup(identity, 1)
    new_due = (reopened.due_at + timedelta(hours=3)).strftime("%d.%m.%Y %H:%M") + " МСК"

    details = _section(page, "Сведения")
    created = (ticket.created_at + timedelta(hours=3)).strftime("%d.%m.%Y %H:%M")
    assert f"Создано {created} МСК" in details
    assert f"Ответить до {new_due}" in details
    assert "Канал чат на сайте" in details
    assert "UTC" not in _visible(page)

    history = _section(page, "История")
    for shown in [
        "Обращение создано → Принято: бот не нашёл ответа",
        "Прикреплён файл: скрин.png",
        "Взято в работу — anna → В работе",
        "Запрошены сведения у гражданина — anna: Какая марка трактора?",
        "Оператор ответил — anna",
        "Завершено — anna",
        "Возвращено в работу — anna: Гражданин перезвонил",
        f"Новый срок ответа: ответить до {new_due} (прежний срок — {due})",
    ]:
        assert shown in history, (shown, history)
    assert f"{created} МСК Обращение создано" in history
    english = set(EVENT_LABELS) | set(HANDOFF_REASON_LABELS)
    assert not [word for word in re.findall(r"[a-z_]+", history) if word in english]


async def test_answers_from_the_base_are_suggested_and_start_the_reply(web: Web) -> None:
    """A question handed to people often has its answer in the base already: the ticket
    page offers it, finds others by words, and puts the chosen one into the reply."""
    await web.operator("anna")
    await web.client.post(
        "/api/v1/handoff", json={"question": "не могу вспомнить пароль от госуслуг, что делать"}
    )
    await log_in(web.client, "anna")
    page = await web.client.get("/console/tickets/1")
    suggested = _visible(page.text.split('id="suggestions-title"', 1)[1])
    assert "Подходят к вопросу гражданина:" in suggested
    assert "Как восстановить пароль от Госуслуг?" in suggested
    assert 'href="/console/tickets/1?answer=account-password-recovery#reply-text"' in page.text
    assert "Соедините меня с оператором" not in suggested  # the operator is that person

    found = await web.client.get("/console/tickets/1", params={"kb": "  выписка   эптс "})
    assert "По запросу «выписка эптс»:" in _visible(found.text)
    assert "Как получить выписку об ЭПТС?" in found.text
    assert "answer=epts-extract&amp;kb=%D0%B2" in found.text  # the search stays on the link

    chosen = await web.client.get("/console/tickets/1", params={"answer": "epts-extract"})
    reply = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', chosen.text, re.S)
    assert reply is not None
    entry = web.services.answerer.kb.get("epts-extract")
    assert entry is not None
    assert html.unescape(reply.group(1)) == entry.answer
    gone = await web.client.get("/console/tickets/1", params={"answer": "no-such-entry"})
    assert gone.status_code == 200
    assert re.search(r'<textarea id="reply-text"[^>]*></textarea>', gone.text)

    hostile = await web.client.get("/console/tickets/1", params={"kb": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text

    off_topic = await web.client.get(
        "/console/tickets/1", params={"kb": "рецепт борща со сметаной"}
    )
    assert "Подходящих ответов не нашлось." in off_topic.text

    token = csrf_of(page.text)
    await web.client.post("/console/take", data={"csrf_token": token})
    done = await web.client.post("/console/tickets/1/resolve", data={"csrf_token": token})
    assert done.status_code == 303
    closed = await web.client.get("/console/tickets/1")
    assert "Ответы из базы знаний" not in closed.text


async def test_a_call_for_a_person_is_suggested_answers_for_what_was_asked_before(
    web: Web,
) -> None:
    """ "Позвать оператора" with an empty box: the ticket's question, and the suggestions,
    are the citizen's last question before the call."""
    await web.operator("anna")
    asked = await web.client.post("/api/v1/ask", json={"question": "забыл пароль от госуслуг"})
    session = asked.json()["session_id"]
    await web.client.post("/api/v1/handoff", json={"session_id": session})
    await log_in(web.client, "anna")
    page = await web.client.get("/console/tickets/1")
    assert "<dt>Вопрос</dt><dd>забыл пароль от госуслуг</dd>" in page.text
    suggested = _visible(page.text.split('id="suggestions-title"', 1)[1])
    assert "Как восстановить пароль от Госуслуг?" in suggested
    assert "дежурный специалист" not in suggested


def _seen(page: str) -> dict[str, str]:
    """The last message and history entry the ticket page shows, as its closing forms carry
    them (nothing from a page that does not say)."""
    return dict(re.findall(r'name="(seen_message_id|seen_event_id)" value="(\d+)"', page))


async def test_closing_waits_while_the_citizen_has_written_since_the_page_was_opened(
    web: Web,
) -> None:
    """The citizen wrote while the operator typed the answer: «Ответить и завершить» used to
    close the ticket with that message unread. Now nothing is closed or sent: the page shows
    the new message, says why, and keeps the draft; sent again from there, it closes."""
    await web.operator("anna")
    asked = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    session = asked["session_id"]
    await log_in(web.client, "anna")
    page = (await web.client.get("/console/tickets/1")).text
    draft = "Обратитесь в сервисный центр."
    form = {"csrf_token": csrf_of(page), "text": draft, **_seen(page)}
    late = "Забыл сказать: трактор не заводится и после ремонта"
    await web.client.post("/api/v1/ask", json={"question": late, "session_id": session})

    refused = await web.client.post("/console/tickets/1/resolve", data=form)
    assert refused.status_code == 409
    assert (
        "Обращение № 1 не завершено, ответ не отправлен: пока вы писали, гражданин прислал "
        "новое сообщение. Прочитайте его и отправьте ответ ещё раз (ваш текст остался в поле "
        "ответа)." in _visible(refused.text)
    )
    assert late in _section(refused.text, "Переписка")
    assert re.search(rf'<textarea id="reply-text"[^>]*>{draft}</textarea>', refused.text)
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Принято"
    history = await web.client.get("/api/v1/history", params={"session_id": session})
    assert draft not in [m["text"] for m in history.json()["messages"]]
    # «Завершить без сообщения» from the page opened before is refused as well.
    bare = {"csrf_token": form["csrf_token"], **_seen(page)}
    unsaid = await web.client.post("/console/tickets/1/resolve", data=bare)
    assert unsaid.status_code == 409
    assert "гражданин прислал новое сообщение" in _visible(unsaid.text)

    again = {**form, **_seen(refused.text)}
    closed = await web.client.post("/console/tickets/1/resolve", data=again)
    assert closed.status_code == 303
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Завершено"
    history = await web.client.get("/api/v1/history", params={"session_id": session})
    assert draft in [m["text"] for m in history.json()["messages"]]


async def test_rejecting_waits_while_the_citizen_has_written_since_the_page_was_opened(
    web: Web,
) -> None:
    """«Отклонить» closed the ticket over a message the page did not show (only the answering
    forms checked). Now it is refused as they are: 409, the new message on the page, the
    reason still in its field; rejected again from there, it is rejected."""
    await web.operator("anna")
    asked = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    session = asked["session_id"]
    await log_in(web.client, "anna")
    page = (await web.client.get("/console/tickets/1")).text
    reason = "Вопрос не о государственных услугах"
    form = {"csrf_token": csrf_of(page), "text": reason, **_seen(page)}
    late = "Это про регистрацию трактора в Гостехнадзоре"
    await web.client.post("/api/v1/ask", json={"question": late, "session_id": session})

    refused = await web.client.post("/console/tickets/1/reject", data=form)
    assert refused.status_code == 409
    assert (
        "Обращение № 1 не отклонено: после того как вы открыли страницу, гражданин прислал "
        "новое сообщение. Прочитайте его и отклоните обращение ещё раз (причина осталась в "
        "поле)." in _visible(refused.text)
    )
    assert late in _section(refused.text, "Переписка")
    assert re.search(rf'<input id="reject-text" name="text" value="{reason}"', refused.text)
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Принято"

    again = {**form, **_seen(refused.text)}
    rejected = await web.client.post("/console/tickets/1/reject", data=again)
    assert rejected.status_code == 303
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Отклонено"


async def test_closing_waits_for_a_file_the_citizen_attached_since_the_page_was_opened(
    web: Web,
) -> None:
    """A scan attached while the operator typed did not stop «Ответить и завершить» (only
    messages did). Now the page comes back (409) with the file, the reason and the draft."""
    await web.operator("anna")
    asked = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    session = asked["session_id"]
    await log_in(web.client, "anna")
    page = (await web.client.get("/console/tickets/1")).text
    draft = "Обратитесь в сервисный центр."
    form = {"csrf_token": csrf_of(page), "text": draft, **_seen(page)}
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    attached = await web.client.post(
        "/api/v1/tickets/1/attachments",
        data={"session_id": session},
        files={"file": ("ошибка.png", png, "image/png")},
    )
    assert attached.status_code == 200, attached.text

    refused = await web.client.post("/console/tickets/1/resolve", data=form)
    assert refused.status_code == 409
    assert (
        "Обращение № 1 не завершено, ответ не отправлен: пока вы писали, гражданин приложил "
        "новый файл. Посмотрите его и отправьте ответ ещё раз (ваш текст остался в поле "
        "ответа)." in _visible(refused.text)
    )
    assert "ошибка.png" in _section(refused.text, "Сведения")
    assert re.search(rf'<textarea id="reply-text"[^>]*>{draft}</textarea>', refused.text)
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Принято"

    again = {**form, **_seen(refused.text)}
    closed = await web.client.post("/console/tickets/1/resolve", data=again)
    assert closed.status_code == 303
    status = await web.client.get("/api/v1/tickets/1", params={"session_id": session})
    assert status.json()["status_label"] == "Завершено"
