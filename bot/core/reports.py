"""The analysts' report: reads the period's questions and tickets, groups what went unanswered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from bot.core.answerer import Answerer
from bot.core.clock import Clock, system_clock
from bot.core.records import Operator
from bot.core.report_figures import Report, build_report
from bot.core.roles import Permission, require
from bot.core.settings import CoreSettings
from bot.core.unanswered import Analyze, Background, Cluster, InboxTexts, group_texts, inbox_texts
from bot.storage.database import Database

Progress = Callable[[str], None]


def _quiet(step: str) -> None:
    del step


class Reports:
    """Builds reports for analysts, curators and administrators."""

    def __init__(
        self,
        db: Database,
        answerer: Answerer,
        analyze: Analyze,
        *,
        settings: CoreSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._answerer = answerer
        self._analyze = analyze
        self._settings = settings or CoreSettings()
        self._clock = clock
        self._background = Background(answerer, analyze)

    async def build(
        self,
        viewer: Operator | None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        progress: Progress = _quiet,
    ) -> Report:
        """The report over [since, until); `viewer` None is the server's administrator."""
        if viewer is not None:
            require(viewer.role, Permission.VIEW_ANALYTICS, "смотреть отчёты")
        analytics = self._settings.analytics
        progress("вопросы")
        async with self._db.transaction() as uow:
            records = await uow.questions.between(since, until)
            progress("обращения")
            tickets = await uow.ticket_timings.between(since, until)
            comments = await uow.ratings.commented_between(
                since, until, limit=analytics.report_comments
            )
        progress("группировка неотвеченных")
        # Trends compare the last week of the period with the week before it.
        now = until or (records[-1].asked_at if records else self._clock())

        def group() -> tuple[list[Cluster], InboxTexts]:
            texts = inbox_texts(records, analytics)
            clusters = group_texts(
                texts,
                self._analyze,
                settings=analytics,
                now=now,
                background=self._background.features(),
            )
            return clusters, texts

        clusters, texts = await asyncio.to_thread(group)
        progress("расчёт")
        kb = self._answerer.kb

        def title_of(entry_id: str) -> str:
            entry = kb.get(entry_id)
            return entry.question if entry is not None else f"(удалён: {entry_id})"

        return build_report(
            records,
            tickets,
            clusters,
            title_of=title_of,
            zone=self._settings.working_hours.timezone,
            now=self._clock(),
            since=since,
            until=until,
            entries_limit=analytics.report_entries,
            min_ratings=analytics.min_ratings,
            comments=comments,
            older_unanswered=texts.older_records,
            older_unanswered_texts=len(texts.older),
            grouped_texts=analytics.max_cluster_questions,
        )
