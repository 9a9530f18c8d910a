"""Hot reload: a matcher that follows the knowledge-base files while the server runs.

`LiveMatcher` answers from the last good build of a knowledge-base directory. A check
fingerprints the directory (every `*.yaml` file under it: path, size, mtime, inode) and, when
that changed, loads and builds a new `Matcher` in the checking thread, never in a request, then
swaps one reference. A broken edit (bad YAML, duplicate id, an emptied or removed directory) is
recorded and logged once, and the last good base keeps serving (CONTRACTS.md §1).

Editors save in several steps (truncate, write; or write a temporary file, rename), so the
background poller does not rebuild on the first sight of a change: it rebuilds when the same
fingerprint is seen on two consecutive polls at least `settle` seconds apart. `check()` is the
explicit "reload now" and rebuilds at once.

With `meaning_in_background` (a server) a build is swapped in as soon as its words are built:
the entries whose vectors the cache lacks (all of them on a first start, the edited ones on a
reload) are embedded in the background, and until they are the new base's unsure questions
are decided by its words alone. The replaced matcher stops embedding for its base. The poller
also does the vector cache file's daily bookkeeping (`Matcher.keep_alive`), so that no
citizen's question waits for it.

An edit that keeps a file's size and lands within the file system's timestamp tick of the
previous one is not seen; saving the file again makes it visible.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.clock import Clock, system_clock
from matcher import (
    KnowledgeBase,
    KnowledgeBaseError,
    Match,
    Matcher,
    MatcherSettings,
    Morphology,
    load_knowledge_base,
    shared_morphology,
)
from matcher.loading import topic_paths

logger = logging.getLogger(__name__)

POLL_INTERVAL = 2.0  # seconds between two looks at the directory
SETTLE_SECONDS = 0.5  # a change must stay unchanged this long before it is rebuilt


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What a check remembers of one file: enough to notice an edit without reading it."""

    path: str
    size: int
    mtime_ns: int
    inode: int  # editors that save by renaming a new file change it even when size and time match


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The state of a knowledge-base directory: every `*.yaml` file in it, sorted by path."""

    files: tuple[FileStamp, ...]

    @property
    def digest(self) -> str:
        """A short hex digest, to tell versions apart in `/healthz` and logs."""
        text = "\n".join(f"{f.path}\0{f.size}\0{f.mtime_ns}\0{f.inode}" for f in self.files)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def fingerprint(kb_dir: Path) -> Fingerprint:
    """Stamp every topic file under `kb_dir`; a missing directory has no files."""
    try:
        paths = topic_paths(kb_dir)
    except OSError:  # the directory vanished while it was listed: the next check sees it again
        paths = []
    stamps = []
    for path in paths:
        try:
            found = path.stat()
        except OSError:  # deleted between listing and stat: it is gone
            continue
        if stat.S_ISREG(found.st_mode):
            stamps.append(FileStamp(str(path), found.st_size, found.st_mtime_ns, found.st_ino))
    return Fingerprint(tuple(stamps))


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What one check did.

    `changed`: the files differ from what was last loaded or tried; `reloaded`: a new base is
    now serving; `error`: why the current files cannot be served (None when they are serving);
    `entries`: entries of the base serving after the check; `settling`: the poller saw a change
    and waits for the files to stay still before rebuilding.
    """

    changed: bool
    reloaded: bool
    error: str | None
    entries: int
    settling: bool = False


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """The state of hot reload, for `/healthz` and the console."""

    kb_dir: Path
    loaded_at: datetime  # when the serving base was built, aware, UTC
    entries: int
    files: int
    version: int  # 1 for the base loaded at start, +1 for every reload
    fingerprint: str  # digest of the files serving
    last_error: str | None  # why the files on disk are not serving; None when they are
    last_checked: datetime


ReloadListener = Callable[[ReloadResult], None]


@dataclass(frozen=True, slots=True)
class _Build:
    """One built matcher and the files it was built from; swapped as a whole."""

    matcher: Matcher
    fingerprint: Fingerprint


