"""One client flooding `/api/v1/ask` beside ordinary citizens (`soak.py abuse`).

Ordinary citizens ask at a person's pace (a question a second, each from an address of its
own) first alone, for a baseline, then while one address keeps `flood` requests in flight
without pause. The flood must be throttled (429 with `Retry-After`) while the others keep
getting answers, with latencies compared to their baseline.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from soak_checks import Check
from soak_rig import KB_DIR, ROOT, loopback_address, open_backend, serve
from soak_traffic import Deadline, Sample, Stats, citizen_client, percentile, questions

from matcher import load_knowledge_base

FLOODER = 100_000  # the flooder's address number, apart from the citizens'
PACE_SECONDS = 1.0  # an ordinary citizen's pause between questions
SESSION_QUESTIONS = 3
BASELINE_SHARE = 0.4  # the baseline phase lasts this share of the flood phase
# Ordinary citizens' p50 under the flood may be this many times their baseline p50 (plus a
# little, for the shared cores) before the flood counts as hurting them.
SLOWDOWN_ALLOWED = 3.0
SLOWDOWN_SLACK_MS = 100.0


@dataclass(frozen=True, slots=True)
class AbusePlan:
    """How long, how many ordinary citizens, how many flood requests in flight."""

    seconds: float
    clients: int
    flood: int
    ip_limit: str | None = None  # FAQBOT_RATE_LIMIT_IP for the server; None: its default


@dataclass
class AbuseResult:
    """Printed figures and the checks."""

    figures: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


async def _ordinary(
    base: str, number: int, asked: list[str], stats: Stats, deadline: Deadline
) -> None:
    rng = random.Random(number)
    await asyncio.sleep(rng.random() * PACE_SECONDS)
    async with citizen_client(base, number) as client:
        session_id: str | None = None
        count = 0
        while not deadline.passed():
            body: dict[str, str] = {"question": rng.choice(asked)}
            if session_id is not None and count % SESSION_QUESTIONS:
                body["session_id"] = session_id
            started = time.monotonic()
            try:
                response = await client.post("/api/v1/ask", json=body)
            except httpx.HTTPError:
                stats.add("ordinary", started, None)
            else:
                stats.add("ordinary", started, response.status_code)
                if response.is_success:
                    session_id = str(response.json()["session_id"])
            count += 1
            await asyncio.sleep(PACE_SECONDS)


async def _flood(
    base: str, plan: AbusePlan, asked: list[str], stats: Stats, deadline: Deadline
) -> int:
    """Keep `plan.flood` requests in flight; returns how many 429s lacked Retry-After."""
    missing_retry_after = 0

    async def one_stream(client: httpx.AsyncClient, index: int) -> None:
        nonlocal missing_retry_after
        n = index
        while not deadline.passed():
            started = time.monotonic()
            try:
                response = await client.post(
                    "/api/v1/ask", json={"question": asked[n % len(asked)]}
                )
            except httpx.HTTPError:
                stats.add("flood", started, None)
                continue
            stats.add("flood", started, response.status_code)
            if response.status_code == 429 and not response.headers.get("Retry-After"):
                missing_retry_after += 1
            n += plan.flood

    transport = httpx.AsyncHTTPTransport(
        local_address=loopback_address(FLOODER), limits=httpx.Limits(max_connections=plan.flood)
    )
    async with httpx.AsyncClient(
        base_url=base, transport=transport, timeout=60, trust_env=False
    ) as client:
        await asyncio.gather(*(one_stream(client, i) for i in range(plan.flood)))
    return missing_retry_after


def _latency(stats: Stats, operation: str) -> tuple[list[float], int, int, int, int]:
    samples = [s for s in stats.samples if s.operation == operation]
    ok = [s.seconds * 1e3 for s in samples if s.status is not None and s.status < 400]
    limited = sum(1 for s in samples if s.status == 429)
    server = sum(1 for s in samples if s.status is not None and s.status >= 500)
    none = sum(1 for s in samples if s.status is None)
    return ok, len(samples), limited, server, none


async def _flood_elsewhere(base: str, plan: AbusePlan, stats: Stats) -> int:
    """The flood from a process of its own, so that its client work does not slow down the
    ordinary citizens' client here; its statuses join `stats`. Returns 429s without
    Retry-After."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        base,
        str(plan.seconds),
        str(plan.flood),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the flooding process failed ({child.returncode})")
    found = json.loads(out)
    now = time.monotonic()
    stats.samples += [Sample("flood", 0.0, status, now) for status in found["statuses"]]
    return int(found["missing_retry_after"])


