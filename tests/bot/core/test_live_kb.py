"""Hot reload: edits of real knowledge-base files in tmp_path reach a real matcher."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.core.answerer import Answerer
from bot.core.live_kb import LiveMatcher, ReloadResult
from matcher import Action, KnowledgeBaseError, Match, Matcher, Morphology
from matcher.semantic import Encoder
from tests.conftest import PROJECT_KB

ACCOUNT = """\
topic: Учётная запись
entries:
  - id: password-recovery
    question: Как восстановить пароль?
    alternatives:
      - Забыл пароль
    keywords: [пароль]
    answer: Нажмите «Забыли пароль?» на странице входа.
  - id: registration
    question: Как зарегистрироваться на портале?
    alternatives:
      - Как создать учётную запись
    answer: Укажите телефон и e-mail, затем подтвердите их.
"""

PAYMENTS = """\
topic: Оплата
entries:
  - id: fine-payment
    question: Как оплатить штраф ГИБДД?
    alternatives:
      - Оплата штрафа за нарушение ПДД
    keywords: [штраф]
    answer: Штраф можно оплатить картой в разделе «Платежи».
  - id: state-duty
    question: Как оплатить госпошлину?
    alternatives:
      - Оплата государственной пошлины
    keywords: [госпошлина, пошлина]
    answer: Госпошлину оплачивают со скидкой 30% через портал.
"""

PASSPORT = """\
topic: Паспорт
entries:
  - id: passport-replacement
    question: Как заменить паспорт?
    keywords: [паспорт, замена]
    answer: Подайте заявление на замену паспорта в разделе «Документы».
"""

SMS_ALTERNATIVE = "      - Не приходит смс с кодом подтверждения\n"

# Broken edits of payments.yaml: what is written, and the line the error must point at.
BROKEN_EDITS = [
    pytest.param(PAYMENTS.replace("    keywords: [штраф]", "    keywords: [штраф"), 8, id="yaml"),
    pytest.param(PAYMENTS.replace("id: state-duty", "id: fine-payment"), 9, id="duplicate-id"),
    pytest.param(PAYMENTS.replace("    answer: Штраф", "    ответ: Штраф"), 8, id="unknown-field"),
]


# Longer than any build of the project's base's vectors takes, on a busy machine.
READY_SECONDS = 600.0


def write(path: Path, text: str) -> None:
    """Write a file and make sure its mtime moves, as it would between two real edits."""
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text, encoding="utf-8")
    if before is not None and path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def wait_until(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.01)


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A small Russian base of two topic files."""
    root = tmp_path / "kb"
    root.mkdir()
    write(root / "account.yaml", ACCOUNT)
    write(root / "payments.yaml", PAYMENTS)
    return root


@pytest.fixture
def live(kb_dir: Path, morphology: Morphology) -> Iterator[LiveMatcher]:
    """A live matcher over `kb_dir`, polling fast when started."""
    live = LiveMatcher(kb_dir, morphology=morphology, interval=0.02, settle=0.05)
    yield live
    live.stop()


def answers(live: LiveMatcher, question: str, entry_id: str) -> bool:
    """True when the question is answered, confidently, by this entry."""
    verdict = live.match(question)
    return verdict.action is Action.ANSWER and verdict.entry_id == entry_id


def test_is_an_answerer(live: LiveMatcher) -> None:
    answerer: Answerer = live
    assert answerer.kb is live.matcher.kb
    assert answers(live, "Забыл пароль", "password-recovery")
    status = live.status
    assert (status.version, status.entries, status.files, status.last_error) == (1, 4, 2, None)
    assert status.loaded_at.tzinfo is UTC


def test_unchanged_files_are_not_rebuilt(live: LiveMatcher) -> None:
    matcher = live.matcher
    assert live.check() == ReloadResult(changed=False, reloaded=False, error=None, entries=4)
    assert live.matcher is matcher


def test_added_alternative_becomes_matchable(live: LiveMatcher, kb_dir: Path) -> None:
    assert not answers(live, "не приходит смс с кодом", "registration")
    text = ACCOUNT.replace(
        "      - Как создать учётную запись\n",
        "      - Как создать учётную запись\n" + SMS_ALTERNATIVE,
    )
    write(kb_dir / "account.yaml", text)
    result = live.check()
    assert (result.changed, result.reloaded, result.error) == (True, True, None)
    assert answers(live, "не приходит смс с кодом", "registration")
    assert live.status.version == 2


def test_new_file_with_new_entry_is_picked_up(live: LiveMatcher, kb_dir: Path) -> None:
    assert "passport-replacement" not in live.kb
    (kb_dir / "documents").mkdir()
    write(kb_dir / "documents" / "passport.yaml", PASSPORT)
    assert live.check().reloaded
    assert answers(live, "Как заменить паспорт", "passport-replacement")
    assert (live.status.entries, live.status.files) == (5, 3)


def test_deleted_entry_disappears(live: LiveMatcher, kb_dir: Path) -> None:
    assert answers(live, "Оплатить госпошлину", "state-duty")
    write(kb_dir / "payments.yaml", PAYMENTS.split("  - id: state-duty", maxsplit=1)[0])
    assert live.check().entries == 3
    assert "state-duty" not in live.kb
    assert live.match("Оплатить госпошлину").entry_id != "state-duty"


