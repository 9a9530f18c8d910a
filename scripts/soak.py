"""Long reliability runs (issue 8): load, crashes, database and Telegram outages, abuse.

    python scripts/soak.py load --backend sqlite|postgresql [--sessions 500] [--seconds 120]
    python scripts/soak.py crash [--backend sqlite] [--kills 3]
    python scripts/soak.py db-restart [--sessions 100] [--restarts 3] [--outage 5]
    python scripts/soak.py telegram-down [--chats 20] [--replies 3] [--down 60]
    python scripts/soak.py abuse [--seconds 120] [--clients 20] [--flood 20] [--ip-limit 60/30s]
    python scripts/soak.py all --short        # every scenario in a few seconds

Everything runs on loopback against real `faqbot serve` / `faqbot telegram` processes, bounded
in time and count; each run prints its figures and the checks, and exits 1 when a check fails.
`--short` shrinks each scenario to a few seconds; the tests run it
(`tests/reliability/test_soak_short.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the shared rig lives in tests/support
    sys.path.insert(0, str(ROOT))

from soak_checks import Check  # noqa: E402
from soak_traffic import Stats, percentile  # noqa: E402

SHORT: dict[str, dict[str, float | str]] = {
    "load": {"sessions": 20, "seconds": 5.0},
    "crash": {"sessions": 20, "seconds": 8.0, "faults": 1},
    "db-restart": {"sessions": 20, "seconds": 8.0, "faults": 1, "outage": 2.0},
    "telegram-down": {"chats": 4, "down": 4.0},
    # A lower per-address limit, so that the flood runs into it within a few seconds.
    "abuse": {"seconds": 6.0, "clients": 5, "ip_limit": "10/5s"},
}


def print_stats(stats: Stats, elapsed: float) -> None:
    """Per operation: requests, statuses, p50/p99; and the throughput."""
    print("| operation | requests | 2xx/3xx | 4xx | 5xx | no answer | p50 | p99 | max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for operation, samples in stats.by_operation().items():
        answered = [s.seconds * 1e3 for s in samples if s.status is not None]
        ok = sum(1 for s in samples if s.status is not None and s.status < 400)
        client = sum(1 for s in samples if s.status is not None and 400 <= s.status < 500)
        server = sum(1 for s in samples if s.status is not None and s.status >= 500)
        none = sum(1 for s in samples if s.status is None)
        print(
            f"| {operation} | {len(samples):,} | {ok:,} | {client} | {server} | {none} "
            f"| {_ms(statistics.median(answered) if answered else 0)} "
            f"| {_ms(percentile(answered, 0.99))} | {_ms(max(answered, default=0))} |"
        )
    total = len(stats.samples)
    print(f"\n{total:,} requests in {elapsed:.1f} s: {total / max(elapsed, 1e-9):.1f} req/s")


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def print_checks(checks: list[Check]) -> bool:
    """The checks, one a line; True when all held."""
    print()
    for check in checks:
        print(f"- [{'ok' if check.held else 'FAILED'}] {check.name}: {check.figure}")
    held = all(c.held for c in checks)
    print(f"\nRESULT: {'PASS' if held else 'FAIL'}")
    return held


def _machine() -> str:
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} (1 min) / {five:.2f} (5 min)"


def _report(figures: list[str], checks: list[Check]) -> bool:
    """A scenario's figures, the machine it ran on, then its checks; True when all held."""
    for line in figures:
        print(line)
    print(f"Machine: {_machine()}.")
    return print_checks(checks)


