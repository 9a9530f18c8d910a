"""A widget request sent again with its `request_id` (its answer lost on the way, the browser
offline, a minute without an answer): the citizen gets the first reply again, and nothing is
recorded twice — not the exchange, the question log, the ticket's message, the rating or the
metrics. On SQLite and PostgreSQL, and across two servers on one database. Until 2026-12-05
each repeat was a second question."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.claimants import host_prefix
from bot.core.replies import Reply
from bot.storage.tables import RequestReplyRow
from bot.web.deps import web_identity
from bot.web.errors import RequestInProgressError
from bot.web.repeats import KEEP_FOR, STALE_AFTER, RepeatedRequests
from bot.web.schemas import FeedbackResponse
from bot.web.settings import WebSettings
from matcher import Morphology
from tests.bot.web.conftest import Web, serving
from tests.conftest import ROOT

pytestmark = pytest.mark.anyio

SESSION = "repeat-session-0123456789"


@pytest.fixture
async def web_on(
    settings_on: WebSettings, morphology: Morphology, anyio_backend: str
) -> AsyncIterator[Web]:
    """The app on a fresh database of each backend."""
    async with serving(settings_on, morphology) as web:
        yield web


async def _count(database_url: str, table: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            )
    finally:
        await engine.dispose()


async def _history(client: httpx.AsyncClient, session: str = SESSION) -> list[tuple[str, str]]:
    found = await client.get("/api/v1/history", params={"session_id": session})
    assert found.status_code == 200, found.text
    return [(m["author"], m["text"][:20]) for m in found.json()["messages"]]


async def _asked(client: httpx.AsyncClient, outcome: str) -> float:
    page = (await client.get("/metrics")).text
    found = re.search(rf'^faqbot_questions_total\{{outcome="{outcome}"\}} (\S+)$', page, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_question_sent_again_is_answered_once(web_on: Web) -> None:
    client = web_on.client
    body = {"question": "забыл пароль", "session_id": SESSION, "request_id": "q-0001-abcd"}
    first = await client.post("/api/v1/ask", json=body)
    again = await client.post("/api/v1/ask", json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["answer"].startswith("Новый пароль")
    assert await _history(client) == [
        ("citizen", "забыл пароль"),
        ("bot", "Новый пароль можно з"),
    ]
    url = str(web_on.services.settings.database_url)
    assert await _count(url, "question_log") == 1
    assert await _asked(client, "answer") == 1.0


async def test_a_new_request_id_is_a_new_question_and_none_works_as_before(web_on: Web) -> None:
    client = web_on.client
    base = {"question": "забыл пароль", "session_id": SESSION}
    for body in (
        {**base, "request_id": "q-0001-abcd"},
        {**base, "request_id": "q-0002-abcd"},
        base,
        base,
    ):
        assert (await client.post("/api/v1/ask", json=body)).status_code == 200
    assert len(await _history(client)) == 8
    assert await _count(str(web_on.services.settings.database_url), "question_log") == 4


async def test_the_same_id_in_another_session_is_another_question(web_on: Web) -> None:
    client = web_on.client
    for session in (SESSION, "other-session-0123456789"):
        body = {"question": "забыл пароль", "session_id": session, "request_id": "q-0001-abcd"}
        assert (await client.post("/api/v1/ask", json=body)).status_code == 200
        assert len(await _history(client, session)) == 2


async def test_a_call_for_a_person_sent_again_adds_one_message_to_the_ticket(web_on: Web) -> None:
    client = web_on.client
    body = {"question": "не приходит код", "session_id": SESSION, "request_id": "h-0001-abcd"}
    url = str(web_on.services.settings.database_url)
    first = await client.post("/api/v1/handoff", json=body)
    messages = await _count(url, "ticket_messages")
    again = await client.post("/api/v1/handoff", json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["text"].startswith("Передали ваш вопрос специалисту")
    assert await _count(url, "tickets") == 1
    assert await _count(url, "ticket_messages") == messages
    assert await _history(client) == [
        ("citizen", "не приходит код"),
        ("bot", "Передали ваш вопрос "),
    ]
    assert await _asked(client, "handoff") == 1.0


async def test_a_choice_and_a_thumb_sent_again_count_once(web_on: Web) -> None:
    client = web_on.client
    offered = await client.post("/api/v1/ask", json={"question": "код", "session_id": SESSION})
    assert offered.json()["action"] == "clarify"
    entry = offered.json()["choices"][0]["entry_id"]
    body = {"entry_id": entry, "session_id": SESSION, "request_id": "c-0001-abcd"}
    first = await client.post("/api/v1/choose", json=body)
    again = await client.post("/api/v1/choose", json=body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(await _history(client)) == 4  # the question, the choices, the pick, its answer
    thumb = {
        "message_id": first.json()["message_id"],
        "helpful": False,
        "comment": "не то",
        "session_id": SESSION,
        "request_id": "f-0001-abcd",
    }
    rated = await client.post("/api/v1/feedback", json=thumb)
    rated_again = await client.post("/api/v1/feedback", json=thumb)
    assert rated_again.status_code == 200, rated_again.text
    assert rated_again.json() == rated.json()
    assert await _count(str(web_on.services.settings.database_url), "ratings") == 1


async def test_a_repeat_sent_while_the_first_is_answered_waits_for_its_reply(
    web_on: Web,
) -> None:
    client = web_on.client
    body = {"question": "не приходит код", "session_id": SESSION, "request_id": "h-0002-abcd"}
    replies = await asyncio.gather(*(client.post("/api/v1/handoff", json=body) for _ in range(3)))
    assert {r.status_code for r in replies} == {200}
    assert len({r.text for r in replies}) == 1
    assert len(await _history(client)) == 2


async def test_two_servers_on_one_database_give_the_same_reply(
    settings_on: WebSettings, morphology: Morphology, anyio_backend: str
) -> None:
    body = {"question": "забыл пароль", "session_id": SESSION, "request_id": "q-0003-abcd"}
    async with serving(settings_on, morphology) as one, serving(settings_on, morphology) as two:
        first = await one.client.post("/api/v1/ask", json=body)
        again = await two.client.post("/api/v1/ask", json=body)
        assert again.json() == first.json()
        assert len(await _history(two.client)) == 2


async def test_a_malformed_request_id_is_refused_with_a_reason(web_on: Web) -> None:
    body = {"question": "забыл пароль", "session_id": SESSION, "request_id": "не id"}
    refused = await web_on.client.post("/api/v1/ask", json=body)
    assert refused.status_code == 422
    assert "идентификатор запроса" in refused.text


async def test_the_question_as_typed_is_not_kept_with_the_reply(web_on: Web) -> None:
    """The conversation keeps a question's personal data masked; the kept reply must not
    hold it in full either."""
    question = "не приходит код на номер 89161234567"
    body = {"question": question, "session_id": SESSION, "request_id": "q-0004-abcd"}
    first = await web_on.client.post("/api/v1/handoff", json=body)
    again = await web_on.client.post("/api/v1/handoff", json=body)
    assert again.json() == first.json()
    assert again.json()["query"] == question
    engine = create_async_engine(str(web_on.services.settings.database_url))
    try:
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT reply FROM request_replies"))).all()
    finally:
        await engine.dispose()
    assert len(kept) == 1
    assert "89161234567" not in kept[0][0]


async def test_a_repeat_of_a_request_still_unanswered_is_refused_then_taken_over(
    web_on: Web,
) -> None:
    """A repeat waits for the first reply for a while, then is refused with the reason; a
    first request that never finished (its process stopped) is answered by the next try."""
    db = web_on.services.db
    later = datetime.now(tz=UTC) + STALE_AFTER + timedelta(seconds=1)
    waiting = RepeatedRequests(db, wait_seconds=0.3)
    stuck = asyncio.Event()

    async def never() -> FeedbackResponse:
        await stuck.wait()
        raise AssertionError("unreachable")

    async def answer() -> FeedbackResponse:
        return FeedbackResponse(rating_id=7, session_id=SESSION)

    first = asyncio.create_task(
        waiting.once(SESSION, "feedback", "f-0009-abcd", FeedbackResponse, never, respond=_same)
    )
    await asyncio.sleep(0.2)
    with pytest.raises(RequestInProgressError, match="ещё обрабатывается"):
        await waiting.once(
            SESSION, "feedback", "f-0009-abcd", FeedbackResponse, answer, respond=_same
        )
    taking_over = RepeatedRequests(db, clock=lambda: later)
    taken = await taking_over.once(
        SESSION, "feedback", "f-0009-abcd", FeedbackResponse, answer, respond=_same
    )
    assert taken.rating_id == 7
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    # Kept a day, then forgotten.
    gone = later + KEEP_FOR + timedelta(seconds=1)
    assert await RepeatedRequests(db, clock=lambda: gone).trim() == 1


def _same(reply: FeedbackResponse) -> FeedbackResponse:
    return reply


# The reply cannot be stored: as if the process died right after the answer's transaction.
_LOSE_THE_REPLY = {
    "sqlite": [
        "CREATE TRIGGER reply_lost BEFORE UPDATE OF reply ON request_replies "
        "WHEN NEW.reply IS NOT NULL BEGIN SELECT RAISE(ABORT, 'the process stopped'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION reply_lost() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the process stopped'; END $$",
        "CREATE TRIGGER reply_lost BEFORE UPDATE OF reply ON request_replies FOR EACH ROW "
        "WHEN (NEW.reply IS NOT NULL) EXECUTE FUNCTION reply_lost()",
    ],
}
_KEEP_THE_REPLY = {
    "sqlite": ["DROP TRIGGER reply_lost"],
    "postgresql": ["DROP TRIGGER reply_lost ON request_replies", "DROP FUNCTION reply_lost()"],
}


async def _run_sql(database_url: str, statements: list[str]) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _claims_made_before(database_url: str, moment: datetime) -> None:
    """Every claim dates from `moment`: its process died that long ago."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(RequestReplyRow).values(created_at=moment))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("path", "question", "recorded", "reply_starts"),
    [
        ("/api/v1/ask", "забыл пароль", "question_log", "Новый пароль"),
        ("/api/v1/handoff", "не приходит код", "tickets", "Передали ваш вопрос"),
    ],
)
async def test_a_process_that_died_before_keeping_the_reply_answers_the_repeat_once(
    web_on: Web, path: str, question: str, recorded: str, reply_starts: str
) -> None:
    """The answer's writes and the kept reply commit together. Until 2026-12-05 the reply
    was stored in a transaction of its own after the answer's: a process that died between
    the two left the request claimed without a reply, and the repeat sent once the claim
    was stale (2 minutes) was a second question (a second ticket)."""
    client = web_on.client
    url = str(web_on.services.settings.database_url)
    backend = web_on.services.db.dialect
    body = {"question": question, "session_id": SESSION, "request_id": "q-0005-abcd"}
    await _run_sql(url, _LOSE_THE_REPLY[backend])
    try:
        with contextlib.suppress(Exception):  # the citizen's browser got no reply
            lost = await client.post(path, json=body)
            assert lost.status_code >= 500, lost.text
    finally:
        await _run_sql(url, _KEEP_THE_REPLY[backend])
    await _claims_made_before(url, datetime.now(tz=UTC) - STALE_AFTER - timedelta(seconds=1))
    again = await client.post(path, json=body)
    assert again.status_code == 200, again.text
    assert (again.json().get("answer") or again.json()["text"]).startswith(reply_starts)
    assert await _count(url, recorded) == 1
    assert [author for author, _ in await _history(client)] == ["citizen", "bot"]
    assert (await client.post(path, json=body)).json() == again.json()