async def _flood_here(base: str, seconds: float, flood: int) -> None:
    asked = questions(load_knowledge_base(KB_DIR), random.Random(9), 200)
    stats = Stats()
    plan = AbusePlan(seconds=seconds, clients=0, flood=flood)
    missing = await _flood(base, plan, asked, stats, Deadline(time.monotonic() + seconds))
    statuses = [s.status for s in stats.samples]
    print(json.dumps({"statuses": statuses, "missing_retry_after": missing}))


async def run_abuse_scenario(plan: AbusePlan) -> AbuseResult:
    """Start a server, run the baseline and the flood, compare."""
    with tempfile.TemporaryDirectory(prefix="faqbot-soak-abuse-") as tmp:
        folder = Path(tmp)
        backend = await open_backend("sqlite", folder)
        limits = {"FAQBOT_RATE_LIMIT_IP": plan.ip_limit} if plan.ip_limit else {}
        server = serve(backend, folder, **limits)
        server.start()
        try:
            up = await server.wait_healthy()
            print(f"soak: server up in {up:.1f} s", file=sys.stderr, flush=True)
            asked = questions(load_knowledge_base(KB_DIR), random.Random(8), 500)
            return await _phases(server.url, plan, asked)
        finally:
            server.stop()
            backend.close()


async def _phases(base: str, plan: AbusePlan, asked: list[str]) -> AbuseResult:
    baseline, flooded = Stats(), Stats()
    calm = Deadline(time.monotonic() + BASELINE_SHARE * plan.seconds)
    await asyncio.gather(*(_ordinary(base, n, asked, baseline, calm) for n in range(plan.clients)))
    storm = Deadline(time.monotonic() + plan.seconds)
    started = time.monotonic()
    results = await asyncio.gather(
        _flood_elsewhere(base, plan, flooded),
        *(_ordinary(base, n, asked, flooded, storm) for n in range(plan.clients)),
    )
    elapsed = time.monotonic() - started
    missing_retry_after = int(str(results[0]))

    calm_ok, calm_n, calm_429, calm_5xx, calm_none = _latency(baseline, "ordinary")
    ok, n, limited, server_errors, none = _latency(flooded, "ordinary")
    f_ok, f_n, f_429, f_5xx, f_none = _latency(flooded, "flood")
    calm_p50 = statistics.median(calm_ok) if calm_ok else 0.0
    p50 = statistics.median(ok) if ok else 0.0
    allowed = SLOWDOWN_ALLOWED * calm_p50 + SLOWDOWN_SLACK_MS
    result = AbuseResult()
    result.figures = [
        "| who | phase | requests | answered 2xx | 429 | 5xx | no answer | p50 | p99 |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {plan.clients} ordinary citizens | alone | {calm_n} | {len(calm_ok)} | {calm_429} "
        f"| {calm_5xx} | {calm_none} | {calm_p50:.0f} ms | {percentile(calm_ok, 0.99):.0f} ms |",
        f"| {plan.clients} ordinary citizens | during the flood | {n} | {len(ok)} | {limited} "
        f"| {server_errors} | {none} | {p50:.0f} ms | {percentile(ok, 0.99):.0f} ms |",
        f"| the flooding address | during the flood | {f_n} | {len(f_ok)} | {f_429} | {f_5xx} "
        f"| {f_none} | – | – |",
        "",
        f"The flood: {f_n / max(elapsed, 1e-9):.0f} requests/s for {elapsed:.1f} s, "
        f"{len(f_ok)} answered ({len(f_ok) / max(elapsed, 1e-9):.1f}/s), the rest refused.",
    ]
    result.checks = [
        Check(
            "flood requests throttled with 429", f"{f_429} of {f_n}", f_n > 0 and f_429 >= 0.8 * f_n
        ),
        Check(
            "429 answers without Retry-After", str(missing_retry_after), missing_retry_after == 0
        ),
        Check(
            "5xx answers (anyone)",
            str(calm_5xx + server_errors + f_5xx),
            calm_5xx + server_errors + f_5xx == 0,
        ),
        Check(
            "ordinary citizens throttled or unanswered",
            str(limited + none + calm_429 + calm_none),
            limited + none + calm_429 + calm_none == 0,
        ),
        Check(
            f"ordinary p50 during the flood within {SLOWDOWN_ALLOWED:g}× the baseline "
            f"+ {SLOWDOWN_SLACK_MS:.0f} ms",
            f"{p50:.0f} ms vs {calm_p50:.0f} ms",
            bool(ok) and p50 <= allowed,
        ),
    ]
    return result


if __name__ == "__main__":  # the flooding process: BASE_URL SECONDS IN_FLIGHT
    asyncio.run(_flood_here(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
