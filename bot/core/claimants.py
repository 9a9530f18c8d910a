"""Who holds a lease: names of workers that say which process they run in.

A worker that takes work from the database (a reply to deliver) leases it for a while, so
that the work comes back if the worker dies. Waiting out the lease is needed only when
nobody can tell whether the worker lives. A worker's name made here carries its process:
the machine's boot and PID namespace (as a hash), the process id and the moment the
process started, in clock ticks since boot (`/proc/<pid>/stat`, field 22, so that a
process id given again to another process is not taken for the same process). Another
worker on the same machine, boot and namespace reads `/proc` to see whether that process
still runs; when it does not (killed with SIGKILL, crashed, or a zombie), its leases are
taken over at once. Leases of workers that cannot be checked run out as before: on another
machine, in another PID namespace (another container), from before the machine restarted
(a new boot id: a machine id alone cannot tell this machine from a clone of its image), or
with names not made here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from uuid import uuid4

PREFIX = "o1"
MAX_NAME_LENGTH = 64  # the width of the columns that hold workers' names
_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class _Process:
    """One process as `/proc/<pid>/stat` shows it: its state letter and start time."""

    state: str
    started: int


def _read_stat(pid: int) -> _Process | None:
    """The process's state and start time; None when there is no such process to read, or
    reading it is refused (`/proc` mounted with hidepid=noaccess shows another user's
    process but refuses its files: EPERM)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text("ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses.
    fields = stat[stat.rfind(")") + 1 :].split()
    try:
        return _Process(state=fields[0], started=int(fields[19]))
    except (IndexError, ValueError):
        return None


@cache
def _host() -> str | None:
    """A short hash of this machine's boot and PID namespace; None where `/proc` cannot
    tell them (then no lease is ever taken over early)."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text("ascii").strip()
        namespace = os.readlink(_PROC / "self/ns/pid")
    except OSError:
        return None
    if not boot or not namespace:
        return None
    return hashlib.sha256(f"{boot}|{namespace}".encode()).hexdigest()[:16]


def host_prefix() -> str | None:
    """How the names of workers in this machine's boot and PID namespace begin, or None."""
    host = _host()
    return None if host is None else f"{PREFIX}.{host}."


@cache
def _process(pid: int) -> str | None:
    """The part of a name that says which process it is (cached by pid: a forked child
    names itself anew)."""
    prefix = host_prefix()
    me = _read_stat(pid)
    if prefix is None or me is None:
        return None
    return f"{prefix}{pid}.{me.started}"


def worker_name() -> str:
    """A new worker's name: its process, and a tag of its own (one process runs several)."""
    process = _process(os.getpid())
    name = f"{process}.{uuid4().hex[:8]}"
    if process is None or len(name) > MAX_NAME_LENGTH:
        return f"worker-{uuid4().hex[:12]}"
    return name


def process_name() -> str | None:
    """The name of this process itself, for work it claims as a whole (a widget request
    being answered); None where it cannot name itself (no `/proc`)."""
    process = _process(os.getpid())
    name = f"{process}.p"
    return None if process is None or len(name) > MAX_NAME_LENGTH else name


def is_gone(name: str) -> bool:
    """True when the worker named `name` is known to have stopped: it ran on this machine,
    boot and PID namespace, and its process is no longer there (or is a zombie, or the
    process id now belongs to a process started at another moment). False when it runs, or
    when that cannot be told (another machine, a name not made by `worker_name`)."""
    prefix = host_prefix()
    if prefix is None or not name.startswith(prefix):
        return False
    pid_text, _, rest = name[len(prefix) :].partition(".")
    started_text, _, tag = rest.partition(".")
    if not (pid_text.isdigit() and started_text.isdigit() and tag) or int(pid_text) <= 0:
        return False
    pid, started = int(pid_text), int(started_text)
    process = _read_stat(pid)
    if process is not None:
        return process.started != started or process.state in {"Z", "X", "x"}
    # Not there or not readable: gone, unless `/proc` hides or refuses other users'
    # processes (hidepid) and a signal says the process exists; its start time cannot be
    # checked then, so it lives.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
