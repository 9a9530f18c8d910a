"""An SQLite file that can be read but not written (a full disk, a read-only file or folder)
under a running app: a clear 503 and an unhealthy /healthz, then recovery by itself.

Found by the 2026-12-05 administrator's walkthrough: with the file made read-only under a
running `serve`, every question was a 500 "Internal Server Error" with a traceback in the
log, while /healthz kept answering 200 "ok", so the monitoring saw nothing wrong; and
/metrics, which reads the queue, was a 503 with the counters lost for the scrape.
"""

from __future__ import annotations

import pytest

from bot.storage.database import Database
from tests.bot.web.conftest import Web

pytestmark = pytest.mark.anyio

QUESTION = "Как восстановить пароль от Госуслуг?"
UNKNOWN = "сломался карбюратор у трактора"


async def _writes(db: Database, *, allowed: bool) -> None:
    """SQLite refuses writes on the app's own connection as it does on a read-only file
    ("attempt to write a readonly database"); the pool keeps one connection."""
    pooled = await db._engine.raw_connection()  # the test's lever
    try:
        assert pooled.driver_connection is not None
        await pooled.driver_connection.execute(f"PRAGMA query_only = {0 if allowed else 1}")
    finally:
        pooled.close()


async def test_questions_get_a_503_and_health_says_so_while_the_file_cannot_be_written(
    web: Web,
) -> None:
    assert (await web.client.get("/healthz")).status_code == 200
    await _writes(web.services.db, allowed=False)
    try:
        asked = await web.client.post("/api/v1/ask", json={"question": QUESTION})
        handed = await web.client.post("/api/v1/handoff", json={"question": UNKNOWN})
        health = await web.client.get("/healthz")
        metrics = await web.client.get("/metrics")
    finally:
        await _writes(web.services.db, allowed=True)

    for response in (asked, handed):
        assert response.status_code == 503, response.text
        assert "временно недоступен" in response.json()["detail"]
        assert response.headers["Retry-After"] == "5"
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    # The counters are still scraped, with the database said to be down.
    assert metrics.status_code == 200, metrics.text
    assert "faqbot_database_up 0.0" in metrics.text
    assert "faqbot_queue_length NaN" in metrics.text
    assert 'faqbot_questions_total{outcome="answer"}' in metrics.text

    assert (await web.client.get("/healthz")).status_code == 200
    assert "faqbot_database_up 1.0" in (await web.client.get("/metrics")).text
    after = await web.client.post("/api/v1/ask", json={"question": QUESTION})
    assert after.status_code == 200, after.text
