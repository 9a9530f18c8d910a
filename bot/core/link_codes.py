"""One-time link codes as values: how a code is made, typed back and stored (hashed)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.core.identity import Identity

# Spaces, dashes and dots people put between digit groups ("123 456", "123-456").
SEPARATORS = " -.\u00a0"


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A code shown to a citizen: typed into another channel, it links the two identities."""

    code: str
    owner: Identity
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StoredLinkCode:
    """What the database keeps of a code: whose it is and until when (never the digits)."""

    owner: Identity
    expires_at: datetime


def new_code(digits: int) -> str:
    """A random code of `digits` decimal digits, leading zeros kept."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def code_hash(code: str) -> str:
    """What is stored and looked up instead of the code itself."""
    return hashlib.sha256(f"faqbot-link:{code}".encode()).hexdigest()


def typed_code(text: str, digits: int) -> str | None:
    """The code in what a citizen typed ("123 456" → "123456"), or None if it is not one."""
    compact = "".join(ch for ch in text.strip() if ch not in SEPARATORS)
    if len(compact) == digits and compact.isascii() and compact.isdigit():
        return compact
    return None
