"""The citizen API: ask, choose, rate, call a person, tickets, history, live events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from bot.core import wording
from bot.core.contacts import make_contacts
from bot.core.privacy import find_secrets
from bot.core.records import Rating, WebEvent
from bot.core.replies import Reply, ReplyKind
from bot.web.answering import recording_matches
from bot.web.deps import (
    CitizensDep,
    ConversationsDep,
    ServicesDep,
    SessionQueryDep,
    TicketNumber,
    checked_session_id,
    client_address,
    limit_by_address,
    limit_session,
    web_identity,
)
from bot.web.errors import RateLimitedError
from bot.web.live import live_json, resumed_after
from bot.web.rendering import ask_response
from bot.web.replay import replayed
from bot.web.schemas import (
    MAX_RECORD_ID,
    AskRequest,
    AskResponse,
    ChoiceOut,
    ChooseRequest,
    FeedbackRequest,
    FeedbackResponse,
    HandoffRequest,
    HistoryResponse,
    LinkOut,
    LiveOut,
    MarkOut,
    MessageOut,
    TicketOut,
)
from matcher import Entry, Match

# Past `FAQBOT_LIVE_STREAMS_PER_IP` open streams from one address: the widget tries again
# later by itself (3 s, doubling, at most a minute), so the citizen sees nothing of it.
TOO_MANY_STREAMS = (
    "Слишком много открытых окон чата с вашего адреса. Закройте лишние вкладки с чатом "
    "или повторите попытку позже."
)
STREAM_RETRY_SECONDS = 30.0

router = APIRouter(prefix="/api/v1", tags=["citizens"], dependencies=[Depends(limit_by_address)])


@router.post("/ask", response_model=AskResponse)
async def ask(body: AskRequest, services: ServicesDep) -> AskResponse:
    """Answer a question (or clarify, or hand it to people) in the session's conversation;
    sent again with its `request_id`, the same reply, the question recorded once."""
    session_id = checked_session_id(body.session_id)
    limit_session(services, session_id)
    seen: list[Match] = []

    async def answer() -> Reply:
        started = time.perf_counter()
        # Recorded into `seen` as the matcher runs: `respond` reads it inside the answer's
        # transaction, where the reply is kept.
        with recording_matches(seen):
            reply = await services.conversations.handle(web_identity(session_id), body.question)
        services.metrics.latency.observe(time.perf_counter() - started)
        services.metrics.questions.labels(outcome=reply.kind.value).inc()
        return reply

    def respond(reply: Reply) -> AskResponse:
        return _warned(
            ask_response(
                reply,
                seen[-1] if seen else None,
                services.answerer.kb,
                query=body.question,
                session_id=session_id,
            ),
            body.question,
        )

    return await services.repeats.once(
        session_id,
        "ask",
        _request_id(body.session_id, body.request_id),
        AskResponse,
        answer,
        respond=respond,
        unkept={"query": " ".join(body.question.split())},
    )


def _request_id(given_session: str | None, request_id: str | None) -> str | None:
    """The request id to keep the reply by: none for a session the server makes (a request
    sent again without one is a new session anyway)."""
    return request_id if given_session is not None else None


def _warned(response: AskResponse, question: str | None) -> AskResponse:
    """`response`, with a warning beside it when the question seems to hold an SMS code, a
    password or a card number (the Telegram bot warns the same way; until 2026-12-05 the
    widget said nothing, and the citizen's bubble kept the secret in full)."""
    if question and find_secrets(question):
        warning = wording.SECRET_WARNING
        response.notice = f"{warning} {response.notice}" if response.notice else warning
    return response


@router.post("/choose", response_model=AskResponse)
async def choose(body: ChooseRequest, services: ServicesDep) -> AskResponse:
    """The citizen picked one of the offered entries: its answer."""
    session_id = checked_session_id(body.session_id)
    limit_session(services, session_id)

    async def answer() -> Reply:
        return await services.conversations.choose(web_identity(session_id), body.entry_id)

    def respond(reply: Reply) -> AskResponse:
        return ask_response(
            reply, None, services.answerer.kb, query=body.entry_id, session_id=session_id
        )

    return await services.repeats.once(
        session_id, "choose", body.request_id, AskResponse, answer, respond=respond
    )


@router.post("/feedback", response_model=FeedbackResponse)
async def feedback(body: FeedbackRequest, services: ServicesDep) -> FeedbackResponse:
    """👍 or 👎 for one of the session's messages, with an optional comment."""
    session_id = checked_session_id(body.session_id)
    limit_session(services, session_id)

    async def rate() -> Rating:
        return await services.ratings.rate_thumb(
            web_identity(session_id), body.message_id, body.helpful, comment=body.comment
        )

    def respond(rating: Rating) -> FeedbackResponse:
        return FeedbackResponse(rating_id=rating.id, session_id=session_id)

    return await services.repeats.once(
        session_id, "feedback", body.request_id, FeedbackResponse, rate, respond=respond
    )


@router.post("/handoff", response_model=AskResponse)
async def handoff(
    body: HandoffRequest, conversations: ConversationsDep, services: ServicesDep
) -> AskResponse:
    """ "Позвать оператора": open a ticket with the question and the contacts, if any."""
    session_id = checked_session_id(body.session_id)
    limit_session(services, session_id)
    given = body.contacts
    contacts = (
        make_contacts(name=given.name, phone=given.phone, email=given.email) if given else None
    )

    async def answer() -> Reply:
        reply = await conversations.request_person(
            web_identity(session_id), body.question or None, contacts=contacts
        )
        services.metrics.questions.labels(outcome=ReplyKind.HANDOFF.value).inc()
        return reply

    def respond(reply: Reply) -> AskResponse:
        return _warned(
            ask_response(
                reply, None, services.answerer.kb, query=body.question or "", session_id=session_id
            ),
            body.question,
        )

    return await services.repeats.once(
        session_id,
        "handoff",
        _request_id(body.session_id, body.request_id),
        AskResponse,
        answer,
        respond=respond,
        unkept={"query": body.question or ""},
    )


@router.get("/tickets/{number}", response_model=TicketOut)
async def ticket(
    number: TicketNumber, session_id: SessionQueryDep, citizens: CitizensDep
) -> TicketOut:
    """The status of one of the session's own tickets (anyone else's is "not found")."""
    identity = web_identity(session_id)
    found = await citizens.lookup(identity, number)
    return TicketOut(
        number=found.number,
        status=found.status.value,
        status_label=found.status_label,
        text=await citizens.describe(identity, number),
        created_at=found.created_at.isoformat(),
        due_at=None if found.status.is_final else found.due_at.isoformat(),
    )


@router.get("/history", response_model=HistoryResponse)
async def history(
    session_id: SessionQueryDep,
    services: ServicesDep,
    citizens: CitizensDep,
    before: Annotated[
        int | None,
        Query(ge=1, le=MAX_RECORD_ID, description="only messages older than this message id"),
    ] = None,
) -> HistoryResponse:
    """The session's recent conversation, for a widget opened again; with `before`, the page
    of messages before that one (`has_more`: there are older ones still)."""
    identity = web_identity(session_id)
    kb = services.answerer.kb
    found = await services.history.recent(
        identity, limit=services.settings.history_limit, before=before
    )
    tickets = await citizens.list(identity)
    open_ticket = next((t.number for t in tickets if not t.status.is_final), None)
    events = await services.web_events.recent(session_id, limit=services.settings.live_backlog)
    return HistoryResponse(
        session_id=session_id,
        state=found.state.value,
        messages=[
            MessageOut(
                id=m.id,
                author=m.author.value,
                text=m.text,
                created_at=m.created_at.isoformat(),
                entry_id=m.entry_id,
                choices=[
                    ChoiceOut(entry_id=e.id, title=e.question)
                    for e in (kb.get(i) for i in m.choices)
                    if e is not None  # an entry removed from the base since: no button
                ],
                links=_links(kb.get(m.entry_id) if m.entry_id else None),
                shown_text=shown.text,
                ticket_number=shown.ticket_number,
                due_text=shown.due,
                notice=shown.notice,
                pressed_mark=shown.pressed_mark,
            )
            for m, shown in zip(found.messages, replayed(found.messages, events), strict=True)
        ],
        live=[LiveOut.model_validate(live_json(e)) for e in events],
        open_ticket=open_ticket,
        marks=[
            MarkOut(ticket_number=number, stars=stars)
            for number, stars in (await citizens.marks(identity)).items()
        ],
        has_more=found.more,
    )


def _links(entry: Entry | None) -> list[LinkOut]:
    """An answer's links as the base holds them now (none if the entry is gone)."""
    return [LinkOut(title=link.title, url=link.url) for link in entry.links] if entry else []


def _sse(event: WebEvent) -> str:
    data = json.dumps(live_json(event), ensure_ascii=False)
    return f"id: {event.id}\nevent: reply\ndata: {data}\n\n"


@router.get("/events")
async def events(
    request: Request,
    session_id: SessionQueryDep,
    services: ServicesDep,
    last_event_id: str | None = Header(default=None),
    after: Annotated[int, Query(ge=0, le=MAX_RECORD_ID)] = 0,
) -> StreamingResponse:
    """Server-sent events: operator replies to the session, as they are delivered.

    A browser resumes after the `Last-Event-ID` it was last sent; a header this server could
    not have sent is ignored, a bad `after` is refused with 422."""
    resumed = resumed_after(last_event_id)
    since = after if resumed is None else resumed
    settings = services.settings
    hub = services.hub

    async def stream() -> AsyncIterator[str]:
        last_id = since
        quiet = 0.0
        async with hub.subscribe(session_id) as woken:
            yield "retry: 3000\n\n"
            while (
                not hub.closed
                and not services.stopping.is_set()
                and not await request.is_disconnected()
            ):
                # The table is the truth: it holds what other processes' workers delivered.
                found = await services.web_events.after(
                    session_id, after=last_id, limit=settings.live_backlog
                )
                for event in found:
                    last_id = event.id
                    yield _sse(event)
                if found:
                    quiet = 0.0
                    continue
                if quiet >= settings.sse_heartbeat_seconds:
                    quiet = 0.0
                    yield ": ping\n\n"
                started = time.monotonic()
                # Woken at once by this process's deliveries, else read the table again soon.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.get(), timeout=settings.live_poll_seconds)
                quiet += time.monotonic() - started

    address = client_address(request)
    if not services.stream_slots.take(address):
        raise RateLimitedError(STREAM_RETRY_SECONDS, TOO_MANY_STREAMS)
    return _SlotResponse(
        stream(),
        release=partial(services.stream_slots.release, address),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class _SlotResponse(StreamingResponse):
    """A stream that frees its address's slot when it ends, however it ends (finished,
    the client gone, cancelled), even if its body never started."""

    def __init__(
        self, content: AsyncIterator[str], *, release: Callable[[], None], **options: Any
    ) -> None:
        super().__init__(content, **options)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
