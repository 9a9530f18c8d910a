"""Run the product: `python3 scripts/run.py` (extra arguments go to the `faqbot` command).

Sets up `.venv` on first use. Until the web front end lands, the product is the interactive
consultant in the terminal (`faqbot ask`).
"""

from __future__ import annotations

import os
import sys

from bootstrap import BIN, ensure_environment

DEFAULT_COMMAND = ["ask"]


def main() -> None:
    """Install if needed, then replace this process with `faqbot`."""
    ensure_environment()
    faqbot = str(BIN / "faqbot")
    arguments = sys.argv[1:] or DEFAULT_COMMAND
    os.execv(faqbot, [faqbot, *arguments])


if __name__ == "__main__":
    main()
