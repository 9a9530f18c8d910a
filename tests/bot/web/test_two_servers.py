"""Two `faqbot serve` processes on one PostgreSQL share one queue (issue 4).

One scenario runs once for the module, against real processes: accounts made with
`faqbot user add`, two `faqbot serve` on loopback with the same `--database`, citizens spread
across both servers calling a person at the same time, two operators (one per server, each
with several console tabs) taking tickets until the queue is empty, and a reply written on one
server to a citizen who talks to the other. The tests below each check one property of it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.bot.web.conftest import csrf_of, log_in
from tests.conftest import PROJECT_KB
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer
from tests.support.readiness import wait_ready

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.xdist_group("test_two_servers"),
]

PASSWORD = "Надёжный-пароль-2026"
OPERATORS = ("anna", "boris")  # anna works on server 0, boris on server 1
GUESSED = "vera"  # an operator whose password someone guesses on both servers at once
WRONG = "неверный-пароль-123"
CITIZENS = 40
TABS = 3  # console tabs each operator takes from at once
STARTUP_SECONDS = 60.0
DELIVERY_SECONDS = 15.0
# Longer than two outbox polls (1 s each): a duplicate would have shown up by then.
SETTLE_SECONDS = 2.5
# Below uvicorn's keep-alive (5 s): reusing a connection the server is closing just then
# fails with "Server disconnected", a race of the test's client, not of the product.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)
TAKEN_PREFIX = "Специалист взял обращение № "
REPLY = "Код приходит в течение пяти минут; проверьте папку «Спам»."


@dataclass(frozen=True, slots=True)
class Server:
    """One running `faqbot serve`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True, slots=True)
class Citizen:
    """A widget session, the server it talks to and the ticket its hand-off opened."""

    session_id: str
    server: int
    ticket: int
    own_reads: tuple[int, ...]  # status of reading its ticket on server 0, 1
    foreign_reads: tuple[int, ...]  # status of reading the next citizen's ticket on 0, 1


