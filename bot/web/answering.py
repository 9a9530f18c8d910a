"""The seam between the web app and the matcher: the hot-reloading answerer it runs on.

`LiveMatcher` follows edits of the knowledge-base files and keeps serving the last good base;
its `status` is what `/healthz` reports.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from bot.core.answerer import Answerer
from bot.core.live_kb import LiveMatcher
from matcher import KnowledgeBase, Match, Morphology


@asynccontextmanager
async def running_answerer(
    kb_dir: Path, *, morphology: Morphology | None = None, interval: float = 2.0
) -> AsyncIterator[LiveMatcher]:
    """The hot-reloading matcher over `kb_dir`, polling the files while the block runs.

    It serves as soon as the words are built; the meaning stage joins when the entries'
    vectors are (`LiveMatcher.meaning_ready`)."""
    live = await asyncio.to_thread(
        LiveMatcher, kb_dir, morphology=morphology, interval=interval, meaning_in_background=True
    )
    stop = asyncio.Event()
    poller = asyncio.create_task(live.run(stop), name="kb-hot-reload")
    try:
        yield live
    finally:
        stop.set()
        await poller
        live.close()


_SEEN: contextvars.ContextVar[list[Match] | None] = contextvars.ContextVar(
    "faqbot_seen_matches", default=None
)


class RecordingAnswerer:
    """Wraps an answerer and lets a request see the `Match` the core computed for it.

    The core returns a channel-neutral `Reply`; the API contract also wants the matcher's
    verdict (score, candidates, matched terms). Matching twice would double the CPU cost, so
    the verdict is recorded in a per-request list (a context variable, which
    `asyncio.to_thread` carries into the worker thread).
    """

    def __init__(self, inner: Answerer) -> None:
        self._inner = inner

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the answers come from."""
        return self._inner.kb

    def match(self, question: str) -> Match:
        """The verdict on one question, recorded for the request that asked."""
        return self._seen(self._inner.match(question))

    def match_by_words(self, question: str) -> Match | None:
        """The verdict when the words alone settle it (else None), recorded as `match`'s."""
        verdict = self._inner.match_by_words(question)
        return None if verdict is None else self._seen(verdict)

    def _seen(self, verdict: Match) -> Match:
        seen = _SEEN.get()
        if seen is not None:
            seen.append(verdict)
        return verdict


@contextmanager
def recording_matches(seen: list[Match] | None = None) -> Iterator[list[Match]]:
    """Collect the verdicts computed inside the block (in this task and its threads), into
    `seen` if given."""
    seen = [] if seen is None else seen
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)
