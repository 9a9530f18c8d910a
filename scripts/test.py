"""Run every check: `python3 scripts/test.py` (extra arguments go to pytest).

Sets up `.venv` with the development tools, installs the servers the tests use when it can
(PostgreSQL, as root with apt-get), then runs ruff, mypy beside the knowledge-base check, and
pytest (in one process a core: `-n 1` or `-p no:xdist` among the arguments runs it in one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

from bootstrap import BIN, ROOT, ensure_environment

# Debian packages the tests use for real, each with the program or file that shows it is
# there; installed when missing and we may (root + apt). The emoji font lets the widget's
# screenshots show 👍/👎 instead of empty boxes.
SYSTEM_PACKAGES = {
    "postgresql": "/usr/lib/postgresql",
    "chromium": "chromium",
    "fonts-noto-color-emoji": "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
}


def _present(mark: str) -> bool:
    return os.path.exists(mark) if mark.startswith("/") else shutil.which(mark) is not None


def install_system_packages() -> None:
    """Install the missing servers with apt-get, when running as root on Debian."""
    missing = [package for package, mark in SYSTEM_PACKAGES.items() if not _present(mark)]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(
            f"Not installing {', '.join(missing)} (needs root and apt-get): "
            "the tests that need them will say so.",
            flush=True,
        )
        return
    print(f"Installing {', '.join(missing)} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def _parallel(arguments: list[str]) -> list[str]:
    """pytest-xdist's options, unless the arguments choose for themselves: one test process
    a core (2 to 4), tests handed out one by one as processes come free, but a file marked
    `xdist_group` (its module-scoped servers start once) whole to one process."""
    if any(a.startswith(("-n", "--numprocesses", "-p")) for a in arguments):
        return []
    workers = min(max(os.cpu_count() or 1, 2), 4)
    return ["-n", str(workers), "--dist", "loadgroup"]


def main() -> int:
    """Run each step; stop at the first failure with its exit status."""
    ensure_environment(extras="dev")
    install_system_packages()
    stages = [
        [("ruff check", [str(BIN / "ruff"), "check", "."])],
        [("ruff format", [str(BIN / "ruff"), "format", "--check", "."])],
        # Side by side: on a first run the base's check embeds its vectors for the meaning
        # stage (about 90 s on one core), and mypy (20 s) takes the other core meanwhile.
        [
            ("mypy", [str(BIN / "mypy")]),
            ("knowledge base", [str(BIN / "faqbot"), "kb", "check", "--strict", "knowledge_base"]),
        ],
        [("pytest", [str(BIN / "pytest"), *_parallel(sys.argv[1:]), *sys.argv[1:]])],
    ]
    for stage in stages:
        status = _run(stage[0]) if len(stage) == 1 else _run_side_by_side(stage)
        if status != 0:
            return status
    return 0


Step = tuple[str, list[str]]


def _run(step: Step) -> int:
    """One step, its output as it comes."""
    _started(step)
    status = subprocess.run(step[1], check=False, cwd=ROOT).returncode
    _ended(step, status)
    return status


def _run_side_by_side(steps: list[Step]) -> int:
    """Steps at once, each one's output shown whole when all are done, in order; the
    first failure's exit status."""
    with contextlib.ExitStack() as files:
        running = []
        for step in steps:
            output = files.enter_context(tempfile.TemporaryFile())
            process = subprocess.Popen(step[1], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
            running.append((step, output, process))
        failed = 0
        for step, output, process in running:
            status = process.wait()
            _started(step)
            output.seek(0)
            sys.stdout.buffer.write(output.read())
            sys.stdout.flush()
            _ended(step, status)
            failed = failed or status
    return failed


def _started(step: Step) -> None:
    name, command = step
    print(f"\n=== {name}: {' '.join(command[1:]) or command[0]}", flush=True)


def _ended(step: Step, status: int) -> None:
    if status != 0:
        print(f"\n=== {step[0]} failed (exit {status})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
