"""HTTP load benchmark: `POST /api/v1/ask` under concurrent sessions, beside the bare matcher.

    python scripts/bench_http.py                  # 1, 50 and 200 sessions; 2,000 requests or 30 s
    python scripts/bench_http.py --quick          # smoke run: 1 and 20 sessions, 200 requests
    python scripts/bench_http.py --levels 1 10 --requests 500 --seconds 10
    python scripts/bench_http.py --backend postgresql   # a throwaway PostgreSQL instead

`faqbot serve` runs as a child process on 127.0.0.1 (a free port, a fresh SQLite database in a
temporary directory, or with `--backend postgresql` a fresh database on a throwaway PostgreSQL
cluster started from Debian's `initdb`/`pg_ctl` as the soak does; the project's knowledge
base, FAQBOT_ENV=development) and is stopped at the end. Questions are the knowledge base's
own phrasings with small mutations (a word dropped, lower case, no question mark); the bare
`Matcher` answers the same questions in this process, so that the HTTP overhead at p50 can
be read off: once before the server starts, and at one session on each question just before
it is sent (untimed by the request), because this machine's speed drifts by up to two times
within minutes and the overhead is the difference of the two.

The server keeps its default rate limits (per address: burst 60 at 2/s, per session: burst
20 at 0.5/s; FAQBOT_RATE_LIMIT_* could change them), so the load stays inside them the way
real traffic does: each
session is one citizen with a client address of its own (127.x.y.z: all of 127/8 is loopback
on Linux) and a conversation of `--session-questions` questions keeping its session_id; the slot
then starts the next session. A 429 is still counted as a 4xx error.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from lean_http import HttpError, LeanClient

from matcher import KnowledgeBase, Matcher, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
KB_DIR = ROOT / "knowledge_base"
HEALTH_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 15.0
WARMUP_QUESTIONS = 50
OVERHEAD_TARGET_MS = 2.0
TARGET_SESSIONS = 200


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: its latency and HTTP status (None for a transport error)."""

    latency_s: float
    status: int | None


@dataclass(slots=True)
class LevelResult:
    """All requests of one concurrency level, with the CPU the two processes spent on them."""

    sessions: int
    elapsed_s: float
    samples: list[Sample] = field(default_factory=list)
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    handle_mean_ms: float | None = None
    # The bare matcher on each question just before it is sent (one session only).
    matcher_ms: list[float] = field(default_factory=list)

    def latencies_ms(self) -> list[float]:
        return sorted(s.latency_s * 1e3 for s in self.samples)

    def count(self, low: int, high: int) -> int:
        return sum(1 for s in self.samples if s.status is not None and low <= s.status < high)

    @property
    def transport_errors(self) -> int:
        return sum(1 for s in self.samples if s.status is None)

    @property
    def errors(self) -> int:
        return len(self.samples) - self.count(200, 300)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def questions(kb: KnowledgeBase, count: int, seed: int = 23) -> list[str]:
    """Citizens' questions: entry phrasings with a word dropped, lower-cased, no '?'."""
    rng = random.Random(seed)
    asked = []
    for _ in range(count):
        entry = rng.choice(kb.entries)
        tokens = rng.choice(entry.phrasings).split()
        if len(tokens) > 3 and rng.random() < 0.5:
            tokens.pop(rng.randrange(len(tokens)))
        text = " ".join(tokens)
        if rng.random() < 0.6:
            text = text.lower()
        if rng.random() < 0.5:
            text = text.rstrip("?")
        asked.append(text)
    return asked


def default_limits() -> dict[str, tuple[int, float]]:
    """The web app's default rate limits (burst, per second); the server may be started with
    others through FAQBOT_RATE_LIMIT_IP / FAQBOT_RATE_LIMIT_SESSION."""
    from bot.web.settings import DEFAULT_IP_RATE, DEFAULT_SESSION_RATE

    return {
        name: (limit.burst, limit.per_second)
        for name, limit in (("ip_rate", DEFAULT_IP_RATE), ("session_rate", DEFAULT_SESSION_RATE))
    }