async def test_a_first_try_that_outlived_its_claim_gives_the_reply_of_the_try_that_took_over(
    web_on: Web,
) -> None:
    """A first request still being answered when its claim went stale (2 minutes): the
    repeat takes it over and answers; the first, finishing later, records nothing and gives
    the repeat's reply. Before, both recorded the question."""
    services = web_on.services
    url = str(services.settings.database_url)
    go_on = asyncio.Event()
    identity = web_identity(SESSION)

    async def slow() -> Reply:
        await go_on.wait()
        return await services.conversations.handle(identity, "забыл пароль")

    async def quick() -> Reply:
        return await services.conversations.handle(identity, "забыл пароль")

    def respond(reply: Reply) -> FeedbackResponse:
        return FeedbackResponse(rating_id=reply.message_id or 0, session_id=SESSION)

    first = asyncio.create_task(
        RepeatedRequests(services.db).once(
            SESSION, "ask", "q-0006-abcd", FeedbackResponse, slow, respond=respond
        )
    )
    await asyncio.sleep(0.2)
    later = datetime.now(tz=UTC) + STALE_AFTER + timedelta(seconds=1)
    taken = await RepeatedRequests(services.db, clock=lambda: later).once(
        SESSION, "ask", "q-0006-abcd", FeedbackResponse, quick, respond=respond
    )
    go_on.set()
    assert await first == taken
    assert await _count(url, "question_log") == 1
    assert len(await _history(web_on.client)) == 2


