"""The one boundary with sqlite3: the file that keeps sentence vectors by key.

`matcher.semantic` keeps each entry's and phrasing's vector here, so that a base is embedded
once, not at every start or reload. Each row notes the day it was last read or written, and
rows unused for `UNUSED_DAYS` (edited or deleted entries, other bases') are deleted, at most
once a day. Any failure of the file (read-only, full, locked, damaged) is said once in the log
and only costs embedding again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# Days a vector stays in the file unread and unwritten before it is deleted: an edited or
# deleted entry's, another base's (a test's, a benchmark's). A base in use is read at each
# start, reload and check, and a running server notes its own each day (`keep_alive`).
UNUSED_DAYS = 30

Vectors = npt.NDArray[np.float32]


class VectorStore:
    """Vectors by key in one SQLite file; any failure of the file only costs embedding again.

    Each row notes the day it was last read or written (`used`), once a day at most, and once a
    day the rows unused for `UNUSED_DAYS` are deleted (`_tidy`, remembered in the `meta` table).
    A file from before (no `used` column) gets the column, its rows counted as used today.
    """

    def __init__(self, path: Path, *, dated: bool, dimensions: int) -> None:
        self._path = path
        # A vector's bytes (32-bit floats): a row of another size is not read.
        self._vector_bytes = 4 * dimensions
        # Whether the file has the `used` column (a read-only file from before may not).
        self._dated = dated
        # What fails now ("get", "put", "tidy"): said once in the log, not at each of a
        # background build's few entries, until it works again.
        self._failing: set[str] = set()
        # The keys this process read or wrote, noted again each day it runs (`keep_alive`): a
        # server up for weeks without a reload reads its entries' vectors from the file only
        # at its start. Their first 16 hex digits as sorted numbers: 8 bytes a key, 80 KB for
        # a base of 10,000 entries (a set of the keys took 1.2 MB).
        self._held: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self._held_lock = threading.Lock()
        self._day = _today()

    def _failed(self, what: str, message: str, error: sqlite3.Error | OSError) -> None:
        if what not in self._failing:
            self._failing.add(what)
            log.warning(message, self._path, error)

    @classmethod
    def open(cls, path: Path, *, dimensions: int) -> VectorStore | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _connect(path) as db:
                if (
                    db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors'").fetchone()
                    is None
                ):
                    # Only a new file takes it (before its first table): a prune's pages are
                    # then given back to the disk at once, cheaply (`_tidy`).
                    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB, "
                        "used TEXT NOT NULL DEFAULT CURRENT_DATE)"
                    )
                columns = {row[1] for row in db.execute("PRAGMA table_info(vectors)")}
                incremental = db.execute("PRAGMA auto_vacuum").fetchone()[0] != 0
        except (OSError, sqlite3.Error) as error:
            log.warning("Кэш смысловых векторов недоступен (%s): %s", path, error)
            return None
        store = cls(path, dated="used" in columns, dimensions=dimensions)
        store._tidy()
        if not incremental and "tidy" not in store._failing:  # a file from before, writable
            compact = threading.Thread(target=store._compact, name="faqbot-cache-compact")
            compact.daemon = True
            compact.start()
        return store

    def _compact(self) -> None:
        """Gives a file from before (made without incremental auto_vacuum, whose pruned rows'
        pages stay in it) its free pages back, once, and makes it give them back at each prune
        from then on. In the background: VACUUM rewrites the file (about a second for 10,000
        entries' vectors), a build's reads and writes waiting meanwhile (questions never read
        it). VACUUM is one transaction: a process killed mid-way leaves the file as it was."""
        started = time.monotonic()
        try:
            before = self._path.stat().st_size
            # (sqlite3 opens no transaction before a PRAGMA or VACUUM: VACUUM may run here.)
            with _connect(self._path) as db:
                if db.execute("PRAGMA auto_vacuum").fetchone()[0] != 0:
                    return  # another process (a second worker started at once) did it
                db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                db.execute("VACUUM")
            after = self._path.stat().st_size
        except sqlite3.Error as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_READONLY:  # read-only: read as it is
                self._failed("compact", "Кэш смысловых векторов не сжат (%s): %s", error)
            return
        except OSError as error:
            self._failed("compact", "Кэш смысловых векторов не сжат (%s): %s", error)
            return
        log.info(
            "Кэш смысловых векторов сжат (%s): было %.1f МБ, стало %.1f МБ, за %.1f с",
            self._path,
            before / 1e6,
            after / 1e6,
            time.monotonic() - started,
        )

    def _tidy(self) -> None:
        """A file from before gets the `used` column; once a day, the rows unused for
        `UNUSED_DAYS` are deleted. A file that refuses it (read-only, locked) is read as is."""
        today = self._day
        deleted = 0
        try:
            with _connect(self._path) as db:
                if not self._dated:
                    # A constant default (CURRENT_DATE cannot be added): SQLite adds the column
                    # without rewriting the rows. `today` is a date from `_today`.
                    db.execute(
                        f"ALTER TABLE vectors ADD COLUMN used TEXT NOT NULL DEFAULT '{today}'"
                    )
                    self._dated = True
                db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value)")
                row = db.execute("SELECT value FROM meta WHERE name = 'pruned'").fetchone()
                if row is None or not isinstance(row[0], str) or row[0] < today:
                    oldest = (date.fromisoformat(today) - timedelta(days=UNUSED_DAYS)).isoformat()
                    deleted = db.execute("DELETE FROM vectors WHERE used < ?", (oldest,)).rowcount
                    db.execute(
                        "INSERT OR REPLACE INTO meta (name, value) VALUES ('pruned', ?)", (today,)
                    )
            if deleted > 0:
                with _connect(self._path) as db:
                    # Frees the deleted rows' pages in a file made with it (none otherwise: a
                    # file from before reuses them for the next vectors instead of growing).
                    # As a script: sqlite3's execute() steps a statement without columns once,
                    # which frees one page.
                    db.executescript("PRAGMA incremental_vacuum;")
        except sqlite3.Error as error:
            self._failed("tidy", "Кэш смысловых векторов не обновлён (%s): %s", error)
        else:
            self._failing.discard("tidy")

    def keep_alive(self) -> None:
        """On a new day, notes the keys this process holds as used (a long-running server's)
        and deletes what is unused; a comparison of two dates the rest of the day."""
        today = _today()
        if today == self._day:
            return
        with self._held_lock:
            if today == self._day:
                return
            self._day = today
            held = self._held
        # The keys are hex digits: those starting with a prefix sort from it to it + "g".
        ranges = [(p, p + "g") for p in (f"{n:016x}" for n in held.tolist())]
        self._note_used("key >= ? AND key < ?", [(today, *r, today) for r in ranges])
        self._tidy()

    def _hold(self, keys: Collection[str]) -> None:
        if not keys:
            return
        numbers = np.fromiter((int(k[:16], 16) for k in keys), dtype=np.uint64, count=len(keys))
        with self._held_lock:
            self._held = np.union1d(self._held, numbers)

    def _touch(self, keys: Sequence[str]) -> None:
        """Notes the rows as used today: one UPDATE per 500 keys."""
        if not keys:
            return
        day = self._day
        size = min(len(keys), 500)
        chunks = [list(keys[start : start + size]) for start in range(0, len(keys), size)]
        chunks[-1] += [chunks[-1][-1]] * (size - len(chunks[-1]))  # one statement for all
        self._note_used(f"key IN ({','.join('?' * size)})", [(day, *c, day) for c in chunks])

    def _note_used(self, where: str, rows: list[tuple[Any, ...]]) -> None:
        """Sets the day column to each row's first value where `where` holds for its others
        (the last one, the day again, keeps a row already noted today unwritten)."""
        if not rows or not self._dated:
            return
        try:
            with _connect(self._path) as db:
                db.executemany(f"UPDATE vectors SET used = ? WHERE {where} AND used < ?", rows)
        except sqlite3.Error as error:
            self._failed("tidy", "Кэш смысловых векторов не обновлён (%s): %s", error)
        else:
            self._failing.discard("tidy")

    def get(self, keys: Sequence[str]) -> dict[str, Vectors]:
        self.keep_alive()
        found: dict[str, Vectors] = {}
        stale: list[str] = []  # found, last used before today
        used = "used" if self._dated else "NULL"
        try:
            with _connect(self._path) as db:
                for chunk, marks in _in_chunks(keys):
                    rows = db.execute(
                        f"SELECT key, vector, {used} FROM vectors WHERE key IN ({marks})",
                        chunk,
                    )
                    for key, blob, day in rows:
                        # A row of another size or type (another version's, a damaged
                        # one) is embedded again, not a matcher that cannot be built.
                        if isinstance(blob, bytes) and len(blob) == self._vector_bytes:
                            found[key] = np.frombuffer(blob, dtype=np.float32)
                            if not isinstance(day, str) or day < self._day:
                                stale.append(key)
        except sqlite3.Error as error:
            self._failed("get", "Кэш смысловых векторов не читается (%s): %s", error)
        else:
            self._failing.discard("get")
        self._touch(stale)
        self._hold(found)
        return found

    def has(self, keys: Sequence[str]) -> set[str]:
        """Those of `keys` whose rows hold a vector `get` would read."""
        found: set[str] = set()
        try:
            with _connect(self._path) as db:
                for chunk, marks in _in_chunks(keys):
                    rows = db.execute(
                        f"SELECT key FROM vectors WHERE key IN ({marks}) "
                        "AND typeof(vector) = 'blob' AND length(vector) = ?",
                        [*chunk, self._vector_bytes],
                    )
                    found.update(key for (key,) in rows)
        except sqlite3.Error as error:
            self._failed("get", "Кэш смысловых векторов не читается (%s): %s", error)
        return found

    def put(self, vectors: dict[str, Vectors]) -> bool:
        """Whether the vectors were written."""
        self.keep_alive()
        try:
            with _connect(self._path) as db:
                if self._dated:
                    db.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vector, used) VALUES (?, ?, ?)",
                        [
                            (k, v.astype(np.float32).tobytes(), self._day)
                            for k, v in vectors.items()
                        ],
                    )
                else:
                    db.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                        [(k, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
                    )
        except sqlite3.Error as error:
            self._failed("put", "Кэш смысловых векторов не записан (%s): %s", error)
            return False
        self._failing.discard("put")
        self._hold(vectors)
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


def _in_chunks(keys: Sequence[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """`keys` `size` at a time, each chunk with its `?,?,...` for `IN (...)` (older SQLite
    builds take at most 999 parameters a statement)."""
    for start in range(0, len(keys), size):
        chunk = list(keys[start : start + size])
        yield chunk, ",".join("?" * len(chunk))


def _today() -> str:
    """Today's date (UTC, "2026-12-06"): what the cache file notes a row's last use by, as
    SQLite's CURRENT_DATE gives it (which a row written without it takes)."""
    return datetime.now(UTC).date().isoformat()
