"""A real `faqbot serve` process for the Telegram tests: started, waited for, stopped."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.bot.telegram.conftest import TOKEN
from tests.support.ports import free_port
from tests.support.readiness import ready

STARTUP_SECONDS = 90.0
STOP_SECONDS = 15.0
# Settings of the outer environment that would change what `serve` does with Telegram.
TELEGRAM_SETTINGS = ("FAQBOT_ENV", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_STAFF_CHAT")


@dataclass(frozen=True, slots=True)
class Served:
    """The running `faqbot serve` and its log."""

    url: str
    process: asyncio.subprocess.Process
    log: Path
    database_url: str


@asynccontextmanager
async def serving(
    tmp_path: Path, kb_dir: Path, env: Mapping[str, str], *arguments: str
) -> AsyncIterator[Served]:
    """`faqbot serve` on a free port with `env` over a clean environment, healthy, until the
    block ends; its log must hold no traceback and never the token."""
    environment = {k: v for k, v in os.environ.items() if k not in TELEGRAM_SETTINGS}
    environment.update(
        FAQBOT_SECRET_KEY="s" * 48, FAQBOT_SECURE_COOKIES="0", FAQBOT_DATA_DIR=str(tmp_path)
    )
    environment.update(env)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'faqbot.sqlite3'}"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "serve", "--kb", str(kb_dir),
            "--port", str(port), "--database", database_url, *arguments,
            env=environment, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", process, log, database_url)
    try:
        await _wait_healthy(served)
        yield served
    finally:
        await _stop(process)
    text = log.read_text("utf-8")
    assert "Traceback" not in text, text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if served.process.returncode is not None:
                pytest.fail(f"faqbot serve exited at start-up:\n{served.log.read_text('utf-8')}")
            try:
                if ready(await client.get(f"{served.url}/healthz", timeout=2)):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"faqbot serve not healthy in {STARTUP_SECONDS} s:\n{served.log.read_text()}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
