"""The console's analytics: the inbox of unanswered questions and the report.

The inbox is for curators (adding phrasings and proposing entries changes the base, so it
needs their role); the report is for analysts, curators and administrators. Every form
carries the CSRF token; the core checks roles.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BeforeValidator

from bot.core.errors import InvalidInputError, WorseBaseError, bullet_list
from bot.core.records import Operator
from bot.core.report_figures import Report, report_period
from bot.core.reports import Reports
from bot.core.roles import Permission, require
from bot.core.unanswered import Cluster, Unanswered
from bot.reporting.csv_export import table_csv
from bot.reporting.page import render_report, report_style
from bot.reporting.tables import report_tables
from bot.web.deps import CsrfDep, OperatorDep, ServicesDep, staff_work
from bot.web.routes.console import _back, _page
from bot.web.schemas import MAX_RECORD_ID

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(staff_work)])
IdsField = Annotated[str, Form(max_length=1_000_000)]
# The report's period form sends an empty date for "from the first record" / "to today".
Day = Annotated[date | None, BeforeValidator(lambda value: value or None)]
TextField = Annotated[str, Form(max_length=10_000)]
# Where a dismissal may send the curator back to: the inbox or a page of one of its groups.
INBOX_PAGE = re.compile(r"/console/inbox(/group/[0-9]{1,18}(\?page=[0-9]{1,9})?)?")


async def get_unanswered(services: ServicesDep) -> Unanswered:
    """The curators' inbox."""
    return services.unanswered


async def get_reports(services: ServicesDep) -> Reports:
    """The analysts' reports."""
    return services.reports


UnansweredDep = Annotated[Unanswered, Depends(get_unanswered)]
ReportsDep = Annotated[Reports, Depends(get_reports)]


def _ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        ids = [0]
    if not all(1 <= n <= MAX_RECORD_ID for n in ids):
        raise InvalidInputError("Список вопросов испорчен: ожидаются номера через запятую.")
    return ids


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request, operator: OperatorDep, unanswered: UnansweredDep, services: ServicesDep
) -> HTMLResponse:
    """Groups of unanswered questions, biggest first, with the curator's actions."""
    found = await unanswered.clusters(operator)
    kb = services.answerer.kb
    titles = {e.id: e.question for e in kb}
    return _page(
        request,
        "inbox.html",
        operator,
        {
            "clusters": found.clusters,
            # Questions asked before the newest ones grouped, and their distinct texts.
            "older": (
                (_number(found.older_questions), _number(found.older_texts))
                if found.older_questions
                else None
            ),
            "grouped": _number(services.settings.core.analytics.max_cluster_questions),
            "titles": titles,
            "entries": sorted(titles.items()),
            "kb_error": services.answerer.status.last_error,
        },
    )


