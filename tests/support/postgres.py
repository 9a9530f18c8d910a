"""A throwaway PostgreSQL server in a temporary folder, from Debian's `initdb`/`pg_ctl`.

Used by the test fixtures and by `scripts/soak.py`, which also restarts it under load. As
root the server runs as the `postgres` system user (initdb refuses root). Durability is
switched off (`fsync=off`): these servers hold test data only.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from os import geteuid
from pathlib import Path

from tests.support.ports import free_port

PG_USER = "postgres"
MAX_CONNECTIONS = 200


class PostgresUnavailableError(RuntimeError):
    """The binaries are missing or the server would not start; the message says which."""


def pg_bindir() -> Path | None:
    """The folder of `pg_ctl` and `initdb`, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running throwaway server: where to connect."""

    host: str
    port: int

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+asyncpg://{PG_USER}@{self.host}:{self.port}/{database}"


class ThrowawayPostgres:
    """Creates, starts, restarts and removes one server; `start()` returns where it listens."""

    def __init__(self, *, max_connections: int = MAX_CONNECTIONS) -> None:
        bindir = pg_bindir()
        if bindir is None or not (bindir / "initdb").exists():
            raise PostgresUnavailableError(
                "initdb/pg_ctl not found; install the `postgresql` package"
            )
        self._bindir = bindir
        self._as_root = geteuid() == 0
        self._base = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
        if self._as_root:
            shutil.chown(self._base, user=PG_USER)
        self._data = self._base / "data"
        self._port = free_port()
        self._max_connections = max_connections
        self.server = PostgresServer(host="127.0.0.1", port=self._port)

    @property
    def log(self) -> Path:
        """The server's own log file."""
        return self._base / "server.log"

    def _run(self, *args: str, check: bool = True) -> None:
        prefix = ["runuser", "-u", PG_USER, "--"] if self._as_root else []
        result = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, check=False, cwd=self._base
        )
        if check and result.returncode != 0:
            raise PostgresUnavailableError(
                f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        self._run(str(self._bindir / "pg_ctl"), "-D", str(self._data), *args, check=check)

    def start(self) -> PostgresServer:
        """initdb and start; raises `PostgresUnavailableError` (and cleans up) on failure."""
        try:
            self._run(
                str(self._bindir / "initdb"),
                *("-D", str(self._data), "-U", PG_USER, "-A", "trust", "-E", "UTF8"),
                *("--no-sync", "--locale=C"),
            )
            self.resume()
        except (PostgresUnavailableError, OSError) as error:
            shutil.rmtree(self._base, ignore_errors=True)
            raise PostgresUnavailableError(f"could not start a server: {error}") from error
        return self.server

    def resume(self) -> None:
        """Start the (initialised) server again after `halt`."""
        options = (
            f"-p {self._port} -c listen_addresses=127.0.0.1 -k {self._base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={self._max_connections}"
        )
        self._pg_ctl("-o", options, "-l", str(self.log), "-w", "start")

    def halt(self) -> None:
        """`pg_ctl stop -m fast`: connections are cut and nothing listens until `resume`."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back when it returns."""
        self._pg_ctl("-m", "fast", "-l", str(self.log), "-w", "restart")

    def stop(self) -> None:
        """Stop at once and remove the folder."""
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self._base, ignore_errors=True)
