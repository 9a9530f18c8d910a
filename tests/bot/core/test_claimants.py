"""Names of workers that carry their process: a stopped process is known to be gone, a live
one, one of another machine and one whose process id went to another process are told apart
by reading the real `/proc`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.claimants import MAX_NAME_LENGTH, host_prefix, is_gone, worker_name

pytestmark = pytest.mark.skipif(host_prefix() is None, reason="needs Linux /proc")


def _started(pid: int) -> int:
    """The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22)."""
    stat = Path(f"/proc/{pid}/stat").read_text("ascii")
    return int(stat[stat.rfind(")") + 1 :].split()[19])


def _name_of(pid: int, started: int) -> str:
    return f"{host_prefix()}{pid}.{started}.t"


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_this_process_lives_and_its_workers_have_names_of_their_own() -> None:
    first, second = worker_name(), worker_name()
    assert first != second
    assert len(first) <= MAX_NAME_LENGTH
    assert first.startswith(f"{host_prefix()}{os.getpid()}.{_started(os.getpid())}.")
    assert not is_gone(first)


def test_a_killed_process_is_gone_and_a_live_one_is_not() -> None:
    process = _sleeper()
    try:
        name = _name_of(process.pid, _started(process.pid))
        assert not is_gone(name)
        process.kill()
        deadline = time.monotonic() + 5
        while not is_gone(name) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert is_gone(name), "a killed process not yet reaped (a zombie) holds nothing"
        process.wait()
        assert is_gone(name)
    finally:
        process.kill()
        process.wait()


def test_a_process_id_given_to_a_process_started_later_is_another_process() -> None:
    process = _sleeper()
    try:
        started = _started(process.pid)
        assert is_gone(_name_of(process.pid, started - 1))
        assert not is_gone(_name_of(process.pid, started))
    finally:
        process.kill()
        process.wait()


def test_workers_of_other_machines_and_unknown_names_are_never_gone() -> None:
    process = _sleeper()
    pid = process.pid
    process.kill()
    process.wait()
    other_machine = f"o1.{'0' * 16}.{pid}.1.t"
    assert not other_machine.startswith(host_prefix() or "")
    assert not is_gone(other_machine)
    assert not is_gone(f"worker-{pid}")
    assert not is_gone(f"{host_prefix()}{pid}.x.t")
    assert not is_gone(f"{host_prefix()}0.1.t")
