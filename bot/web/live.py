"""Live replies for open widgets: the web channel's outbox sender and the SSE fan-out.

The delivery worker hands the web channel's replies (operator answers, ticket news) to
`WebSender`, which stores them as web events in the database (once per idempotency key) and
wakes this process's open streams. The database is the source of truth: a stream replays
after `Last-Event-ID` from it and polls it, so it also gets the events delivered by the
worker of another `serve` process; the in-process `LiveHub` only makes same-process
deliveries show up without waiting for the next poll.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.records import OutboxMessage, OutgoingKind, WebEvent
from bot.core.web_events import WebEvents
from bot.web.schemas import MAX_RECORD_ID

WEB_CHANNEL = "web"
# An event id as this server writes it: ASCII digits only (`str.isdigit` also takes "²").
EVENT_ID = re.compile(r"[0-9]{1,19}")


def resumed_after(last_event_id: str | None) -> int | None:
    """The event id a reconnecting stream resumes after, from its `Last-Event-ID` header;
    None (as if the header were absent) for anything this server could not have sent: not a
    number, negative, or past the database's 64-bit ids."""
    if last_event_id is None or not EVENT_ID.fullmatch(last_event_id.strip()):
        return None
    value = int(last_event_id)
    return value if value <= MAX_RECORD_ID else None


def live_author(event: WebEvent) -> str:
    """Who the widget shows as the sender: an operator's words about a ticket, or the
    service's own news (a ticket taken or closed, another channel linked)."""
    return "operator" if event.kind is OutgoingKind.REPLY and event.ticket_number else "system"


def live_json(event: WebEvent) -> dict[str, object]:
    """An event's data as the widget reads it."""
    return {
        "id": event.id,
        "author": live_author(event),
        "text": event.text,
        "created_at": event.created_at.isoformat(),
        "ticket_number": event.ticket_number,
        "asks_rating": event.asks_rating,
    }


class LiveHub:
    """Per-session subscriber queues of this process's open streams; `None` in a queue wakes
    its stream to end: the server is shutting down."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[WebEvent | None]]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once `close` was called: open streams end, new ones end at once."""
        return self._closed

    def close(self) -> None:
        """Wake every open stream of this process to end (the server is shutting down: a
        stream left open would hold the shutdown until uvicorn cancels it)."""
        self._closed = True
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)

    def publish(self, event: WebEvent) -> None:
        """Wake the session's open streams in this process."""
        for queue in self._subscribers.get(event.session_id, ()):
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[asyncio.Queue[WebEvent | None]]:
        """A queue that receives the session's events while the block runs."""
        queue: asyncio.Queue[WebEvent | None] = asyncio.Queue()
        self._subscribers.setdefault(session_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(session_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[session_id]


class StreamSlots:
    """Live streams open at once per client address, at most `cap` each (None: no cap).

    Past the rate limits, one address could otherwise hold any number of long-lived streams
    open and use up the server's connections and tasks."""

    def __init__(self, cap: int | None) -> None:
        self._cap = cap
        self._open: dict[str, int] = {}

    def take(self, address: str) -> bool:
        """Hold a slot for a stream from `address`; False when its streams are at the cap."""
        count = self._open.get(address, 0)
        if self._cap is not None and count >= self._cap:
            return False
        self._open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        """Free a slot taken by `take` (the stream has ended, however it ended)."""
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)


class WebSender:
    """The outbox's sender for the web channel: stores the event once, then wakes streams."""

    def __init__(self, events: WebEvents, hub: LiveHub) -> None:
        self._events = events
        self._hub = hub

    async def send(self, message: OutboxMessage) -> None:
        """Deliver one reply to the widget session `message.recipient`."""
        event, new = await self._events.record(message)
        if new:
            self._hub.publish(event)
