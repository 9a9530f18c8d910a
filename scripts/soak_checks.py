"""What `scripts/soak.py` checks after a run, in the database and through the public API.

Each check returns a `Check`: a name, the figure, and whether it held. Raw SQL on purpose:
the checks read the tables as they are, not through the code under test.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from soak_traffic import Ledger, citizen_client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

DELIVERY_WAIT_S = 60.0
HISTORY_ADDRESS_OFFSET = 200_000  # clients of the checks come from addresses of their own


@dataclass(frozen=True, slots=True)
class Check:
    """One property of the run: what was measured and whether it held."""

    name: str
    figure: str
    held: bool


async def _scalars(engine: AsyncEngine, sql: str) -> list[object]:
    async with engine.connect() as connection:
        return [row[0] for row in await connection.execute(text(sql))]


async def _rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


async def questions_recorded(engine: AsyncEngine, ledger: Ledger) -> list[Check]:
    """Every accepted question is in the question log; every choice is noted on its record."""
    logged = {
        int(str(m))
        for m in await _scalars(
            engine, "SELECT message_id FROM question_log WHERE message_id IS NOT NULL"
        )
    }
    lost = [m for m in ledger.message_ids if m not in logged]
    chosen = {
        (int(str(m)), str(e))
        for m, e in await _rows(
            engine,
            "SELECT message_id, chosen_entry_id FROM question_log "
            "WHERE chosen_entry_id IS NOT NULL",
        )
    }
    unnoted = [c for c in ledger.choices if c not in chosen]
    return [
        Check(
            "accepted questions missing from the question log",
            f"{len(lost)} of {len(ledger.message_ids)}",
            not lost,
        ),
        Check(
            "accepted choices missing from the question log",
            f"{len(unnoted)} of {len(ledger.choices)}",
            not unnoted,
        ),
    ]


async def tickets_intact(engine: AsyncEngine, ledger: Ledger) -> list[Check]:
    """Every ticket number told to a session exists once, for that session, with its events."""
    owners = {
        int(str(number)): str(session)
        for number, session in await _rows(
            engine,
            "SELECT t.number, i.external_id FROM tickets t "
            "JOIN citizen_identities i ON i.id = t.identity_id",
        )
    }
    told = Counter(ack.number for ack in ledger.tickets)
    reused = sorted(n for n, c in told.items() if c > 1)
    lost = [a.number for a in ledger.tickets if a.number not in owners]
    foreign = [
        a.number for a in ledger.tickets if owners.get(a.number, a.session_id) != a.session_id
    ]
    half = await _scalars(
        engine,
        "SELECT t.number FROM tickets t WHERE NOT EXISTS "
        "(SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id) OR NOT EXISTS "
        "(SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id)",
    )
    dangling = await _scalars(
        engine,
        "SELECT q.ticket_number FROM question_log q WHERE q.ticket_number IS NOT NULL AND "
        "NOT EXISTS (SELECT 1 FROM tickets t WHERE t.number = q.ticket_number)",
    )
    return [
        Check("acknowledged tickets missing", f"{len(lost)} of {len(ledger.tickets)}", not lost),
        Check("ticket numbers told to two sessions", str(len(reused)), not reused),
        Check("tickets belonging to another session than told", str(len(foreign)), not foreign),
        Check("tickets without their first event or message", str(len(half)), not half),
        Check("logged hand-offs whose ticket does not exist", str(len(dangling)), not dangling),
    ]


async def outbox_drained(engine: AsyncEngine, *, wait: float = DELIVERY_WAIT_S) -> Check:
    """Wait until every reply in the outbox is delivered (or the wait runs out)."""
    started = time.monotonic()
    while True:
        pending = await _scalars(engine, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        left = int(str(pending[0]))
        waited = time.monotonic() - started
        if left == 0 or waited > wait:
            figure = f"{left} (after waiting {waited:.0f} s)"
            return Check("replies still undelivered in the outbox", figure, left == 0)
        await asyncio.sleep(1.0)


async def replies_seen(base_url: str, engine: AsyncEngine, ledger: Ledger) -> list[Check]:
    """Every acknowledged reply is in its citizen's history (`/api/v1/history`), once."""
    sessions = {
        int(str(number)): str(session)
        for number, session in await _rows(
            engine,
            "SELECT t.number, i.external_id FROM tickets t "
            "JOIN citizen_identities i ON i.id = t.identity_id",
        )
    }
    by_session: dict[str, list[str]] = {}
    for ack in ledger.replies:
        by_session.setdefault(sessions.get(ack.number, "?"), []).append(ack.text)
    missing: list[str] = []
    doubled: list[str] = []
    gate = asyncio.Semaphore(16)

    async def look(index: int, session_id: str, texts: list[str]) -> None:
        async with gate, citizen_client(base_url, HISTORY_ADDRESS_OFFSET + index) as client:
            response = await client.get("/api/v1/history", params={"session_id": session_id})
            live = [str(e["text"]) for e in response.json()["live"]] if response.is_success else []
            for reply in texts:
                seen = sum(1 for shown in live if reply in shown)
                if seen == 0:
                    missing.append(reply)
                elif seen > 1:
                    doubled.append(reply)

    await asyncio.gather(*(look(i, s, t) for i, (s, t) in enumerate(by_session.items())))
    return [
        Check(
            "acknowledged replies the citizen does not see",
            f"{len(missing)} of {len(ledger.replies)}",
            not missing,
        ),
        Check("replies the citizen sees twice", str(len(doubled)), not doubled),
    ]


def server_errors(ledger: Ledger, *, allowed: frozenset[int] = frozenset()) -> Check:
    """5xx answers other than the allowed ones (503 during a database outage)."""
    bad = [r for r in ledger.refusals if r[0] not in allowed]
    return Check(
        "5xx answers" + (f" other than {sorted(allowed)}" if allowed else ""),
        str(len(bad)),
        not bad,
    )
