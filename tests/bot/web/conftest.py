"""Fixtures of the web tests: the real app on a real SQLite file and a copy of the real base."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bot.core.accounts import Accounts
from bot.core.roles import Role
from bot.storage.database import open_database
from bot.web.app import create_app
from bot.web.services import WebServices, build_services
from bot.web.settings import RateLimit, WebSettings
from matcher import Morphology
from tests.bot.core.conftest import PASSWORD, fast_passwords
from tests.conftest import PROJECT_KB, fresh_sqlite
from tests.support.ports import free_port
from tests.support.readiness import ready

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SECRET = "test-secret-" + "x" * 40
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
GENEROUS = RateLimit(burst=1000, per_second=1000.0)

# How long a browser test's `expect(...)` waits for what the citizen should see: Playwright's
# 5 s is short when two test processes share two cores with their servers and browsers.
EXPECT_TIMEOUT_MS = 15_000
# How long the in-thread test server may take to start and have its meaning stage ready
# (`live_server`): on a cold vector cache our base's phrasings take 90 s or more to embed.
STARTUP_SECONDS = 300.0


def pytest_configure(config: pytest.Config) -> None:
    """Browser assertions wait `EXPECT_TIMEOUT_MS` (when Playwright is installed)."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        return
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture
def anyio_backend() -> str:
    """The web app runs on asyncio."""
    return "asyncio"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A copy of the project's knowledge base (approved proposals are written into it)."""
    target = tmp_path / "kb"
    shutil.copytree(PROJECT_KB, target)
    return target


@pytest.fixture
def web_settings(tmp_path: Path, kb_dir: Path, sqlite_template: Path) -> WebSettings:
    """Settings for a test server: a fresh SQLite file, generous rate limits, plain cookies."""
    return WebSettings(
        kb_dir=kb_dir,
        secret_key=SECRET,
        database_url=fresh_sqlite(sqlite_template, tmp_path / "web.sqlite3"),
        environment="test",
        secure_cookies=False,
        ip_rate=GENEROUS,
        session_rate=GENEROUS,
        sse_heartbeat_seconds=0.5,
    )


def make_app(settings: WebSettings, morphology: Morphology) -> FastAPI:
    """The real app, with cheap password hashing and the session's dictionary."""
    factory = partial(build_services, passwords=fast_passwords(), morphology=morphology)
    return create_app(settings, factory)


@dataclass
class Web:
    """A running app and a client talking to it through ASGI."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def services(self) -> WebServices:
        """The services the lifespan built."""
        services: WebServices = self.app.state.services
        return services

    async def operator(self, login: str, role: Role = Role.OPERATOR) -> None:
        """Create an account with the shared test password."""
        await self.services.accounts.create(login, PASSWORD, role=role)


@asynccontextmanager
async def serving(settings: WebSettings, morphology: Morphology) -> AsyncIterator[Web]:
    """The app (one `serve` process's) with its lifespan running, and an ASGI client."""
    app = make_app(settings, morphology)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Web(app=app, client=client)


@pytest.fixture
async def web(
    web_settings: WebSettings, morphology: Morphology, anyio_backend: str
) -> AsyncIterator[Web]:
    """The app with its lifespan running, and an ASGI client."""
    async with serving(web_settings, morphology) as running:
        yield running


@pytest.fixture
def settings_on(web_settings: WebSettings, database_url: str) -> WebSettings:
    """The web settings on a fresh database of the test's backend (SQLite, PostgreSQL)."""
    return replace(web_settings, database_url=database_url)


def csrf_of(page: str) -> str:
    """The CSRF token of a console page."""
    found = CSRF_FIELD.search(page)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, login: str, password: str = PASSWORD) -> httpx.Response:
    """Submit the log-in form as a browser would."""
    page = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(page.text)},
    )


@dataclass(frozen=True)
class LiveServer:
    """The app served by uvicorn on loopback."""

    url: str


async def _create_accounts(settings: WebSettings, accounts: dict[str, Role]) -> None:
    db = await open_database(settings.database_url)
    try:
        for login, role in accounts.items():
            await Accounts(db, passwords=fast_passwords()).create(login, PASSWORD, role=role)
    finally:
        await db.close()


@pytest.fixture
def live_server(web_settings: WebSettings, morphology: Morphology) -> Iterator[LiveServer]:
    """uvicorn in a thread serving the real app, with an operator account `anna`."""
    asyncio.run(_create_accounts(web_settings, {"anna": Role.OPERATOR}))
    port = free_port()
    config = uvicorn.Config(
        make_app(web_settings, morphology),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    # Building the app embeds the base's entries (seconds each on a cold cache); a server
    # that is not up by the limit fails here, not later as a refused connection.
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the test server did not start")
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"the test server did not start within {STARTUP_SECONDS:g} s")
        threading.Event().wait(0.05)
    url = f"http://127.0.0.1:{port}"
    # It answers as it will go on answering once the meaning stage has the phrasings: on a
    # cold cache they are embedded in the background after the server starts.
    while not ready(httpx.get(url + "/healthz", timeout=5, trust_env=False)):
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"the test server's meaning stage not ready within {STARTUP_SECONDS:g} s")
        threading.Event().wait(0.2)
    yield LiveServer(url=url)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """Chromium, started after the server (whose set-up runs an event loop of its own)."""
    from playwright.sync_api import sync_playwright

    from tests.bot.web.test_widget_browser import ARGS, ARTIFACTS, _chromium

    executable = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Servers the test started: killed at the end if still running."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