def test_deleted_file_takes_its_entries_away(live: LiveMatcher, kb_dir: Path) -> None:
    (kb_dir / "payments.yaml").unlink()
    assert live.check().reloaded
    assert [e.id for e in live.kb] == ["password-recovery", "registration"]


@pytest.mark.parametrize(("broken", "line"), BROKEN_EDITS)
def test_broken_edit_keeps_the_last_good_base(
    live: LiveMatcher, kb_dir: Path, broken: str, line: int
) -> None:
    write(kb_dir / "payments.yaml", broken)
    result = live.check()
    assert (result.changed, result.reloaded, result.entries) == (True, False, 4)
    assert result.error is not None and f"payments.yaml:{line}:" in result.error
    assert answers(live, "Оплатить госпошлину", "state-duty")
    assert live.status.last_error == result.error
    assert live.status.version == 1
    # Not retried, still reported, until the file is edited again.
    assert live.check() == ReloadResult(False, False, result.error, 4)

    write(kb_dir / "payments.yaml", PAYMENTS.replace("госпошлину?", "госпошлину онлайн?"))
    fixed = live.check()
    assert (fixed.reloaded, fixed.error) == (True, None)
    status = live.status
    assert (status.last_error, status.version) == (None, 2)
    assert answers(live, "Как оплатить госпошлину онлайн", "state-duty")


def test_edit_back_to_the_serving_files_clears_the_error(live: LiveMatcher, kb_dir: Path) -> None:
    path = kb_dir / "payments.yaml"
    serving = path.stat()
    write(path, "topic: [Оплата\n")
    assert live.check().error is not None
    # Undo in the same file, as an editor's undo would: same inode, size and mtime as serving.
    path.write_text(PAYMENTS, encoding="utf-8")
    os.utime(path, ns=(serving.st_atime_ns, serving.st_mtime_ns))
    matcher = live.matcher
    assert live.check() == ReloadResult(changed=True, reloaded=False, error=None, entries=4)
    assert live.matcher is matcher
    assert (live.status.last_error, live.status.version) == (None, 1)


@pytest.mark.parametrize(
    "empty",
    [
        pytest.param(lambda root: [p.unlink() for p in root.glob("*.yaml")], id="no-files"),
        pytest.param(shutil.rmtree, id="no-directory"),
    ],
)
def test_emptied_directory_keeps_the_last_good_base(
    live: LiveMatcher, kb_dir: Path, empty: Callable[[Path], object]
) -> None:
    empty(kb_dir)
    result = live.check()
    assert (result.reloaded, result.entries) == (False, 4)
    assert result.error is not None and str(kb_dir) in result.error
    assert answers(live, "Забыл пароль", "password-recovery")

    kb_dir.mkdir(exist_ok=True)
    write(kb_dir / "account.yaml", ACCOUNT)
    assert live.check().reloaded
    assert live.status.entries == 2


def test_broken_base_at_start_is_refused(kb_dir: Path, morphology: Morphology) -> None:
    write(kb_dir / "payments.yaml", BROKEN_EDITS[0].values[0])  # type: ignore[arg-type]
    with pytest.raises(KnowledgeBaseError, match=r"payments\.yaml:8:"):
        LiveMatcher(kb_dir, morphology=morphology)


def test_each_distinct_failure_is_logged_once(
    live: LiveMatcher, kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.core.live_kb")
    write(kb_dir / "payments.yaml", "topic: Оплата\nentries: []\n")
    for _ in range(3):
        live.check()
        live.poll()
    write(kb_dir / "payments.yaml", "topic: Оплата\nentries: []\n# не помогло\n")  # same error
    live.check()
    write(kb_dir / "account.yaml", ACCOUNT + "  - id: password-recovery\n")
    live.check()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "payments.yaml:2:" in warnings[0]
    assert "по-прежнему работает версия 1" in warnings[0]


def test_poller_waits_for_the_files_to_settle(kb_dir: Path, morphology: Morphology) -> None:
    now = [100.0]
    live = LiveMatcher(kb_dir, morphology=morphology, settle=0.5, clock=lambda: now[0])
    write(kb_dir / "payments.yaml", "topic: Оплата\n")  # the first half of a save
    assert live.poll().settling
    now[0] += 1.0
    write(kb_dir / "payments.yaml", PAYMENTS + "\n")  # the rest: a new fingerprint, wait again
    assert live.poll().settling
    now[0] += 0.2
    assert live.poll().settling  # unchanged, but not for `settle` seconds yet
    assert live.status.version == 1
    now[0] += 0.4
    result = live.poll()
    assert (result.reloaded, result.error) == (True, None)
    assert live.poll() == ReloadResult(False, False, None, 4)


def test_listeners_hear_of_reloads_and_failures(live: LiveMatcher, kb_dir: Path) -> None:
    heard: list[ReloadResult] = []

    def broken_metrics(result: ReloadResult) -> None:
        raise RuntimeError("metrics are down")

    live.subscribe(broken_metrics)
    live.subscribe(heard.append)
    live.check()
    write(kb_dir / "payments.yaml", "topic: [Оплата\n")
    live.check()
    write(kb_dir / "payments.yaml", PAYMENTS + "\n")
    live.check()
    assert [(r.reloaded, r.error is None) for r in heard] == [(False, False), (True, True)]


def test_background_thread_picks_up_a_change(live: LiveMatcher, kb_dir: Path) -> None:
    with live:
        write(kb_dir / "passport.yaml", PASSPORT)
        wait_until(lambda: "passport-replacement" in live.kb)
        write(kb_dir / "passport.yaml", "topic: [Паспорт\n")
        wait_until(lambda: live.status.last_error is not None)
        assert "passport-replacement" in live.kb
        started = time.monotonic()
    assert time.monotonic() - started < 1.0
    assert answers(live, "Как заменить паспорт", "passport-replacement")


def test_async_run_picks_up_a_change(live: LiveMatcher, kb_dir: Path) -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(live.run(stop))
        write(kb_dir / "passport.yaml", PASSPORT)
        deadline = time.monotonic() + 5
        while "passport-replacement" not in live.kb and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=1)

    asyncio.run(scenario())
    assert answers(live, "Как заменить паспорт", "passport-replacement")


