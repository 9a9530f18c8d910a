"""Guessing passwords on the console's log-in form: a few wrong ones close it for a while."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.bot.core.conftest import PASSWORD
from tests.bot.web.conftest import Web, csrf_of, log_in

pytestmark = pytest.mark.anyio

WRONG = "неверный-пароль-123"
LOCKED = "Слишком много неудачных попыток входа"


async def _wrong(client: httpx.AsyncClient, login: str, times: int) -> list[int]:
    return [(await log_in(client, login, WRONG)).status_code for _ in range(times)]


async def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_minutes(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    await web.operator("anna")
    caplog.set_level(logging.WARNING, logger="bot.web.login_guard")
    assert await _wrong(web.client, "anna", 5) == [401] * 5
    refused = await log_in(web.client, "Anna", PASSWORD)  # the same login in capitals
    assert refused.status_code == 429
    assert 60 <= int(refused.headers["retry-after"]) <= 15 * 60
    # Said on the log-in page itself, with the form to try again later.
    assert LOCKED in refused.text and "попробуйте снова через 3 мин." in refused.text
    assert 'action="/console/login"' in refused.text
    queue = await web.client.get("/console")
    assert queue.status_code == 303 and queue.headers["location"] == "/console/login"
    # The lock-out is in the log, with the login and never the password.
    [locked] = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert "'anna'" in locked and WRONG not in locked and PASSWORD not in locked
    # Another operator's login is not locked by anna's.
    await web.operator("boris")
    assert (await log_in(web.client, "boris", PASSWORD)).status_code == 303


async def test_a_successful_log_in_clears_the_count_of_its_login(web: Web) -> None:
    await web.operator("anna")
    assert await _wrong(web.client, "anna", 4) == [401] * 4
    assert (await log_in(web.client, "anna")).status_code == 303
    assert await _wrong(web.client, "anna", 6) == [401] * 5 + [429]


async def test_one_address_guessing_many_logins_is_refused_too(
    web: Web, web_app_client: httpx.AsyncClient
) -> None:
    await web.operator("anna")
    for number in range(5):  # four wrong each: no login reaches its own limit
        assert await _wrong(web.client, f"user{number}", 4) == [401] * 4
    refused = await log_in(web.client, "anna", PASSWORD)
    assert refused.status_code == 429 and LOCKED in refused.text
    assert "Retry-After" in refused.headers
    # From another address the same operator logs in as usual.
    assert (await log_in(web_app_client, "anna", PASSWORD)).status_code == 303


async def test_a_guesser_elsewhere_does_not_lock_the_operator_out(
    web: Web, web_app_client: httpx.AsyncClient
) -> None:
    """Anyone who knows a login could keep its owner out of the console all day by typing
    it with wrong passwords: the count is per login at each address."""
    await web.operator("anna")
    assert await _wrong(web_app_client, "anna", 6) == [401] * 5 + [429]
    assert (await log_in(web.client, "anna", PASSWORD)).status_code == 303


@pytest.fixture
async def web_app_client(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, on another address, talking to the same app."""
    transport = httpx.ASGITransport(app=web.app, client=("10.9.0.2", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_guesses_sent_all_at_once_are_counted_before_any_is_checked(web: Web) -> None:
    await web.operator("anna")
    page = await web.client.get("/console/login")
    form = {"login": "anna", "password": WRONG, "csrf_token": csrf_of(page.text)}
    sent = await asyncio.gather(*(web.client.post("/console/login", data=form) for _ in range(30)))
    statuses = sorted(response.status_code for response in sent)
    assert statuses == [401] * 5 + [429] * 25
