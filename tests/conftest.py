"""Shared fixtures: the expensive objects are built once per test session."""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from matcher import KnowledgeBase, Matcher, MatcherSettings, Morphology, load_knowledge_base
from matcher.morph import shared_morphology

ROOT = Path(__file__).resolve().parents[1]
PROJECT_KB = ROOT / "knowledge_base"
FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI (CI=true) a skipped test is a failure: every server and browser must be there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where nothing may be missing: {reason}"


def pytest_configure(config: pytest.Config) -> None:
    """The test bases' entries are embedded (`matcher.semantic`) once, before any test and in
    one process: on a cold cache (a new machine, CI) each of xdist's workers built them at
    once, twice the work, and an app test's server then took longer to start than its limit
    (the widget's page refused). From the cache file, a build takes a fraction of a second."""
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller has done it
    for folder in (PROJECT_KB, FIXTURE_KB):
        Matcher(load_knowledge_base(folder))


class MatcherBuilds:
    """Builds a `Matcher` once per knowledge-base content, settings and dictionary.

    Most app tests serve a fresh copy of the project's base, and building a matcher over it
    takes about a second. A matcher only reads what it built (`Matcher`), and what it built
    depends only on the entries' texts, the synonyms, the settings and the dictionary, so a
    base with the same content gets a copy of the first build with its own `kb` (whose
    entries name the files they came from). Each distinct base is still built for real.

    It waits for the entries' vectors even when asked to build them in the background, as a
    server restarted on a warm cache finds them at once: the app tests see the meaning stage
    from their first question. The background build itself is tested with real matchers
    (`tests/matcher/test_background_meaning.py`, `tests/bot/web/test_serve_cold_cache.py`).
    """

    def __init__(self, limit: int = 16) -> None:
        self._built: OrderedDict[Hashable, tuple[Matcher, Morphology]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def __call__(
        self,
        kb: KnowledgeBase,
        *,
        settings: MatcherSettings | None = None,
        morphology: Morphology | None = None,
        unsaved: Collection[str] = (),
        meaning_in_background: bool = False,
    ) -> Matcher:
        """A matcher over `kb`, as `Matcher(kb, settings=..., morphology=..., unsaved=...)`
        builds it (`meaning_in_background` is not honoured: see the class)."""
        settings = settings or MatcherSettings()
        morphology = morphology or shared_morphology()
        key = (_content(kb), settings, id(morphology), frozenset(unsaved))
        with self._lock:
            found = self._built.get(key)
            if found is None:
                built = Matcher(kb, settings=settings, morphology=morphology, unsaved=unsaved)
                found = (built, morphology)
                self._built[key] = found
                if len(self._built) > self._limit:
                    self._built.popitem(last=False)
            self._built.move_to_end(key)
        matcher = copy.copy(found[0])
        matcher.kb = kb
        return matcher


def _content(kb: KnowledgeBase) -> Hashable:
    """What a matcher's build reads of a base: everything but where the entries were read."""
    entries = tuple(
        (e.id, e.topic, e.question, e.answer, e.alternatives, e.keywords, e.links, e.tags, e.source)
        for e in kb.entries
    )
    return entries, kb.synonyms


@pytest.fixture(scope="session", autouse=True)
def matcher_builds() -> Iterator[MatcherBuilds]:
    """The app's matchers (hot reload, the console's impact checks) come from `MatcherBuilds`."""
    builds = MatcherBuilds()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.core.live_kb.Matcher", builds)
        patch.setattr("bot.kb.impact.Matcher", builds)
        yield builds


@pytest.fixture(scope="session")
def morphology() -> Morphology:
    """pymorphy3's dictionary, loaded once."""
    return Morphology()


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    """A small knowledge base made for the tests."""
    return load_knowledge_base(FIXTURE_KB)


@pytest.fixture(scope="session")
def fixture_matcher(fixture_kb: KnowledgeBase, morphology: Morphology) -> Matcher:
    """A matcher over the small test base."""
    return Matcher(fixture_kb, morphology=morphology)


@pytest.fixture(scope="session")
def project_kb() -> KnowledgeBase:
    """The product's own knowledge base."""
    return load_knowledge_base(PROJECT_KB)


@pytest.fixture(scope="session")
def project_matcher(project_kb: KnowledgeBase, morphology: Morphology) -> Matcher:
    """A matcher over the product's own knowledge base."""
    return Matcher(project_kb, morphology=morphology)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database, migrated once for the session: a test's fresh database is
    a copy of it (migrating a new file takes a fifth of a second, copying one a millisecond).
    The migrations of empty files are tested on their own (tests/bot/storage)."""
    from bot.storage.database import open_database

    path = tmp_path_factory.mktemp("sqlite-template") / "faqbot.sqlite3"

    async def migrate() -> None:
        database = await open_database(f"sqlite+aiosqlite:///{path}")
        await database.close()

    # On a thread of its own: the caller may be inside an event loop (Playwright's, anyio's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate()).result()
    return path


def fresh_sqlite(template: Path, target: Path) -> str:
    """A copy of the migrated empty database at `target`; its SQLAlchemy URL."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"
