"""Load on a real `faqbot serve`, plain or with faults: SIGKILL of the server, PostgreSQL restarts.

The same traffic runs in all three (`soak_traffic.py`); a fault task runs beside it at seeded
random moments, and the checks of `soak_checks.py` judge the database afterwards.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from soak_checks import (
    Check,
    outbox_drained,
    questions_recorded,
    replies_seen,
    server_errors,
    tickets_intact,
)
from soak_rig import KB_DIR, Backend, Serve, create_operators, open_backend, serve
from soak_traffic import (
    Citizens,
    Deadline,
    DeskOperator,
    Ledger,
    Operator,
    Stats,
    questions,
    warm_up,
)

from matcher import load_knowledge_base

OPERATORS = ("anna", "boris")
RUSSIAN_503 = "временно недоступен"
# A request that takes longer than this during a fault counts as a hang.
HANG_SECONDS = 30.0
# How long a kill may wait for something new to be acknowledged before it is given up.
ACK_WAIT_SECONDS = 60.0
# After the last fault, the service must answer without 503s once this much time has passed.
RECOVERY_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """What to run: how many sessions for how long, on what, with which fault."""

    backend: str
    sessions: int
    seconds: float
    seed: int
    fault: str | None = None  # None, "crash" or "db-restart"
    faults: int = 3  # how many kills or restarts, at random moments
    outage: float = 5.0  # db-restart: seconds PostgreSQL stays down each time
    operators: int = 2


@dataclass
class Faults:
    """When the faults happened and how long the service was away."""

    times: list[float] = field(default_factory=list)  # monotonic, when each fault began
    downtime: list[float] = field(default_factory=list)  # seconds until healthy again


@dataclass
class LoadResult:
    """The run's figures and checks."""

    plan: LoadPlan
    stats: Stats
    ledger: Ledger
    faults: Faults
    elapsed: float
    sessions_done: int
    checks: list[Check]
    started: float
    server_tracebacks: int
    first_traceback: str
    log: Path
    server_cpu: float | None  # seconds, while the traffic ran (None across kills)
    client_cpu: float  # seconds, this process


def _fault_moments(plan: LoadPlan) -> list[float]:
    """Seeded moments (seconds from the start), between 30% and 80% of the run, sorted."""
    rng = random.Random(plan.seed * 7919 + 1)
    low, high = 0.3 * plan.seconds, 0.8 * plan.seconds
    return sorted(rng.uniform(low, high) for _ in range(plan.faults))


async def _crash(
    server: Serve,
    plan: LoadPlan,
    *,
    started: float,
    faults: Faults,
    deadline: Deadline,
    ledger: Ledger,
) -> None:
    since = 0  # tickets acknowledged before the previous kill
    for moment in _fault_moments(plan):
        await asyncio.sleep(max(0.0, started + moment + sum(faults.downtime) - time.monotonic()))
        # The run's clock stops from here until the server is back. The kill waits (a while at
        # most) for a ticket acknowledged since the last kill and a first operator reply:
        # under heavy load the first answers take long, and a kill before them tests nothing.
        deadline.hold()
        waiting = time.monotonic()
        while (len(ledger.tickets) <= since or not ledger.replies) and (
            time.monotonic() - waiting < ACK_WAIT_SECONDS
        ):
            await asyncio.sleep(0.1)
        since = len(ledger.tickets)
        faults.times.append(time.monotonic())
        server.kill()
        server.start()
        await server.wait_healthy()
        faults.downtime.append(time.monotonic() - faults.times[-1])
        deadline.release()


async def _restart_database(
    backend: Backend, plan: LoadPlan, started: float, faults: Faults
) -> None:
    assert backend.cluster is not None
    for moment in _fault_moments(plan):
        await asyncio.sleep(max(0.0, started + moment + sum(faults.downtime) - time.monotonic()))
        began = time.monotonic()
        faults.times.append(began)
        # `pg_ctl stop -m fast`, a pause, `pg_ctl start`: a restart long enough for the
        # traffic to meet it (a bare `pg_ctl restart` takes well under a second here).
        await asyncio.to_thread(backend.cluster.halt)
        await asyncio.sleep(plan.outage)
        await asyncio.to_thread(backend.cluster.resume)
        faults.downtime.append(time.monotonic() - began)


