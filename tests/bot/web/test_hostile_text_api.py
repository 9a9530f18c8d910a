"""Junk a careless or hostile citizen sends the public API as text, on SQLite and PostgreSQL:
a NUL character pasted into a question, a comment or a file's name, a broken character, a
question far over the limit. Each gets its answer or a Russian reason, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.web.conftest import Web, log_in, serving

pytestmark = pytest.mark.anyio

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


@pytest.fixture
async def web_on(
    settings_on: WebSettings, morphology: Morphology, anyio_backend: str
) -> AsyncIterator[Web]:
    """The app on a fresh database of each backend."""
    async with serving(settings_on, morphology) as web:
        yield web


async def test_a_nul_character_is_dropped_not_a_server_error(web_on: Web) -> None:
    """PostgreSQL's text cannot hold U+0000: until 2026-12-05 each of these was a 500
    "Internal Server Error" there."""
    client = web_on.client
    asked = await client.post("/api/v1/ask", json={"question": "забыл\x00 пароль"})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["query"] == "забыл пароль"
    assert answer["answer"].startswith("Новый пароль")
    session = answer["session_id"]

    rated = await client.post(
        "/api/v1/feedback",
        json={
            "session_id": session,
            "message_id": answer["message_id"],
            "helpful": False,
            "comment": "не\x00 помогло",
        },
    )
    assert rated.status_code == 200, rated.text

    handed = await client.post(
        "/api/v1/handoff", json={"session_id": session, "question": "позовите\x00 человека"}
    )
    assert handed.status_code == 200, handed.text
    number = handed.json()["ticket_number"]
    # Written by hand: httpx would escape the NUL in the file's name as "%00".
    form = (
        b'--XX\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n'
        + session.encode()
        + b'\r\n--XX\r\nContent-Disposition: form-data; name="file"; '
        + 'filename="скрин\x00.png"'.encode()
        + b"\r\nContent-Type: image/png\r\n\r\n"
        + PNG
        + b"\r\n--XX--\r\n"
    )
    attached = await client.post(
        f"/api/v1/tickets/{number}/attachments",
        content=form,
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert attached.status_code == 200, attached.text
    assert attached.json()["text"] == f"Файл «скрин.png» приложен к обращению № {number}."

    history = (await client.get("/api/v1/history", params={"session_id": session})).json()
    assert [m["text"] for m in history["messages"] if m["author"] == "citizen"] == [
        "забыл пароль",
        "позовите человека",
        "📎 скрин.png",
    ]

    only_nul = await client.post("/api/v1/ask", json={"question": "\x00"})
    assert only_nul.status_code == 422
    assert only_nul.json() == {"detail": "Напишите вопрос текстом."}


async def test_a_broken_character_is_told_in_russian(web: Web) -> None:
    """Half of an emoji (a lone surrogate escaped in JSON): until 2026-12-05 the reason was
    pydantic's English."""
    response = await web.client.post(
        "/api/v1/ask",
        content=b'{"question": "\\ud83d \xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Поле «вопрос» содержит повреждённый символ: удалите его и отправьте снова."
    }


async def test_a_question_of_letters_spelt_out_at_length_gets_its_answer(web: Web) -> None:
    """A question the words leave unsure goes to the meaning's stage: until 2026-12-07
    "ﷺ" (U+FDFA, 18 letters in Unicode's compatibility form) ten times in it overran the
    embedding engine's buffer and aborted the whole server."""
    asked = await web.client.post(
        "/api/v1/ask",
        json={"question": "не могу попасть в свой профиль на портале " + "ﷺ" * 200},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["action"] in ("clarify", "handoff")
    again = await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})
    assert again.json()["answer"].startswith("Новый пароль")


