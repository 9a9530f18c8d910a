"""Guessing passwords on the console's log-in form: a few wrong ones close it for a while."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import Database
from bot.web.errors import TooManyLoginAttemptsError
from bot.web.login_guard import LoginGuard
from bot.web.settings import DEFAULT_LOGIN_IP_RATE, DEFAULT_LOGIN_RATE, WebSettings
from matcher import Morphology
from tests.bot.conftest import FakeClock
from tests.bot.core.conftest import PASSWORD
from tests.bot.web.conftest import Web, csrf_of, log_in, serving

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
    # A sentence as the log's other lines are («вход в консоль закрыт для логина после…»).
    [locked] = [r.getMessage() for r in caplog.records if "онсоль закрыт" in r.getMessage()]
    assert re.fullmatch(
        r"Вход в консоль закрыт после неверных паролей \(ограничение по логину\): "
        r"логин 'anna' с адреса \S+; следующая попытка через \d+ с",
        locked,
    ), locked
    assert WRONG not in locked and PASSWORD not in locked
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


async def test_two_servers_on_one_database_share_the_count(
    settings_on: WebSettings, morphology: Morphology
) -> None:
    """Behind a proxy each server allowed five wrong passwords of its own: 30 guesses sent
    at once across two servers got 10 checked; now 5, as on one server."""
    async with (
        serving(settings_on, morphology) as one,
        serving(settings_on, morphology) as two,
    ):
        await one.operator("anna")
        forms = []
        for web in (one, two):
            page = await web.client.get("/console/login")
            forms.append(
                (web.client, {"login": "anna", "password": WRONG, "csrf_token": csrf_of(page.text)})
            )
        sent = await asyncio.gather(
            *(forms[i % 2][0].post("/console/login", data=forms[i % 2][1]) for i in range(30))
        )
        assert sorted(r.status_code for r in sent) == [401] * 5 + [429] * 25
        for web in (one, two):
            refused = await log_in(web.client, "anna", PASSWORD)
            assert refused.status_code == 429 and LOCKED in refused.text
            assert 60 <= int(refused.headers["retry-after"]) <= 15 * 60


async def test_a_restart_keeps_the_lock_out(
    settings_on: WebSettings, morphology: Morphology
) -> None:
    async with serving(settings_on, morphology) as before:
        await before.operator("anna")
        await before.operator("boris")
        assert await _wrong(before.client, "anna", 5) == [401] * 5
    async with serving(settings_on, morphology) as after:
        refused = await log_in(after.client, "anna", PASSWORD)
        assert refused.status_code == 429 and LOCKED in refused.text
        assert "попробуйте снова через 3 мин." in refused.text
        # A successful log-in still clears its own login's count only.
        assert await _wrong(after.client, "boris", 4) == [401] * 4
        assert (await log_in(after.client, "boris")).status_code == 303
        assert await _wrong(after.client, "boris", 6) == [401] * 5 + [429]


async def _writes(web: Web, *, allowed: bool) -> None:
    """SQLite refuses writes on the app's own connection as on a read-only file or a full
    disk (the pool keeps one connection)."""
    pooled = await web.services.db._engine.raw_connection()  # the test's lever
    try:
        assert pooled.driver_connection is not None
        await pooled.driver_connection.execute(f"PRAGMA query_only = {0 if allowed else 1}")
    finally:
        pooled.close()


async def test_a_lock_out_outlives_a_restart_and_the_form_answers_while_the_file_is_read_only(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    async with serving(web_settings, morphology) as before:
        await before.operator("anna")
        await before.operator("boris")
        assert await _wrong(before.client, "anna", 5) == [401] * 5
    async with serving(web_settings, morphology) as after:
        assert (await log_in(after.client, "anna", PASSWORD)).status_code == 429
        await _writes(after, allowed=False)
        try:
            # The count cannot be kept: the form says so, as every console page does in an
            # outage, and checks no password meanwhile.
            answers = [await log_in(after.client, "boris", WRONG) for _ in range(6)]
        finally:
            await _writes(after, allowed=True)
        for answer in answers:
            assert answer.status_code == 503 and "временно недоступен" in answer.text
            assert answer.headers["retry-after"] == "5"
        assert (await log_in(after.client, "boris", PASSWORD)).status_code == 303
        assert (await log_in(after.client, "anna", PASSWORD)).status_code == 429


async def _stored_rows(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT count(*) FROM login_failures")) or 0)
    finally:
        await engine.dispose()


async def test_counts_are_kept_in_the_database_and_pruned_once_worn_off(
    db: Database, database_url: str, clock: FakeClock
) -> None:
    guard = LoginGuard(
        db, per_login=DEFAULT_LOGIN_RATE, per_address=DEFAULT_LOGIN_IP_RATE, clock=clock
    )
    for _ in range(5):
        await guard.admit("anna", "10.0.0.7")
    with pytest.raises(TooManyLoginAttemptsError) as refused:
        await guard.admit("ANNA ", "10.0.0.7")
    assert refused.value.retry_after == pytest.approx(180)
    assert await _stored_rows(database_url) == 2  # anna at the address, and the address
    clock.advance(timedelta(minutes=3))
    await guard.admit("anna", "10.0.0.7")  # one attempt refilled
    clock.advance(timedelta(hours=1, minutes=1))  # both buckets full again
    await guard.admit("boris", "10.0.0.8")
    assert await _stored_rows(database_url) == 2  # only boris's: the worn-off rows are gone


async def test_guesses_at_a_closed_form_cost_the_database_no_write(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    """A flood of guesses at a login already locked out wrote to the database each time (on
    SQLite, one writer for the whole service): the process remembers the refusal until the
    bucket reopens, so such guesses are refused without the database, even when it cannot
    be written."""
    async with serving(web_settings, morphology) as web:
        await web.operator("anna")
        assert await _wrong(web.client, "anna", 6) == [401] * 5 + [429]
        await _writes(web, allowed=False)
        try:
            answers = [await log_in(web.client, "anna", WRONG) for _ in range(20)]
        finally:
            await _writes(web, allowed=True)
        assert {a.status_code for a in answers} == {429}
        assert all(LOCKED in a.text for a in answers)
        assert 60 <= int(answers[-1].headers["retry-after"]) <= 15 * 60
