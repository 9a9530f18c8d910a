"""Who may see and do what: citizens see only their own tickets and history; every console
route (found in the app itself, so new ones are covered) wants a login, the right role and the
form's CSRF token; the rate limit stops one flooding client without hurting another."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from bot.core.attachments import Upload
from bot.core.roles import Role
from bot.web.deps import web_identity
from bot.web.settings import RateLimit, WebSettings
from matcher import Morphology
from tests.bot.web.conftest import GENEROUS, Web, csrf_of, log_in, make_app

pytestmark = pytest.mark.anyio

UNKNOWN = "сломался карбюратор у трактора"
LOGIN_PATH = "/console/login"
PUBLIC = {("GET", LOGIN_PATH), ("POST", LOGIN_PATH), ("POST", "/console/logout")}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@dataclass(frozen=True)
class ConsoleRoute:
    """One console route with its path parameters filled with 1 and a form that fits it."""

    method: str
    path: str
    form: dict[str, str]

    @property
    def public(self) -> bool:
        """Anyone may use it: the log-in form, and logging out."""
        return (self.method, self.path) in PUBLIC


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every API route of the app, included routers flattened."""
    for route in app.routes:
        # Newer FastAPI keeps an included router as one route that lists its own.
        contexts: Any = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    yield str(context.path), context.original_route
        elif isinstance(route, APIRoute):
            yield route.path, route


def _form_for(route: APIRoute) -> dict[str, str]:
    """A value for every form field of the route: "1" fits numbers, texts and lists of ids."""
    return {field.alias: "1" for field in route.dependant.body_params}


def console_routes(app: FastAPI) -> list[ConsoleRoute]:
    """Every console route of the app, so that a route added later is checked too."""
    found = []
    for template, route in _api_routes(app):
        if template == "/console" or template.startswith("/console/"):
            path = re.sub(r"\{[^}]+\}", "1", template)
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                found.append(ConsoleRoute(method, path, _form_for(route)))
    assert len(found) >= 15, "the console routes were not found"
    return found


async def _hand_off(web: Web) -> str:
    """A citizen's question that became ticket 1; returns their session id."""
    body = (await web.client.post("/api/v1/ask", json={"question": UNKNOWN})).json()
    assert body["ticket_number"] is not None
    return str(body["session_id"])


async def test_a_citizen_cannot_read_anothers_tickets_by_guessing_numbers(web: Web) -> None:
    owners = [await _hand_off(web) for _ in range(3)]
    stranger = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    refusals = set()
    for number in range(1, 6):  # 0 is never a ticket number: refused as invalid (422)
        response = await web.client.get(
            f"/api/v1/tickets/{number}", params={"session_id": stranger["session_id"]}
        )
        assert response.status_code == 404
        # The same words for someone else's ticket and a missing one: no way to tell them apart.
        refusals.add(response.json()["detail"].replace(str(number), "N"))
    assert len(refusals) == 1
    own = await web.client.get("/api/v1/tickets/2", params={"session_id": owners[1]})
    assert own.status_code == 200 and own.json()["number"] == 2


