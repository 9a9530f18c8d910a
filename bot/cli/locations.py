"""Where the command finds things when it is not told."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcher import KnowledgeBase

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


def load_base(kb_dir: Path) -> KnowledgeBase | None:
    """The base in `kb_dir`, or None after saying in one line why it does not load."""
    # The matcher pulls in numpy, scipy and scikit-learn: only when a command needs it.
    from matcher import KnowledgeBaseError, load_knowledge_base

    try:
        return load_knowledge_base(kb_dir)
    except KnowledgeBaseError as error:
        first = str(error).splitlines()
        print(f"faqbot: база знаний не загружается: {' | '.join(first)}", file=sys.stderr)
        return None
