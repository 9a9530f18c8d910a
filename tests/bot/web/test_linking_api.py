"""The linking API's answers to bad input and to guessing, through the real app."""

from __future__ import annotations

import secrets

import pytest

from bot.core.settings import LinkSettings
from tests.bot.web.conftest import Web

pytestmark = pytest.mark.anyio

LIMITS = LinkSettings()


def session() -> str:
    return secrets.token_urlsafe(24)


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("12345", "Код связи — это 6 цифр, например 123456."),
        ("", "Пустое поле «код связи»."),
        ("x" * 51, "Слишком длинное поле «код связи»: не больше 50 символов."),
    ],
)
async def test_a_malformed_code_says_what_is_expected(web: Web, code: str, detail: str) -> None:
    response = await web.client.post("/api/v1/link", json={"session_id": session(), "code": code})
    assert response.status_code == 422
    assert response.json()["detail"] == detail


async def test_guessing_from_one_session_is_stopped_with_429(web: Web) -> None:
    guesser = session()
    for n in range(LIMITS.failures_per_identity):
        wrong = await web.client.post(
            "/api/v1/link", json={"session_id": guesser, "code": f"{n:06d}"}
        )
        assert wrong.status_code == 422
    blocked = await web.client.post("/api/v1/link", json={"session_id": guesser, "code": "999999"})
    assert blocked.status_code == 429
    assert blocked.json()["detail"].startswith("Слишком много неверных кодов")


async def test_guessing_from_one_address_with_many_sessions_is_stopped(web: Web) -> None:
    owner = session()
    issued = (await web.client.post("/api/v1/link/code", json={"session_id": owner})).json()
    wrong = f"{(int(issued['code']) + 1) % 1_000_000:06d}"
    for _ in range(LIMITS.failures_per_source):
        response = await web.client.post(
            "/api/v1/link", json={"session_id": session(), "code": wrong}
        )
        assert response.status_code == 422
    fresh = await web.client.post(
        "/api/v1/link", json={"session_id": session(), "code": issued["code"]}
    )
    assert fresh.status_code == 429, "the right code is not even checked once the limit is hit"


async def test_two_widget_sessions_linked_see_each_others_tickets(web: Web) -> None:
    first, second = session(), session()
    handoff = await web.client.post(
        "/api/v1/handoff", json={"session_id": first, "question": "нужен человек"}
    )
    number = handoff.json()["ticket_number"]
    assert (
        await web.client.get(f"/api/v1/tickets/{number}", params={"session_id": second})
    ).status_code == 404
    issued = (await web.client.post("/api/v1/link/code", json={"session_id": first})).json()
    own = await web.client.post("/api/v1/link", json={"session_id": first, "code": issued["code"]})
    assert own.status_code == 422 and "выдан здесь же" in own.json()["detail"]
    linked = await web.client.post(
        "/api/v1/link", json={"session_id": second, "code": issued["code"]}
    )
    assert linked.status_code == 200
    found = await web.client.get(f"/api/v1/tickets/{number}", params={"session_id": second})
    assert found.status_code == 200 and found.json()["number"] == number
    unlinked = await web.client.post("/api/v1/link/unlink", json={"session_id": second})
    assert unlinked.json()["text"].startswith("Готово: этот чат больше не связан")
    hidden = await web.client.get(f"/api/v1/tickets/{number}", params={"session_id": second})
    assert hidden.status_code == 404
    still = await web.client.get(f"/api/v1/tickets/{number}", params={"session_id": first})
    assert still.status_code == 200, "the ticket stays with the session that opened it"
