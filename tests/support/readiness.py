"""When a `faqbot serve` a test started answers as it will go on answering.

A first start on an empty vector cache (a fresh CI machine's) listens at once and builds the
entries' vectors in the background: until they are there, questions the words leave unsure
are answered by the words alone. A test that checks an answer waits for `/healthz` to say the
meaning stage is ready, as well as healthy.
"""

from __future__ import annotations

import httpx


def ready(health: httpx.Response) -> bool:
    """Whether a `/healthz` response says the server is healthy and its meaning stage ready."""
    if health.status_code != 200:
        return False
    base = health.json().get("knowledge_base") or {}
    return bool(base.get("meaning_ready"))
