"""The operator console: log in, the queue, a ticket and its actions, knowledge-base proposals.

Every form carries the session's CSRF token; every action goes through the core, which checks
the operator's role (a refusal becomes 403 in `handlers.py`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.core.accounts import Accounts
from bot.core.desk import Desk, may_act, may_return, may_take, may_work, takes_tickets
from bot.core.errors import AuthenticationError, UnreadMessageError, WorseBaseError
from bot.core.records import Operator
from bot.core.roles import ROLE_LABELS, Permission, has_permission
from bot.core.suggestions import asked, suggest_answers
from bot.core.tickets import Via
from bot.web.deps import (
    OPERATOR_KEY,
    PASSWORD_KEY,
    AccountsDep,
    AttachmentId,
    CsrfDep,
    DeskDep,
    OperatorDep,
    ProposalId,
    ProposalsDep,
    ServicesDep,
    TicketNumber,
    TicketNumberQuery,
    client_address,
    csrf_token,
    staff_work,
)
from bot.web.errors import TooManyLoginAttemptsError
from bot.web.services import WebServices
from bot.web.templating import templates_of
from matcher import Entry

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[Depends(staff_work)])
FLASH_KEY = "flash"
FLASH_WARNING_KEY = "flash_warning"
REFRESH_HEADER = "X-Console-Refresh"
TextField = Annotated[str, Form(max_length=10_000)]


def _page(
    request: Request,
    template: str,
    operator: Operator | None,
    context: dict[str, object],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    # A page's own refresh (console.js) leaves the message for the page the operator opens.
    refreshing = request.headers.get(REFRESH_HEADER) == "1"
    flash = None if refreshing else request.session.pop(FLASH_KEY, None)
    flash_warning = bool(flash) and request.session.pop(FLASH_WARNING_KEY, False)
    return templates_of(request).TemplateResponse(
        request,
        template,
        {
            "operator": operator,
            "role_label": ROLE_LABELS[operator.role] if operator else "",
            "csrf_token": csrf_token(request),
            "flash": flash,
            "flash_warning": flash_warning,
            "now": datetime.now(tz=UTC),
            "can_decide": operator is not None
            and has_permission(operator.role, Permission.DECIDE_PROPOSALS),
            "can_view_analytics": operator is not None
            and has_permission(operator.role, Permission.VIEW_ANALYTICS),
            **context,
        },
        status_code=status_code,
    )


def _back(request: Request, path: str, message: str, *, warning: bool = False) -> RedirectResponse:
    # A warning (something to fix, nothing lost) shows in amber instead of green.
    request.session[FLASH_KEY] = message
    request.session[FLASH_WARNING_KEY] = warning
    return RedirectResponse(path, status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    """The log-in form."""
    return _page(request, "login.html", None, {"error": None})


@router.post("/login", response_model=None)
async def login(
    request: Request,
    _csrf: CsrfDep,
    accounts: AccountsDep,
    services: ServicesDep,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Check the password (argon2); a new session id and CSRF token on success. Too many
    wrong passwords for a login or from an address close the form for a while (429)."""
    guard, address = services.login_guard, client_address(request)
    try:
        attempt = await guard.admit(login, address)
    except TooManyLoginAttemptsError as error:
        page = _page(request, "login.html", None, {"error": str(error)}, status_code=429)
        page.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
        return page
    try:
        operator = await accounts.authenticate(login, password)
    except AuthenticationError as error:
        guard.failed(attempt)
        return _page(request, "login.html", None, {"error": str(error)}, status_code=401)
    await guard.succeeded(attempt)
    request.session.clear()
    request.session[OPERATOR_KEY] = operator.login
    request.session[PASSWORD_KEY] = (await accounts.with_stamp(operator.login))[1]
    csrf_token(request)
    return RedirectResponse("/console", status_code=303)


@router.post("/logout")
async def logout(request: Request, _csrf: CsrfDep) -> RedirectResponse:
    """Forget the operator."""
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)