def _fault_checks(plan: LoadPlan, stats: Stats, ledger: Ledger, faults: Faults) -> list[Check]:
    if plan.fault == "crash":
        last = max(faults.times, default=0.0)
        tickets = sum(1 for a in ledger.tickets if a.at < last)
        replies = sum(1 for a in ledger.replies if a.at < last)
        return [
            Check("kills done", str(len(faults.times)), bool(faults.times)),
            Check(
                "tickets and replies acknowledged before the last kill (all checked above)",
                f"{tickets} and {replies}",
                tickets > 0 and replies > 0,
            ),
        ]
    if plan.fault != "db-restart":
        return []
    refusals = [r for r in ledger.refusals if r[0] == 503]
    unclear = [r for r in refusals if RUSSIAN_503 not in (r[1] or "") or not r[2]]
    slow = [s for s in stats.samples if s.seconds > HANG_SECONDS or s.status is None]
    last = faults.times[-1] + faults.downtime[-1] if faults.downtime else 0.0
    late = [
        s for s in stats.samples if s.status == 503 and s.at - s.seconds > last + RECOVERY_SECONDS
    ]
    after = [
        s for s in stats.samples if s.status is not None and 200 <= s.status < 400 and s.at > last
    ]
    return [
        Check("503 answers during the restarts", str(len(refusals)), bool(refusals)),
        Check(
            "503 answers without the Russian message or Retry-After", str(len(unclear)), not unclear
        ),
        Check(f"requests unanswered or slower than {HANG_SECONDS:.0f} s", str(len(slow)), not slow),
        Check(
            f"503 answers later than {RECOVERY_SECONDS:.0f} s after the last restart",
            str(len(late)),
            not late,
        ),
        Check("successful requests after the last restart", str(len(after)), bool(after)),
    ]


async def run_load(plan: LoadPlan) -> LoadResult:
    """Start the database and the server, run the traffic and the fault, check everything."""
    with tempfile.TemporaryDirectory(prefix="faqbot-soak-") as tmp:
        folder = Path(tmp)
        backend = await open_backend(plan.backend, folder)
        server: Serve | None = None
        try:
            await create_operators(backend, OPERATORS[: plan.operators])
            server = serve(backend, folder)
            server.start()
            up = await server.wait_healthy()
            print(f"soak: server up in {up:.1f} s", file=sys.stderr, flush=True)
            return await _drive(plan, backend, server)
        finally:
            if server is not None:
                server.stop()
            backend.close()


async def _drive(plan: LoadPlan, backend: Backend, server: Serve) -> LoadResult:
    rng = random.Random(plan.seed)
    asked = questions(load_knowledge_base(KB_DIR), rng, 2000)
    ledger, stats, faults = Ledger(), Stats(), Faults()
    citizens = Citizens(lambda: server.url, asked, ledger=ledger, stats=stats, seed=plan.seed)
    operators: list[Operator | DeskOperator] = [
        Operator(lambda: server.url, login, ledger=ledger, stats=stats)
        for login in OPERATORS[: plan.operators]
    ]
    if plan.fault == "crash":
        # The console starves under this load; one operator replies through the core too.
        operators.append(DeskOperator(backend.url, OPERATORS[0], ledger=ledger, stats=stats))
    await warm_up(server.url, asked)
    cpu_before, client_before = server.cpu_seconds(), time.process_time()
    started = time.monotonic()
    # While the server is away after a kill the run is extended: the plan counts serving time.
    deadline = Deadline(started + plan.seconds)
    tasks = [citizens.run(plan.sessions, deadline), *(o.run(deadline) for o in operators)]
    if plan.fault == "crash":
        tasks.append(
            _crash(server, plan, started=started, faults=faults, deadline=deadline, ledger=ledger)
        )
    elif plan.fault == "db-restart":
        tasks.append(_restart_database(backend, plan, started, faults))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    cpu_after, client_cpu = server.cpu_seconds(), time.process_time() - client_before
    server_cpu = (
        cpu_after - cpu_before
        if cpu_before is not None and cpu_after is not None and server.starts == 1
        else None
    )
    if not server.alive():  # a crash of its own, not one of ours
        server.start()
        await server.wait_healthy()
    engine = backend.engine()
    try:
        checks = [
            server_errors(
                ledger, allowed=frozenset({503}) if plan.fault == "db-restart" else frozenset()
            ),
            *await questions_recorded(engine, ledger),
            *await tickets_intact(engine, ledger),
            await outbox_drained(engine, wait=90.0 if plan.fault == "crash" else 30.0),
            *await replies_seen(server.url, engine, ledger),
            *_fault_checks(plan, stats, ledger, faults),
        ]
    finally:
        await engine.dispose()
    return LoadResult(
        plan=plan,
        stats=stats,
        ledger=ledger,
        faults=faults,
        elapsed=elapsed,
        sessions_done=citizens.sessions_done,
        checks=checks,
        started=started,
        server_tracebacks=server.tracebacks(),
        first_traceback=server.first_traceback(),
        log=server.keep_log(f"{plan.fault or 'load'}-{plan.backend}-serve"),
        server_cpu=server_cpu,
        client_cpu=client_cpu,
    )
