"""The report's numbers agree with what the traffic generator saw happen."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.question_log import QuestionLog
from bot.core.report_figures import entry_figures, queue_figures
from bot.core.reports import Reports
from bot.core.roles import Role
from bot.core.settings import CoreSettings
from bot.core.ticket_timing import TicketTiming
from bot.reporting.charts import report_charts
from bot.reporting.page import render_report
from bot.storage.database import Database, open_database
from matcher import Matcher
from tests.bot.conftest import TUESDAY_MORNING
from tests.support.scripts import load_script

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("test_reports")]
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
            script = load_script("traffic")
            return await script.generate(db, core_matcher, questions=QUESTIONS, seed=7)
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
    # The traffic is of October 2026: by this date every ticket's promised time has come.
    now = TUESDAY_MORNING
    reports = Reports(db, core_matcher, core_matcher.analyzer.analyze, clock=lambda: now)
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
    # In time means by the ticket's stored due time (working days counted), not 24 hours flat.
    assert queue.within_limit == traffic.replied_in_time
    assert traffic.unanswered_due and all(due < now for due in traffic.unanswered_due)
    assert queue.late == traffic.replied_late + len(traffic.unanswered_due)
    assert queue.ratings == len(traffic.ticket_stars)
    if traffic.ticket_stars:
        assert queue.mean_rating == pytest.approx(statistics.fmean(traffic.ticket_stars))
    assert sum(o.tickets for o in report.operators) == traffic.tickets


def _ticket(created: datetime, due: datetime, replied: datetime | None) -> TicketTiming:
    return TicketTiming(
        number=1,
        created_at=created,
        due_at=due,
        status="in_progress",
        operator=None,
        taken_at=None,
        first_reply_at=replied,
        closed_at=None,
    )


def test_in_time_means_by_the_promised_time_and_waiting_tickets_count_neither_way() -> None:
    """Handed off on Friday evening, due on Tuesday morning: an answer on Monday is in time
    though more than 24 hours have passed; a ticket still within its time is undecided."""
    friday = datetime(2026, 12, 4, 18, 30, tzinfo=TUESDAY_MORNING.tzinfo)
    tuesday = datetime(2026, 12, 8, 3, 0, tzinfo=TUESDAY_MORNING.tzinfo)
    monday = friday + timedelta(days=3)
    waiting = queue_figures([_ticket(friday, tuesday, None)], now=monday)
    assert (waiting.within_limit, waiting.late, waiting.within_limit_share) == (0, 0, None)
    tickets = [
        _ticket(friday, tuesday, monday),  # in time, 60 hours after the hand-off
        _ticket(friday, tuesday, tuesday + timedelta(minutes=1)),  # late
        _ticket(friday, tuesday, None),  # no answer, time passed
        _ticket(monday, monday + timedelta(days=1), None),  # still within its time
    ]
    figures = queue_figures(tickets, now=tuesday + timedelta(hours=1))
    assert (figures.within_limit, figures.late) == (1, 2)
    assert figures.within_limit_share == pytest.approx(1 / 3)


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