@dataclass(frozen=True, slots=True)
class Take:
    """One ticket handed out by "Взять следующее"."""

    operator: str
    server: int
    ticket: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything the scenario saw, for the tests to judge."""

    citizens: tuple[Citizen, ...]
    queue_counts: tuple[str, ...]  # the console's queue count on server 0, 1 before taking
    queues_after: tuple[str, ...]  # the console's queue page on server 0, 1 after taking
    takes: tuple[Take, ...]
    replied: Citizen
    reply_on: int  # the server the operator replied on
    reply_history: tuple[str, ...]  # operator messages in the citizen's history, their server
    # Per citizen and server: the live events (operator replies, ticket news) held there.
    live: dict[str, tuple[tuple[dict[str, object], ...], ...]]
    crashed: tuple[str, ...]  # logs of servers that died or logged a traceback


def _faqbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli.main", *args]


async def _create_database(server: PostgresServer, name: str, *, drop: bool = False) -> None:
    engine = create_async_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    statement = (
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" if drop else f"CREATE DATABASE {name}"
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _add_operator(login: str, database_url: str, env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        _faqbot("user", "add", "--login", login, "--role", "operator", "--database", database_url),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=cwd,
    )
    assert done.returncode == 0, f"faqbot user add --login {login}: {done.stderr}"


@pytest.fixture(scope="module")
def servers(
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server]]:
    """A fresh database, two operator accounts and two servers on it (the base's vectors
    are cached before the tests start: they start with the meaning stage ready); stopped
    afterwards."""
    folder = tmp_path_factory.mktemp("two-servers")
    kb = folder / "kb"
    shutil.copytree(PROJECT_KB, kb)
    name = f"faqbot_two_{uuid4().hex[:10]}"
    asyncio.run(_create_database(postgres_server, name))
    url = postgres_server.url(name)
    env = {
        **os.environ,
        "FAQBOT_ENV": "development",
        "FAQBOT_SECRET_KEY": "two-servers-share-one-secret-" + "x" * 20,
        "FAQBOT_DATA_DIR": str(folder / "data"),
    }
    started: list[Server] = []
    logs: list[IO[bytes]] = []
    try:
        for index in range(2):
            port = free_port()
            log = folder / f"server-{index}.log"
            logs.append(log.open("wb"))
            command = _faqbot("serve", "--kb", str(kb), "--port", str(port), "--database", url)
            process = subprocess.Popen(
                command, stdout=logs[-1], stderr=subprocess.STDOUT, env=env, cwd=folder
            )
            started.append(Server(f"http://127.0.0.1:{port}", process, log))
        # The accounts are made while the servers boot: four processes meet the empty
        # database at once, and the start-up migration lock must let exactly one migrate.
        with ThreadPoolExecutor(max_workers=len(OPERATORS) + 1) as pool:
            logins = (*OPERATORS, GUESSED)
            list(pool.map(lambda login: _add_operator(login, url, env, folder), logins))
        for server in started:
            wait_ready(server.process, server.url, server.log, STARTUP_SECONDS)
        yield started[0], started[1]
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        for handle in logs:
            handle.close()
        asyncio.run(_create_database(postgres_server, name, drop=True))


def _citizen_client(number: int) -> httpx.AsyncClient:
    # Each citizen comes from its own loopback address, as real citizens come from their own:
    # the per-address rate limit is not what this test is about.
    transport = httpx.AsyncHTTPTransport(
        local_address=f"127.0.0.{number + 2}", limits=CLIENT_LIMITS
    )
    return httpx.AsyncClient(transport=transport, timeout=30)


async def _call_a_person(client: httpx.AsyncClient, url: str, number: int) -> tuple[str, int]:
    response = await client.post(
        f"{url}/api/v1/handoff",
        json={"question": f"Не приходит код подтверждения на телефон, заявка {number}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return str(body["session_id"]), int(body["ticket_number"])


async def _read_ticket(client: httpx.AsyncClient, url: str, session_id: str, ticket: int) -> int:
    response = await client.get(f"{url}/api/v1/tickets/{ticket}", params={"session_id": session_id})
    assert response.status_code != 429, "rate-limited: the test must stay under the limits"
    return response.status_code


async def _history(client: httpx.AsyncClient, url: str, session_id: str) -> dict[str, object]:
    response = await client.get(f"{url}/api/v1/history", params={"session_id": session_id})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _operator(url: str, login: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=url, timeout=30, limits=CLIENT_LIMITS)
    logged_in = await log_in(client, login, PASSWORD)
    assert logged_in.status_code == 303, logged_in.text
    return client, csrf_of((await client.get("/console")).text)


async def _take_until_empty(client: httpx.AsyncClient, token: str) -> list[int]:
    taken: list[int] = []
    while True:
        response = await client.post("/console/take", data={"csrf_token": token})
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        if location == "/console":
            return taken
        taken.append(int(location.removeprefix("/console/tickets/")))


async def _scenario(servers: tuple[Server, Server]) -> Outcome:
    urls = [s.url for s in servers]
    clients = [_citizen_client(i) for i in range(CITIZENS)]
    operators = [await _operator(url, login) for url, login in zip(urls, OPERATORS, strict=True)]
    try:
        opened = await asyncio.gather(
            *(_call_a_person(c, urls[i % 2], i) for i, c in enumerate(clients))
        )

        async def reads(i: int) -> Citizen:
            session_id, ticket = opened[i]
            foreign = opened[(i + 1) % CITIZENS][1]
            return Citizen(
                session_id,
                i % 2,
                ticket,
                tuple([await _read_ticket(clients[i], u, session_id, ticket) for u in urls]),
                tuple([await _read_ticket(clients[i], u, session_id, foreign) for u in urls]),
            )

        citizens = await asyncio.gather(*(reads(i) for i in range(CITIZENS)))
        counts = [(await c.get("/console")).text for c, _ in operators]
        tabs = [_take_until_empty(c, token) for c, token in operators for _ in range(TABS)]
        taken = await asyncio.gather(*tabs)
        takes = [
            Take(OPERATORS[t // TABS], t // TABS, number)
            for t, numbers in enumerate(taken)
            for number in numbers
        ]
        after = [(await c.get("/console")).text for c, _ in operators]

        replied, reply_on, reply_history = await _reply_across(
            citizens, takes, operators, clients, urls
        )
        live = await _delivered(
            citizens, clients, urls, expected_per_session={replied.session_id: 2}
        )
    finally:
        for c in clients:
            await c.aclose()
        for c, _ in operators:
            await c.aclose()
    crashed = tuple(
        s.log.read_text("utf-8")
        for s in servers
        if s.process.poll() is not None or "Traceback" in s.log.read_text("utf-8")
    )
    return Outcome(
        citizens=tuple(citizens),
        queue_counts=tuple(counts),
        queues_after=tuple(after),
        takes=tuple(takes),
        replied=replied,
        reply_on=reply_on,
        reply_history=reply_history,
        live=live,
        crashed=crashed,
    )


async def _reply_across(
    citizens: list[Citizen],
    takes: list[Take],
    operators: list[tuple[httpx.AsyncClient, str]],
    clients: list[httpx.AsyncClient],
    urls: list[str],
) -> tuple[Citizen, int, tuple[str, ...]]:
    """Reply on one server to a citizen of the other; what their own server's history shows."""
    by_ticket = {c.ticket: c for c in citizens}
    take = next((t for t in takes if by_ticket[t.ticket].server != t.server), None)
    assert take is not None, "every ticket was taken on its citizen's server: nothing to cross"
    replied = by_ticket[take.ticket]
    client, token = operators[take.server]
    sent = await client.post(
        f"/console/tickets/{take.ticket}/reply", data={"csrf_token": token, "text": REPLY}
    )
    assert sent.status_code == 303, sent.text
    own = clients[citizens.index(replied)]
    messages = (await _history(own, urls[replied.server], replied.session_id))["messages"]
    assert isinstance(messages, list)
    return replied, take.server, tuple(m["text"] for m in messages if m["author"] == "operator")


