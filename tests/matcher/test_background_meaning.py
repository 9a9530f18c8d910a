"""A matcher whose entries' vectors are built in the background (a server's, which answers at
once): until every vector is there its answers are the words' alone, then the meaning stage
joins for all entries at once; a replaced matcher stops embedding; a question is not held up
behind the background build."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import tracemalloc
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from matcher import KnowledgeBase, Matcher, MatcherSettings, Morphology, semantic, vector_store
from matcher.knowledge import Entry
from matcher.semantic import ASIDE_CHUNK, DIMENSIONS, Encoder, passage_text
from matcher.settings import Meaning
from tests.conftest import ROOT
from tests.matcher.test_semantic import CountingEncoder

WORDS_ONLY = MatcherSettings(meaning=Meaning(enabled=False))
# The meaning stage before the phrasings are embedded: the entries' passages alone.
PASSAGES_ONLY = MatcherSettings(meaning=Meaning(phrasings=False))
# Enough to see the difference the meaning stage makes, few enough to match in a blink next to
# the seconds the base's 39 entries take to embed.
QUESTIONS = 40
# Longest wait for a background build of the 39 entries on a busy machine.
READY_SECONDS = 300.0


def _golden_questions() -> list[str]:
    lines = (ROOT / "tests" / "golden" / "questions.tsv").read_text("utf-8").splitlines()
    return [line.split("\t")[0] for line in lines[1:] if line.strip()]


@pytest.fixture(scope="module")
def small_kb(project_kb: KnowledgeBase) -> KnowledgeBase:
    """The project's entries about statuses, technical trouble and accounts (39)."""
    kept = tuple(e for e in project_kb.entries if e.id.startswith(("status-", "tech-", "account-")))
    return KnowledgeBase(kept, project_kb.synonyms)


def _cached_rows(cache: Path) -> int:
    with closing(sqlite3.connect(cache)) as db:
        found: int = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    return found


