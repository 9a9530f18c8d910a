"""Run the product: `python3 scripts/run.py` (extra arguments go to the `faqbot` command).

Sets up `.venv` on first use. Without arguments it serves the web app on
http://127.0.0.1:8000 in development mode (a random secret for this run); `ask` and the other
subcommands work as usual.
"""

from __future__ import annotations

import os
import secrets
import sys

from bootstrap import BIN, ensure_environment

DEFAULT_COMMAND = ["serve"]
LOCAL_URL = "http://127.0.0.1:8000"


def main() -> None:
    """Install if needed, then replace this process with `faqbot`."""
    ensure_environment()
    faqbot = str(BIN / "faqbot")
    arguments = sys.argv[1:] or DEFAULT_COMMAND
    if arguments == DEFAULT_COMMAND:
        # A local run: development mode with a secret nobody else knows.
        os.environ.setdefault("FAQBOT_ENV", "development")
        os.environ.setdefault("FAQBOT_SECRET_KEY", secrets.token_urlsafe(48))
        print(f"faqbot: open {LOCAL_URL} (operator console: {LOCAL_URL}/console)", flush=True)
    os.execv(faqbot, [faqbot, *arguments])


if __name__ == "__main__":
    main()
