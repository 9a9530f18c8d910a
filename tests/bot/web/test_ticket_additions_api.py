"""Files and contacts a citizen adds to their ticket from the widget, and the operator seeing
them; the mark for the answer once the ticket is closed."""

from __future__ import annotations

import asyncio
import html
import io
import re
from typing import Any

import pytest
from PIL import Image

from bot.core.question_log import QuestionLog
from bot.core.roles import Role
from tests.bot.web.conftest import Web, csrf_of, log_in

pytestmark = pytest.mark.anyio

UNKNOWN = "сломался карбюратор у трактора"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100
ATTACHMENT_LINK = re.compile(r'<a href="(/console/tickets/\d+/attachments/\d+)"[^>]*>([^<]+)</a>')


async def _hand_off(web: Web) -> tuple[str, int]:
    reply = (await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})).json()
    return reply["session_id"], reply["ticket_number"]


async def _attach(
    web: Web, session: str, number: int, name: str, data: bytes, *, kind: str = "image/png"
) -> Any:
    return await web.client.post(
        f"/api/v1/tickets/{number}/attachments",
        data={"session_id": session},
        files={"file": (name, data, kind)},
    )


async def _operator_page(web: Web, number: int) -> str:
    await web.operator("anna")
    await log_in(web.client, "anna")
    return (await web.client.get(f"/console/tickets/{number}")).text


async def test_a_citizen_attaches_files_and_the_operator_opens_them(web: Web) -> None:
    session, number = await _hand_off(web)
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert history["open_ticket"] == number

    png = await _attach(web, session, number, "скриншот ошибки.png", PNG)
    assert png.status_code == 200, png.text
    assert png.json()["text"] == f"Файл «скриншот ошибки.png» приложен к обращению № {number}."
    assert (png.json()["content_type"], png.json()["size"]) == ("image/png", len(PNG))
    # A PDF sent as "application/octet-stream" is still a PDF: the content decides.
    pdf = await _attach(web, session, number, "птс.pdf", PDF, kind="application/octet-stream")
    assert pdf.status_code == 200 and pdf.json()["content_type"] == "application/pdf"

    # A chat opened again shows the files where they were sent, with the service's word.
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    kept = [(m["author"], m["text"]) for m in history["messages"]][-4:]
    assert kept == [
        ("citizen", "📎 скриншот ошибки.png"),
        ("system", f"Файл «скриншот ошибки.png» приложен к обращению № {number}."),
        ("citizen", "📎 птс.pdf"),
        ("system", f"Файл «птс.pdf» приложен к обращению № {number}."),
    ]
    contacts = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": session, "phone": "89123456789"}
    )
    assert contacts.status_code == 200, contacts.text
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    last = history["messages"][-1]
    assert (last["author"], last["text"]) == ("system", contacts.json()["text"])
    assert "9123456789" not in str(history["messages"]), "the phone was kept in the chat"

    page = await _operator_page(web, number)
    links = {name: href for href, name in ATTACHMENT_LINK.findall(page)}
    assert set(links) == {"скриншот ошибки.png", "птс.pdf"}
    picture = await web.client.get(links["скриншот ошибки.png"])
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["content-disposition"].startswith("inline;")
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in picture.headers["content-security-policy"]
    document = await web.client.get(links["птс.pdf"])
    assert document.content == PDF
    assert document.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%D0%BF%D1%82%D1%81.pdf"
    )


def _picture(kind: str) -> bytes:
    """A real 8×8 picture in the format named (`PNG`, `JPEG`), as a screenshot tool saves it."""
    saved = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(saved, kind)
    return saved.getvalue()


async def test_a_file_named_for_another_type_gets_the_extension_of_its_content(web: Web) -> None:
    session, number = await _hand_off(web)
    png, jpeg = _picture("PNG"), _picture("JPEG")
    renamed = await _attach(web, session, number, "doc.pdf", png, kind="application/pdf")
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["filename"] == "doc.png"
    assert renamed.json()["text"] == f"Файл «doc.png» приложен к обращению № {number}."
    # A name without an extension gets one; a right one, in capitals too, stays as it was.
    bare = await _attach(web, session, number, "Справка от 01.02", PDF)
    kept = await _attach(web, session, number, "ФОТО.JPEG", jpeg)
    assert (bare.json()["filename"], kept.json()["filename"]) == (
        "Справка от 01.02.pdf",
        "ФОТО.JPEG",
    )
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert ("citizen", "📎 doc.png") in [(m["author"], m["text"]) for m in history["messages"]]

    page = await _operator_page(web, number)
    links = {name: href for href, name in ATTACHMENT_LINK.findall(page)}
    assert set(links) == {"doc.png", "Справка от 01.02.pdf", "ФОТО.JPEG"}
    picture = await web.client.get(links["doc.png"])
    assert picture.content == png and picture.headers["content-type"] == "image/png"
    assert picture.headers["content-disposition"] == "inline; filename*=UTF-8''doc.png"
    document = await web.client.get(links["Справка от 01.02.pdf"])
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].endswith("01.02.pdf")


