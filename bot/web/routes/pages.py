"""The demo site with the widget embedded, and the widget script itself."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from bot.web.templating import templates_of

router = APIRouter(tags=["pages"])
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo(request: Request) -> HTMLResponse:
    """A plain page about public e-services with the widget embedded by one script tag."""
    return templates_of(request).TemplateResponse(request, "demo.html", {})


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    """The widget: `<script src=".../widget.js" defer></script>` embeds it in any site."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/console.js", include_in_schema=False)
async def console_js() -> FileResponse:
    """The operator console's few scripts (every page works without them)."""
    return FileResponse(STATIC_DIR / "console.js", media_type="text/javascript; charset=utf-8")


@router.get("/console.css", include_in_schema=False)
async def console_css() -> FileResponse:
    """The operator console's stylesheet."""
    return FileResponse(STATIC_DIR / "console.css", media_type="text/css; charset=utf-8")