def client_addresses() -> Iterator[str]:
    """127.0.0.2, 127.0.0.3, ...: a loopback address for each new citizen."""
    for n in itertools.count(2):
        a, b, c = (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF
        if c in (0, 255):
            continue
        yield f"127.{a}.{b}.{c}"


def measure_matcher(asked: list[str]) -> tuple[Matcher, dict[str, float]]:
    """The bare matcher's time per question on the same questions, in this process."""
    started = time.perf_counter()
    matcher = Matcher(load_knowledge_base(KB_DIR))
    build = time.perf_counter() - started
    for q in asked[:WARMUP_QUESTIONS]:  # the same warm-up the server gets over HTTP
        matcher.match(q)
    times = []
    for q in asked:
        t = time.perf_counter()
        matcher.match(q)
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return matcher, {
        "build_s": build,
        "median_ms": statistics.median(times),
        "p99_ms": percentile(times, 0.99),
        "count": len(times),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def faqbot_command() -> list[str]:
    beside = Path(sys.executable).with_name("faqbot")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("faqbot")
    if found is None:
        raise SystemExit("bench_http: the `faqbot` command is not installed (pip install -e .)")
    return [found]


def start_server(
    workdir: Path, port: int, database_url: str
) -> tuple[subprocess.Popen[bytes], Path]:
    log = workdir / "server.log"
    env = dict(os.environ, FAQBOT_ENV="development")
    command = [
        *faqbot_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--kb",
        str(KB_DIR),
        "--database",
        database_url,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    return process, log


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=5.0) as client:
        while time.perf_counter() - started < HEALTH_TIMEOUT_S:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"bench_http: the server exited ({process.returncode}):\n{tail}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"bench_http: /healthz not ready after {HEALTH_TIMEOUT_S:.0f} s")


async def answer_seconds(base: str) -> tuple[float, float] | None:
    """The server's own `faqbot_answer_seconds` histogram (sum, count) from /metrics."""
    found: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10.0) as client:
        try:
            response = await client.get("/metrics")
        except httpx.TransportError:
            return None
    for line in response.text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("faqbot_answer_seconds_sum", "faqbot_answer_seconds_count"):
            found[name] = float(value)
    if len(found) != 2 or not response.is_success:
        return None
    return found["faqbot_answer_seconds_sum"], found["faqbot_answer_seconds_count"]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unavailable."""
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    """Sessions in flight against the server; each slot runs one session after another.

    Each citizen is a `LeanClient` (see `lean_http.py`): the load generator runs on the
    server's cores, and at one session its own time per request is counted as latency.
    httpx spent about 2.5 ms of CPU a request here and aiohttp about 1 ms; the lean client
    spends tens of microseconds (the client CPU column shows it).
    """

    def __init__(
        self, port: int, asked: list[str], session_questions: int, matcher: Matcher
    ) -> None:
        self._port = port
        self._matcher = matcher
        self._asked = asked
        self._session_questions = session_questions
        self._addresses = client_addresses()

    def _client(self) -> LeanClient:
        """One citizen: a keep-alive connection from an address of its own."""
        return LeanClient("127.0.0.1", self._port, local_address=next(self._addresses))

    async def run(self, sessions: int, requests: int, seconds: float) -> LevelResult:
        result = LevelResult(sessions=sessions, elapsed_s=0.0)
        issued = 0
        started = time.perf_counter()
        deadline = started + seconds

        def more() -> bool:
            return issued < requests and time.perf_counter() < deadline

        async def slot() -> None:
            nonlocal issued
            while more():
                session_id: str | None = None
                async with self._client() as client:
                    for _ in range(self._session_questions):
                        if not more():
                            return
                        question = self._asked[issued % len(self._asked)]
                        issued += 1
                        body: dict[str, Any] = {"question": question}
                        if session_id is not None:
                            body["session_id"] = session_id
                        if sessions == 1:  # the bare matcher in the same seconds, untimed
                            t = time.perf_counter()
                            self._matcher.match(question)
                            result.matcher_ms.append((time.perf_counter() - t) * 1e3)
                        t = time.perf_counter()
                        try:
                            status, answer = await client.post_json(
                                "/api/v1/ask", body, timeout=REQUEST_TIMEOUT_S
                            )
                        except (HttpError, TimeoutError):
                            result.samples.append(Sample(time.perf_counter() - t, None))
                            continue
                        result.samples.append(Sample(time.perf_counter() - t, status))
                        if 200 <= status < 300 and session_id is None:
                            session_id = str(answer["session_id"])

        await asyncio.gather(*(slot() for _ in range(sessions)))
        result.elapsed_s = time.perf_counter() - started
        return result


async def run_levels(
    base: str, pid: int, asked: list[str], matcher: Matcher, args: argparse.Namespace
) -> list[LevelResult]:
    load = Load(int(base.rsplit(":", 1)[1]), asked, args.session_questions, matcher)
    await load.run(1, WARMUP_QUESTIONS, 60.0)  # warm caches a running service would have warm
    results = []
    for sessions in args.levels:
        answered_before = await answer_seconds(base)
        server_before = cpu_seconds(pid)
        client_before = time.process_time()
        result = await load.run(sessions, args.requests, args.seconds)
        server_after = cpu_seconds(pid)
        result.client_cpu_s = time.process_time() - client_before
        answered_after = await answer_seconds(base)
        if answered_before and answered_after and answered_after[1] > answered_before[1]:
            result.handle_mean_ms = (
                1e3
                * (answered_after[0] - answered_before[0])
                / (answered_after[1] - answered_before[1])
            )
        if server_before is not None and server_after is not None:
            result.server_cpu_s = server_after - server_before
        results.append(result)
        print(
            f"  {sessions} sessions: {len(result.samples)} requests in {result.elapsed_s:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return results


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def report(
    results: list[LevelResult],
    matched: dict[str, float],
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
    startup_s: float,
    session_questions: int,
) -> None:
    print(
        "| sessions | requests | time | throughput | p50 | p99 | non-2xx: 4xx / 5xx / transport "
        "| server-side answer, mean | server CPU | client CPU |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        lat = r.latencies_ms()
        p50 = f"{statistics.median(lat):.2f} ms" if lat else "–"
        p99 = f"{percentile(lat, 0.99):.2f} ms" if lat else "–"
        server_cpu = (
            f"{100 * r.server_cpu_s / r.elapsed_s:.0f} % "
            f"({1e3 * r.server_cpu_s / max(1, len(r.samples)):.1f} ms/request)"
            if r.server_cpu_s is not None
            else "–"
        )
        handle = f"{r.handle_mean_ms:.2f} ms" if r.handle_mean_ms is not None else "–"
        print(
            f"| {r.sessions} | {len(r.samples):,} | {r.elapsed_s:.1f} s "
            f"| {len(r.samples) / r.elapsed_s:.0f} req/s | {p50} | {p99} "
            f"| {r.errors}: {r.count(400, 500)} / {r.count(500, 600)} / {r.transport_errors} "
            f"| {handle} | {server_cpu} | {100 * r.client_cpu_s / r.elapsed_s:.0f} % |"
        )
    print(
        f"| bare matcher, in process, before the server | {int(matched['count']):,} | – | "
        f"{1e3 / matched['median_ms']:.0f} q/s | {matched['median_ms']:.2f} ms "
        f"| {matched['p99_ms']:.2f} ms | – | – | – | – |"
    )
    single = next((r for r in results if r.sessions == 1 and r.samples), None)
    if single is not None and single.matcher_ms:
        between = sorted(single.matcher_ms)
        print(
            f"| bare matcher, in process, between the 1-session requests | {len(between):,} "
            f"| – | {1e3 / statistics.median(between):.0f} q/s "
            f"| {statistics.median(between):.2f} ms | {percentile(between, 0.99):.2f} ms "
            "| – | – | – | – |"
        )
    print()
    if single is None or not single.matcher_ms:
        print("- HTTP overhead at p50: not measured (no level with 1 session)")
    else:
        overhead = statistics.median(single.latencies_ms()) - statistics.median(single.matcher_ms)
        verdict = "met" if overhead < OVERHEAD_TARGET_MS else "NOT met"
        print(
            "- HTTP overhead at p50 (HTTP p50 at 1 session − the bare matcher's median on the "
            f"same questions in the same seconds): {overhead:.2f} ms — target < "
            f"{OVERHEAD_TARGET_MS:g} ms: {verdict}"
        )
    top = max(results, key=lambda r: r.sessions, default=None)
    if top is not None:
        verdict = "met" if top.errors == 0 and top.samples else "NOT met"
        note = "" if top.sessions >= TARGET_SESSIONS else f" (target is {TARGET_SESSIONS})"
        print(f"- No errors at {top.sessions} concurrent sessions{note}: {verdict}")
    print(
        f"- Server start-up to a healthy /healthz: {startup_s:.1f} s; matcher build "
        f"{matched['build_s']:.1f} s. Each session: {session_questions} questions from its own "
        "127.x.y.z address (the server keeps its default rate limits)."
    )
    print(
        f"- Load average (1 / 5 / 15 min) on {os.cpu_count()} cores: before "
        f"{fmt_load(loads[0])}, after {fmt_load(loads[1])}. Server and load generator share "
        "these cores."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--requests", type=int, default=2000, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level, at most")
    parser.add_argument("--questions", type=int, default=1000, help="distinct questions")
    parser.add_argument(
        "--session-questions", type=int, default=10, help="questions per session before a new one"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: levels 1 and 20, 200 requests each"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the server's database (PostgreSQL: a throwaway cluster, as the soak's)",
    )
    args = parser.parse_args()
    if args.quick:
        args.levels, args.requests, args.seconds, args.questions = [1, 20], 200, 10.0, 300
    limits = default_limits()
    allowed = min(burst for burst, _ in limits.values())
    if not 1 <= args.session_questions <= allowed:
        parser.error(f"--session-questions must be 1..{allowed}: the rate limits are {limits}")

    load_before = os.getloadavg()
    kb = load_knowledge_base(KB_DIR)
    asked = questions(kb, args.questions)
    print(f"bench_http: bare matcher on {len(asked)} questions ...", file=sys.stderr, flush=True)
    matcher, matched = measure_matcher(asked)

    # The soak's rig (which imports this module) and the tests' PostgreSQL cluster.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from soak_rig import open_backend

    with tempfile.TemporaryDirectory(prefix="faqbot-bench-http-") as tmp:
        backend = asyncio.run(open_backend(args.backend, Path(tmp)))
        try:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            process, log = start_server(Path(tmp), port, backend.url)
            try:
                startup = asyncio.run(wait_healthy(base, process, log))
                print(f"bench_http: server up in {startup:.1f} s", file=sys.stderr, flush=True)
                results = asyncio.run(run_levels(base, process.pid, asked, matcher, args))
                load_after = os.getloadavg()
            finally:
                stop_server(process)
        finally:
            backend.close()
    print(f"Database: {args.backend}.")
    report(results, matched, (load_before, load_after), startup, args.session_questions)


if __name__ == "__main__":
    main()