async def test_a_file_that_is_not_a_picture_or_pdf_is_refused_whatever_its_name(web: Web) -> None:
    session, number = await _hand_off(web)
    refused = await _attach(web, session, number, "скан.png", EXE)
    assert refused.status_code == 422
    assert "PDF" in refused.json()["detail"] and "PNG" in refused.json()["detail"]
    empty = await _attach(web, session, number, "пусто.png", b"")
    assert empty.status_code == 422 and "пустой" in empty.json()["detail"]
    missing = await web.client.post(
        f"/api/v1/tickets/{number}/attachments", data={"session_id": session}
    )
    assert missing.status_code == 422
    assert missing.json()["detail"] == "Не заполнено поле «файл»."
    assert "<dd>нет</dd>" in (await _operator_page(web, number)).replace("\n", "")


async def test_a_file_over_the_limit_is_refused_before_it_is_read(web: Web) -> None:
    session, number = await _hand_off(web)
    config = (await web.client.get("/api/v1/config")).json()
    limit = config["attachment_max_bytes"]
    assert "application/pdf" in config["attachment_types"]
    too_big = await _attach(web, session, number, "big.pdf", b"%PDF-" + b"0" * (limit + 70_000))
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == f"Файл слишком большой: можно не больше {limit // 2**20} МБ."
    # Other routes keep their small limit.
    huge_question = await web.client.post("/api/v1/ask", json={"question": "а" * 100_000})
    assert huge_question.status_code == 413


async def test_only_the_tickets_own_session_attaches_and_only_while_it_is_open(web: Web) -> None:
    session, number = await _hand_off(web)
    stranger, _ = await _hand_off(web)
    foreign = await _attach(web, stranger, number, "чужое.png", PNG)
    assert foreign.status_code == 404
    assert foreign.json()["detail"] == f"Обращение № {number} не найдено среди ваших обращений."

    page = await _operator_page(web, number)
    await web.client.post("/console/take", data={"csrf_token": csrf_of(page)})
    token = csrf_of((await web.client.get(f"/console/tickets/{number}")).text)
    await web.client.post(f"/console/tickets/{number}/resolve", data={"csrf_token": token})
    late = await _attach(web, session, number, "поздно.png", PNG)
    assert late.status_code == 422 and "уже закрыто" in late.json()["detail"]
    too_late = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": session, "phone": "+79123456789"}
    )
    assert too_late.status_code == 422 and "уже закрыто" in too_late.json()["detail"]
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert history["open_ticket"] is None


async def test_the_console_serves_attachments_only_to_staff(web: Web) -> None:
    session, number = await _hand_off(web)
    attached = await _attach(web, session, number, "скан.png", PNG)
    assert attached.status_code == 200
    anonymous = await web.client.get(f"/console/tickets/{number}/attachments/1")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console/login"
    await _operator_page(web, number)
    assert (await web.client.get(f"/console/tickets/{number}/attachments/1")).status_code == 200
    missing = await web.client.get(f"/console/tickets/{number}/attachments/2")
    assert missing.status_code == 404


async def test_a_citizen_leaves_a_phone_then_an_email_and_the_operator_sees_both(web: Web) -> None:
    session, number = await _hand_off(web)
    phone = await web.client.post(
        f"/api/v1/tickets/{number}/contacts",
        json={"session_id": session, "phone": "8 (912) 345-67-89"},
    )
    assert phone.status_code == 200, phone.text
    assert phone.json()["text"].startswith(f"Контакты добавлены к обращению № {number}")
    email = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": session, "email": "anna@mail.ru"}
    )
    assert email.status_code == 200
    page = await _operator_page(web, number)
    assert "+79123456789" in page and "anna@mail.ru" in page  # the e-mail kept the phone
    assert "Гражданин оставил контакты" in page


async def test_a_phone_in_arabic_indic_or_persian_digits_is_taken_and_shown_in_0_to_9(
    web: Web,
) -> None:
    """Digits of an Arabic or Persian keyboard are digits: the phone was refused as
    «недопустимые символы», and the same number in a question reached the operators and the
    question log unmasked."""
    question = "перезвоните на ٨ (٩١٢) ٣٤٥-٦٧-٨٩, паспорт утерян"
    handed = await web.client.post("/api/v1/handoff", json={"question": question})
    session, number = handed.json()["session_id"], handed.json()["ticket_number"]
    for typed in ("٨٩٠٠١٢٣٤٥٦٧", "۸ (۹۰۰) ۱۲۳-۴۵-۶۷"):
        phone = await web.client.post(
            f"/api/v1/tickets/{number}/contacts", json={"session_id": session, "phone": typed}
        )
        assert phone.status_code == 200, phone.text
    page = html.unescape(await _operator_page(web, number))
    assert "+79001234567" in page
    assert "перезвоните на [телефон], паспорт утерян" in page
    assert "٣٤٥" not in page and "345-67-89" not in page
    [record] = await QuestionLog(web.services.db).between()
    assert record.text == "перезвоните на [телефон], паспорт утерян"


