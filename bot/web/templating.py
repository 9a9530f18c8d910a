"""The Jinja2 templates of the console and the demo page (autoescaped)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from bot.core.labels import (
    channel_label,
    event_label,
    event_note,
    file_kind,
    file_size,
    line_label,
    reason_label,
)
from bot.core.settings import default_working_hours
from bot.core.staff_time import staff_time

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def build_templates(zone: str | None = None, *, refresh_seconds: float = 15.0) -> Jinja2Templates:
    """The template set; built once by the app factory.

    Times are shown in `zone`, the working hours' time zone (Moscow by default), and internal
    names (ticket events, channels) in Russian, through `bot.core.labels`. Open queue and
    ticket pages refresh their changing parts every `refresh_seconds` (`console.js`).
    """
    shown_zone = zone or default_working_hours().timezone

    def local_time(moment: datetime) -> str:
        return staff_time(moment, shown_zone)

    templates = Jinja2Templates(directory=TEMPLATE_DIR)
    templates.env.filters.update(
        staff_time=local_time,
        event_label=event_label,
        event_note=event_note,
        reason_label=reason_label,
        channel_label=channel_label,
        file_kind=file_kind,
        file_size=file_size,
        line_label=line_label,
    )
    templates.env.globals["refresh_ms"] = round(refresh_seconds * 1000)
    return templates


def templates_of(request: Request) -> Jinja2Templates:
    """The app's template set."""
    templates: Jinja2Templates = request.app.state.templates
    return templates
