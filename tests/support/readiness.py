"""When a `faqbot serve` a test started answers as it will go on answering.

A first start on an empty vector cache (a fresh CI machine's) listens at once and builds the
entries' vectors in the background: until they are there, questions the words leave unsure
are answered by the words alone, and until the entries' phrasings are embedded after them,
by the passages' stage. A test that checks an answer waits for `/healthz` to say the meaning
stage is ready with the phrasings, as well as healthy.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest


def ready(health: httpx.Response) -> bool:
    """Whether a `/healthz` response says the server is healthy and its meaning stage ready,
    its phrasings too."""
    if health.status_code != 200:
        return False
    base = health.json().get("knowledge_base") or {}
    return bool(base.get("meaning_ready") and base.get("phrasings_ready"))


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float) -> None:
    """Wait until the server at `url` is `ready`; fail with its log (`log`) if it exits or
    takes longer than `seconds`, and stop it then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"faqbot serve exited at start-up:\n{log.read_text('utf-8')}")
        try:
            if ready(httpx.get(url + "/healthz", timeout=2, trust_env=False)):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"faqbot serve not healthy in {seconds:g} s:\n{log.read_text('utf-8')}")
