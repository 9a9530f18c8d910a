"""The app factory: `create_app(settings)` builds the FastAPI app; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware

from bot.web.body_limit import BodyLimitMiddleware
from bot.web.handlers import install_handlers
from bot.web.routes import analytics, ask, console, health, metrics, pages
from bot.web.services import ServicesFactory, build_services
from bot.web.settings import WebSettings
from bot.web.templating import build_templates

CONSOLE_COOKIE = "faqbot_console"


def create_app(settings: WebSettings, services: ServicesFactory = build_services) -> FastAPI:
    """The web app; `services` builds the shared services in the lifespan (tests swap it)."""
    settings.check()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services(settings) as built:
            app.state.services = built
            yield

    app = FastAPI(
        title="faqbot",
        description="Виртуальный консультант по электронным госуслугам.",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.is_development else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if settings.is_development else None,
    )
    app.state.templates = build_templates()
    app.state.settings = settings
    install_handlers(app)
    for module in (ask, health, metrics, pages, console, analytics):
        app.include_router(module.router)
    # Added last = outermost: sizes are checked before anything reads the body.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=CONSOLE_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Last-Event-ID"],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
