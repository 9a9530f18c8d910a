"""`GET /api/v1/config`: what the widget may offer on this server (the e-mail button, the
files a ticket takes)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.web.deps import ServicesDep, limit_by_address
from bot.web.schemas import WidgetConfig

router = APIRouter(prefix="/api/v1", tags=["citizens"], dependencies=[Depends(limit_by_address)])


@router.get("/config", response_model=WidgetConfig)
async def widget_config(services: ServicesDep) -> WidgetConfig:
    """The widget's switches; it hides the e-mail button when `email` is false."""
    files = services.settings.core.attachments
    return WidgetConfig(
        email=services.email_enabled,
        max_question_length=services.settings.max_question_length,
        attachment_max_bytes=files.max_bytes,
        attachment_types=sorted(files.allowed_types),
    )