def run_load_like(args: argparse.Namespace, fault: str | None) -> bool:
    """`load`, `crash` or `db-restart`."""
    from soak_load import LoadPlan, run_load

    backend = "postgresql" if fault == "db-restart" else args.backend
    plan = LoadPlan(
        backend=backend,
        sessions=args.sessions,
        seconds=args.seconds,
        seed=args.seed,
        fault=fault,
        faults=args.faults,
        outage=args.outage,
    )
    print(
        f"## soak {args.command}: {plan.sessions} sessions for {plan.seconds:g} s on {backend}"
        + (f", {plan.faults} × {fault} at seeded moments (seed {plan.seed})" if fault else "")
        + (f", PostgreSQL down {plan.outage:g} s each time" if fault == "db-restart" else "")
    )
    result = asyncio.run(run_load(plan))
    print_stats(result.stats, result.elapsed)
    ledger = result.ledger
    print(
        f"Sessions finished: {result.sessions_done:,}; acknowledged: "
        f"{len(ledger.message_ids) + len(ledger.choices):,} questions and choices, "
        f"{len(ledger.tickets):,} tickets, {len(ledger.replies):,} operator replies."
    )
    if result.faults.times:
        when = ", ".join(f"{t - result.started:.1f} s" for t in result.faults.times)
        away = ", ".join(f"{d:.1f} s" for d in result.faults.downtime)
        print(f"Faults at {when}; away for {away}.")
    if result.server_cpu is not None:
        print(
            f"CPU: server {100 * result.server_cpu / result.elapsed:.0f} %, load generator "
            f"{100 * result.client_cpu / result.elapsed:.0f} % of one core."
        )
    print(f"Server log ({result.log}): {result.server_tracebacks} tracebacks.")
    if result.first_traceback:
        print("The first one:\n```\n" + result.first_traceback + "\n```")
    print(f"Machine: {_machine()}; other jobs share it.")
    return print_checks(result.checks)


def run_telegram(args: argparse.Namespace) -> bool:
    """`telegram-down`."""
    from soak_telegram import TelegramPlan, run_telegram_down

    plan = TelegramPlan(chats=args.chats, down=args.down, replies=args.replies)
    print(
        f"## soak telegram-down: the Bot API unreachable for {plan.down:g} s while operators "
        f"reply {plan.replies} times to each of {plan.chats} Telegram citizens"
    )
    result = asyncio.run(run_telegram_down(plan))
    return _report(result.figures, result.checks)


def run_abuse(args: argparse.Namespace) -> bool:
    """`abuse`."""
    from soak_abuse import AbusePlan, run_abuse_scenario

    plan = AbusePlan(
        seconds=args.seconds, clients=args.clients, flood=args.flood, ip_limit=args.ip_limit
    )
    print(
        f"## soak abuse: one address floods /api/v1/ask with {plan.flood} requests in flight "
        f"for {plan.seconds:g} s beside {plan.clients} ordinary citizens; per-address limit "
        f"{plan.ip_limit or 'the default (60/30s)'}"
    )
    result = asyncio.run(run_abuse_scenario(plan))
    return _report(result.figures, result.checks)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "command", choices=["load", "crash", "db-restart", "telegram-down", "abuse", "all"]
    )
    parser.add_argument("--short", action="store_true", help="a few seconds each (CI)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--sessions", type=int, help="concurrent widget sessions (500; db-restart: 100)"
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the load")
    parser.add_argument("--faults", "--kills", "--restarts", type=int, default=3)
    parser.add_argument(
        "--outage", type=float, default=5.0, help="db-restart: seconds PostgreSQL stays down"
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--chats", type=int, default=20, help="telegram-down: citizens")
    parser.add_argument("--replies", type=int, default=3, help="telegram-down: replies each")
    parser.add_argument("--down", type=float, default=60.0, help="telegram-down: seconds away")
    parser.add_argument("--clients", type=int, default=20, help="abuse: ordinary citizens")
    parser.add_argument("--flood", type=int, default=20, help="abuse: flood requests in flight")
    parser.add_argument(
        "--ip-limit", help="abuse: FAQBOT_RATE_LIMIT_IP for the server (default: its own)"
    )
    return parser


def _shorten(args: argparse.Namespace, command: str) -> argparse.Namespace:
    values = dict(vars(args), command=command)
    if values["sessions"] is None:
        # Fewer sessions for the restarts, so that their 503s are not lost among overload.
        values["sessions"] = 100 if command == "db-restart" else 500
    if args.short:
        values.update(SHORT[command])
    return argparse.Namespace(**values)


def main(argv: list[str] | None = None) -> int:
    """Run one scenario (or all); 0 when every check held."""
    args = _parser().parse_args(argv)
    commands = list(SHORT) if args.command == "all" else [args.command]
    results: dict[str, bool] = {}
    for command in commands:
        started = time.monotonic()
        chosen = _shorten(args, command)
        if command == "telegram-down":
            results[command] = run_telegram(chosen)
        elif command == "abuse":
            results[command] = run_abuse(chosen)
        else:
            results[command] = run_load_like(chosen, None if command == "load" else command)
        print(f"({command} took {time.monotonic() - started:.1f} s)\n", flush=True)
    if len(results) > 1:
        print(
            "SUMMARY: " + ", ".join(f"{c} {'PASS' if ok else 'FAIL'}" for c, ok in results.items())
        )
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
