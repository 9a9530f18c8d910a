"""`/metrics`: Prometheus text format from the app's own registry."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import DatabaseUnavailableError
from bot.web.deps import ServicesDep

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    """Counters and the latency histogram; queue gauges are read from the database now.

    A database out of reach does not take the counters with it (the scrape was a 503, so
    the questions refused meanwhile went uncounted): `faqbot_database_up` says it."""
    found = services.metrics
    try:
        figures = await services.queue_stats.figures()
    except (DatabaseUnavailableError, SQLAlchemyError, OSError) as error:
        log.warning("GET /metrics: база данных недоступна: %r", error)
        found.database_up.set(0)
        found.queue_length.set(math.nan)
        found.overdue.set(math.nan)
    else:
        found.database_up.set(1)
        found.queue_length.set(figures.waiting)
        found.overdue.set(figures.overdue)
    return Response(generate_latest(found.registry), media_type=CONTENT_TYPE_LATEST)
