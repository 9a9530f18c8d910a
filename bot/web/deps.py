"""Typed dependency aliases: how route functions get the services, the session and the operator.

Dependencies are `async def` even when they never await: FastAPI runs a plain `def`
dependency in a worker thread, and that hand-off costs more than everything these do.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from bot.core.accounts import Accounts
from bot.core.citizen_tickets import CitizenTickets
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.errors import AccountNotFoundError
from bot.core.identity import Identity
from bot.core.priority import as_staff
from bot.core.proposals import Proposals
from bot.core.records import Operator
from bot.web.errors import CsrfError, LoginRequiredError, RateLimitedError, SessionError
from bot.web.live import WEB_CHANNEL
from bot.web.schemas import MAX_RECORD_ID
from bot.web.services import WebServices

SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SESSION_BYTES = 24
CSRF_FIELD = "csrf_token"
CSRF_KEY = "csrf"
OPERATOR_KEY = "operator_login"
PASSWORD_KEY = "password_stamp"  # the password the session was opened with (`password_stamp`)


async def get_services(request: Request) -> WebServices:
    """The services the lifespan built for this app."""
    services: WebServices = request.app.state.services
    return services


ServicesDep = Annotated[WebServices, Depends(get_services)]
TicketNumber = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="the ticket number")]
ProposalId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="the proposal's number")]
# The same number typed into a form (`?number=`): a `Path` one would never be found there.
TicketNumberQuery = Annotated[int, Query(ge=1, le=MAX_RECORD_ID, description="the ticket number")]
AttachmentId = Annotated[
    int, Path(ge=1, le=MAX_RECORD_ID, description="an attached file's id in the ticket")
]


async def get_conversations(services: ServicesDep) -> ConversationService:
    """The conversation service."""
    return services.conversations


async def get_desk(services: ServicesDep) -> Desk:
    """The operators' desk."""
    return services.desk


async def get_citizens(services: ServicesDep) -> CitizenTickets:
    """Citizens' own tickets."""
    return services.citizens


async def get_accounts(services: ServicesDep) -> Accounts:
    """Operator accounts."""
    return services.accounts


async def get_proposals(services: ServicesDep) -> Proposals:
    """Knowledge-base proposals."""
    return services.proposals


ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
DeskDep = Annotated[Desk, Depends(get_desk)]
CitizensDep = Annotated[CitizenTickets, Depends(get_citizens)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
ProposalsDep = Annotated[Proposals, Depends(get_proposals)]


def new_session_id() -> str:
    """A random, unguessable widget session id."""
    return secrets.token_urlsafe(SESSION_BYTES)


def checked_session_id(value: str | None) -> str:
    """The given session id if well-formed, a fresh one when absent, else `SessionError`."""
    if value is None or value == "":
        return new_session_id()
    if not SESSION_PATTERN.match(value):
        raise SessionError(
            "Неверный идентификатор сессии: ожидается строка из 16-64 латинских букв, цифр, "
            "«-» или «_». Не передавайте session_id, и сервер выдаст новый."
        )
    return value


def web_identity(session_id: str) -> Identity:
    """The citizen behind a widget session."""
    return Identity(WEB_CHANNEL, session_id)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (set `--proxy-headers` behind a proxy)."""
    return request.client.host if request.client else "unknown"


async def limit_by_address(request: Request, services: ServicesDep) -> None:
    """Per-address rate limit of the public API."""
    wait = services.ip_limiter.take(client_address(request))
    if wait > 0:
        raise RateLimitedError(wait)


def limit_session(services: WebServices, session_id: str) -> None:
    """Per-session rate limit, called once the session id is known."""
    wait = services.session_limiter.take(session_id)
    if wait > 0:
        raise RateLimitedError(wait)


async def session_query(services: ServicesDep, session_id: str) -> str:
    """A session id passed in the query string (GET endpoints and the event stream)."""
    checked = checked_session_id(session_id)
    limit_session(services, checked)
    return checked


SessionQueryDep = Annotated[str, Depends(session_query)]


def csrf_token(request: Request) -> str:
    """The console session's CSRF token, created on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a console form whose token does not match the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise CsrfError()
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError()


CsrfDep = Annotated[None, Depends(check_csrf)]


async def staff_work() -> None:
    """Console requests are staff work: their transactions go ahead of citizens' when the
    database is busy, so operators can work through a rush (`bot.core.priority`)."""
    as_staff()


async def current_operator(request: Request, accounts: AccountsDep) -> Operator:
    """The logged-in operator, re-read so that a disabled account, or one whose password
    has changed since the session was opened, is logged out at once."""
    login = request.session.get(OPERATOR_KEY)
    if not isinstance(login, str):
        raise LoginRequiredError()
    try:
        operator, stamp = await accounts.with_stamp(login)
    except AccountNotFoundError:
        request.session.pop(OPERATOR_KEY, None)
        raise LoginRequiredError() from None
    if not operator.active or request.session.get(PASSWORD_KEY) != stamp:
        request.session.pop(OPERATOR_KEY, None)
        raise LoginRequiredError()
    return operator


OperatorDep = Annotated[Operator, Depends(current_operator)]
