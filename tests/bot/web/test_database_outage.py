"""The database going away under a running app: a clear 503, then recovery by itself.

A PostgreSQL server of its own (the session's shared one must stay up) is stopped while the
real app runs on it: the API answers 503 with a Russian message and `Retry-After` instead of
a 500 or a hang; once the server is back the same app answers again without a restart, and
the outbox worker, which polled through the outage, still delivers an operator's reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.roles import Role
from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.conftest import postgres_unavailable
from tests.bot.web.conftest import Web, csrf_of, log_in, serving
from tests.support.postgres import PostgresUnavailableError, ThrowawayPostgres

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = [
    pytest.mark.anyio,
    pytest.mark.integration,
    pytest.mark.xdist_group("test_database_outage"),
]

QUESTION = "Как восстановить пароль от Госуслуг?"
UNKNOWN = "сломался карбюратор у трактора"
REPLY = "Карбюратор — не к нам, но мы подскажем, куда обратиться."
# Longer than the outbox worker's poll (1 s): it must meet the outage, not sleep through it.
OUTAGE_SECONDS = 2.5


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server this module may stop and start."""
    try:
        own = ThrowawayPostgres()
        own.start()
    except PostgresUnavailableError as error:
        postgres_unavailable(str(error))
        raise AssertionError("unreachable") from error
    try:
        yield own
    finally:
        own.stop()


async def _create(url: str, name: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


@pytest.fixture
async def web_on_pg(
    cluster: ThrowawayPostgres,
    web_settings: WebSettings,
    morphology: Morphology,
    anyio_backend: str,
) -> AsyncIterator[Web]:
    """The real app on the module's PostgreSQL, with its lifespan (and outbox worker) running."""
    name = f"outage_{uuid4().hex[:8]}"
    await _create(cluster.server.url("postgres"), name)
    settings = replace(web_settings, database_url=cluster.server.url(name))
    async with serving(settings, morphology) as web:
        yield web


async def _halted(cluster: ThrowawayPostgres) -> None:
    await asyncio.to_thread(cluster.halt)


async def _resumed(cluster: ThrowawayPostgres) -> None:
    await asyncio.to_thread(cluster.resume)


async def test_an_outage_is_a_clear_503_and_the_app_recovers_by_itself(
    web_on_pg: Web, cluster: ThrowawayPostgres
) -> None:
    client = web_on_pg.client
    before = await client.post("/api/v1/ask", json={"question": QUESTION})
    assert before.status_code == 200, before.text

    await _halted(cluster)
    try:
        started = time.monotonic()
        asked = await client.post("/api/v1/ask", json={"question": QUESTION})
        handed = await client.post("/api/v1/handoff", json={"question": UNKNOWN})
        health = await client.get("/healthz")
        took = time.monotonic() - started
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        await _resumed(cluster)

    for response in (asked, handed):
        assert response.status_code == 503, response.text
        assert "временно недоступен" in response.json()["detail"]
        assert response.headers["Retry-After"] == "5"
    assert health.status_code == 503
    assert took < 10, f"three requests during the outage took {took:.1f} s: a hang"

    after = await client.post("/api/v1/ask", json={"question": QUESTION})
    assert after.status_code == 200, after.text
    assert after.json()["kind"] in {"answer", "clarify"}


async def test_replies_are_delivered_after_an_outage(
    web_on_pg: Web, cluster: ThrowawayPostgres
) -> None:
    client = web_on_pg.client
    await web_on_pg.operator("anna", Role.OPERATOR)
    handed = await client.post("/api/v1/handoff", json={"question": UNKNOWN})
    assert handed.status_code == 200, handed.text
    session, number = handed.json()["session_id"], handed.json()["ticket_number"]

    await _halted(cluster)
    await asyncio.sleep(OUTAGE_SECONDS)  # the outbox worker polls into the outage
    await _resumed(cluster)

    await log_in(client, "anna")
    token = csrf_of((await client.get("/console")).text)
    taken = await client.post("/console/take", data={"csrf_token": token})
    assert taken.headers["location"] == f"/console/tickets/{number}"
    sent = await client.post(
        f"/console/tickets/{number}/reply", data={"csrf_token": token, "text": REPLY}
    )
    assert sent.status_code == 303, sent.text
    deadline = time.monotonic() + 10
    live: list[dict[str, object]] = []
    while time.monotonic() < deadline and not live:
        history = await client.get("/api/v1/history", params={"session_id": session})
        live = [e for e in history.json()["live"] if REPLY in str(e["text"])]
        await asyncio.sleep(0.2)
    assert len(live) == 1, "the reply written after the outage never reached the widget"
