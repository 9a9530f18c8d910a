"""A `faqbot` command with its stderr on a terminal, as a curator at a console runs it (a
pseudo-terminal 100 columns wide: one starts 0 wide, and a progress bar is cut to nothing)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass


@dataclass(frozen=True)
class OnTerminal:
    returncode: int
    stdout: str
    screen: str  # what the terminal showed: stderr, progress bars included


def faqbot_on_terminal(*args: str, env: dict[str, str] | None = None) -> OnTerminal:
    """Run `faqbot ARGS` with stdout piped and stderr on a terminal."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    with subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        env={**os.environ, **(env or {})},
    ) as process:
        os.close(follower)
        # The terminal is read first: a bar redrawn often fills its buffer, and the command
        # waits until it is read.
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the terminal's last writer is gone
            while chunk := os.read(leader, 4096):
                shown += chunk
        os.close(leader)
        stdout, _ = process.communicate(timeout=120)
    return OnTerminal(process.returncode, stdout, shown.decode("utf-8", errors="replace"))