async def _delivered(
    citizens: list[Citizen],
    clients: list[httpx.AsyncClient],
    urls: list[str],
    *,
    expected_per_session: dict[str, int],
) -> dict[str, tuple[tuple[dict[str, object], ...], ...]]:
    """Every session's live events on each server, once the outbox has delivered them all."""

    async def snapshot() -> dict[str, tuple[tuple[dict[str, object], ...], ...]]:
        async def of(i: int, citizen: Citizen) -> tuple[tuple[dict[str, object], ...], ...]:
            found = []
            for url in urls:
                events = (await _history(clients[i], url, citizen.session_id))["live"]
                assert isinstance(events, list)
                found.append(tuple(events))
            return tuple(found)

        views = await asyncio.gather(*(of(i, c) for i, c in enumerate(citizens)))
        return {c.session_id: v for c, v in zip(citizens, views, strict=True)}

    deadline = time.monotonic() + DELIVERY_SECONDS
    # Settle first: a second worker sending the same row would do it within a poll or two.
    await asyncio.sleep(SETTLE_SECONDS)
    while True:
        seen = await snapshot()
        # Both servers read one table of web events: count what the citizen's own one shows.
        complete = all(
            len(seen[c.session_id][c.server]) >= expected_per_session.get(c.session_id, 1)
            for c in citizens
        )
        if complete or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(1.0)


@pytest.fixture(scope="module")
def outcome(servers: tuple[Server, Server]) -> Outcome:
    """The scenario, run once for all the checks below."""
    try:
        return asyncio.run(_scenario(servers))
    except (AssertionError, httpx.HTTPError) as error:
        # A 500 says little on its own: the servers' logs hold the traceback.
        logs = "\n".join(f"--- {s.url}\n{s.log.read_text('utf-8')[-6000:]}" for s in servers)
        raise AssertionError(f"{error}\n{logs}") from error


def test_every_call_for_a_person_gets_its_own_ticket(outcome: Outcome) -> None:
    numbers = [c.ticket for c in outcome.citizens]
    assert len(set(numbers)) == CITIZENS, Counter(numbers).most_common(3)
    assert min(numbers) > 0


def test_both_consoles_see_the_whole_queue(outcome: Outcome) -> None:
    for page in outcome.queue_counts:
        assert f'<span class="count" id="queue-count">{CITIZENS}</span>' in page


