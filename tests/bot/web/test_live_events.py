"""Server-sent events through a real uvicorn server: an operator's reply reaches the widget."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.bot.web.conftest import LiveServer, csrf_of, log_in

pytestmark = pytest.mark.anyio
UNKNOWN = "сломался карбюратор у трактора"


async def _next_reply(lines: httpx.Response, text: str) -> dict[str, object]:
    event = ""
    async for line in lines.aiter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "reply":
            data: dict[str, object] = json.loads(line.removeprefix("data: "))
            if text in str(data["text"]):
                return data
    raise AssertionError("the stream ended without the reply")


async def test_an_operator_reply_is_pushed_to_the_open_stream(live_server: LiveServer) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as citizen,
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as operator,
    ):
        asked = (await citizen.post("/api/v1/ask", json={"question": UNKNOWN})).json()
        session = asked["session_id"]
        async with citizen.stream(
            "GET", "/api/v1/events", params={"session_id": session}
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            await _anna_takes_and_replies(operator)
            reply = await asyncio.wait_for(_next_reply(stream, "Обратитесь в сервис."), 10)
        assert reply["ticket_number"] == 1
        history = (await citizen.get("/api/v1/history", params={"session_id": session})).json()
        (reply,) = [e for e in history["live"] if "Обратитесь в сервис." in e["text"]]
        assert reply["author"] == "operator"  # shown as the specialist's, not a notice


async def _anna_takes_and_replies(operator: httpx.AsyncClient) -> None:
    """The operator anna logs in, takes ticket 1 and replies "Обратитесь в сервис."."""
    await log_in(operator, "anna")
    page = await operator.get("/console")
    await operator.post("/console/take", data={"csrf_token": csrf_of(page.text)})
    await operator.post(
        "/console/tickets/1/reply",
        data={"csrf_token": csrf_of(page.text), "text": "Обратитесь в сервис."},
    )


# What a browser never sends, but anyone can: each is taken as no header at all.
HOSTILE_LAST_EVENT_IDS = ("99999999999999999999999", "9223372036854775808", "-5", "abc", "²")


async def test_a_hostile_last_event_id_is_ignored_and_the_stream_replays(
    live_server: LiveServer,
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as citizen,
        httpx.AsyncClient(base_url=live_server.url, timeout=10) as operator,
    ):
        asked = (await citizen.post("/api/v1/ask", json={"question": UNKNOWN})).json()
        session = asked["session_id"]
        await _anna_takes_and_replies(operator)
        for header in HOSTILE_LAST_EVENT_IDS:
            async with citizen.stream(
                "GET",
                "/api/v1/events",
                params={"session_id": session},
                # Latin-1, as the server decodes header bytes: "²" arrives as "²".
                headers={b"Last-Event-ID": header.encode("latin-1")},
            ) as stream:
                assert stream.status_code == 200, header
                reply = await asyncio.wait_for(_next_reply(stream, "Обратитесь в сервис."), 10)
            assert reply["ticket_number"] == 1, header
        # The same number in the query string is refused in Russian before the stream opens.
        for after in ("99999999999999999999999", "-1"):
            refused = await citizen.get(
                "/api/v1/events", params={"session_id": session, "after": after}
            )
            assert refused.status_code == 422, after
            assert "номер последнего полученного события" in refused.json()["detail"]
