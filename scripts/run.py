"""Run the product: `python3 scripts/run.py` (extra arguments go to the `faqbot` command).

Sets up `.venv` on first use. Without arguments it serves the web app on
http://127.0.0.1:8000 in development mode (a random secret for this run), and so does `serve`
with options of its own (`serve --port 8139`); `ask` and the other subcommands work as usual.
Set FAQBOT_ENV and FAQBOT_SECRET_KEY yourself to run `serve` otherwise.
"""

from __future__ import annotations

import os
import secrets
import sys

from bootstrap import BIN, ensure_environment

DEFAULT_COMMAND = ["serve"]
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", "8000"


def main() -> None:
    """Install if needed, then replace this process with `faqbot`."""
    ensure_environment()
    faqbot = str(BIN / "faqbot")
    arguments = sys.argv[1:] or DEFAULT_COMMAND
    if arguments[0] == "serve" and "-h" not in arguments and "--help" not in arguments:
        # A local run: development mode with a secret nobody else knows.
        os.environ.setdefault("FAQBOT_ENV", "development")
        os.environ.setdefault("FAQBOT_SECRET_KEY", secrets.token_urlsafe(48))
        host = _option(arguments, "--host") or DEFAULT_HOST
        url = f"http://{host}:{_option(arguments, '--port') or DEFAULT_PORT}"
        print(f"faqbot: open {url} (operator console: {url}/console)", flush=True)
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
