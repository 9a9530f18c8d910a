"""Web events are shared through the database: what one process delivers, another streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.core.records import OutboxMessage
from bot.core.web_events import WebEvents
from bot.storage.database import open_database
from bot.web.live import WEB_CHANNEL, LiveHub, WebSender
from bot.web.settings import WebSettings
from tests.bot.web.conftest import LiveServer

pytestmark = pytest.mark.anyio
UNKNOWN = "сломался карбюратор у трактора"
TAKEN = "Специалист взял обращение № 7."
REPLY = "Обратитесь в сервисный центр по месту жительства."


def _message(session_id: str, key: str, text: str) -> OutboxMessage:
    return OutboxMessage(
        id=1,
        idempotency_key=key,
        channel=WEB_CHANNEL,
        recipient=session_id,
        text=text,
        attempts=1,
        created_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        ticket_number=7,
    )


async def _replies(response: httpx.Response) -> AsyncIterator[tuple[int, str]]:
    """`(event id, text)` of each reply on an SSE stream."""
    event_id = 0
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = int(line.removeprefix("id: "))
        elif line.startswith("data: "):
            yield event_id, str(json.loads(line.removeprefix("data: "))["text"])


@pytest.fixture
async def other_process(web_settings: WebSettings) -> AsyncIterator[tuple[WebSender, WebEvents]]:
    """The web sender of another process on the same database: its own engine and hub."""
    db = await open_database(web_settings.database_url)
    try:
        events = WebEvents(db)
        yield WebSender(events, LiveHub()), events
    finally:
        await db.close()


async def test_an_event_delivered_elsewhere_is_streamed_once_and_replayed(
    live_server: LiveServer, other_process: tuple[WebSender, WebEvents]
) -> None:
    sender, events = other_process
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as citizen:
        session = (await citizen.post("/api/v1/ask", json={"question": UNKNOWN})).json()[
            "session_id"
        ]
        params = {"session_id": session}
        async with citizen.stream("GET", "/api/v1/events", params=params) as stream:
            replies = _replies(stream)
            await sender.send(_message(session, "taken-7", TAKEN))
            first = await asyncio.wait_for(anext(replies), 5)
            # The worker retried the same row (same key), then delivered the next one.
            await sender.send(_message(session, "taken-7", TAKEN))
            await sender.send(_message(session, "reply-7", REPLY))
            second = await asyncio.wait_for(anext(replies), 5)
        assert (first[1], second[1]) == (TAKEN, REPLY)
        assert first[0] < second[0]
        stored = await events.after(session, limit=10)
        assert [(e.id, e.text) for e in stored] == [first, second]

        headers = {"Last-Event-ID": str(first[0])}
        async with citizen.stream(
            "GET", "/api/v1/events", params=params, headers=headers
        ) as stream:
            replayed = await asyncio.wait_for(anext(_replies(stream)), 5)
        assert replayed == second

        history = (await citizen.get("/api/v1/history", params=params)).json()
        assert [(e["id"], e["text"]) for e in history["live"]] == [first, second]
