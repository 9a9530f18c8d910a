"""Run every check: `python3 scripts/test.py` (extra arguments go to pytest).

Sets up `.venv` with the development tools, installs the servers the tests use when it can
(PostgreSQL, as root with apt-get), then runs ruff, mypy, the knowledge-base check and pytest
(in one process a core: `-n 1` or `-p no:xdist` among the arguments runs it in one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

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
    steps = [
        ("ruff check", [str(BIN / "ruff"), "check", "."]),
        ("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
        ("mypy", [str(BIN / "mypy")]),
        ("knowledge base", [str(BIN / "faqbot"), "kb", "check", "--strict", "knowledge_base"]),
        ("pytest", [str(BIN / "pytest"), *_parallel(sys.argv[1:]), *sys.argv[1:]]),
    ]
    for name, command in steps:
        print(f"\n=== {name}: {' '.join(command[1:]) or command[0]}", flush=True)
        status = subprocess.run(command, check=False, cwd=ROOT).returncode
        if status != 0:
            print(f"\n=== {name} failed (exit {status})", flush=True)
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
