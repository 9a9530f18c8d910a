"""The report's numbers agree with what the traffic generator saw happen."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.core.question_log import QuestionLog
from bot.core.report_figures import entry_figures
from bot.core.reports import Reports
from bot.core.roles import Role
from bot.core.settings import CoreSettings
from bot.reporting.charts import report_charts
from bot.reporting.page import render_report
from bot.storage.database import Database, open_database
from matcher import Matcher
from tests.bot.conftest import TUESDAY_MORNING
from tests.traffic import load_traffic

pytestmark = pytest.mark.anyio
QUESTIONS = 100
RAW_PERSONAL = ("345-67-89", "ivan.petrov", "4510 123456", "112-233-445", "500100732259")


@dataclass(frozen=True)
class Generated:
    url: str
    tally: Any


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, core_matcher: Matcher) -> Generated:
    """A month of traffic in an SQLite file, generated once for the module."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('traffic') / 'traffic.sqlite3'}"

    async def run() -> Any:
        db = await open_database(url)
        try:
            return await load_traffic().generate(db, core_matcher, questions=QUESTIONS, seed=7)
        finally:
            await db.close()

    return Generated(url, asyncio.run(run()))


@pytest.fixture
def traffic(generated: Generated) -> Any:
    return generated.tally


@pytest.fixture
async def db(generated: Generated, anyio_backend: str) -> AsyncIterator[Database]:
    database = await open_database(generated.url)
    try:
        yield database
    finally:
        await database.close()


async def test_the_report_counts_what_happened(
    db: Database, core_matcher: Matcher, traffic: Any
) -> None:
    reports = Reports(db, core_matcher, core_matcher.analyzer.analyze)
    report = await reports.build(None)
    assert report.total == traffic.questions == QUESTIONS
    assert sum(d.answered for d in report.days) == traffic.answered
    assert sum(d.chosen for d in report.days) == traffic.chosen
    assert sum(d.abandoned for d in report.days) == traffic.clarified - traffic.chosen
    assert sum(d.handed_off for d in report.days) == traffic.handed_off
    assert {d.day.isoformat(): d.total for d in report.days if d.total} == dict(traffic.per_day)
    assert report.answered_by_bot == traffic.answered_by_bot
    shown = {e.entry_id: e.shown for e in report.top_entries}
    assert shown == {e: traffic.shown[e] for e in shown}
    assert list(shown.values()) == sorted(shown.values(), reverse=True)

    queue = report.queue
    assert (queue.tickets, queue.taken, queue.replied) == (
        traffic.tickets,
        traffic.tickets,
        traffic.replied,
    )
    assert queue.within_limit == traffic.replied_within_day
    assert queue.ratings == len(traffic.ticket_stars)
    if traffic.ticket_stars:
        assert queue.mean_rating == pytest.approx(statistics.fmean(traffic.ticket_stars))
    assert sum(o.tickets for o in report.operators) == traffic.tickets


async def test_feedback_by_entry_adds_up_and_worst_come_first(
    db: Database, core_matcher: Matcher, traffic: Any
) -> None:
    records = await QuestionLog(db).between()
    figures = entry_figures(records, str)
    stars = traffic.stars
    assert sum(e.liked for e in figures) == traffic.thumbs_up + sum(s >= 4 for s in stars)
    assert sum(e.disliked for e in figures) == traffic.thumbs_down + sum(s <= 2 for s in stars)
    report = await Reports(db, core_matcher, core_matcher.analyzer.analyze).build(None)
    shares = [e.satisfaction for e in report.worst_entries]
    assert shares == sorted(shares, key=lambda s: s or 0.0)


async def test_no_personal_data_reaches_the_log(db: Database, traffic: Any) -> None:
    assert traffic.personal, "the generator should have sent personal data"
    texts = " ".join(r.text for r in await QuestionLog(db).between())
    for raw in RAW_PERSONAL:
        assert raw not in texts


async def test_the_page_is_self_contained_with_charts(
    db: Database, core_matcher: Matcher, traffic: Any
) -> None:
    del traffic
    report = await Reports(db, core_matcher, core_matcher.analyzer.analyze).build(None)
    charts = report_charts(report)
    assert {c.name for c in charts} >= {"days", "entries", "unanswered"}
    assert all(c.png.startswith(b"\x89PNG") for c in charts)
    page = render_report(report, generated_at=TUESDAY_MORNING)
    assert page.count("data:image/png;base64,") == len(charts)
    assert 'src="http' not in page and "<link" not in page


async def test_an_operator_may_not_see_reports(db: Database, core_matcher: Matcher) -> None:
    from bot.core.accounts import Accounts
    from bot.core.errors import PermissionDeniedError
    from tests.bot.core.conftest import PASSWORD, fast_passwords

    accounts = Accounts(db, passwords=fast_passwords())
    operator = await accounts.create("lena", PASSWORD, role=Role.OPERATOR)
    analyst = await accounts.create("alla", PASSWORD, role=Role.ANALYST)
    reports = Reports(db, core_matcher, core_matcher.analyzer.analyze, settings=CoreSettings())
    with pytest.raises(PermissionDeniedError):
        await reports.build(operator)
    assert (await reports.build(analyst)).total == QUESTIONS
