"""The one boundary with the C library's allocator (glibc's `malloc_trim`, through ctypes)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


def give_back_freed_memory() -> None:
    """Return the C heap's free pages to the system (glibc's `malloc_trim`: a few
    milliseconds); nothing elsewhere (musl, macOS), where the allocator has no such call."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # TypeError: Windows has no CDLL(None)
        return None
    return trim
