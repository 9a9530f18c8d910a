"""“Отправить ответ на e-mail”: queue a knowledge-base answer given in the session."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from bot.core.email_address import checked_address
from bot.web.deps import (
    ServicesDep,
    checked_session_id,
    client_address,
    limit_by_address,
    limit_session,
    web_identity,
)
from bot.web.errors import EmailDisabledError, RateLimitedError
from bot.web.schemas import EmailRequest, EmailResponse

router = APIRouter(prefix="/api/v1", tags=["citizens"], dependencies=[Depends(limit_by_address)])


@router.post("/email", response_model=EmailResponse, status_code=202)
async def email_answer(
    body: EmailRequest, request: Request, services: ServicesDep
) -> EmailResponse:
    """Queue the entry's answer from the knowledge base for the given address.

    The letter holds only the entry's own text, and only an entry this session was
    answered with: the route cannot carry a client's words to a stranger.
    """
    if not services.email_enabled:
        raise EmailDisabledError()
    session_id = checked_session_id(body.session_id)
    limit_session(services, session_id)
    # A mistyped address is refused before the e-mail limits spend anything.
    checked_address(body.email)
    for limiter, key in (
        (services.email_session_limiter, session_id),
        (services.email_ip_limiter, client_address(request)),
    ):
        wait = limiter.take(key)
        if wait > 0:
            raise RateLimitedError(wait)
    queued = await services.letters.request(web_identity(session_id), body.entry_id, body.email)
    return EmailResponse(
        status="queued",
        message=(
            f"Отправляем ответ на {queued.shown_address}. Письмо обычно приходит за несколько "
            "минут; если его нет, загляните в папку «Спам»."
        ),
        address=queued.shown_address,
        session_id=session_id,
    )
