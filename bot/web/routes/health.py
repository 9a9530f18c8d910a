"""`/healthz`: 200 while the service can answer, 503 with the reason when it cannot."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.core.clock import system_clock
from bot.core.errors import DatabaseUnavailableError
from bot.web.deps import ServicesDep

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    """Checks the database with the read every answer makes and a write that changes
    nothing; reports the base in use, and whether its meaning stage is ready yet."""
    status = services.answerer.status
    telegram = services.telegram.status.as_json()  # the web answers whatever its state
    base = {
        "entries": status.entries,
        "loaded_at": status.loaded_at.isoformat(),
        "last_error": status.last_error,
        # False while the entries' vectors are built: unsure questions go by the words alone.
        "meaning_ready": services.answerer.meaning_ready,
        # False while the phrasings' vectors are built after them (a first start): the stage
        # then asks each entry's passage alone, and never answers by itself.
        "phrasings_ready": services.answerer.phrasings_ready,
        # Why building them last failed, while it is tried again; null when it has not.
        "meaning_error": services.answerer.meaning_error,
    }
    try:
        await services.maintenance.current()
        await services.db.probe(system_clock())  # questions are written, not only read
    except (DatabaseUnavailableError, SQLAlchemyError, OSError) as error:
        log.warning("Проверка состояния (/healthz): база данных недоступна: %r", error)
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": f"база данных недоступна: {type(error).__name__}",
                "telegram": telegram,
            },
            status_code=503,
        )
    if status.entries == 0:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "база знаний пуста: ответить не на что",
                "telegram": telegram,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "knowledge_base": base, "telegram": telegram})
