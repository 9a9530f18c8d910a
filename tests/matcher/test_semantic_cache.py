"""The cache file of the meaning's vectors keeps what is used: the vectors of edited or deleted
entries and of other bases go once unused for `UNUSED_DAYS`, those of a base in use stay (a
start, a reload or a check on a warm cache embeds nothing), and a file from before or one that
refuses writes is read as before."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Collection
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from matcher import Matcher
from matcher.semantic import ASIDE_CHUNK, Encoder
from matcher.vector_store import UNUSED_DAYS
from tests.conftest import ROOT
from tests.matcher.test_semantic import SMALL, CountingEncoder, _base, _embeddings

OTHER = _base(
    ("visa", "Как оформить визу?", "Подайте анкету в консульство."),
    ("tax", "Как заплатить налог?", "Оплатите квитанцию в личном кабинете."),
)


def _keys(cache: Path) -> set[str]:
    with closing(sqlite3.connect(cache)) as db:
        return {key for (key,) in db.execute("SELECT key FROM vectors")}


def _age(cache: Path, days: int, keys: Collection[str] | None = None) -> None:
    """As if the rows (all, or `keys`) were last used `days` earlier, and the file last
    tidied then: what a month without use looks like in the file. (A file without the
    day's column, as the code before kept, has no age to change.)"""
    with closing(sqlite3.connect(cache)) as db, db:
        if "used" not in {row[1] for row in db.execute("PRAGMA table_info(vectors)")}:
            return
        chosen = sorted(_keys(cache) if keys is None else keys)
        earlier = f"-{days} days"
        db.executemany(
            "UPDATE vectors SET used = date(used, ?) WHERE key = ?", [(earlier, k) for k in chosen]
        )
        db.execute("UPDATE meta SET value = date(value, ?)", (earlier,))


def _read_only(cache: Path) -> None:
    """Makes SQLite open the file read-only (a file format write version it cannot write, as
    a read-only mount or file does; the tests run as root, whom file modes do not stop)."""
    header = bytearray(cache.read_bytes())
    header[18] = 3
    cache.write_bytes(bytes(header))


def _from_before(cache: Path, source: Path) -> None:
    """A cache file as the code before kept it (no day column, no meta table), holding the
    vectors `source` holds."""
    with closing(sqlite3.connect(cache)) as db, db:
        db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vector BLOB)")
        db.execute("ATTACH DATABASE ? AS source", (str(source),))
        db.execute("INSERT INTO vectors SELECT key, vector FROM source.vectors")
    with closing(sqlite3.connect(cache)) as db:
        assert [row[1] for row in db.execute("PRAGMA table_info(vectors)")] == ["key", "vector"]


def _two_bases(cache: Path) -> tuple[set[str], set[str]]:
    """The file with both bases' vectors, and each base's keys."""
    Matcher(SMALL, encoder=CountingEncoder(cache_file=cache))
    small = _keys(cache)
    Matcher(OTHER, encoder=CountingEncoder(cache_file=cache))
    return small, _keys(cache) - small


def test_vectors_unused_for_a_month_are_deleted_and_those_in_use_kept(tmp_path: Path) -> None:
    cache = tmp_path / "vectors.sqlite3"
    small, other = _two_bases(cache)
    # SMALL was last built 25 days ago, OTHER (a benchmark's, a test's) more than a month ago.
    _age(cache, UNUSED_DAYS - 5)
    _age(cache, 6, other)

    encoder = CountingEncoder(cache_file=cache)
    assert _keys(cache) == small
    Matcher(SMALL, encoder=encoder)
    assert encoder.embedded == 0  # a base in use is never embedded again
    # Its rows are noted as used today: another month's tidying keeps them.
    _age(cache, UNUSED_DAYS - 1)
    Matcher(SMALL, encoder=(again := CountingEncoder(cache_file=cache)))
    assert again.embedded == 0
    assert _keys(cache) == small


