"""Run the product: `python3 scripts/run.py` (extra arguments go to the `faqbot` command).

Sets up `.venv` on first use. Without arguments it serves the web app on
http://127.0.0.1:8000 in development mode (a random secret for this run), and so does `serve`
with options of its own on this machine (`serve --port 8139`); `ask` and the other subcommands
work as usual. `serve --host 0.0.0.0` asks for FAQBOT_SECRET_KEY, as in production.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys

from bootstrap import BIN, ensure_environment

DEFAULT_COMMAND = ["serve"]
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", "8000"
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
        port = _option(arguments, "--port") or DEFAULT_PORT
        # Said only of an address `serve` can listen on: a port another program holds (or a
        # mistyped one) is named by `serve` alone, not after «откройте» pointing at it.
        if _may_listen(host, port):
            shown = f"[{host}]" if ":" in host else host
            url = f"http://{shown}:{port}"
            print(f"faqbot: откройте {url} (консоль операторов: {url}/console)", flush=True)
    os.execv(faqbot, [faqbot, *arguments])


def _may_listen(host: str, port: str) -> bool:
    """True when `serve` could listen on `host`:`port` now (tried as `serve` does it)."""
    try:
        number = int(port)
    except ValueError:
        return False
    if number <= 0:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, number), family=family):
            return True
    except (OSError, OverflowError):
        return False


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
