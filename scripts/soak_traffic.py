"""The traffic of `scripts/soak.py`: widget citizens and console operators over real HTTP.

A citizen session asks one question, picks the first candidate when the bot clarifies, and
in about half of the sessions calls a person with contacts; then a new session starts. An
operator logs in to the console, takes the next ticket and replies to it. What the server
acknowledged (a 2xx with a message id, a ticket number, a 303 after a reply) goes into the
`Ledger`, which the checks hold against the database afterwards; every request's latency and
status go into `Stats`.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from soak_rig import PASSWORD, loopback_address

from matcher import KnowledgeBase

REQUEST_TIMEOUT_S = 60.0
# Below uvicorn's keep-alive (5 s): reusing a connection the server is closing just then
# fails with "Server disconnected", a race of the client, not of the product.
KEEPALIVE_S = 2.0
CLIENT_LIMITS = httpx.Limits(max_connections=2, keepalive_expiry=KEEPALIVE_S)
PAUSE_AFTER_ERROR_S = 0.5
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
UNKNOWN = (
    "сломался карбюратор у трактора, куда обратиться",
    "как записаться к ветеринару для кошки",
    "где купить билет на электричку до Твери",
)


@dataclass
class Deadline:
    """When the traffic stops (monotonic); a fault that takes the server away moves it on."""

    at: float
    held_since: float | None = None

    def passed(self) -> bool:
        """True once the time has come (never while held)."""
        return self.held_since is None and time.monotonic() >= self.at

    def hold(self) -> None:
        """Stop the clock: the server is away."""
        self.held_since = time.monotonic()

    def release(self) -> None:
        """Start the clock again, the time held added to the run."""
        if self.held_since is not None:
            self.at += time.monotonic() - self.held_since
            self.held_since = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: which operation, how long, and the status (None: no answer at all)."""

    operation: str
    seconds: float
    status: int | None
    at: float  # monotonic time it finished


@dataclass(frozen=True, slots=True)
class TicketAck:
    """A ticket number the server told a session."""

    number: int
    session_id: str
    at: float


@dataclass(frozen=True, slots=True)
class ReplyAck:
    """An operator reply the console acknowledged (303)."""

    number: int
    text: str
    at: float


@dataclass
class Ledger:
    """Everything the clients saw acknowledged."""

    message_ids: list[int] = field(default_factory=list)  # asks and hand-offs answered 2xx
    choices: list[tuple[int, str]] = field(default_factory=list)  # (answer message, entry)
    tickets: list[TicketAck] = field(default_factory=list)
    replies: list[ReplyAck] = field(default_factory=list)
    refusals: list[tuple[int, str, str | None]] = field(default_factory=list)  # 5xx bodies


@dataclass
class Stats:
    """Every request's sample, with the figures the report prints."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, operation: str, started: float, status: int | None) -> None:
        """Record a request that started at `started` (monotonic)."""
        now = time.monotonic()
        self.samples.append(Sample(operation, now - started, status, now))

    def by_operation(self) -> dict[str, list[Sample]]:
        """Samples grouped by operation, in a stable order."""
        grouped: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            grouped[sample.operation].append(sample)
        return dict(sorted(grouped.items()))

    def count(self, low: int, high: int) -> int:
        """Requests answered with a status in [low, high)."""
        return sum(1 for s in self.samples if s.status is not None and low <= s.status < high)

    @property
    def unanswered(self) -> int:
        """Requests that got no HTTP answer (connection refused or cut, timeout)."""
        return sum(1 for s in self.samples if s.status is None)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def questions(kb: KnowledgeBase, rng: random.Random, count: int) -> list[str]:
    """Citizens' questions: phrasings of the base, lower-cased or cut, some off-topic."""
    asked = []
    for _ in range(count):
        if rng.random() < 0.15:
            asked.append(rng.choice(UNKNOWN))
            continue
        entry = rng.choice(kb.entries)
        words = rng.choice(entry.phrasings).split()
        if len(words) > 3 and rng.random() < 0.5:
            words.pop(rng.randrange(len(words)))
        asked.append(" ".join(words).lower() if rng.random() < 0.6 else " ".join(words))
    return asked


def citizen_client(base_url: str, number: int) -> httpx.AsyncClient:
    """A citizen's client from its own loopback address (the per-address limit stays on)."""
    transport = httpx.AsyncHTTPTransport(
        local_address=loopback_address(number),
        limits=CLIENT_LIMITS,
    )
    return httpx.AsyncClient(
        base_url=base_url, transport=transport, timeout=REQUEST_TIMEOUT_S, trust_env=False
    )


