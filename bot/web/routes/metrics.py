"""`/metrics`: Prometheus text format from the app's own registry."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.web.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    """Counters and the latency histogram; queue gauges are read from the database now."""
    figures = await services.queue_stats.figures()
    services.metrics.queue_length.set(figures.waiting)
    services.metrics.overdue.set(figures.overdue)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
