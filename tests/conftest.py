"""Shared fixtures: the expensive objects are built once per test session."""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from matcher import KnowledgeBase, Matcher, Morphology, load_knowledge_base

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