def session_client(number: int) -> aiohttp.ClientSession:
    """The client of the load's citizen sessions, from its own loopback address.

    aiohttp rather than httpx: the load shares two cores with the server, and httpx spends
    about five times the CPU per request (2.5 ms here), which the server would lose.
    """
    connector = aiohttp.TCPConnector(
        limit=2, keepalive_timeout=KEEPALIVE_S, local_addr=(loopback_address(number), 0)
    )
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    )


WARM_UP_ADDRESS = 300_000
WARM_UP_QUESTIONS = 5


async def warm_up(base_url: str, asked: list[str]) -> None:
    """A few questions before the clock starts, as a running service would have had."""
    async with citizen_client(base_url, WARM_UP_ADDRESS) as client:
        for question in asked[:WARM_UP_QUESTIONS]:
            await client.post("/api/v1/ask", json={"question": question})


class Citizens:
    """`sessions` citizens in parallel until `deadline`, each session after the other."""

    def __init__(
        self,
        base_url: Callable[[], str],
        asked: list[str],
        *,
        ledger: Ledger,
        stats: Stats,
        seed: int,
        handoff_share: float = 0.5,
    ) -> None:
        self._base_url = base_url
        self._asked = asked
        self._ledger = ledger
        self._stats = stats
        self._rng = random.Random(seed)
        self._handoff_share = handoff_share
        self._issued = 0
        self.sessions_done = 0

    async def run(self, sessions: int, deadline: Deadline) -> None:
        """Run until the deadline."""
        await asyncio.gather(*(self._slot(n, deadline) for n in range(sessions)))

    async def _slot(self, number: int, deadline: Deadline) -> None:
        # Spread the start over a second, as citizens do not arrive on one clock tick.
        await asyncio.sleep(self._rng.random())
        async with session_client(number) as client:
            while not deadline.passed():
                ok = await self._session(client, deadline)
                self.sessions_done += 1
                if not ok:
                    await asyncio.sleep(PAUSE_AFTER_ERROR_S)

    async def _call(
        self, client: aiohttp.ClientSession, operation: str, path: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        started = time.monotonic()
        try:
            async with client.post(self._base_url() + path, json=body) as response:
                status = response.status
                text = await response.text()
                json_body = response.content_type == "application/json"
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError):
            self._stats.add(operation, started, None)
            return None
        self._stats.add(operation, started, status)
        if status >= 500:
            detail = str(json.loads(text).get("detail")) if json_body else None
            self._ledger.refusals.append((status, detail or text[:200], retry_after))
        if not 200 <= status < 300:
            return None
        answer: dict[str, Any] = json.loads(text)
        return answer

    async def _session(self, client: aiohttp.ClientSession, deadline: Deadline) -> bool:
        question = self._asked[self._issued % len(self._asked)]
        self._issued += 1
        asked = await self._call(client, "ask", "/api/v1/ask", {"question": question})
        if asked is None:
            return False
        session_id = str(asked["session_id"])
        if asked.get("ticket_number"):
            self._ledger.message_ids.append(int(asked["message_id"]))
            self._ledger.tickets.append(
                TicketAck(int(asked["ticket_number"]), session_id, time.monotonic())
            )
            return True
        if asked["kind"] == "clarify" and asked["choices"] and not deadline.passed():
            # The choice moves the question's record to the answer's message id.
            entry_id = str(asked["choices"][0]["entry_id"])
            chosen = await self._call(
                client, "choose", "/api/v1/choose", {"session_id": session_id, "entry_id": entry_id}
            )
            if chosen is None:
                return False
            if chosen.get("ticket_number"):  # the candidate was "call a person"
                self._ledger.message_ids.append(int(chosen["message_id"]))
                self._ledger.tickets.append(
                    TicketAck(int(chosen["ticket_number"]), session_id, time.monotonic())
                )
                return True
            self._ledger.choices.append((int(chosen["message_id"]), entry_id))
        elif asked.get("message_id"):
            self._ledger.message_ids.append(int(asked["message_id"]))
        if self._rng.random() >= self._handoff_share or deadline.passed():
            return True
        n = self._issued
        body = {
            "session_id": session_id,
            "question": f"Не помог ответ, прошу связаться со мной (сессия {n})",
            "contacts": {"name": "Иван Петров", "phone": f"+7 900 {n % 1000:03d}-00-00"},
        }
        handed = await self._call(client, "handoff", "/api/v1/handoff", body)
        if handed is None:
            return False
        if handed.get("message_id"):
            self._ledger.message_ids.append(int(handed["message_id"]))
        if handed.get("ticket_number"):
            self._ledger.tickets.append(
                TicketAck(int(handed["ticket_number"]), session_id, time.monotonic())
            )
        return True


