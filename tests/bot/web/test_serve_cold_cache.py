"""`faqbot serve` on a first start (no entry's vector cached yet) answers at once, by the words
alone, and says so in its log; once the vectors are built in the background, `/healthz` says
the meaning stage is ready and the answers are the meaning stage's. A reload embeds only the
entries the cache lacks.

Before, the server embedded every entry (about 0.1 s each) before it listened: the project's
base kept a first start silent some 15 s, a base of 10,000 entries some 15 minutes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher import Matcher, MatcherSettings, Morphology, load_knowledge_base
from matcher.semantic import Encoder
from matcher.settings import Meaning
from tests.conftest import PROJECT_KB, ROOT
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Ambiguous: with the meaning stage the list of statuses comes before the status by phone.
UNSURE = "статус"
STARTUP_SECONDS = 60.0
READY_SECONDS = 600.0  # the project's entries (150-odd) at 0.1 s each, on a busy machine
ADDED = """\
topic: Приём у нотариуса
entries:
  - id: notary-appointment
    question: Можно ли записаться к нотариусу через портал?
    answer: Да, в разделе «Запись на приём» выберите нотариальную палату и удобное время.
"""


def _cached_vectors(cache: Path) -> int:
    """How many vectors the server's cache file holds."""
    if not (cache / "embeddings.sqlite3").exists():
        return 0
    with closing(sqlite3.connect(cache / "embeddings.sqlite3")) as db:
        found: int = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    return found


def _healthz(url: str) -> dict[str, Any]:
    found = httpx.get(url + "/healthz", timeout=10)
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def _ask(url: str, question: str) -> tuple[str, list[str]]:
    found = httpx.post(url + "/api/v1/ask", json={"question": question}, timeout=30)
    assert found.status_code == 200, found.text
    body = found.json()
    return body["action"], [c["entry_id"] for c in body["candidates"]]


def _verdict(matcher: Matcher, question: str) -> tuple[str, list[str]]:
    match = matcher.match(question)
    return match.action.value, [c.entry_id for c in match.candidates]


def _wait(what: str, done: Any, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.3)
    pytest.fail(f"{what}: not in {seconds:.0f} s:\n{log.read_text('utf-8')}")


def test_a_first_start_answers_by_the_words_then_by_the_meaning(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], morphology: Morphology
) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, kb_dir)
    kb = load_knowledge_base(kb_dir)
    entries = len(kb.entries)
    cache = tmp_path / "cache"
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "FAQBOT_ENV": "development",
        "FAQBOT_DATA_DIR": str(tmp_path / "data"),
        "FAQBOT_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    database = f"sqlite+aiosqlite:///{tmp_path / 'faqbot.sqlite3'}"
    port = url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "bot.cli.main", "serve", "--no-telegram", "--port", port]
    command += ["--kb", str(kb_dir), "--database", database]
    with log.open("wb") as out:
        started = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    processes.append(started)

    def listening() -> bool:
        if started.poll() is not None:
            pytest.fail(f"faqbot serve exited at start-up:\n{log.read_text('utf-8')}")
        try:
            return httpx.get(url + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    _wait("faqbot serve listening", listening, STARTUP_SECONDS, log)
    first = _ask(url, UNSURE)
    # Looked at after the answer: it came before the entries were all embedded.
    assert _cached_vectors(cache) < entries, "the server listened only when all were embedded"
    assert _healthz(url)["knowledge_base"]["meaning_ready"] is False
    words = Matcher(
        kb, morphology=morphology, settings=MatcherSettings(meaning=Meaning(enabled=False))
    )
    assert first == _verdict(words, UNSURE)
    waiting = f"Смысловой этап готовится в фоне: векторов нет у {entries} записей из {entries}"
    assert waiting in log.read_text("utf-8")

    _wait(
        "the meaning stage ready",
        lambda: _healthz(url)["knowledge_base"]["meaning_ready"],
        READY_SECONDS,
        log,
    )
    meant = _ask(url, UNSURE)
    # The stage joins with the entries' passages; their 4,000-odd phrasings (minutes more) are
    # embedded after them, by the same background build, and join when they are.
    assert _healthz(url)["knowledge_base"]["phrasings_ready"] is False
    # A matcher that waited for the passages' vectors, read from the cache the server filled.
    encoder = Encoder(cache_file=cache / "embeddings.sqlite3")
    passages = MatcherSettings(meaning=Meaning(phrasings=False))
    waited = Matcher(kb, morphology=morphology, encoder=encoder, settings=passages)
    assert meant == _verdict(waited, UNSURE)
    assert meant[1][1:3] == ["status-list", "status-by-phone"]
    assert first[1][1:3] == ["status-by-phone", "status-list"]
    said = log.read_text("utf-8")
    assert f"Смысловой этап готов: записей {entries}, за " in said
    assert "формулировки записей готовятся в фоне" in said

    # A curator adds an entry: the reload embeds it alone, the rest is read from the cache.
    (kb_dir / "notary.yaml").write_text(ADDED, encoding="utf-8")
    _wait(
        "the added entry served",
        lambda: _healthz(url)["knowledge_base"]["entries"] == entries + 1,
        STARTUP_SECONDS,
        log,
    )
    assert f"векторов нет у 1 записей из {entries + 1}" in log.read_text("utf-8")
    _wait(
        "the meaning stage ready again",
        lambda: _healthz(url)["knowledge_base"]["meaning_ready"],
        STARTUP_SECONDS,
        log,
    )