async def test_contacts_given_with_a_second_call_for_a_person_reach_the_open_ticket(
    web: Web,
) -> None:
    """ "Позвать оператора" again, with the form's name and phone, while ticket 1 is open:
    the message joined the ticket but the contacts were dropped without a word."""
    session, number = await _hand_off(web)
    again = await web.client.post(
        "/api/v1/handoff",
        json={
            "session_id": session,
            "question": "Перезвоните мне, пожалуйста",
            "contacts": {"name": "Анна", "phone": "8 (912) 345-67-89"},
        },
    )
    assert again.status_code == 200 and again.json()["ticket_number"] == number
    page = html.unescape(await _operator_page(web, number))
    assert "Перезвоните мне, пожалуйста" in page
    assert "+79123456789" in page and "Анна" in page
    assert "Гражданин оставил контакты: имя, телефон" in page


@pytest.mark.parametrize(
    ("given", "status", "says"),
    [
        ({"phone": "позвоните мне"}, 422, "недопустимые символы"),
        ({"email": "anna@"}, 422, "адрес"),
        ({}, 422, "Укажите телефон или адрес электронной почты."),
    ],
)
async def test_contacts_that_are_not_contacts_are_refused_with_the_reason(
    web: Web, given: dict[str, str], status: int, says: str
) -> None:
    session, number = await _hand_off(web)
    refused = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": session, **given}
    )
    assert refused.status_code == status
    assert says in refused.json()["detail"]
    assert "не оставлены" in await _operator_page(web, number)


async def test_contacts_go_only_to_the_sessions_own_open_ticket(web: Web) -> None:
    _, number = await _hand_off(web)
    stranger, _ = await _hand_off(web)
    foreign = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": stranger, "phone": "+79123456789"}
    )
    assert foreign.status_code == 404
    assert "не оставлены" in await _operator_page(web, number)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "multipart/form-data; boundary=xyz"}, b"garbage"),
        ({"Content-Type": "application/json"}, b'{"session_id": "x"}'),
    ],
)
async def test_a_file_sent_any_other_way_than_a_form_is_told_how(
    web: Web, headers: dict[str, str], body: bytes
) -> None:
    _, number = await _hand_off(web)
    refused = await web.client.post(
        f"/api/v1/tickets/{number}/attachments", content=body, headers=headers
    )
    assert 400 <= refused.status_code < 500
    assert "multipart/form-data с полями session_id и file" in refused.json()["detail"]


async def test_a_file_field_sent_as_text_is_told_in_russian(web: Web) -> None:
    """A form whose "file" is a text field: until 2026-12-05 the reason ended in the
    framework's English ("Value error, Expected UploadFile, received: <class 'str'>")."""
    session, number = await _hand_off(web)
    refused = await web.client.post(
        f"/api/v1/tickets/{number}/attachments",
        data={"session_id": session, "file": "скриншот.png"},
        files={"other": ("x.txt", b"x", "text/plain")},  # a multipart form, as a browser sends
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "Поле «файл» должно быть файлом: отправьте его в форме multipart/form-data."
    }


async def _resolve(web: Web, number: int) -> None:
    page = await _operator_page(web, number)
    await web.client.post("/console/take", data={"csrf_token": csrf_of(page)})
    token = csrf_of((await web.client.get(f"/console/tickets/{number}")).text)
    closed = await web.client.post(
        f"/console/tickets/{number}/resolve", data={"csrf_token": token, "text": "Готово."}
    )
    assert closed.status_code == 303, closed.text


async def _live_asking_for_a_mark(web: Web, session: str) -> list[Any]:
    """The session's live events that ask for a mark, once the delivery worker sent them."""
    for _ in range(100):
        history = await web.client.get("/api/v1/history", params={"session_id": session})
        asking = [e for e in history.json()["live"] if e["asks_rating"]]
        if asking:
            return asking
        await asyncio.sleep(0.05)
    raise AssertionError("the closing message never reached the session")