class Operator:
    """An operator in the console: takes the next ticket and replies, until the deadline."""

    def __init__(
        self, base_url: Callable[[], str], login: str, *, ledger: Ledger, stats: Stats
    ) -> None:
        self._base_url = base_url
        self._login = login
        self._ledger = ledger
        self._stats = stats
        self.replied = 0

    async def run(self, deadline: Deadline, *, pause: float = 0.2) -> None:
        """Work the queue; any error (the server killed, the database away) means log in again."""
        while not deadline.passed():
            async with httpx.AsyncClient(
                timeout=REQUEST_TIMEOUT_S, trust_env=False, limits=CLIENT_LIMITS
            ) as client:
                try:
                    await self._shift(client, deadline, pause)
                except (httpx.HTTPError, OperatorError):
                    await asyncio.sleep(PAUSE_AFTER_ERROR_S)

    async def _request(
        self, client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        # console login / queue / take / reply
        operation = "console " + ("queue" if path == "/console" else path.rsplit("/", 1)[-1])
        started = time.monotonic()
        try:
            response = await client.request(method, self._base_url() + path, **kwargs)
        except httpx.HTTPError:
            self._stats.add(operation, started, None)
            raise
        self._stats.add(operation, started, response.status_code)
        if response.status_code >= 400:
            raise OperatorError(f"{method} {path}: {response.status_code}")
        return response

    async def _shift(self, client: httpx.AsyncClient, deadline: Deadline, pause: float) -> None:
        page = await self._request(client, "GET", "/console/login")
        token = _csrf(page.text)
        logged = await self._request(
            client,
            "POST",
            "/console/login",
            data={"login": self._login, "password": PASSWORD, "csrf_token": token},
        )
        if logged.status_code != 303:
            raise OperatorError(f"log-in answered {logged.status_code}")
        token = _csrf((await self._request(client, "GET", "/console")).text)
        while not deadline.passed():
            taken = await self._request(client, "POST", "/console/take", data={"csrf_token": token})
            location = taken.headers.get("location", "/console")
            if not location.startswith("/console/tickets/"):
                await asyncio.sleep(pause)
                continue
            number = int(location.removeprefix("/console/tickets/"))
            text = f"Ответ оператора {self._login} на обращение № {number}."
            sent = await self._request(
                client,
                "POST",
                f"/console/tickets/{number}/reply",
                data={"csrf_token": token, "text": text},
            )
            if sent.status_code == 303:
                self._ledger.replies.append(ReplyAck(number, text, time.monotonic()))
                self.replied += 1
            await asyncio.sleep(pause)


class DeskOperator:
    """An operator working through the core's desk on the same database, not over HTTP.

    Under 500 citizens the console's pages wait in the same queue as the citizens' requests;
    this operator keeps replying regardless, so that replies are acknowledged (committed)
    before the server is killed, and their delivery afterwards can be checked.
    """

    def __init__(self, database_url: str, login: str, *, ledger: Ledger, stats: Stats) -> None:
        self._database_url = database_url
        self._login = login
        self._ledger = ledger
        self._stats = stats

    async def run(self, deadline: Deadline, *, pause: float = 0.5) -> None:
        """Take the next ticket and reply, until the deadline."""
        from bot.core.accounts import Accounts
        from bot.core.desk import Desk
        from bot.core.errors import CoreError
        from bot.core.tickets import Via
        from bot.storage.database import open_database

        database = await open_database(self._database_url)
        try:
            desk = Desk(database)
            operator = await Accounts(database).authenticate(self._login, PASSWORD)
            while not deadline.passed():
                started = time.monotonic()
                try:
                    ticket = await desk.take_next(operator)
                    if ticket is not None:
                        text = f"Ответ оператора {self._login} на обращение № {ticket.number}."
                        await desk.reply(operator, ticket.number, text, via=Via.CONSOLE)
                        self._ledger.replies.append(ReplyAck(ticket.number, text, time.monotonic()))
                except CoreError:  # the database away, a ticket taken meanwhile
                    self._stats.add("desk reply", started, 503)
                else:
                    self._stats.add("desk reply", started, 200 if ticket else 204)
                await asyncio.sleep(pause)
        finally:
            await database.close()


class OperatorError(RuntimeError):
    """The console refused a step; the operator starts over."""


def _csrf(page: str) -> str:
    found = CSRF_FIELD.search(page)
    if found is None:
        raise OperatorError("no CSRF token on the page")
    return found.group(1)
