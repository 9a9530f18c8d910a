"""Where the command finds things when it is not told."""

from __future__ import annotations

import os
from pathlib import Path

KB_ENV = "FAQBOT_KB"


def default_kb_dir() -> Path:
    """The knowledge base to use when `--kb` is not given.

    `FAQBOT_KB` if set; else `knowledge_base/` in the current directory; else the project's
    own `knowledge_base/` beside the installed sources (an editable install).
    """
    configured = os.environ.get(KB_ENV)
    if configured:
        return Path(configured)
    here = Path.cwd() / "knowledge_base"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "knowledge_base"