@router.get("/inbox/group/{record_id}", response_class=HTMLResponse, response_model=None)
async def inbox_group(
    request: Request,
    *,
    operator: OperatorDep,
    unanswered: UnansweredDep,
    services: ServicesDep,
    record_id: int,
    page: int = 1,
) -> Response:
    """Every question of the group the question `record_id` is in, a page at a time, each
    with its own «Убрать из списка»."""
    found = (
        await unanswered.cluster_of(operator, record_id)
        if 1 <= record_id <= MAX_RECORD_ID
        else None
    )
    if found is None:
        return _back(
            request, "/console/inbox", "Этой группы больше нет среди неотвеченных вопросов."
        )
    size = services.settings.core.analytics.group_page_questions
    pages = max(1, -(-len(found.questions) // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    shown = range(start, min(start + size, len(found.questions)))
    return _page(
        request,
        "inbox_group.html",
        operator,
        {
            "cluster": found,
            "record_id": record_id,
            "shown": [
                (
                    found.questions[i],
                    found.question_record_ids[i],
                    _anchor_without(found, i, record_id),
                )
                for i in shown
            ],
            "page": page,
            "pages": pages,
            "start": start,
            "grouped": _number(services.settings.core.analytics.max_cluster_questions),
        },
    )


def _number(value: int) -> str:
    """A count as Russian text writes it: "1 500"."""
    return f"{value:,}".replace(",", "\N{NO-BREAK SPACE}")


def _anchor_without(cluster: Cluster, index: int, record_id: int) -> int | None:
    """A record of the group that is not among the question `index`'s, to come back to the
    group by once that question is taken out: the page's own if it can; None when it is the
    group's only one."""
    if record_id not in cluster.question_record_ids[index]:
        return record_id
    for i, ids in enumerate(cluster.question_record_ids):
        if i != index:
            return ids[0]
    return None


@router.post("/inbox/alternative")
async def add_alternative(
    request: Request,
    *,
    _csrf: CsrfDep,
    operator: OperatorDep,
    unanswered: UnansweredDep,
    entry_id: Annotated[str, Form(max_length=200)],
    text: TextField,
    record_ids: IdsField,
    force: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Add a question to an entry as another phrasing, once the base's check allows it."""
    try:
        done = await unanswered.add_alternative(
            operator, entry_id, text, _ids(record_ids), force=force
        )
    except WorseBaseError as error:
        return _back(request, "/console/inbox", str(error), warning=True)
    if not done.added:
        return _back(
            request, "/console/inbox", f"У ответа «{entry_id}» такая формулировка уже есть."
        )
    message = (
        f"Формулировка добавлена к ответу «{entry_id}»; база обновится через несколько секунд."
    )
    if done.advice:
        advice = f"{message}\nПроверка базы советует:\n{bullet_list(done.advice)}"
        return _back(request, "/console/inbox", advice, warning=True)
    return _back(request, "/console/inbox", message)


@router.post("/inbox/propose")
async def propose(
    request: Request,
    *,
    _csrf: CsrfDep,
    operator: OperatorDep,
    unanswered: UnansweredDep,
    ticket_number: Annotated[int, Form(ge=1, le=MAX_RECORD_ID)],
    question: TextField,
    answer: TextField,
    alternatives: TextField = "",
    record_ids: IdsField,
) -> RedirectResponse:
    """Start a new entry proposal from a group; a curator still has to approve it."""
    made = await unanswered.propose(
        operator,
        ticket_number,
        question=question,
        answer=answer,
        alternatives=alternatives.splitlines(),
        record_ids=_ids(record_ids),
    )
    return _back(request, "/console/proposals", f"Предложение № {made.id} ждёт утверждения.")


@router.post("/inbox/dismiss")
async def dismiss(
    request: Request,
    _csrf: CsrfDep,
    operator: OperatorDep,
    unanswered: UnansweredDep,
    record_ids: IdsField,
    back: Annotated[str, Form(max_length=100)] = "/console/inbox",
) -> RedirectResponse:
    """Take a group, or one question of it, out of the inbox; back to the page it was on."""
    count = await unanswered.dismiss(operator, _ids(record_ids))
    path = back if INBOX_PAGE.fullmatch(back) else "/console/inbox"
    return _back(request, path, f"Убрано из списка вопросов: {count}.")


async def _report_for(
    operator: Operator,
    reports: Reports,
    services: ServicesDep,
    since: date | None,
    until: date | None,
) -> Report:
    require(operator.role, Permission.VIEW_ANALYTICS, "смотреть отчёты")
    start, end = report_period(since, until, services.settings.core.working_hours.timezone)
    return await reports.build(operator, since=start, until=end)


@router.get("/report", response_class=HTMLResponse)
async def report_page(
    request: Request,
    *,
    operator: OperatorDep,
    reports: ReportsDep,
    services: ServicesDep,
    since: Day = None,
    until: Day = None,
) -> HTMLResponse:
    """The report `faqbot report` writes, inside the console's menu, with a choice of
    period and CSV links."""
    report = await _report_for(operator, reports, services, since, until)
    query = urlencode({k: v.isoformat() for k, v in (("since", since), ("until", until)) if v})
    links = {
        t.name: f"/console/report/{t.name}.csv" + (f"?{query}" if query else "")
        for t in report_tables(report)
    }
    body = await asyncio.to_thread(
        render_report, report, generated_at=datetime.now(tz=UTC), csv_links=links, part=True
    )
    return _page(
        request,
        "report.html",
        operator,
        {"body": Markup(body), "report_style": report_style(), "since": since, "until": until},
    )


@router.get("/report/{name}.csv")
async def report_csv(
    *,
    name: str,
    operator: OperatorDep,
    reports: ReportsDep,
    services: ServicesDep,
    since: Day = None,
    until: Day = None,
) -> Response:
    """One table of the report as CSV."""
    report = await _report_for(operator, reports, services, since, until)
    for table in report_tables(report):
        if table.name == name:
            return Response(
                table_csv(table),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
    return Response(f"Нет таблицы «{name}».", status_code=404, media_type="text/plain")