async def test_a_citizen_cannot_read_anothers_history(web: Web) -> None:
    owner = await _hand_off(web)
    stranger = (await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
    # One character off the owner's id (a random URL-safe one: it may end in "x" itself).
    near = owner[:-1] + ("y" if owner.endswith("x") else "x")
    for session_id in (stranger["session_id"], "A" * 32, near):
        history = await web.client.get("/api/v1/history", params={"session_id": session_id})
        assert history.status_code == 200
        assert UNKNOWN not in history.text
    own = await web.client.get("/api/v1/history", params={"session_id": owner})
    assert UNKNOWN in own.text


async def test_every_console_route_wants_a_login(web: Web) -> None:
    await _hand_off(web)
    # A valid CSRF token of a session nobody logged into: only the login check can refuse.
    token = csrf_of((await web.client.get(LOGIN_PATH)).text)
    for route in console_routes(web.app):
        if route.public:
            continue
        if route.method == "GET":
            response = await web.client.get(route.path, params={"number": 1})
        else:
            response = await web.client.post(route.path, data={**route.form, "csrf_token": token})
        assert response.status_code in {303, 401, 403}, (route, response.status_code)
        if response.status_code == 303:
            assert response.headers["location"] == LOGIN_PATH, route
    # Nothing happened: the ticket still waits in the queue.
    assert [t.number for t in await web.services.desk.queue(None)] == [1]


EVERY_ROLE = frozenset(Role)
ANALYTICS = frozenset({Role.ANALYST, Role.CURATOR, Role.ADMIN})  # Permission.VIEW_ANALYTICS
CURATORS = frozenset({Role.CURATOR, Role.ADMIN})  # Permission.DECIDE_PROPOSALS
ANSWERERS = frozenset({Role.OPERATOR, Role.SPECIALIST, Role.ADMIN})  # VIEW_PERSONAL_DATA


@dataclass(frozen=True)
class PageAccess:
    """Who may open a console page: the address opened for its route (parameters filled with
    things that exist), the roles, and the status they get; every other role gets 403."""

    address: str
    roles: frozenset[Role]
    status: int = 200


# Every console GET route, as `console_routes` names it: a new route fails the matrix until
# it is declared here. Every staff role has Permission.VIEW_QUEUE.
GET_ACCESS: dict[str, PageAccess] = {
    LOGIN_PATH: PageAccess(LOGIN_PATH, EVERY_ROLE),  # public
    "/console": PageAccess("/console", EVERY_ROLE),  # VIEW_QUEUE
    # No check of its own: it only sends to the ticket's page, which checks VIEW_QUEUE.
    "/console/find": PageAccess("/console/find?number=1", EVERY_ROLE, status=303),
    "/console/tickets/1": PageAccess("/console/tickets/1", EVERY_ROLE),  # VIEW_QUEUE
    # VIEW_PERSONAL_DATA: a citizen's files (a passport scan, often) are for those who answer
    # citizens; the others see on the ticket's page that a file is there, not its name.
    "/console/tickets/1/attachments/1": PageAccess("/console/tickets/1/attachments/1", ANSWERERS),
    # Pending proposals are read by every role, on purpose: operators and specialists PROPOSE
    # and should see what is proposed already; curators decide; the analyst reads queues and
    # this is one. Proposals are made of tickets all of them may read (VIEW_QUEUE); the
    # approve and reject forms show for deciders only, and their POSTs refuse the rest.
    "/console/proposals": PageAccess("/console/proposals", EVERY_ROLE),
    "/console/inbox": PageAccess("/console/inbox", CURATORS),  # DECIDE_PROPOSALS
    # Every question of one group of the inbox (the handed-off question is record 1).
    "/console/inbox/group/1": PageAccess("/console/inbox/group/1", CURATORS),
    "/console/report": PageAccess("/console/report", ANALYTICS),  # VIEW_ANALYTICS
    "/console/report/1.csv": PageAccess("/console/report/days.csv", ANALYTICS),
}
MENU = ("/console", "/console/proposals", "/console/inbox", "/console/report")


async def test_each_role_opens_exactly_the_console_pages_it_is_allowed(web: Web) -> None:
    session = await _hand_off(web)
    await web.services.citizens.attach(web_identity(session), 1, Upload("скрин.png", PNG))
    routes = {route.path for route in console_routes(web.app) if route.method == "GET"}
    assert routes == set(GET_ACCESS), "declare in GET_ACCESS who may open the new page"
    wrong = []
    for role in Role:
        await web.operator(role.value, role)
        await log_in(web.client, role.value)
        for path, access in GET_ACCESS.items():
            response = await web.client.get(access.address)
            allowed = role in access.roles
            got = (response.status_code, allowed or "не может" in response.text)
            if got != (access.status if allowed else 403, True):
                wrong.append((role.value, path, response.status_code))
    assert not wrong, wrong


async def test_the_console_menu_offers_each_role_only_the_pages_it_may_open(web: Web) -> None:
    for role in Role:
        await web.operator(role.value, role)
        await log_in(web.client, role.value)
        page = (await web.client.get("/console")).text
        menu = re.search(r"<nav>(.*?)</nav>", page, re.S)
        assert menu is not None, role
        offered = set(re.findall(r'<a href="([^"]+)"', menu.group(1)))
        assert offered == {path for path in MENU if role in GET_ACCESS[path].roles}, role


async def test_an_analyst_can_change_nothing_in_the_console(web: Web) -> None:
    session = await _hand_off(web)
    await web.operator("anna")
    await web.operator("ivan", Role.ANALYST)
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console")).text)
    await web.client.post("/console/take", data={"csrf_token": token})
    await web.client.post("/console/logout", data={"csrf_token": token})
    await log_in(web.client, "ivan")
    token = csrf_of((await web.client.get("/console")).text)
    for route in console_routes(web.app):
        if route.method != "POST" or route.public:
            continue
        response = await web.client.post(route.path, data={**route.form, "csrf_token": token})
        assert response.status_code == 403, (route, response.status_code)
        assert "не может" in response.text, route
    history = (await web.client.get("/api/v1/history", params={"session_id": session})).json()
    authors = [m["author"] for m in history["messages"]]
    assert "operator" not in authors, "the analyst's reply reached the citizen"
    details = await web.services.desk.details(await web.services.accounts.get("anna"), 1)
    assert details.ticket.status_label == "В работе"


async def test_an_operator_cannot_decide_proposals(web: Web) -> None:
    await web.operator("anna")
    await log_in(web.client, "anna")
    token = csrf_of((await web.client.get("/console/proposals")).text)
    for action in ("approve", "reject"):
        response = await web.client.post(
            f"/console/proposals/1/{action}", data={"csrf_token": token, "text": "Нет"}
        )
        assert response.status_code == 403, action
        assert "не может" in response.text


async def test_every_console_form_wants_the_sessions_csrf_token(web: Web) -> None:
    await _hand_off(web)
    await web.operator("root", Role.ADMIN)
    # A real token, but of another browser's session.
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=web.app), base_url="http://test")
    async with other:
        foreign = csrf_of((await other.get(LOGIN_PATH)).text)
    await log_in(web.client, "root")
    own = csrf_of((await web.client.get("/console")).text)
    for route in console_routes(web.app):
        if route.method != "POST":
            continue
        for token in (None, "", "forged", foreign, own + "x"):
            data = route.form if token is None else {**route.form, "csrf_token": token}
            response = await web.client.post(route.path, data=data)
            assert response.status_code == 403, (route, token, response.status_code)
            assert "Форма устарела" in response.text
    # Still logged in, and nothing was done: the ticket waits, untaken.
    assert (await web.client.get("/console")).status_code == 200
    assert [t.number for t in await web.services.desk.queue(None)] == [1]


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize("flood_one_session", [False, True], ids=["by-address", "by-session"])
async def test_a_flooding_client_is_throttled_without_hurting_another(
    web_settings: WebSettings, morphology: Morphology, flood_one_session: bool
) -> None:
    tight = RateLimit(burst=5, per_second=0.01)
    settings = (
        replace(web_settings, ip_rate=GENEROUS, session_rate=tight)
        if flood_one_session
        else replace(web_settings, ip_rate=tight, session_rate=GENEROUS)
    )
    app = make_app(settings, morphology)
    session = "f" * 32
    async with (
        app.router.lifespan_context(app),
        _client(app, "10.0.0.1") as flooder,
        _client(app, "10.0.0.2") as neighbour,
    ):
        statuses = [
            (
                await flooder.post(
                    "/api/v1/ask", json={"question": "пароль", "session_id": session}
                )
            ).status_code
            for _ in range(12)
        ]
        assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
        limited = await flooder.post(
            "/api/v1/ask", json={"question": "пароль", "session_id": session}
        )
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "Слишком много запросов" in limited.json()["detail"]
        # Someone else, in the same second, is served as usual.
        other = await neighbour.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert other.status_code == 200
        assert other.json()["entry_id"] == "account-password-recovery"
