"""A fake Telegram Bot API server on loopback: serves queued updates and records every call.

It speaks the real wire format (`POST /bot<token>/<method>` with form fields, JSON
`{"ok": ..., "result": ...}` answers, `GET /file/bot<token>/<path>` for downloads), so the
real aiogram `Bot` and `Dispatcher` run against it unchanged.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Консультант",
    "username": "faqbot_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_FIELDS = (
    "reply_markup",
    "entities",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "reaction",
)
SENDING_METHODS = ("sendMessage",)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made: the method, its parameters, and the status answered."""

    method: str
    params: Json
    status: int
    result: Any = None  # what the server answered with (a sent message, for sendMessage)


@dataclass
class Failure:
    """The next `count` calls of `methods` get `status` (429 with `retry_after`, or 5xx)."""

    status: int
    count: int
    methods: frozenset[str]
    retry_after: int = 1
    description: str = "Internal Server Error"
    chat_id: int | None = None  # only calls to this chat; None: any
    html: bool = False  # an HTML page instead of JSON (a proxy's error page)


@dataclass
class FakeBotApi:
    """The server's state: updates to hand out, calls seen, messages sent, files to serve."""

    token: str
    calls: list[Call] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    missing_files: set[str] = field(default_factory=set)
    _updates: list[Json] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _thread_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _failures: list[Failure] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    # While down, the port stays bound (not listening: a connection is refused) so that no
    # other test's server takes it before this one comes back on it.
    _held: socket.socket | None = None
    base_url: str = ""

    # --- serving -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on loopback (a free port by default, or `port` to come back after `stop`);
        returns the base URL for `TELEGRAM_API_BASE`."""
        if self._held is not None:
            self._held.close()
            self._held = None
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening: connections are refused, and the port is kept for `start`."""
        self._arrived.set()
        if self._runner is not None:
            port = self._runner.addresses[0][1]
            await self._runner.cleanup()
            self._runner = None
            held = socket.socket()
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            held.bind(("127.0.0.1", port))
            self._held = held

    async def close(self) -> None:
        """Stop listening and let the port go."""
        await self.stop()
        if self._held is not None:
            self._held.close()
            self._held = None

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if request.match_info["token"] != self.token:
            self.calls.append(Call(method, params, 401))
            return _error(401, "Unauthorized")
        failure = self._take_failure(method, params)
        if failure is not None:
            self.calls.append(Call(method, params, failure.status))
            if failure.html:
                page = f"<html><body><h1>{failure.status} {failure.description}</h1></body></html>"
                return web.Response(status=failure.status, text=page, content_type="text/html")
            if failure.status == 429:
                return _error(
                    429,
                    f"Too Many Requests: retry after {failure.retry_after}",
                    {"retry_after": failure.retry_after},
                )
            return _error(failure.status, failure.description)
        if method == "getUpdates":
            self.calls.append(Call(method, params, 200))
            return _ok(await self._get_updates(params))
        handler = self._handlers().get(method)
        result = handler(params) if handler else True
        self.calls.append(Call(method, params, 200, result))
        return _ok(result)

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.calls.append(Call("downloadFile", {"path": path}, 200))
        for file_path, data in self.files.values():
            if file_path == path and request.match_info["token"] == self.token:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    def _handlers(self) -> dict[str, Callable[[Json], Any]]:
        return {
            "getMe": lambda _: BOT_USER,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "getFile": self._get_file,
            "createForumTopic": self._create_forum_topic,
            "setWebhook": lambda _: True,
            "deleteWebhook": lambda _: True,
            "answerCallbackQuery": lambda _: True,
        }

    async def _get_updates(self, params: Json) -> list[Json]:
        offset = int(params.get("offset", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._arrived.clear()
            timeout = float(params.get("timeout", 0))
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=timeout)
            except TimeoutError:
                return []
        return list(self._updates)

    def _send_message(self, params: Json) -> Json:
        chat_id = int(params["chat_id"])
        message: Json = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": BOT_USER,
            "text": params["text"],
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            # Telegram echoes inline keyboards only; reply keyboards live on the client.
            message["reply_markup"] = markup
        return message

    def _send_document(self, params: Json) -> Json:
        """A file sent as an upload (`document` holds its name and bytes) or by file_id."""
        document = params["document"]
        name = document["filename"] if isinstance(document, dict) else str(document)
        message: Json = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(int(params["chat_id"])),
            "from": BOT_USER,
            "document": {"file_id": f"sent-{name}", "file_unique_id": name, "file_name": name},
        }
        if "caption" in params:
            message["caption"] = params["caption"]
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        return message

    def _edit_message(self, params: Json) -> Json:
        message: Json = {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": _chat(int(params["chat_id"])),
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            # Telegram echoes inline keyboards only; reply keyboards live on the client.
            message["reply_markup"] = markup
        return message

    def _create_forum_topic(self, params: Json) -> Json:
        return {
            "message_thread_id": next(self._thread_ids),
            "name": params["name"],
            "icon_color": 7322096,
        }

    def _get_file(self, params: Json) -> Json:
        file_id = params["file_id"]
        path, data = self.files.get(file_id, (f"documents/{file_id}", b""))
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(data),
            "file_path": path,
        }

    def _take_failure(self, method: str, params: Json) -> Failure | None:
        for failure in self._failures:
            if failure.chat_id is not None and str(params.get("chat_id")) != str(failure.chat_id):
                continue
            if method in failure.methods and failure.count > 0:
                failure.count -= 1
                return failure
        return None

    # --- what tests do ------------------------------------------------------------------

    def fail(
        self,
        status: int,
        count: int,
        *,
        methods: tuple[str, ...] = SENDING_METHODS,
        retry_after: int = 1,
        description: str = "Internal Server Error",
        chat_id: int | None = None,
        html: bool = False,
    ) -> None:
        """Answer the next `count` calls of `methods` with `status` (after earlier plans) and
        `description` ("Forbidden: bot was blocked by the user" for a 403); `chat_id`: only
        the calls to that chat; `html`: as an HTML page (a proxy's), not Bot API JSON."""
        self._failures.append(
            Failure(status, count, frozenset(methods), retry_after, description, chat_id, html)
        )

    def recover(self) -> None:
        """Drop the failures still planned: the server answers normally again."""
        self._failures.clear()

    def revoke_token(self, new_token: str) -> None:
        """The token revoked at @BotFather: the old one is refused from the next call on; a
        long poll in progress ends now (empty), as it would within its timeout."""
        self.token = new_token
        self._arrived.set()

    def push(self, update: Json) -> int:
        """Queue an update for the bot's next getUpdates; returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._arrived.set()
        return update_id

    @property
    def unfetched(self) -> int:
        """Updates pushed that the bot has not fetched yet (it asks past what it fetched)."""
        return len(self._updates)

    def calls_of(self, method: str, *, ok_only: bool = True) -> list[Call]:
        """The calls of one method, in order (only those answered 200 by default)."""
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def topics(self, chat_id: int) -> list[Json]:
        """Parameters of every forum topic created in a chat."""
        return [
            c.params
            for c in self.calls_of("createForumTopic")
            if int(c.params["chat_id"]) == chat_id
        ]

    def documents(self, chat_id: int) -> list[Json]:
        """Parameters of every file sent to a chat (`document`: its name and bytes)."""
        return [
            c.params for c in self.calls_of("sendDocument") if int(c.params["chat_id"]) == chat_id
        ]

    def sent(self, chat_id: int) -> list[Json]:
        """Parameters of every message delivered to a chat."""
        return [
            c.params for c in self.calls_of("sendMessage") if int(c.params["chat_id"]) == chat_id
        ]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts delivered to a chat."""
        return [str(p["text"]) for p in self.sent(chat_id)]

    async def wait_for(
        self, predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "calls"
    ) -> None:
        """Wait until `predicate()` holds, or fail saying what was seen."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                seen = [(c.method, c.status, c.params.get("text")) for c in self.calls[-15:]]
                raise AssertionError(f"timed out waiting for {what}; last calls: {seen}")
            await asyncio.sleep(0.02)

    async def wait_sent(self, chat_id: int, count: int, *, timeout: float = 10.0) -> list[Json]:
        """Wait until `count` messages reached the chat in all; returns them all."""
        await self.wait_for(
            lambda: len(self.sent(chat_id)) >= count,
            timeout=timeout,
            what=f"{count} messages to chat {chat_id}",
        )
        return self.sent(chat_id)


async def _params(request: web.Request) -> Json:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: Json = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # an uploaded file: its name and its bytes
            params[key] = {"filename": value.filename, "data": value.file.read()}
            continue
        text = value if isinstance(value, str) else str(value)
        if key in JSON_FIELDS:
            try:
                params[key] = json.loads(text)
            except json.JSONDecodeError:
                params[key] = text
        else:
            params[key] = text
    for key, value in list(params.items()):  # an upload is named "attach://<its field>"
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def _chat(chat_id: int) -> Json:
    """A private chat for positive ids, a forum supergroup for negative ones."""
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Операторы", "is_forum": True}
    return {"id": chat_id, "type": "private", "first_name": "Гражданин"}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: Json | None = None) -> web.Response:
    body: Json = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