def test_concurrent_questions_during_reloads_always_get_answers(
    live: LiveMatcher, kb_dir: Path
) -> None:
    questions = ["Забыл пароль", "как оплатить штраф", "Как заменить паспорт", "абракадабра"]
    known_ids = {
        "password-recovery",
        "registration",
        "fine-payment",
        "state-duty",
        "passport-replacement",
    }
    done = threading.Event()
    verdicts: list[Match] = []
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            while not done.is_set():
                verdicts.extend(live.match(q) for q in questions)
        except BaseException as error:
            failures.append(error)
            raise

    for question in questions:  # a running service has met them: the meaning's vectors kept
        live.match(question)
    askers = [threading.Thread(target=ask) for _ in range(4)]
    for asker in askers:
        asker.start()
    editions = [PASSPORT, "topic: [Паспорт\n", PASSPORT.replace("Как", "Где и как")]
    for round_ in range(12):
        write(kb_dir / "passport.yaml", editions[round_ % 3])
        live.check()
    done.set()
    for asker in askers:
        asker.join()

    assert failures == []
    assert live.status.version > 5
    assert len(verdicts) > len(questions) * 4
    for verdict in verdicts:
        assert verdict.entry_id is None or verdict.entry_id in known_ids
        if verdict.query == "Забыл пароль":
            assert (verdict.action, verdict.entry_id) == (Action.ANSWER, "password-recovery")


def test_a_reload_stops_embedding_the_replaced_base(
    tmp_path: Path, morphology: Morphology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's first start embeds the base in the background (15 s or more for the
    project's); a curator's edit meanwhile replaces the matcher, whose embedding must stop
    rather than go on for a base nobody is served from."""
    encoder = Encoder(cache_file=tmp_path / "embeddings.sqlite3")  # cold, and the test's own
    monkeypatch.setattr("bot.core.live_kb.Matcher", partial(Matcher, encoder=encoder))
    kb_dir = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, kb_dir)
    live = LiveMatcher(kb_dir, morphology=morphology, meaning_in_background=True)
    first = live.matcher
    write(kb_dir / "payments.yaml", PAYMENTS)

    assert live.check().reloaded
    # Until its build ends: stopped, it ends without the meaning stage (within a few entries);
    # not stopped, it would end with it once every entry was embedded (a minute or more).
    assert not first.wait_for_meaning(READY_SECONDS), "the replaced matcher embedded its base"
    live.close()
    assert not live.matcher.wait_for_meaning(READY_SECONDS), "a closed server went on embedding"


def test_the_poller_notes_the_served_vectors_each_day_without_any_question(
    tmp_path: Path, kb_dir: Path, morphology: Morphology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's vectors are read from the cache file at its start; each new day its poller
    notes them as used (a question never does: it would wait for the file), so a server
    nobody asks for a month keeps them when another process tidies the file."""
    cache = tmp_path / "embeddings.sqlite3"
    encoder = Encoder(cache_file=cache)
    monkeypatch.setattr("bot.core.live_kb.Matcher", partial(Matcher, encoder=encoder))
    live = LiveMatcher(kb_dir, morphology=morphology, meaning_in_background=True)
    assert live.matcher.wait_for_meaning(READY_SECONDS)
    month_ago = (datetime.now(UTC).date() - timedelta(days=29)).isoformat()
    with closing(sqlite3.connect(cache)) as db, db:
        db.execute("UPDATE vectors SET used = ?", (month_ago,))
    store = encoder._store
    assert store is not None
    store._day = month_ago  # the process's day (the test's lever: the clock cannot be moved)

    live.poll()
    live.close()

    with closing(sqlite3.connect(cache)) as db:
        days = {day for (day,) in db.execute("SELECT used FROM vectors")}
    assert days == {datetime.now(UTC).date().isoformat()}
