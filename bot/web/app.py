"""The app factory: `create_app(settings)` builds the FastAPI app; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.sessions import SessionMiddleware

from bot.core.settings import MEGABYTE
from bot.web.body_limit import BodyLimitMiddleware, LargerBodies
from bot.web.cors import RussianCORSMiddleware
from bot.web.handlers import install_handlers
from bot.web.routes import (
    analytics,
    ask,
    console,
    email_answer,
    health,
    linking,
    metrics,
    pages,
    ticket_additions,
    widget_config,
)
from bot.web.services import ServicesFactory, WebServices, build_services
from bot.web.settings import WebSettings
from bot.web.templating import build_templates

CONSOLE_COOKIE = "faqbot_console"


class Mount(Protocol):
    """Another channel served by this app (the Telegram webhook): its routes, and what it
    runs on the app's services while the app serves."""

    router: APIRouter

    def running(self, services: WebServices) -> AbstractAsyncContextManager[None]:
        """Start on the built services; stop when the block ends."""
        ...


TITLE = "faqbot"
DESCRIPTION = "Виртуальный консультант по электронным госуслугам."


def create_app(
    settings: WebSettings,
    services: ServicesFactory = build_services,
    *,
    mounts: Sequence[Mount] = (),
) -> FastAPI:
    """The web app; `services` builds the shared services in the lifespan (tests swap it)."""
    settings.check()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services(settings) as built, AsyncExitStack() as stack:
            app.state.services = built
            for mount in mounts:
                await stack.enter_async_context(mount.running(built))
            yield

    if settings.is_development:
        # The API documented at /api/docs, Swagger UI served by the app itself (fastapi-offline)
        # rather than from a CDN, so that the page works on a machine offline.
        app = FastAPIOffline(
            docs_url="/api/docs",
            redoc_url=None,
            openapi_url="/api/openapi.json",
            static_url="/api/docs/assets",
            lifespan=lifespan,
            title=TITLE,
            description=DESCRIPTION,
        )
    else:
        app = FastAPI(
            docs_url=None,
            redoc_url=None,
            openapi_url=None,
            lifespan=lifespan,
            title=TITLE,
            description=DESCRIPTION,
        )
    app.state.templates = build_templates(
        settings.core.working_hours.timezone, refresh_seconds=settings.console_refresh_seconds
    )
    app.state.settings = settings
    install_handlers(app)
    for module in (
        ask,
        ticket_additions,
        email_answer,
        widget_config,
        linking,
        health,
        metrics,
        pages,
        console,
        analytics,
    ):
        app.include_router(module.router)
    for mount in mounts:
        app.include_router(mount.router)
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
        RussianCORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Last-Event-ID"],
        allow_credentials=False,
        max_age=600,
    )
    files = settings.core.attachments.max_bytes
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger=[
            LargerBodies(
                ticket_additions.UPLOAD_PATH,
                # The form's other field and the multipart framing fit in the usual limit.
                files + settings.max_body_bytes,
                f"Файл слишком большой: можно не больше {files // MEGABYTE} МБ.",
            )
        ],
    )
    return app


def end_live_streams(app: FastAPI) -> None:
    """End the app's open live streams now, at the start of the server's shutdown: the
    browsers reconnect to the server that comes next (until 2026-12-05 an open chat held the
    shutdown for its whole grace period and was then cancelled, a CancelledError logged)."""
    services: WebServices | None = getattr(app.state, "services", None)
    if services is not None:
        services.hub.close()