@router.get("", response_class=HTMLResponse)
async def queue(request: Request, operator: OperatorDep, desk: DeskDep) -> HTMLResponse:
    """Tickets waiting to be taken, due first; overdue ones flagged; the operator's own
    tickets in work. "Взять следующее" only for roles that take tickets."""
    waiting = await desk.queue(operator)
    overdue = await desk.overdue(operator)
    takes = takes_tickets(operator.role)
    return _page(
        request,
        "queue.html",
        operator,
        {
            "tickets": waiting,
            "overdue": overdue,
            "takes_tickets": takes,
            "mine": await desk.assigned(operator) if takes else (),
        },
    )


@router.post("/take")
async def take(
    request: Request, _csrf: CsrfDep, operator: OperatorDep, desk: DeskDep
) -> RedirectResponse:
    """Take the ticket due first."""
    ticket = await desk.take_next(operator)
    if ticket is None:
        return _back(request, "/console", "Очередь пуста.")
    return _back(
        request, f"/console/tickets/{ticket.number}", f"Обращение № {ticket.number} у вас в работе."
    )


@router.post("/tickets/{number}/take")
async def take_ticket(
    request: Request, number: TicketNumber, _csrf: CsrfDep, operator: OperatorDep, desk: DeskDep
) -> RedirectResponse:
    """Take this ticket (not the one due first): "Взять в работу" on its page."""
    await desk.take(operator, number)
    return _back(request, f"/console/tickets/{number}", f"Обращение № {number} у вас в работе.")


@router.get("/find")
async def find(number: TicketNumberQuery, operator: OperatorDep) -> RedirectResponse:
    """Open a ticket by number."""
    del operator
    return RedirectResponse(f"/console/tickets/{number}", status_code=303)


EntryField = Annotated[str, Form(max_length=200)]
# The last message or history entry a ticket page showed (closing forms; None: not checked).
SeenField = Annotated[int | None, Form(ge=0)]


