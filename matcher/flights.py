"""One maker at a time for each key: threads that need the same costly value share one making.

A server's background build of the entries' vectors and a curator's check in the console (a
matcher of its own over nearly the same base) want the same vectors at the same time; each
made alone, every entry the cache lacks was embedded twice. A thread claims the keys it will
make; another that needs one of them waits for it instead, and takes the value made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass(slots=True)
class Flight(Generic[Value]):
    """One key being made: its value once made (None until then, or when its maker failed),
    and whether the maker keeps it (writes it where the next thread that needs it looks)."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Value | None = None
    kept: bool = False


class Flights(Generic[Value]):
    """The keys being made now, and by whom (a thread each)."""

    def __init__(self) -> None:
        self._flying: dict[str, Flight[Value]] = {}
        self._lock = threading.Lock()

    def claim(self, keys: Iterable[str]) -> tuple[list[str], dict[str, Flight[Value]]]:
        """The keys the caller is now to make (and then `publish` and `land`), and the
        flights of those another thread is making already."""
        mine: list[str] = []
        theirs: dict[str, Flight[Value]] = {}
        with self._lock:
            for key in dict.fromkeys(keys):
                if key in self._flying:
                    theirs[key] = self._flying[key]
                else:
                    self._flying[key] = Flight()
                    mine.append(key)
        return mine, theirs

    def publish(self, key: str, value: Value, *, kept: bool) -> None:
        """Hands a claimed key's value to the threads waiting for it."""
        with self._lock:
            flight = self._flying[key]
        flight.value, flight.kept = value, kept
        flight.done.set()

    def land(self, keys: Iterable[str]) -> None:
        """Ends the caller's claims, once their values are kept where they are looked for
        (or were never made: a waiter then makes it itself)."""
        with self._lock:
            landed = [self._flying.pop(key) for key in keys if key in self._flying]
        for flight in landed:
            flight.done.set()
