"""Waiting in a browser test for something the page does, with a limit: a loop without one
hangs the whole run when the widget never does it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page


def wait_until(page: Page, done: Callable[[], bool], what: str, *, seconds: float = 10.0) -> None:
    """Let the page run until `done()`; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        page.wait_for_timeout(50)
