"""A `faqbot serve` killed (kill -9) while it sends a citizen's letter: another server on
the same database sends it within seconds, not when the killed server's one-minute lease
runs out; while the first server lives, the second leaves its letter alone.

Real processes on loopback: two `faqbot serve` on one SQLite file or PostgreSQL database,
an SMTP server that accepts the first server's connection and never answers (the letter
hangs in flight), and a real SMTP server for the second.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.core.claimants import host_prefix
from bot.core.settings import OutboxSettings
from tests.conftest import PROJECT_KB, ROOT
from tests.support.ports import free_port
from tests.support.readiness import wait_ready
from tests.support.smtp import smtp_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(host_prefix() is None, reason="needs Linux /proc"),
]

STARTUP_SECONDS = 60.0
QUESTION = "не могу авторизоваться на госуслугах уже второй день"
ADDRESS = "ivan.petrov@example.ru"
# The second server polls the outbox every second; the letter is in the first one's lease.
LEFT_ALONE_SECONDS = 3.0
# Well under the lease (60 s): the time a taken-over letter may take to arrive.
TAKEN_OVER_SECONDS = 15.0


def _environment(folder: Path, smtp_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env.update(
        FAQBOT_ENV="development",
        FAQBOT_DATA_DIR=str(folder),
        FAQBOT_SECRET_KEY="killed-server-secret-" + "k" * 32,
        FAQBOT_SMTP_HOST="127.0.0.1",
        FAQBOT_SMTP_PORT=str(smtp_port),
        FAQBOT_SMTP_SECURITY="none",
        FAQBOT_SMTP_FROM="faqbot@gosuslugi.example",
        FAQBOT_SMTP_TIMEOUT="300",  # the hanging server holds the letter for as long
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    return env


def _serve(
    database_url: str, folder: Path, smtp_port: int, started: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], str]:
    """A healthy `faqbot serve` on a free port, and its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        sys.executable, "-m", "bot.cli.main", "serve", "--kb", str(PROJECT_KB),
        "--host", "127.0.0.1", "--port", str(port), "--database", database_url, "--no-telegram",
    ]  # fmt: skip
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_environment(folder, smtp_port),
            cwd=ROOT,
        )
    started.append(process)
    url = f"http://127.0.0.1:{port}"
    wait_ready(process, url, log, STARTUP_SECONDS)
    return process, url


def _letter_asked_for(url: str) -> None:
    """A citizen gets an answer from the base and asks for it by e-mail."""
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as citizen:
        answer = citizen.post("/api/v1/ask", json={"question": QUESTION}).json()
        assert answer["entry_id"], answer
        queued = citizen.post(
            "/api/v1/email",
            json={
                "session_id": answer["session_id"],
                "entry_id": answer["entry_id"],
                "email": ADDRESS,
            },
        )
        assert queued.status_code == 202, queued.text


def test_a_letter_held_by_a_killed_server_is_sent_by_another_within_seconds(
    database_url: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Until 2026-12-06 the letter waited out the killed server's lease (60 s)."""
    assert OutboxSettings().lease.total_seconds() / 2 > TAKEN_OVER_SECONDS
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen()
        hanging.settimeout(60)
        first, first_url = _serve(
            database_url, tmp_path / "first", hanging.getsockname()[1], processes
        )
        _letter_asked_for(first_url)
        connection, _ = hanging.accept()  # the first server is sending the letter now
        with connection, smtp_server(free_port()) as smtp:
            _serve(database_url, tmp_path / "second", smtp.port, processes)
            time.sleep(LEFT_ALONE_SECONDS)
            assert smtp.letters == [], "the second server took a letter the first one holds"
            first.kill()
            first.wait()
            killed_at = time.monotonic()
            (letter,) = smtp.wait_for(1, timeout=TAKEN_OVER_SECONDS)
            waited = time.monotonic() - killed_at
    assert letter.recipients == (ADDRESS,)
    assert waited < TAKEN_OVER_SECONDS, f"{waited:.1f} s"
    print(f"letter sent {waited:.1f} s after the kill")