@pytest.mark.parametrize("path", ["/api/v1/ask", "/api/v1/handoff"])
async def test_a_question_far_over_the_limit_names_the_real_limit(web: Web, path: str) -> None:
    """Until 2026-12-05 a question over 8,000 characters was told "не больше 8000 символов",
    while the limit a question has is 2,000."""
    response = await web.client.post(path, json={"question": "а" * 9000})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Вопрос слишком длинный: больше 8000 символов, можно не больше 2000."
    }


async def test_a_phone_copied_from_a_page_is_masked_for_staff(web: Web) -> None:
    """Numbers copied from a site or a document hold no-break spaces and dashes: until
    2026-12-05 the operator read "8 900 123 45 67" and "123–456–789 01" in full."""
    await web.operator("anna")
    question = (
        "перезвоните на 8\u00a0900\u00a0123\u00a045\u00a067 или +7 (901) 765–43–21, "
        "СНИЛС 112–233–445 95"
    )
    handed = await web.client.post("/api/v1/handoff", json={"question": question})
    assert handed.status_code == 200, handed.text
    number = handed.json()["ticket_number"]
    await log_in(web.client, "anna")
    page = (await web.client.get(f"/console/tickets/{number}")).text
    assert "перезвоните на [телефон] или [телефон], СНИЛС [СНИЛС]" in page
    for digits in ("123\u00a045", "765–43–21", "112–233–445"):
        assert digits not in page


async def test_contacts_typed_on_a_phone_or_copied_from_a_page_are_taken(web: Web) -> None:
    """A non-breaking hyphen in a number copied from a page, full-width digits, iOS's
    typographic apostrophe in a name: until 2026-12-05 each was refused as "недопустимые
    символы" or "нужен номер из 11 цифр"."""
    handed = await web.client.post(
        "/api/v1/handoff",
        json={"question": "помогите", "contacts": {"name": "Анна Д’Артаньян"}},
    )
    assert handed.status_code == 200, handed.text
    session, number = handed.json()["session_id"], handed.json()["ticket_number"]
    for phone in ("+7 (900) 123\u201145\u201167", "8 900 123–45–67", "８９００１２３４５６７"):
        left = await web.client.post(
            f"/api/v1/tickets/{number}/contacts", json={"session_id": session, "phone": phone}
        )
        assert left.status_code == 200, (phone, left.text)
        assert left.json()["text"] == (
            f"Контакты добавлены к обращению № {number}: специалист сможет связаться с вами."
        )


async def test_an_sms_code_pasted_into_the_chat_is_warned_about_and_opens_no_ticket(
    web: Web,
) -> None:
    """Until 2026-12-05 the widget said nothing about a code, a password or a card number
    (the Telegram bot warns), and a code alone, stored as "[код]", counted as words: a
    ticket for people with nothing in it to answer."""
    code = await web.client.post("/api/v1/ask", json={"question": "483920"})
    assert code.status_code == 200, code.text
    said = code.json()
    assert said["kind"] == "notice" and said["ticket_number"] is None
    assert said["text"].startswith("Если у вас вопрос, напишите его словами")
    assert said["notice"] == (
        "Не отправляйте никому коды из СМС, пароли и номера банковских карт: служба поддержки "
        "никогда их не спрашивает. Мы скрыли эти данные в сохранённом сообщении."
    )
    session = said["session_id"]
    tickets = await web.client.get("/api/v1/tickets", params={"session_id": session})
    assert tickets.json()["tickets"] == []

    password = await web.client.post(
        "/api/v1/ask", json={"question": "не входит, мой пароль Qwerty123!", "session_id": session}
    )
    assert password.json()["notice"].startswith("Не отправляйте никому коды из СМС, пароли")
    plain = await web.client.post(
        "/api/v1/ask", json={"question": "забыл пароль", "session_id": session}
    )
    assert plain.json()["notice"] is None
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    typed = [m["text"] for m in history["messages"] if m["author"] == "citizen"]
    assert typed == ["[код]", "не входит, мой пароль [пароль]", "забыл пароль"]