# Another server's process answering a question with a request id, for ever: it has claimed
# the request and is killed before it answers.
ANSWERING_FOR_EVER = """
import asyncio, sys
from bot.storage.database import open_database
from bot.web.repeats import RepeatedRequests
from bot.web.schemas import FeedbackResponse

async def main():
    db = await open_database(sys.argv[1])
    async def never():
        await asyncio.Event().wait()
    await RepeatedRequests(db).once(
        sys.argv[2], "ask", sys.argv[3], FeedbackResponse, never, respond=lambda reply: reply
    )

asyncio.run(main())
"""


async def _claimed_by_another_process(url: str, request_id: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", ANSWERING_FOR_EVER, url, SESSION, request_id],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while await _count(url, "request_replies") == 0:
        assert process.poll() is None, "the other process stopped"
        assert time.monotonic() < deadline, "the other process claimed nothing"
        await asyncio.sleep(0.1)
    return process


@pytest.mark.skipif(host_prefix() is None, reason="needs Linux /proc")
async def test_a_repeat_of_a_request_whose_process_was_killed_is_answered_at_once(
    web_on: Web,
) -> None:
    """A server killed (kill -9, a restart that did not wait) while it answered a question:
    until 2026-12-06 the repeat waited 10 s and was refused (409) until the claim was stale,
    2 minutes on. While that process lives, the repeat still waits for it."""
    url = str(web_on.services.settings.database_url)
    process = await _claimed_by_another_process(url, "q-0010-abcd")
    try:
        with pytest.raises(RequestInProgressError):
            await RepeatedRequests(web_on.services.db, wait_seconds=0.5).once(
                SESSION, "ask", "q-0010-abcd", FeedbackResponse, _never, respond=_same
            )
        process.kill()
        process.wait()
        started = time.monotonic()
        body = {"question": "забыл пароль", "session_id": SESSION, "request_id": "q-0010-abcd"}
        again = await web_on.client.post("/api/v1/ask", json=body)
        waited = time.monotonic() - started
    finally:
        process.kill()
        process.wait()
    assert again.status_code == 200, again.text
    assert again.json()["answer"].startswith("Новый пароль")
    assert waited < 5, f"{waited:.1f} s"
    assert await _count(url, "question_log") == 1


async def _never() -> FeedbackResponse:
    raise AssertionError("a request another process answers was answered here")
