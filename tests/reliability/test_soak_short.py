"""The long reliability runs of `scripts/soak.py`, each in its `--short` form (issue 8).

Each scenario runs as the script runs by hand: a subprocess starting real `faqbot serve` /
`faqbot telegram` processes (and PostgreSQL) on loopback. The script judges the run itself
and prints one line per check; here every check must hold, and the lines that prove the run
did something (tickets acknowledged, a kill done, 503s seen, replies delivered) must be there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.conftest import postgres_unavailable
from tests.support.postgres import pg_bindir

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"
TIMEOUT_SECONDS = 240
NEEDS_POSTGRES = {"db-restart"}
# Per scenario: lines of the summary that must be there, as patterns (checks end in a figure).
EVIDENCE = {
    "load": (
        r"\[ok\] accepted questions missing from the question log: 0 of [1-9]",
        r"\[ok\] acknowledged tickets missing: 0 of [1-9]",
        r"\[ok\] 5xx answers: 0",
    ),
    "crash": (
        r"\[ok\] kills done: 1",
        r"\[ok\] acknowledged tickets missing: 0 of [1-9]",
        r"\[ok\] acknowledged replies the citizen does not see: 0 of [1-9]",
        r"\[ok\] ticket numbers told to two sessions: 0",
    ),
    "db-restart": (
        r"\[ok\] 503 answers during the restarts: [1-9]",
        r"\[ok\] 503 answers without the Russian message or Retry-After: 0",
        r"\[ok\] successful requests after the last restart: [1-9]",
        r"\[ok\] tickets without their first event or message: 0",
    ),
    "telegram-down": (
        r"\[ok\] replies waiting in the outbox while the API was away: (\d+) of \1",
        r"\[ok\] replies never delivered: 0 of [1-9]",
        r"\[ok\] replies delivered twice: 0",
        r"\[ok\] chats whose replies came out of order: 0 of",
    ),
    "abuse": (
        r"\[ok\] flood requests throttled with 429: [1-9]",
        r"\[ok\] ordinary citizens throttled or unanswered: 0",
    ),
}


@pytest.mark.parametrize("scenario", list(EVIDENCE))
def test_soak_scenario_short(scenario: str) -> None:
    if scenario in NEEDS_POSTGRES and pg_bindir() is None:
        postgres_unavailable("initdb/pg_ctl not found; install the `postgresql` package")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), scenario, "--short"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    output = done.stdout + "\n--- stderr\n" + done.stderr[-4000:]
    assert done.returncode == 0, output
    assert "RESULT: PASS" in done.stdout, output
    assert "[FAILED]" not in done.stdout, output
    for pattern in EVIDENCE[scenario]:
        assert re.search(pattern, done.stdout), f"no line matching {pattern!r}:\n{output}"