def test_answers_are_the_words_until_every_vector_is_there_then_the_meanings(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    asked = ["статус", *_golden_questions()[:QUESTIONS]]
    encoder = Encoder(cache_file=tmp_path / "embeddings.sqlite3")
    words = Matcher(small_kb, morphology=morphology, settings=WORDS_ONLY)

    started = Matcher(small_kb, morphology=morphology, encoder=encoder, meaning_in_background=True)
    before = [started.match(q) for q in asked]
    assert not started.meaning_ready, "embedding 39 entries took less than matching 41 questions"
    assert before == [words.match(q) for q in asked]

    assert started.wait_for_meaning(READY_SECONDS)
    after = [started.match(q) for q in asked]
    # The stage joins once the entries' passages are embedded, before their 1,030 phrasings
    # (minutes more on a first start), with the passages alone.
    assert not started.phrasings_ready, "1,030 phrasings took less than matching 41 questions"
    started.close()
    # A matcher that waited for the vectors (read from the cache the background build filled).
    waited = Matcher(small_kb, morphology=morphology, encoder=encoder, settings=PASSAGES_ONLY)
    assert after == [waited.match(q) for q in asked]
    assert after != before, "the meaning stage changed none of the answers: nothing was checked"


def _trimmed(kb: KnowledgeBase, ids: tuple[str, ...], alternatives: int) -> KnowledgeBase:
    """The entries `ids` of `kb`, each with its first `alternatives` alternatives only."""
    kept = tuple(
        replace(e, alternatives=e.alternatives[:alternatives]) for e in kb.entries if e.id in ids
    )
    return KnowledgeBase(kept, kb.synonyms)


STATUSES = ("status-list", "status-by-phone", "status-where-to-check", "tech-status-not-refreshing")
STATUS_QUESTIONS = [
    "как глянуть статус заявки на гос услугах",
    "раскажите про все статусы заявки что они значат",
    "по телефону скажут статус моей заявки? номер есть",
    "почему на портале висит неактуальный статус заявки",
]


def test_the_phrasings_join_the_meaning_once_embedded_after_the_passages(
    tmp_path: Path,
    small_kb: KnowledgeBase,
    morphology: Morphology,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A first start: the stage asks the passages alone (the stage of before) as soon as
    they are embedded, then each entry's phrasings too, once the same background build has
    embedded them; a restart has both at once."""
    kb = _trimmed(small_kb, STATUSES, 3)
    asked = ["статус", "где посмотреть статус", "статус не обновляется", *STATUS_QUESTIONS]
    cache = tmp_path / "embeddings.sqlite3"
    encoder = Encoder(cache_file=cache)
    with caplog.at_level(logging.INFO, logger="matcher.engine"):
        started = Matcher(kb, morphology=morphology, encoder=encoder, meaning_in_background=True)
        assert started.wait_for_meaning(READY_SECONDS)
        passages = [started.match(q) for q in asked]
        assert started.wait_for_phrasings(READY_SECONDS)
        both = [started.match(q) for q in asked]

    alone = Matcher(kb, morphology=morphology, encoder=encoder, settings=PASSAGES_ONLY)
    assert passages == [alone.match(q) for q in asked]
    waited = Matcher(kb, morphology=morphology, encoder=encoder)
    assert both == [waited.match(q) for q in asked]
    assert both != passages, "the phrasings changed none of the verdicts: nothing was checked"
    said = [r.getMessage() for r in caplog.records]
    assert any("формулировки записей готовятся в фоне" in m for m in said), said
    assert any("Формулировки записей в смысловом этапе: 16" in m for m in said), said
    # A restart reads both from the cache file: the whole stage at once.
    restarted = Matcher(
        kb, morphology=morphology, encoder=Encoder(cache_file=cache), meaning_in_background=True
    )
    assert restarted.phrasings_ready
    assert [restarted.match(q) for q in asked] == both


def test_a_build_that_waits_for_its_vectors_tells_how_far_it_is(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    """`faqbot ask` and `kb check` on a first start wait minutes for a big base's vectors:
    they show a bar that follows `progress`, told from the first text to the last, and
    nothing at all once the cache has them."""
    kb = _trimmed(small_kb, STATUSES, 3)  # 4 passages and 16 phrasings
    cache = tmp_path / "embeddings.sqlite3"
    told: list[tuple[int, int]] = []
    first = Matcher(
        kb, morphology=morphology, encoder=Encoder(cache_file=cache), progress=_append(told)
    )
    assert first.phrasings_ready
    assert told[0] == (0, 20)
    assert told[-1] == (20, 20)
    assert [done for done, _ in told] == sorted({done for done, _ in told})  # onwards only
    assert {total for _, total in told} == {20}
    told.clear()
    again = Matcher(
        kb, morphology=morphology, encoder=Encoder(cache_file=cache), progress=_append(told)
    )
    assert told == []
    asked = ["статус", *STATUS_QUESTIONS]
    assert [again.match(q) for q in asked] == [first.match(q) for q in asked]


def _append(told: list[tuple[int, int]]) -> Callable[[int, int], None]:
    return lambda done, total: told.append((done, total))


def test_a_cache_of_the_passages_alone_has_the_stage_at_once_and_the_phrasings_after(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    """A server restarted with a cache file from before the phrasings joined the stage (the
    passages' only): the stage is ready at once, with the passages, and the phrasings join
    when the background build has embedded them."""
    kb = _trimmed(small_kb, STATUSES, 3)
    cache = tmp_path / "embeddings.sqlite3"
    Matcher(kb, morphology=morphology, encoder=Encoder(cache_file=cache), settings=PASSAGES_ONLY)
    encoder = CountingEncoder(cache_file=cache)

    restarted = Matcher(kb, morphology=morphology, encoder=encoder, meaning_in_background=True)

    assert restarted.meaning_ready
    assert not restarted.phrasings_ready
    assert restarted.wait_for_phrasings(READY_SECONDS)
    assert encoder.embedded == sum(len(e.phrasings) for e in kb.entries)  # no passage again


def test_a_base_whose_vectors_are_cached_has_its_meanings_at_once(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    kb = _trimmed(small_kb, tuple(e.id for e in small_kb.entries), 2)  # 117 phrasings
    encoder = Encoder(cache_file=tmp_path / "embeddings.sqlite3")
    Matcher(kb, morphology=morphology, encoder=encoder)  # the first start: all embedded
    restarted = Encoder(cache_file=tmp_path / "embeddings.sqlite3")  # a new process's

    again = Matcher(kb, morphology=morphology, encoder=restarted, meaning_in_background=True)

    assert again.meaning_ready
    assert again.phrasings_ready
    waited = Matcher(kb, morphology=morphology, encoder=restarted)
    assert again.match("статус") == waited.match("статус")


def test_a_replaced_matcher_stops_embedding_its_base(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    cache = tmp_path / "embeddings.sqlite3"
    encoder = Encoder(cache_file=cache)
    replaced = Matcher(small_kb, morphology=morphology, encoder=encoder, meaning_in_background=True)

    replaced.close()

    assert not replaced.wait_for_meaning(READY_SECONDS)
    kept = _cached_rows(cache)
    time.sleep(1.0)  # what it would have embedded meanwhile (10 entries a second at most)
    assert _cached_rows(cache) == kept < len(small_kb.entries)
    assert replaced.match("статус") == Matcher(
        small_kb, morphology=morphology, settings=WORDS_ONLY
    ).match("статус")


def test_a_question_is_embedded_between_two_entries_of_a_background_build(
    tmp_path: Path,
) -> None:
    """The build takes the engine one entry at a time: a citizen's question asked meanwhile
    waits for one entry's embedding, not for the whole base."""
    encoder = Encoder(cache_file=tmp_path / "embeddings.sqlite3")
    texts = [passage_text(f"Вопрос номер {i} о статусе заявления", "Ответ.") for i in range(200)]
    stop = threading.Event()
    build = threading.Thread(target=encoder.passages_aside, args=(texts,), kwargs={"stop": stop})
    build.start()
    try:
        time.sleep(0.5)  # the build is under way
        encoder.query("когда будет готово моё заявление")
        assert build.is_alive(), "the question waited for the whole build"
    finally:
        stop.set()
        build.join()


def _held_by_the_encoder(build: Callable[[], Matcher]) -> tuple[Matcher, int]:
    """The matcher `build` makes, and the bytes allocated in `matcher.semantic` and the
    cache file's `matcher.vector_store` during the build that are still held after it."""
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        matcher = build()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    only = [tracemalloc.Filter(True, f) for f in (semantic.__file__, vector_store.__file__)]
    held = after.filter_traces(only).compare_to(before.filter_traces(only), "filename")
    return matcher, sum(stat.size_diff for stat in held)


def test_a_restart_on_a_warm_cache_keeps_the_entries_vectors_once(
    tmp_path: Path, small_kb: KnowledgeBase, morphology: Morphology
) -> None:
    """The vectors the cache file keeps are in the matcher's matrix, not copied in the
    encoder's memory too (1.5 KB an entry: 15 MB at 10,000 entries)."""
    kb = _trimmed(small_kb, tuple(e.id for e in small_kb.entries), 2)  # 117 phrasings
    cache = tmp_path / "embeddings.sqlite3"
    Matcher(kb, morphology=morphology, encoder=Encoder(cache_file=cache))
    restarted = Encoder(cache_file=cache)  # a new process's

    again, held = _held_by_the_encoder(
        lambda: Matcher(kb, morphology=morphology, encoder=restarted, meaning_in_background=True)
    )

    assert again.phrasings_ready
    one_vector = 4 * DIMENSIONS
    # The matcher's own vectors are made in `matcher.semantic`: each entry's passage (32-bit)
    # and each phrasing's (8-bit, with a 32-bit scale), and where each entry's phrasings start.
    entries = len(kb.entries)
    phrasings = sum(len(e.phrasings) for e in kb.entries)
    own = entries * one_vector + phrasings * (DIMENSIONS + 4) + (entries + 1) * 8
    held -= own
    assert held < 4 * one_vector, f"{held // one_vector} vectors' worth kept beside the matrix"


def test_a_cache_file_that_refuses_writes_is_reported_once_by_a_background_build(
    tmp_path: Path, morphology: Morphology, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk: the background build keeps its vectors a few entries at a time, and the
    log says once that the file refuses them, not once every few entries (1,250 warnings for
    10,000 entries)."""
    cache = tmp_path / "embeddings.sqlite3"
    with closing(sqlite3.connect(cache)) as db, db:
        db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vector BLOB)")
        db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON vectors "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )
    kb = KnowledgeBase(
        tuple(
            Entry(f"e{i}", "статусы", f"Вопрос номер {i} о статусе заявления", "Ответ.")
            for i in range(3 * ASIDE_CHUNK)
        )
    )
    with caplog.at_level(logging.WARNING, logger="matcher.vector_store"):
        matcher = Matcher(
            kb, morphology=morphology, encoder=Encoder(cache_file=cache), meaning_in_background=True
        )
        assert matcher.wait_for_meaning(READY_SECONDS)

    refused = [r for r in caplog.records if "не записан" in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in refused]


class FailingEncoder(Encoder):
    """The real encoder, whose engine fails (runs out of memory) at the entries `failing`
    names: each a count of entries embedded before the failure, the next failure counted
    from the last."""

    def __init__(self, *, cache_file: Path, failing: list[int]) -> None:
        super().__init__(cache_file=cache_file)
        self.embedded: list[str] = []
        self.failed = 0
        model, outer, left = self._model, self, list(failing)

        class Failing:
            def query(self, text: str) -> Any:
                return model.query(text)

            def encode(self, text: str, is_query: bool) -> Any:
                if left and left[0] == 0:
                    left.pop(0)
                    outer.failed += 1
                    raise MemoryError("не хватило памяти")
                if left:
                    left[0] -= 1
                outer.embedded.append(text)
                return model.encode(text, is_query)

        self._model = Failing()


def _numbered(count: int) -> KnowledgeBase:
    return KnowledgeBase(
        tuple(
            Entry(f"e{i}", "статусы", f"Вопрос номер {i} о статусе заявления", f"Ответ {i}.")
            for i in range(count)
        )
    )


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


RETRYING = MatcherSettings(meaning=Meaning(retry_seconds=(0.2, 0.5)))


def test_a_failed_background_build_is_tried_again_and_goes_on_where_it_stopped(
    tmp_path: Path, morphology: Morphology, caplog: pytest.LogCaptureFixture
) -> None:
    """The engine runs out of memory twice in a background build's passages and once in its
    phrasings: before, the meaning stage stayed off until the base's files were edited (or the
    server restarted); now the build is tried again after `Meaning.retry_seconds`, each
    failure said once in the log, and each attempt goes on from the vectors the cache file
    kept. A failure among the phrasings leaves the stage on with the passages."""
    kb = _numbered(2 * ASIDE_CHUNK + 2)
    encoder = FailingEncoder(cache_file=tmp_path / "embeddings.sqlite3", failing=[5, 6, 10])
    with caplog.at_level(logging.INFO, logger="matcher.engine"):
        matcher = Matcher(
            kb,
            morphology=morphology,
            encoder=encoder,
            settings=RETRYING,
            meaning_in_background=True,
        )
        assert _until(lambda: matcher.meaning_error is not None, READY_SECONDS)
        said = matcher.meaning_error  # while it waits to be tried again
        assert said == "MemoryError: не хватило памяти"
        assert _until(lambda: matcher.meaning_ready, READY_SECONDS), "the build was not retried"
        assert _until(lambda: encoder.failed == 3, READY_SECONDS), "no failure in the phrasings"
        assert matcher.meaning_ready  # the passages' stage goes on meanwhile
        assert _until(lambda: matcher.phrasings_ready, READY_SECONDS), "phrasings not retried"

    assert matcher.meaning_error is None
    assert encoder.failed == 3
    # What each attempt made before it failed was kept: no vector was embedded twice.
    passages = [passage_text(e.question, e.answer) for e in kb]
    assert sorted(encoder.embedded) == sorted(passages + [e.question for e in kb])
    failures = [r.getMessage() for r in caplog.records if "не подготовлен" in r.getMessage()]
    assert failures == [
        "Смысловой этап не подготовлен (попытка 1: MemoryError: не хватило памяти), вопросы "
        "решаются по словам; новая попытка через 0.2 с",
        "Смысловой этап не подготовлен (попытка 2: MemoryError: не хватило памяти), вопросы "
        "решаются по словам; новая попытка через 0.5 с",
        "Смысловой этап не подготовлен (попытка 3: MemoryError: не хватило памяти), вопросы "
        "решаются по словам и смыслу записей; новая попытка через 0.5 с",
    ]
    waited = Matcher(kb, morphology=morphology, encoder=Encoder(cache_file=tmp_path / "x"))
    assert matcher.match("статус заявления номер 3") == waited.match("статус заявления номер 3")


def test_a_closed_matcher_stops_trying_its_failed_build_again(
    tmp_path: Path, morphology: Morphology
) -> None:
    """A reload replaces (closes) a matcher whose build keeps failing: it tries no more."""
    encoder = FailingEncoder(cache_file=tmp_path / "embeddings.sqlite3", failing=[0] * 1_000)
    matcher = Matcher(
        _numbered(3),
        morphology=morphology,
        encoder=encoder,
        settings=MatcherSettings(meaning=Meaning(retry_seconds=(0.05,))),
        meaning_in_background=True,
    )
    assert _until(lambda: encoder.failed >= 3, READY_SECONDS), "the build was not retried"

    matcher.close()
    # An attempt under way when it was closed ends (it fails at once, however busy the
    # machine): the count stops moving for 0.2 s, four retries' worth.
    tried = -1
    deadline = time.monotonic() + READY_SECONDS
    while tried != encoder.failed and time.monotonic() < deadline:
        tried = encoder.failed
        time.sleep(0.2)
    time.sleep(0.5)  # ten attempts' worth
    assert encoder.failed == tried
    assert not matcher.meaning_ready
    assert matcher.meaning_error == "MemoryError: не хватило памяти"