def test_a_citizen_reads_their_ticket_on_either_server_and_no_one_elses(outcome: Outcome) -> None:
    for citizen in outcome.citizens:
        assert citizen.own_reads == (200, 200), citizen
        assert citizen.foreign_reads == (404, 404), citizen


def test_every_ticket_is_taken_exactly_once_across_both_servers(outcome: Outcome) -> None:
    taken = Counter(t.ticket for t in outcome.takes)
    twice = {number: n for number, n in taken.items() if n > 1}
    assert not twice, f"tickets handed out more than once: {twice}"
    assert set(taken) == {c.ticket for c in outcome.citizens}
    assert {t.server for t in outcome.takes} == {0, 1}, "one server took everything"
    for page in outcome.queues_after:
        assert '<span class="count" id="queue-count">0</span>' in page and "Очередь пуста." in page


def test_a_reply_written_on_the_other_server_reaches_the_citizen_once(outcome: Outcome) -> None:
    assert outcome.replied.server != outcome.reply_on
    assert outcome.reply_history.count(REPLY) == 1


def test_the_outbox_delivers_every_notice_exactly_once_across_both_servers(
    outcome: Outcome,
) -> None:
    for citizen in outcome.citizens:
        events = outcome.live[citizen.session_id][citizen.server]
        taken = [e for e in events if str(e["text"]).startswith(TAKEN_PREFIX)]
        assert len(taken) == 1, (citizen, events)
        assert taken[0]["ticket_number"] == citizen.ticket
    replied = outcome.replied
    replies = [
        e for e in outcome.live[replied.session_id][replied.server] if REPLY in str(e["text"])
    ]
    assert len(replies) == 1, replies


def test_live_events_reach_the_server_the_citizen_talks_to(outcome: Outcome) -> None:
    # Whichever server's worker delivered a notice, the citizen's own server holds it, and
    # both servers show the same events under the same ids (a reconnect may switch servers).
    missing = [
        c.ticket
        for c in outcome.citizens
        if not any(
            str(e["text"]).startswith(TAKEN_PREFIX) for e in outcome.live[c.session_id][c.server]
        )
    ]
    assert not missing, f"tickets whose notice the citizen's own server does not hold: {missing}"
    differ = [
        c.ticket for c in outcome.citizens if len(set(map(str, outcome.live[c.session_id]))) > 1
    ]
    assert not differ, f"servers disagree on the live events of tickets: {differ}"


def test_neither_server_crashed(outcome: Outcome) -> None:
    assert outcome.crashed == ()


async def _guess_on_both(servers: tuple[Server, Server], guesses: int) -> list[httpx.Response]:
    """Wrong passwords for one login sent at once, half to each server, from one address."""
    clients = [httpx.AsyncClient(base_url=s.url, timeout=30) for s in servers]
    try:
        forms = []
        for client in clients:
            token = csrf_of((await client.get("/console/login")).text)
            forms.append({"login": GUESSED, "password": WRONG, "csrf_token": token})
        return await asyncio.gather(
            *(clients[i % 2].post("/console/login", data=forms[i % 2]) for i in range(guesses))
        )
    finally:
        for client in clients:
            await client.aclose()


def test_wrong_passwords_are_counted_once_across_both_servers(
    servers: tuple[Server, Server],
) -> None:
    """Each server counted on its own: 30 guesses sent at once across two servers got 10
    passwords checked (five more with every server added behind the proxy)."""
    sent = asyncio.run(_guess_on_both(servers, 30))
    statuses = Counter(response.status_code for response in sent)
    assert statuses == {401: 5, 429: 25}, statuses

    async def right_password() -> list[httpx.Response]:
        answers = []
        for server in servers:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                answers.append(await log_in(client, GUESSED, PASSWORD))
        return answers

    for refused in asyncio.run(right_password()):
        assert refused.status_code == 429, refused.text
        assert "Слишком много неудачных попыток входа" in refused.text
        assert 60 <= int(refused.headers["retry-after"]) <= 15 * 60
    for server in servers:
        log = server.log.read_text("utf-8")
        assert "Traceback" not in log and WRONG not in log