class LiveMatcher:
    """A matcher over a knowledge-base directory that picks up edits without a restart.

    Satisfies the core's `Answerer`. `match`, `kb` and `matcher` read one reference, so any
    number of threads may call them during a reload and each call sees one whole base; a
    caller that needs `match` and `kb` from the same base takes `matcher` once and uses it.
    """

    def __init__(
        self,
        kb_dir: Path,
        *,
        morphology: Morphology | None = None,
        settings: MatcherSettings | None = None,
        interval: float = POLL_INTERVAL,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Clock = system_clock,
        on_reload: Iterable[ReloadListener] = (),
        meaning_in_background: bool = False,
    ) -> None:
        """Load and build the first base; raise the loader's `KnowledgeBaseError` if broken.

        `morphology` is shared by every rebuild (it is the expensive part); `clock` measures
        `settle`, `now` stamps the status; `meaning_in_background`: see the module.
        """
        if interval <= 0 or settle < 0:
            raise ValueError(
                f"interval must be positive and settle not negative, got {interval}, {settle}"
            )
        self._kb_dir = Path(kb_dir)
        self._morphology = morphology if morphology is not None else shared_morphology()
        self._settings = settings
        self._interval = interval
        self._settle = settle
        self._clock = clock
        self._now = now
        self._listeners = list(on_reload)
        self._meaning_in_background = meaning_in_background
        self._lock = threading.Lock()  # one check at a time; readers never take it
        seen = fingerprint(self._kb_dir)
        self._current = _Build(self._build(), seen)
        loaded_at = now()
        self._status = LiveStatus(
            kb_dir=self._kb_dir,
            loaded_at=loaded_at,
            entries=len(self._current.matcher.kb),
            files=len(seen.files),
            version=1,
            fingerprint=seen.digest,
            last_error=None,
            last_checked=loaded_at,
        )
        self._tried = seen  # the files last loaded or tried: a failure is not retried until edited
        self._logged_error: str | None = None
        self._pending: Fingerprint | None = None
        self._pending_since = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def matcher(self) -> Matcher:
        """The matcher serving now."""
        return self._current.matcher

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base serving now."""
        return self._current.matcher.kb

    @property
    def meaning_ready(self) -> bool:
        """Whether the serving matcher asks the meaning stage (`Matcher.meaning_ready`)."""
        return self._current.matcher.meaning_ready

    @property
    def phrasings_ready(self) -> bool:
        """Whether the serving matcher's meaning stage has the phrasings' vectors too
        (`Matcher.phrasings_ready`)."""
        return self._current.matcher.phrasings_ready

    @property
    def meaning_error(self) -> str | None:
        """Why the serving matcher's background build of the vectors last failed, while it is
        tried again (`Matcher.meaning_error`); None when it has not failed."""
        return self._current.matcher.meaning_error

    def match(self, question: str) -> Match:
        """The verdict of the serving matcher on one question."""
        return self._current.matcher.match(question)

    def match_by_words(self, question: str) -> Match | None:
        """The serving matcher's verdict when the words alone settle it, else None."""
        return self._current.matcher.match_by_words(question)

    @property
    def status(self) -> LiveStatus:
        """The state of hot reload as of the last check."""
        return self._status

    def subscribe(self, listener: ReloadListener) -> None:
        """Call `listener` with the result of every check that found the files changed."""
        self._listeners.append(listener)

    def check(self) -> ReloadResult:
        """Reload now if the files changed since they were last loaded or tried."""
        with self._lock:
            result = self._check(fingerprint(self._kb_dir))
        return self._notify(result)

    def poll(self) -> ReloadResult:
        """One look by the background poller: like `check`, once the files have settled.
        Once a day it also does the vector cache file's bookkeeping (`Matcher.keep_alive`),
        which a citizen's question then never waits for."""
        self._current.matcher.keep_alive()
        with self._lock:
            seen = fingerprint(self._kb_dir)
            if seen in (self._tried, self._current.fingerprint):
                result = self._check(seen)
            elif seen != self._pending:
                self._pending, self._pending_since = seen, self._clock()
                result = self._settling()
            elif self._clock() - self._pending_since < self._settle:
                result = self._settling()
            else:
                result = self._check(seen)
        return self._notify(result)

    def start(self) -> None:
        """Poll every `interval` seconds in a daemon thread until `stop()`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._poll_until, args=(self._stop,), name="kb-hot-reload", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """End the polling thread; returns once it has finished (or after `timeout`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        """Stop polling and any background embedding for the serving base."""
        self.stop()
        with self._lock:  # a check under way swaps its matcher in first
            self._current.matcher.close()

    def __enter__(self) -> LiveMatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every `interval` seconds until `stop` is set, each look in a worker thread."""
        while not await _stopped_within(stop, self._interval):
            await asyncio.to_thread(self.poll)

    def _poll_until(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # a bug here must not end hot reload for the server's lifetime
                logger.exception("Проверка базы знаний в %s завершилась ошибкой", self._kb_dir)

    def _build(self) -> Matcher:
        kb = load_knowledge_base(self._kb_dir)
        return Matcher(
            kb,
            settings=self._settings,
            morphology=self._morphology,
            meaning_in_background=self._meaning_in_background,
        )

    def _check(self, seen: Fingerprint) -> ReloadResult:
        """Compare, rebuild and swap; called with the lock held."""
        self._pending = None
        checked_at = self._now()
        entries = len(self._current.matcher.kb)
        if seen == self._current.fingerprint:
            # Unchanged, or edited back to the files serving: nothing is wrong any more.
            changed = seen != self._tried
            self._tried, self._logged_error = seen, None
            self._set_status(last_error=None, last_checked=checked_at)
            return ReloadResult(changed=changed, reloaded=False, error=None, entries=entries)
        if seen == self._tried:
            error = self._status.last_error
            self._set_status(last_checked=checked_at)
            return ReloadResult(changed=False, reloaded=False, error=error, entries=entries)
        self._tried = seen
        try:
            matcher = self._build()
        except KnowledgeBaseError as problem:
            return self._failed(str(problem), checked_at, entries)
        except Exception as problem:  # the old base must keep serving whatever went wrong
            logger.exception("Не удалось построить поиск ответов по базе знаний %s", self._kb_dir)
            message = f"не удалось построить поиск ответов: {type(problem).__name__}: {problem}"
            return self._failed(message, checked_at, entries)
        replaced, self._current = self._current.matcher, _Build(matcher, seen)
        replaced.close()  # its base is no longer served: no more embedding for it
        self._logged_error = None
        version = self._status.version + 1
        self._set_status(
            loaded_at=checked_at,
            entries=len(matcher.kb),
            files=len(seen.files),
            version=version,
            fingerprint=seen.digest,
            last_error=None,
            last_checked=checked_at,
        )
        logger.info(
            "База знаний %s перечитана: версия %d, записей: %d",
            self._kb_dir,
            version,
            len(matcher.kb),
        )
        return ReloadResult(changed=True, reloaded=True, error=None, entries=len(matcher.kb))

    def _failed(self, message: str, checked_at: datetime, entries: int) -> ReloadResult:
        if message != self._logged_error:
            logger.warning(
                "База знаний %s не перечитана, по-прежнему работает версия %d: %s",
                self._kb_dir,
                self._status.version,
                message,
            )
            self._logged_error = message
        self._set_status(last_error=message, last_checked=checked_at)
        return ReloadResult(changed=True, reloaded=False, error=message, entries=entries)

    def _settling(self) -> ReloadResult:
        self._set_status(last_checked=self._now())
        return ReloadResult(
            changed=True,
            reloaded=False,
            error=self._status.last_error,
            entries=len(self._current.matcher.kb),
            settling=True,
        )

    def _set_status(self, **changes: object) -> None:
        # One assignment, so `/healthz` never reads a status half updated.
        self._status = dataclasses.replace(self._status, **changes)  # type: ignore[arg-type]

    def _notify(self, result: ReloadResult) -> ReloadResult:
        if not result.changed or result.settling:
            return result
        for listener in self._listeners:
            try:
                listener(result)
            except Exception:  # metrics must not stop a reload from being reported to others
                logger.exception("Обработчик перечитывания базы %r завершился ошибкой", listener)
        return result


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `stop`; True when it was set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
