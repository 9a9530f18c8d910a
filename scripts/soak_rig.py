"""The rig of `scripts/soak.py`: databases, `faqbot serve` / `faqbot telegram` processes.

Everything listens on loopback. A database is an SQLite file or a database on a throwaway
PostgreSQL cluster (`tests/support/postgres.py`, the one the tests use); servers are real
`faqbot` subprocesses that can be killed with SIGKILL and started again on the same port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from bench_http import cpu_seconds
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.accounts import Accounts
from bot.core.roles import Role
from bot.storage.database import open_database
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.readiness import ready

ROOT = Path(__file__).resolve().parents[1]
KB_DIR = ROOT / "knowledge_base"
ARTIFACTS = ROOT / "artifacts" / "soak"
PASSWORD = "Нагрузочный-пароль-2026"
SECRET = "soak-test-secret-" + "s" * 32
STARTUP_SECONDS = 90.0
STOP_SECONDS = 15.0


class RigError(RuntimeError):
    """A part of the rig would not start; the message holds the log tail."""


@dataclass
class Backend:
    """Where the server keeps its data: an SQLite file or a PostgreSQL database."""

    name: str
    url: str
    cluster: ThrowawayPostgres | None = None

    def engine(self) -> AsyncEngine:
        """An engine for the checks, outside the server."""
        return create_async_engine(self.url)

    def close(self) -> None:
        """Stop the PostgreSQL cluster, if any."""
        if self.cluster is not None:
            self.cluster.stop()


async def open_backend(name: str, folder: Path) -> Backend:
    """A fresh database of kind `name` (`sqlite` or `postgresql`)."""
    if name == "sqlite":
        return Backend(name, f"sqlite+aiosqlite:///{folder / 'soak.sqlite3'}")
    cluster = ThrowawayPostgres(max_connections=300)
    server = await asyncio.to_thread(cluster.start)
    engine = create_async_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE DATABASE soak"))
    finally:
        await engine.dispose()
    return Backend(name, server.url("soak"), cluster)


def faqbot(*args: str) -> list[str]:
    """The `faqbot` command run by this interpreter."""
    return [sys.executable, "-m", "bot.cli.main", *args]


def environment(folder: Path, **extra: str) -> dict[str, str]:
    """The servers' environment: a shared secret (cookies survive restarts), no proxies."""
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env.update(
        FAQBOT_ENV="development",
        FAQBOT_SECRET_KEY=SECRET,
        FAQBOT_DATA_DIR=str(folder / "data"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


async def create_operators(backend: Backend, logins: tuple[str, ...]) -> None:
    """Migrate the database and create operator accounts with the shared password."""
    database = await open_database(backend.url)
    try:
        accounts = Accounts(database)
        for login in logins:
            await accounts.create(login, PASSWORD, role=Role.OPERATOR)
    finally:
        await database.close()


@dataclass
class Process:
    """One `faqbot` subprocess that may be killed and started again with the same command."""

    command: list[str]
    folder: Path
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _out: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start (again); output goes on appending to the log."""
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.folder,
        )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 4000) -> str:
        """The end of the log."""
        return self.log.read_text("utf-8", errors="replace")[-chars:]

    def tracebacks(self) -> int:
        """How many tracebacks the log holds."""
        return self.log.read_text("utf-8", errors="replace").count("Traceback")

    def first_traceback(self, lines: int = 25) -> str:
        """The first traceback of the log with the lines logged just before it, or ''."""
        text = self.log.read_text("utf-8", errors="replace").splitlines()
        at = next((i for i, line in enumerate(text) if line.startswith("Traceback")), None)
        return "" if at is None else "\n".join(text[max(0, at - 3) : at + lines])

    def keep_log(self, name: str) -> Path:
        """Copy the log to `artifacts/soak/NAME.log` (the run's folder is removed)."""
        target = ARTIFACTS / f"{name}.log"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.log, target)
        return target

    def cpu_seconds(self) -> float | None:
        """CPU time the process used so far (Linux), or None."""
        return None if self.process is None else cpu_seconds(self.process.pid)


@dataclass
class Serve(Process):
    """`faqbot serve` on a fixed loopback port."""

    port: int = 0

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def wait_healthy(self) -> float:
        """Seconds until /healthz answers 200 with the meaning stage ready (a first start on an
        empty vector cache builds the entries' vectors in the background: the load is measured
        on the server as it runs after that); raises `RigError` if it dies or takes too long."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=self.url, timeout=5, trust_env=False) as client:
            while time.monotonic() - started < STARTUP_SECONDS:
                if not self.alive():
                    raise RigError(f"faqbot serve exited at start-up:\n{self.tail()}")
                try:
                    health = await client.get("/healthz")
                    if ready(health):
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RigError(f"faqbot serve not healthy in {STARTUP_SECONDS:.0f} s:\n{self.tail()}")


def serve(backend: Backend, folder: Path, **env: str) -> Serve:
    """A `faqbot serve` on a free port (not started yet)."""
    port = free_port()
    command = faqbot(
        "serve", "--kb", str(KB_DIR), "--host", "127.0.0.1", "--port", str(port),
        "--database", backend.url,
    )  # fmt: skip
    return Serve(command, folder, folder / "serve.log", environment(folder, **env), port=port)


def telegram(backend: Backend, folder: Path, *, token: str, api_base: str) -> Process:
    """A `faqbot telegram` polling the Bot API at `api_base` (not started yet)."""
    command = faqbot("telegram", "--kb", str(KB_DIR), "--database", backend.url)
    env = environment(folder, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE=api_base)
    return Process(command, folder, folder / "telegram.log", env)


def loopback_address(n: int) -> str:
    """The n-th client address: 127.1.x.y, one per simulated citizen (per-address limits)."""
    high, low = divmod(n, 254)
    return f"127.1.{high % 256}.{low + 1}"