async def test_the_closing_message_asks_for_a_mark_and_a_button_gives_it(web: Web) -> None:
    session, number = await _hand_off(web)
    early = await web.client.post(
        f"/api/v1/tickets/{number}/rating", json={"session_id": session, "stars": 5}
    )
    assert early.status_code == 422 and "ещё не закрыто" in early.json()["detail"]
    await _resolve(web, number)

    (closing,) = await _live_asking_for_a_mark(web, session)
    assert closing["ticket_number"] == number
    assert closing["text"].startswith(f"Обращение № {number} завершено. Оцените")
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    # The notice is in the conversation too, after the operator's words: a widget opened
    # again shows it in its place.
    assert [m["text"] for m in history["messages"]][-2:] == ["Готово.", closing["text"]]
    # Live as after reopening: the operator's words are the specialist's, the news is not.
    authors = {e["text"]: e["author"] for e in history["live"]}
    assert authors == {
        f"Специалист взял обращение № {number} в работу.": "system",
        f"Ответ по обращению № {number}: Готово.": "operator",
        closing["text"]: "system",
    }

    rated = await web.client.post(
        f"/api/v1/tickets/{number}/rating", json={"session_id": session, "stars": 4}
    )
    assert rated.status_code == 200, rated.text
    assert rated.json() == {
        "number": number,
        "stars": 4,
        "text": f"Спасибо за оценку 4 из 5 обращению № {number}! "
        "Если остались вопросы, задайте их здесь.",
    }
    ticket_page = (await web.client.get(f"/console/tickets/{number}")).text
    assert "4 из 5" in ticket_page

    # Typed as a message, the mark comes back for the buttons to show; the history gives
    # the latest one, for a widget opened again.
    assert history["marks"] == []
    typed = await web.client.post("/api/v1/ask", json={"question": "2", "session_id": session})
    assert typed.json()["mark"] == {"ticket_number": number, "stars": 2}
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert history["marks"] == [{"ticket_number": number, "stars": 2}]
    stranger, _ = await _hand_off(web)
    other = await web.client.get("/api/v1/history", params={"session_id": stranger})
    assert other.json()["marks"] == []


async def test_a_mark_is_refused_out_of_range_or_for_someone_elses_ticket(web: Web) -> None:
    session, number = await _hand_off(web)
    stranger, _ = await _hand_off(web)
    await _resolve(web, number)
    url = f"/api/v1/tickets/{number}/rating"
    foreign = await web.client.post(url, json={"session_id": stranger, "stars": 1})
    assert foreign.status_code == 404
    # `true` was taken as 1 star and "5" as 5 until 2026-12-05: a careless client's true
    # recorded the worst mark; every other body of the API takes numbers as numbers only.
    wrongs: tuple[tuple[object, str], ...] = (
        (6, "Оценка должна быть от 1 до 5."),
        ("пять", "целым числом"),
        (True, "Поле «оценка» должно быть целым числом."),
        ("5", "Поле «оценка» должно быть целым числом."),
    )
    for wrong, says in wrongs:
        refused = await web.client.post(url, json={"session_id": session, "stars": wrong})
        assert refused.status_code == 422 and says in refused.json()["detail"], wrong
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    assert history["marks"] == []
    missing = await web.client.post(url, json={"session_id": session})
    assert missing.json()["detail"] == "Не заполнено поле «оценка»."


async def test_analysts_and_curators_see_that_contacts_and_files_exist_but_not_what(
    web: Web,
) -> None:
    session, number = await _hand_off(web)
    given = {"name": "Иван", "phone": "+79123456789", "email": "ivan.petrov@mail.ru"}
    added = await web.client.post(
        f"/api/v1/tickets/{number}/contacts", json={"session_id": session, **given}
    )
    assert added.status_code == 200, added.text
    assert (await _attach(web, session, number, "паспорт Петрова.png", PNG)).status_code == 200

    for login, role in (("olga", Role.ANALYST), ("kira", Role.CURATOR)):
        await web.operator(login, role)
        await log_in(web.client, login)
        page = html.unescape((await web.client.get(f"/console/tickets/{number}")).text)
        assert "[имя] [телефон] [e-mail]" in page, role
        assert "контакты и файлы видят операторы" in page, role
        for secret in (*given.values(), "Петрова"):
            assert secret not in page, (role, secret)
        assert "файл 1" in page and not ATTACHMENT_LINK.findall(page), role
        opened = await web.client.get(f"/console/tickets/{number}/attachments/1")
        assert opened.status_code == 403 and "не может" in opened.text, role
        await web.client.post("/console/logout", data={"csrf_token": csrf_of(page)})

    page = html.unescape(await _operator_page(web, number))
    assert all(value in page for value in given.values())
    assert "скрыты" not in page
    [(href, name)] = ATTACHMENT_LINK.findall(page)
    assert name == "паспорт Петрова.png"
    assert (await web.client.get(href)).content == PNG
