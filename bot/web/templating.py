"""The Jinja2 templates of the console and the demo page (autoescaped)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def build_templates() -> Jinja2Templates:
    """The template set; built once by the app factory."""
    return Jinja2Templates(directory=TEMPLATE_DIR)


def templates_of(request: Request) -> Jinja2Templates:
    """The app's template set."""
    templates: Jinja2Templates = request.app.state.templates
    return templates
