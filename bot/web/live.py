"""Live replies for open widgets: the web channel's outbox sender and the SSE fan-out.

The delivery worker hands the web channel's replies (operator answers, ticket news) to
`WebSender`, which publishes them to the session's subscribers and keeps a short backlog,
so that a widget that reconnects (`Last-Event-ID`) or opens a moment later still gets them.
The backlog lives in this process: several `serve` processes need sticky sessions.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.core.records import OutboxMessage

WEB_CHANNEL = "web"
# How many sessions keep a backlog at once; the oldest sessions are forgotten first.
MAX_SESSIONS = 10_000
MAX_SEEN_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One reply pushed to a widget."""

    id: int
    text: str
    created_at: datetime
    ticket_number: int | None

    def to_json(self) -> dict[str, object]:
        """The event's data as the widget reads it."""
        return {
            "id": self.id,
            "author": "operator",
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "ticket_number": self.ticket_number,
        }


class LiveHub:
    """Per-session backlogs and subscriber queues of live events."""

    def __init__(self, *, backlog: int = 50) -> None:
        self._backlog_size = backlog
        self._backlogs: OrderedDict[str, deque[LiveEvent]] = OrderedDict()
        self._subscribers: dict[str, set[asyncio.Queue[LiveEvent]]] = {}
        self._ids = itertools.count(1)

    def publish(self, session_id: str, text: str, created_at: datetime, ticket: int | None) -> None:
        """Push a reply to the session's open streams and remember it."""
        event = LiveEvent(
            id=next(self._ids), text=text, created_at=created_at, ticket_number=ticket
        )
        backlog = self._backlogs.pop(session_id, None) or deque(maxlen=self._backlog_size)
        backlog.append(event)
        self._backlogs[session_id] = backlog
        while len(self._backlogs) > MAX_SESSIONS:
            self._backlogs.popitem(last=False)
        for queue in self._subscribers.get(session_id, ()):
            queue.put_nowait(event)

    def backlog(self, session_id: str, *, after: int = 0) -> list[LiveEvent]:
        """The remembered events of a session with an id above `after`."""
        return [e for e in self._backlogs.get(session_id, ()) if e.id > after]

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[asyncio.Queue[LiveEvent]]:
        """A queue that receives the session's events while the block runs."""
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._subscribers.setdefault(session_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(session_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[session_id]


class WebSender:
    """The outbox's sender for the web channel: publishes to the `LiveHub`, once per key."""

    def __init__(self, hub: LiveHub) -> None:
        self._hub = hub
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def send(self, message: OutboxMessage) -> None:
        """Deliver one reply to the widget session `message.recipient`."""
        if message.idempotency_key in self._seen:
            return
        self._seen[message.idempotency_key] = None
        while len(self._seen) > MAX_SEEN_KEYS:
            self._seen.popitem(last=False)
        self._hub.publish(
            message.recipient, message.text, message.created_at, message.ticket_number
        )
