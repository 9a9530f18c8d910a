"""Run the product: `python3 scripts/run.py` (extra arguments go to the `faqbot` command).

Sets up `.venv` on first use. Without arguments it serves the web app on
http://127.0.0.1:8000 in development mode (a random secret for this run), and so does `serve`
with options of its own on this machine (`serve --port 8139`); `ask` and the other subcommands
work as usual. `serve --host 0.0.0.0` asks for FAQBOT_SECRET_KEY, as in production.
"""

from __future__ import annotations

import os
import secrets
import sys

from bootstrap import BIN, ensure_environment

DEFAULT_COMMAND = ["serve"]
DEFAULT_HOST = "127.0.0.1"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def main() -> None:
    """Install if needed, then replace this process with `faqbot`."""
    ensure_environment()
    faqbot = str(BIN / "faqbot")
    arguments = sys.argv[1:] or DEFAULT_COMMAND
    host = _option(arguments, "--host") or DEFAULT_HOST
    if arguments[0] == "serve" and host in LOOPBACK and not {"-h", "--help"} & set(arguments):
        # A local run: development mode with a secret nobody else knows. Served to other
        # machines (--host 0.0.0.0), `serve` asks for FAQBOT_SECRET_KEY as in production.
        os.environ.setdefault("FAQBOT_ENV", "development")
        os.environ.setdefault("FAQBOT_SECRET_KEY", secrets.token_urlsafe(48))
    # Where to go is said by `serve` alone, in one line with the console's address, once it
    # holds the port (it used to be said here too, a second address line).
    os.execv(faqbot, [faqbot, *arguments])


def _option(arguments: list[str], name: str) -> str | None:
    """The value of `name` given as `--name VALUE` or `--name=VALUE`, if it is."""
    for index, argument in enumerate(arguments):
        if argument == name and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith(f"{name}="):
            return argument.split("=", 1)[1]
    return None


if __name__ == "__main__":
    main()
