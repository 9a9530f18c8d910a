"""Linking a widget session with the citizen's Telegram chat, and the tickets of both."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from bot.core.linking import ChannelLinking
from bot.web.deps import (
    CitizensDep,
    ServicesDep,
    SessionQueryDep,
    checked_session_id,
    client_address,
    limit_by_address,
    limit_session,
    web_identity,
)
from bot.web.link_schemas import (
    LinkCodeRequest,
    LinkCodeResponse,
    LinkRequest,
    LinkResponse,
    TicketListResponse,
    TicketSummaryOut,
    UnlinkRequest,
)
from bot.web.services import WebServices

MAX_LISTED_TICKETS = 50
CODE_TEXT = (
    "Код для связи: {code}. Отправьте Telegram-боту команду /link {code} в течение "
    "{minutes} минут. Код одноразовый, никому его не сообщайте."
)

router = APIRouter(prefix="/api/v1", tags=["citizens"], dependencies=[Depends(limit_by_address)])


async def get_linking(services: ServicesDep) -> ChannelLinking:
    """The linking service (stateless: everything it keeps is in the database)."""
    return ChannelLinking(services.db, settings=services.settings.core.linking)


LinkingDep = Annotated[ChannelLinking, Depends(get_linking)]


def _session(services: WebServices, given: str | None) -> str:
    session_id = checked_session_id(given)
    limit_session(services, session_id)
    return session_id


@router.post("/link/code", response_model=LinkCodeResponse)
async def link_code(
    body: LinkCodeRequest, services: ServicesDep, linking: LinkingDep
) -> LinkCodeResponse:
    """A one-time code for this session; `/link CODE` in the Telegram bot links the two."""
    session_id = _session(services, body.session_id)
    issued = await linking.issue(web_identity(session_id))
    return LinkCodeResponse(
        code=issued.code,
        expires_at=issued.expires_at.isoformat(),
        valid_minutes=linking.valid_minutes,
        text=CODE_TEXT.format(code=issued.code, minutes=linking.valid_minutes),
        session_id=session_id,
    )


@router.post("/link", response_model=LinkResponse)
async def link(
    request: Request, body: LinkRequest, services: ServicesDep, linking: LinkingDep
) -> LinkResponse:
    """Use a code the Telegram bot showed: this session and that chat become one citizen's."""
    session_id = _session(services, body.session_id)
    text = await linking.redeem(web_identity(session_id), body.code, source=client_address(request))
    return LinkResponse(text=text, session_id=session_id)


@router.post("/link/unlink", response_model=LinkResponse)
async def unlink(body: UnlinkRequest, services: ServicesDep, linking: LinkingDep) -> LinkResponse:
    """This session stops sharing tickets with the channels linked to it."""
    session_id = _session(services, body.session_id)
    text = await linking.unlink(web_identity(session_id))
    return LinkResponse(text=text, session_id=session_id)


@router.get("/tickets", response_model=TicketListResponse)
async def tickets(session_id: SessionQueryDep, citizens: CitizensDep) -> TicketListResponse:
    """The session's tickets and those of every channel linked to it, newest first."""
    found = list(await citizens.list(web_identity(session_id)))[:MAX_LISTED_TICKETS]
    return TicketListResponse(
        session_id=session_id,
        tickets=[
            TicketSummaryOut(
                number=t.number,
                status=t.status.value,
                status_label=t.status_label,
                channel=t.channel,
                created_at=t.created_at.isoformat(),
                open=not t.status.is_final,
            )
            for t in found
        ],
    )