def _used_entry(services: WebServices, entry_id: str) -> Entry | None:
    """The entry whose answer goes into the reply, if it is (still) in the base."""
    return services.answerer.kb.get(entry_id)


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket(
    request: Request,
    number: TicketNumber,
    *,
    operator: OperatorDep,
    desk: DeskDep,
    accounts: AccountsDep,
    services: ServicesDep,
    kb: Annotated[str, Query(max_length=500)] = "",
    answer: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The ticket: conversation, contacts, attachments, history and the action forms.

    Answers from the knowledge base are suggested for the ticket's question, or for the
    words in `kb`; `answer` (an entry id) starts the reply with that entry's answer.
    """
    chosen = _used_entry(services, answer)
    return await _ticket_page(
        request,
        number,
        operator=operator,
        desk=desk,
        accounts=accounts,
        services=services,
        kb=kb,
        reply_text=chosen.answer if chosen else "",
        reply_entry=chosen.id if chosen else "",
    )


async def _ticket_page(
    request: Request,
    number: int,
    *,
    operator: Operator,
    desk: Desk,
    accounts: Accounts,
    services: WebServices,
    kb: str = "",
    reply_text: str = "",
    reply_entry: str = "",
    reject_text: str = "",
    warning: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The ticket page; `reply_text`, `reply_entry`: what the reply form starts with;
    `reject_text`: what the rejection's reason starts with; `warning`: a message in amber
    above it (an action refused, the draft kept)."""
    details = await desk.details(operator, number)
    names = {a.id: a.display_name for a in await accounts.all()}
    searched = " ".join(kb.split())
    suggestions = (
        await suggest_answers(services.answerer, searched or asked(details))
        if not details.ticket.status.is_final
        else ()
    )
    return _page(
        request,
        "ticket.html",
        operator,
        {
            "details": details,
            "names": names,
            "suggestions": suggestions,
            "searched": searched,
            "reply_text": reply_text,
            "reply_entry": reply_entry,
            "reject_text": reject_text,
            # What the operator has seen: closing refuses if the citizen wrote after it, or
            # attached a file after the last history entry shown.
            "seen_message_id": details.messages[-1].id if details.messages else 0,
            "seen_event_id": details.events[-1].id if details.events else 0,
            # The page refreshes from the ticket's own address, also when it is the answer
            # to a refused form (whose address only takes a POST).
            "refresh_url": f"/console/tickets/{number}",
            # Forms only for what the operator may do: the others would only answer 403/409.
            "can_work": may_work(operator.role, details.ticket.line),
            "can_take": may_take(operator, details.ticket),
            "can_act": may_act(operator, details.ticket),
            "can_return": may_return(operator, details.ticket),
            "can_propose": has_permission(operator.role, Permission.PROPOSE),
            **({"flash": warning, "flash_warning": True} if warning else {}),
        },
        status_code=status_code,
    )


@router.get("/tickets/{number}/attachments/{attachment_id}")
async def attachment(
    number: TicketNumber,
    attachment_id: AttachmentId,
    *,
    operator: OperatorDep,
    desk: DeskDep,
) -> Response:
    """A file the citizen attached: pictures open in the browser, anything else downloads.

    The type is the one recognised from the content when the file was accepted; the browser
    is told not to guess another (`nosniff`) and to run nothing in it (`sandbox`).
    """
    found, data = await desk.attachment_file(operator, number, attachment_id)
    shown = "inline" if found.content_type.startswith("image/") else "attachment"
    return Response(
        data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"{shown}; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/tickets/{number}/reply")
async def reply(
    request: Request,
    number: TicketNumber,
    *,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    services: ServicesDep,
    text: TextField,
    entry_id: EntryField = "",
) -> RedirectResponse:
    """Send the citizen a message (`entry_id`: the base's answer it was made from); a ticket
    nobody has taken is taken first, as in the operators' Telegram group."""
    used = _used_entry(services, entry_id)
    await desk.reply(
        operator,
        number,
        text,
        via=Via.CONSOLE,
        from_entry=used.id if used else None,
        take_waiting=True,
    )
    return _back(request, f"/console/tickets/{number}", "Ответ отправлен.")


@router.post("/tickets/{number}/ask")
async def ask_for_information(
    request: Request,
    number: TicketNumber,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    text: TextField,
) -> RedirectResponse:
    """Ask the citizen for more information."""
    await desk.ask_for_information(operator, number, text, via=Via.CONSOLE, take_waiting=True)
    return _back(request, f"/console/tickets/{number}", "Запрос сведений отправлен.")


@router.post("/tickets/{number}/escalate")
async def escalate(
    request: Request,
    number: TicketNumber,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    text: TextField,
) -> RedirectResponse:
    """Pass the ticket to the second line."""
    await desk.escalate(operator, number, text)
    return _back(request, "/console", f"Обращение № {number} передано специалистам.")


@router.post("/tickets/{number}/resolve")
async def resolve(
    request: Request,
    number: TicketNumber,
    *,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    services: ServicesDep,
    accounts: AccountsDep,
    text: Annotated[str, Form(max_length=10_000)] = "",
    entry_id: EntryField = "",
    seen_message_id: SeenField = None,
    seen_event_id: SeenField = None,
) -> Response:
    """Close the ticket as answered, with an optional last message. `seen_message_id`,
    `seen_event_id`: the last message and history entry on the operator's page; if the
    citizen wrote or attached a file since, nothing is closed or sent, and the page comes
    back (409) with what is new, the reason and the draft."""
    used = _used_entry(services, entry_id)
    try:
        await desk.resolve(
            operator,
            number,
            text if text.strip() else None,
            via=Via.CONSOLE,
            from_entry=used.id if used else None,
            take_waiting=True,
            seen_message_id=seen_message_id,
            seen_event_id=seen_event_id,
        )
    except UnreadMessageError as error:
        return await _ticket_page(
            request,
            number,
            operator=operator,
            desk=desk,
            accounts=accounts,
            services=services,
            reply_text=text,
            reply_entry=entry_id,
            warning=str(error),
            status_code=409,
        )
    return _back(request, f"/console/tickets/{number}", f"Обращение № {number} завершено.")


@router.post("/tickets/{number}/reject")
async def reject(
    request: Request,
    number: TicketNumber,
    *,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    services: ServicesDep,
    accounts: AccountsDep,
    text: TextField,
    seen_message_id: SeenField = None,
    seen_event_id: SeenField = None,
) -> Response:
    """Close the ticket without an answer, saying why. Refused as «Ответить и завершить»
    is (409, the reason kept) when the citizen wrote or attached a file since the page
    showed `seen_message_id`, `seen_event_id`. A ticket nobody has is taken first, as
    replying and resolving take it."""
    try:
        await desk.reject(
            operator,
            number,
            text,
            take_waiting=True,
            seen_message_id=seen_message_id,
            seen_event_id=seen_event_id,
        )
    except UnreadMessageError as error:
        return await _ticket_page(
            request,
            number,
            operator=operator,
            desk=desk,
            accounts=accounts,
            services=services,
            reject_text=text,
            warning=str(error),
            status_code=409,
        )
    return _back(request, f"/console/tickets/{number}", f"Обращение № {number} отклонено.")


@router.post("/tickets/{number}/reopen")
async def reopen(
    request: Request,
    number: TicketNumber,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    text: TextField,
) -> RedirectResponse:
    """Take a closed ticket back into work."""
    await desk.reopen(operator, number, text)
    return _back(request, f"/console/tickets/{number}", f"Обращение № {number} снова в работе.")


@router.post("/tickets/{number}/return")
async def return_to_queue(
    request: Request,
    number: TicketNumber,
    _csrf: CsrfDep,
    operator: OperatorDep,
    desk: DeskDep,
    text: TextField,
) -> RedirectResponse:
    """Take the ticket from the colleague who has it, for others to take (admins)."""
    await desk.return_to_queue(operator, number, text)
    return _back(
        request, f"/console/tickets/{number}", f"Обращение № {number} возвращено в очередь."
    )


@router.post("/tickets/{number}/propose")
async def propose(
    request: Request,
    *,
    number: TicketNumber,
    _csrf: CsrfDep,
    operator: OperatorDep,
    proposals: ProposalsDep,
    question: TextField,
    answer: TextField,
    alternatives: Annotated[str, Form(max_length=10_000)] = "",
) -> RedirectResponse:
    """Suggest a knowledge-base entry from a resolved ticket."""
    made = await proposals.propose(
        operator,
        number,
        question=question,
        answer=answer,
        alternatives=alternatives.splitlines(),
    )
    return _back(
        request, f"/console/tickets/{number}", f"Предложение № {made.id} отправлено кураторам."
    )


@router.get("/proposals", response_class=HTMLResponse)
async def proposals_page(
    request: Request, operator: OperatorDep, proposals: ProposalsDep, services: ServicesDep
) -> HTMLResponse:
    """Proposals waiting for a curator, and whether the base on disk is broken (then what
    they approve is not served until it is fixed)."""
    waiting = await proposals.pending(operator)
    kb_error = services.answerer.status.last_error
    return _page(request, "proposals.html", operator, {"proposals": waiting, "kb_error": kb_error})


@router.post("/proposals/{proposal_id}/approve")
async def approve(
    request: Request,
    proposal_id: ProposalId,
    _csrf: CsrfDep,
    operator: OperatorDep,
    proposals: ProposalsDep,
    force: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Write the entry into the knowledge base, once the base's check allows it."""
    try:
        decided = await proposals.approve(operator, proposal_id, force=force)
    except WorseBaseError as error:
        return _back(request, "/console/proposals", str(error), warning=True)
    return _back(
        request,
        "/console/proposals",
        f"Ответ на вопрос «{decided.question}» добавлен в базу знаний.",
    )


@router.post("/proposals/{proposal_id}/reject")
async def reject_proposal(
    request: Request,
    proposal_id: ProposalId,
    _csrf: CsrfDep,
    operator: OperatorDep,
    proposals: ProposalsDep,
    text: TextField,
) -> RedirectResponse:
    """Turn a proposal down."""
    await proposals.reject(operator, proposal_id, text)
    return _back(request, "/console/proposals", f"Предложение № {proposal_id} отклонено.")