def test_a_cache_file_from_before_keeps_its_vectors_and_is_tidied_from_then_on(
    tmp_path: Path,
) -> None:
    built = tmp_path / "built.sqlite3"
    small, other = _two_bases(built)
    cache = tmp_path / "vectors.sqlite3"
    _from_before(cache, built)

    upgraded = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=upgraded)
    Matcher(OTHER, encoder=upgraded)
    assert upgraded.embedded == 0  # an upgrade embeds nothing again
    assert _keys(cache) == small | other  # its rows count as used on the day of the upgrade

    # A month on, SMALL still in use and OTHER not: OTHER's vectors go.
    _age(cache, UNUSED_DAYS + 1, other)
    later = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=later)
    assert later.embedded == 0
    assert _keys(cache) == small


@pytest.mark.parametrize("kind", ["from before", "a month unused"])
def test_a_read_only_cache_file_is_read_as_it_is(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only file (a read-only mount, another user's file) can neither take the day's
    column nor be tidied nor note its rows' use: its vectors are read all the same, and the
    log says so once."""
    cache = tmp_path / "vectors.sqlite3"
    if kind == "from before":
        built = tmp_path / "built.sqlite3"
        Matcher(SMALL, encoder=CountingEncoder(cache_file=built))
        _from_before(cache, built)
    else:
        Matcher(SMALL, encoder=CountingEncoder(cache_file=cache))
        _age(cache, UNUSED_DAYS + 1)
    kept = _keys(cache)
    _read_only(cache)

    with caplog.at_level(logging.WARNING, logger="matcher.vector_store"):
        encoder = CountingEncoder(cache_file=cache)
        first = Matcher(SMALL, encoder=encoder)
        Matcher(SMALL, encoder=encoder)
        Matcher(OTHER, encoder=encoder)  # embedded, and kept in memory only
        Matcher(OTHER, encoder=encoder)
    assert encoder.embedded == _embeddings(OTHER)
    assert first.match("можно мне стримить").entry_id == "stream"
    assert _keys(cache) == kept
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == len(set(said)) <= 2, said  # each failure once: tidying, writing


def test_a_process_running_for_a_month_keeps_its_bases_vectors(tmp_path: Path) -> None:
    """A server up for weeks without a reload reads its entries' vectors from the file only at
    its start; on each new day its timer notes them as used (`Encoder.keep_alive`, which a
    server's poller calls: `tests/bot/core/test_live_kb.py`), so a check or a benchmark run in
    another process a month later does not delete them (the server's next start would embed
    its whole base again)."""
    cache = tmp_path / "vectors.sqlite3"
    small, _ = _two_bases(cache)
    server = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=server)
    # A month on, the file unused since: the server's process started the day before.
    _age(cache, UNUSED_DAYS + 1)
    store = server._store
    assert store is not None
    # The process's day (the test's lever: the clock cannot be moved).
    store._day = (date.fromisoformat(store._day) - timedelta(days=1)).isoformat()
    server.keep_alive()  # the server's timer on the new day

    CountingEncoder(cache_file=cache)  # another process opens the file and tidies it
    assert _keys(cache) == small
    restarted = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=restarted)
    assert restarted.embedded == 0


def test_the_file_gives_back_the_space_of_the_vectors_it_deletes(tmp_path: Path) -> None:
    cache = tmp_path / "vectors.sqlite3"
    Matcher(SMALL, encoder=CountingEncoder(cache_file=cache))
    small = _keys(cache)
    benchmark = _base(*((f"b{i}", f"Вопрос номер {i} о заявлении", "Ответ.") for i in range(40)))
    Matcher(benchmark, encoder=CountingEncoder(cache_file=cache))
    full = cache.stat().st_size
    _age(cache, UNUSED_DAYS + 1, _keys(cache) - small)

    CountingEncoder(cache_file=cache)
    assert _keys(cache) == small
    one_vector = 4 * 384
    assert cache.stat().st_size < full - 30 * one_vector


def _yesterday(encoder: Encoder) -> None:
    """As if the process had started the day before (the clock cannot be moved)."""
    store = encoder._store
    assert store is not None
    store._day = (date.fromisoformat(store._day) - timedelta(days=1)).isoformat()


def test_the_days_first_question_does_not_wait_for_the_cache_file(tmp_path: Path) -> None:
    """The day's bookkeeping (re-marking the rows in use, deleting those unused: 0.14-0.26 s at
    10,000 entries, and up to the file's 30 s lock timeout while another process writes it)
    is the server's timer's (`Encoder.keep_alive`), never a citizen's question's: a question
    on a new day, the file held by a check in another process, is answered at once."""
    cache = tmp_path / "vectors.sqlite3"
    server = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=server)
    server.query("как удалить канал")  # the model is loaded and warm
    _age(cache, UNUSED_DAYS - 1)  # rows the bookkeeping would write
    _yesterday(server)

    with closing(sqlite3.connect(cache, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another process writes the file
        started = time.monotonic()
        server.query("можно мне стримить")  # the day's first question
        waited = time.monotonic() - started
        other.execute("ROLLBACK")

    assert waited < 2.0, f"the question waited {waited:.1f} s for the cache file"
    assert _days(cache) == {_ago(UNUSED_DAYS - 1)}  # the question did not touch the file
    server.keep_alive()  # the server's timer
    assert _days(cache) == {_ago(0)}


def _days(cache: Path) -> set[str]:
    with closing(sqlite3.connect(cache)) as db:
        return {day for (day,) in db.execute("SELECT used FROM vectors")}


def _ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def test_a_cache_file_from_before_is_compacted_once_keeping_its_vectors(tmp_path: Path) -> None:
    """A file made before 2026-12-06 (without incremental auto_vacuum) kept the pages of the
    rows it pruned: it stopped growing, but never shrank. Opened now, it is compacted once in
    the background (VACUUM, one transaction: a process killed mid-way leaves it as it was),
    its rows kept, and gives back what it prunes from then on."""
    built = tmp_path / "built.sqlite3"
    Matcher(SMALL, encoder=CountingEncoder(cache_file=built))
    small = _keys(built)
    benchmark = _base(*((f"b{i}", f"Вопрос номер {i} о заявлении", "Ответ.") for i in range(40)))
    Matcher(benchmark, encoder=CountingEncoder(cache_file=built))
    cache = tmp_path / "vectors.sqlite3"
    _from_before(cache, built)
    with closing(sqlite3.connect(cache)) as db, db:  # pruned by the code before
        db.executemany("DELETE FROM vectors WHERE key = ?", [(k,) for k in _keys(cache) - small])
    full = cache.stat().st_size

    CountingEncoder(cache_file=cache)  # a server's start on the new code

    one_vector = 4 * 384
    deadline = time.monotonic() + 30.0
    while cache.stat().st_size > full - 30 * one_vector and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.stat().st_size < full - 30 * one_vector, "the file was not compacted"
    with closing(sqlite3.connect(cache)) as db:
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert _keys(cache) == small
    again = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=again)
    assert again.embedded == 0


# A process that compacts a cache file (`VectorStore.open` starts it) and then idles.
COMPACTING = (
    "import sys, time; from pathlib import Path; from matcher.semantic import DIMENSIONS; "
    "from matcher.vector_store import VectorStore; "
    "VectorStore.open(Path(sys.argv[1]), dimensions=DIMENSIONS); time.sleep(60)"
)


def test_a_process_killed_while_it_compacts_the_file_loses_no_vector(tmp_path: Path) -> None:
    """The compaction (VACUUM) rewrites the whole file; a server killed meanwhile (a deploy,
    the OOM killer) leaves its journal, and the next opening rolls the file back to what it
    was, every vector there, then compacts it."""
    cache = tmp_path / "vectors.sqlite3"
    today = _ago(0)
    with closing(sqlite3.connect(cache)) as db, db:  # as the code of 2026-12-06 upgraded it
        db.execute(
            "CREATE TABLE vectors (key TEXT PRIMARY KEY, vector BLOB, "
            "used TEXT NOT NULL DEFAULT CURRENT_DATE)"
        )
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('pruned', ?)", (today,))
        db.executemany(
            "INSERT INTO vectors VALUES (?, ?, ?)",
            ((f"{i:064x}", os.urandom(4 * 384), today) for i in range(20_000)),
        )
        db.execute("DELETE FROM vectors WHERE rowid % 2 = 0")  # pruned: pages left free
    kept = _keys(cache)
    journal = cache.with_name(cache.name + "-journal")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    server = subprocess.Popen([sys.executable, "-c", COMPACTING, str(cache)], env=env)
    try:
        deadline = time.monotonic() + 60.0
        while not journal.exists() and time.monotonic() < deadline:
            time.sleep(0.001)  # the journal is there while VACUUM writes the file: tens of ms
        assert journal.exists(), "the compaction was not seen under way"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    with closing(sqlite3.connect(cache)) as db:  # the journal is rolled back
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _keys(cache) == kept
    CountingEncoder(cache_file=cache)  # the next start compacts it
    deadline = time.monotonic() + 30.0
    while _auto_vacuum(cache) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _auto_vacuum(cache) == 2
    assert _keys(cache) == kept


def _auto_vacuum(cache: Path) -> int:
    with closing(sqlite3.connect(cache, timeout=30)) as db:
        mode: int = db.execute("PRAGMA auto_vacuum").fetchone()[0]
    return mode


def test_a_read_only_cache_file_from_before_is_read_without_a_word(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file the code of 2026-12-06 upgraded (the day's column, no incremental auto_vacuum)
    on a read-only mount cannot be compacted: it is read as it is, and nothing in the log
    says it failed (nothing is wrong with it)."""
    built = tmp_path / "built.sqlite3"
    Matcher(SMALL, encoder=CountingEncoder(cache_file=built))
    cache = tmp_path / "vectors.sqlite3"
    _from_before(cache, built)
    with closing(sqlite3.connect(cache)) as db, db:
        db.execute(f"ALTER TABLE vectors ADD COLUMN used TEXT NOT NULL DEFAULT '{_ago(0)}'")
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value)")
        db.execute("INSERT INTO meta VALUES ('pruned', ?)", (_ago(0),))
    _read_only(cache)
    content = cache.read_bytes()

    with caplog.at_level(logging.INFO, logger="matcher"):
        encoder = CountingEncoder(cache_file=cache)
        for thread in threading.enumerate():
            if thread.name == "faqbot-cache-compact":
                thread.join()
        Matcher(SMALL, encoder=encoder)

    assert encoder.embedded == 0
    assert [r.getMessage() for r in caplog.records] == []
    assert cache.read_bytes() == content


def test_a_long_build_keeps_its_vectors_in_the_file_as_it_goes(tmp_path: Path) -> None:
    """A console check that embeds the entries a server's background build waits for (a first
    start) keeps them in the file a few at a time: the build takes them from the check without
    writing them itself, and a process killed before the check ends loses a few only."""
    cache = tmp_path / "vectors.sqlite3"
    encoder = CountingEncoder(cache_file=cache)
    texts = [f"Вопрос номер {i} о статусе заявления" for i in range(5 * ASIDE_CHUNK)]
    build = threading.Thread(target=encoder.passages, args=(texts,))
    build.start()
    seen: set[int] = set()
    while build.is_alive():
        seen.add(len(_keys(cache)))
        time.sleep(0.02)
    build.join()

    assert len(_keys(cache)) == len(texts)
    assert any(0 < count < len(texts) for count in seen), f"rows seen: {sorted(seen)}"
