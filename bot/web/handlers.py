"""Every error the core or the web layer raises on purpose, mapped to a clear 4xx in one place.

API paths get JSON `{"detail": "..."}` with a Russian message; console pages get an HTML page
(or, when not logged in, a redirect to the log-in form).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from bot.core.errors import (
    AccountExistsError,
    AccountNotFoundError,
    AttachmentNotFoundError,
    AuthenticationError,
    CoreError,
    DatabaseUnavailableError,
    IllegalTransitionError,
    InvalidInputError,
    PermissionDeniedError,
    ProposalNotFoundError,
    TicketNotFoundError,
    TooManyLinkAttemptsError,
)
from bot.web.errors import (
    CsrfError,
    EmailDisabledError,
    LoginRequiredError,
    RateLimitedError,
    RequestInProgressError,
    SessionError,
    WebError,
)
from bot.web.routes.ticket_additions import UPLOAD_PATH
from bot.web.templating import templates_of

log = logging.getLogger(__name__)

CONSOLE_PREFIX = "/console"
LOGIN_PATH = "/console/login"

STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (TicketNotFoundError, 404),
    (AttachmentNotFoundError, 404),
    (AccountNotFoundError, 404),
    (ProposalNotFoundError, 404),
    (PermissionDeniedError, 403),
    (CsrfError, 403),
    (AuthenticationError, 401),
    (IllegalTransitionError, 409),
    (AccountExistsError, 409),
    (RequestInProgressError, 409),
    (InvalidInputError, 422),
    (SessionError, 422),
    (RateLimitedError, 429),
    (TooManyLinkAttemptsError, 429),
    (EmailDisabledError, 404),
    (DatabaseUnavailableError, 503),
)
FIELD_NAMES = {
    "question": "вопрос",
    "session_id": "идентификатор сессии",
    "entry_id": "идентификатор ответа",
    "message_id": "номер сообщения",
    "helpful": "оценка",
    "comment": "комментарий",
    "contacts": "контакты",
    "code": "код связи",
    "request_id": "идентификатор запроса",
    "email": "адрес электронной почты",
    "file": "файл",
    "stars": "оценка",
    "number": "номер обращения",
    "proposal_id": "номер предложения",
    "attachment_id": "номер файла",
    "after": "номер последнего полученного события",
    "before": "номер сообщения, до которого показать переписку",
    "record_ids": "вопросы группы",
    "ticket_number": "номер обращения",
    "text": "текст",
    "note": "причина",
    "since": "начало периода",
    "until": "конец периода",
}
# pydantic's bounds on numbers, as the words that end "должно быть … N".
BOUNDS = {
    "greater_than_equal": ("ge", "не меньше"),
    "greater_than": ("gt", "больше"),
    "less_than_equal": ("le", "не больше"),
    "less_than": ("lt", "меньше"),
}


# What the framework itself refuses (no such route, wrong method, a body it cannot parse),
# said in Russian like everything else; other statuses keep the framework's words.
HTTP_MESSAGES = {
    400: "Не удалось разобрать тело запроса: нужен JSON, а для файла — форма "
    "multipart/form-data с полями session_id и file.",
    404: "Такой страницы нет.",
    405: "Этот адрес не принимает запросы такого вида ({method}).",
    500: "Внутренняя ошибка сервера: запрос не выполнен. Попробуйте ещё раз через минуту; "
    "если ошибка повторится, сообщите администратору.",
}


def status_of(error: Exception) -> int:
    """The HTTP status for an error we raise on purpose."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def _field(location: Sequence[Any]) -> str:
    names = [str(part) for part in location if part not in {"body", "query", "path"}]
    if not names:
        return "тело запроса"
    return "поле «" + ".".join(FIELD_NAMES.get(n, n) for n in names) + "»"


def describe_validation(errors: Sequence[Any], question_limit: int | None = None) -> str:
    """A Russian sentence for the first validation error pydantic found; `question_limit`:
    the documented limit of a question, told instead of the body's far larger safety cap."""
    if not errors:
        return "Запрос не прошёл проверку."
    first = errors[0]
    kind = str(first.get("type", ""))
    location = tuple(first.get("loc", ()))
    where = _field(location)
    context = first.get("ctx") or {}
    if kind == "json_invalid":
        return "Тело запроса — не JSON. Отправьте объект JSON с полями запроса."
    if kind == "missing":
        return f"Не заполнено {where}."
    if kind == "string_too_long" and question_limit and location[-1:] == ("question",):
        return (
            f"Вопрос слишком длинный: больше {context.get('max_length')} символов, можно не "
            f"больше {question_limit}."
        )
    if kind == "string_too_long":
        return f"Слишком длинное {where}: не больше {context.get('max_length')} символов."
    if kind == "string_unicode":  # a lone surrogate such as "\ud800": half of an emoji
        return f"{where.capitalize()} содержит повреждённый символ: удалите его и отправьте снова."
    if kind == "string_too_short":
        return f"Пустое {where}."
    if kind in {"string_type", "model_type", "model_attributes_type"}:
        expected = "текстом" if kind == "string_type" else "объектом JSON"
        return f"{where.capitalize()} должно быть {expected}."
    if kind == "value_error" and location[-1:] == ("file",):  # a text field named "file"
        return "Поле «файл» должно быть файлом: отправьте его в форме multipart/form-data."
    if kind in BOUNDS:
        key, words = BOUNDS[kind]
        return f"{where.capitalize()} должно быть {words} {context.get(key)}."
    if kind.startswith("date"):
        return f"{where.capitalize()} должно быть датой, например 2026-10-05."
    if kind.startswith(("int", "bool")):
        expected = "целым числом" if kind.startswith("int") else "true или false"
        return f"{where.capitalize()} должно быть {expected}."
    return f"Неверное {where}: {first.get('msg', '')}."


def _is_console(request: Request) -> bool:
    return request.url.path.startswith(CONSOLE_PREFIX)


def _respond(request: Request, status: int, message: str) -> Response:
    if _is_console(request):
        return templates_of(request).TemplateResponse(
            request, "error.html", {"message": message, "status": status}, status_code=status
        )
    headers: dict[str, str] = {}
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def on_core_error(request: Request, error: Exception) -> Response:
    """A core or web error: its message with the matching status."""
    status = status_of(error)
    response = _respond(request, status, str(error))
    if isinstance(error, RateLimitedError):
        response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    if isinstance(error, DatabaseUnavailableError):
        log.warning(
            "%s %s: база данных недоступна: %r",
            request.method,
            request.url.path,
            error.__cause__,
        )
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


async def on_login_required(request: Request, error: Exception) -> Response:
    """A console page without a logged-in operator: off to the log-in form."""
    del error
    return RedirectResponse(LOGIN_PATH, status_code=303)


async def on_validation_error(request: Request, error: Exception) -> Response:
    """A body or parameter that does not fit the model: 422 with a Russian message."""
    assert isinstance(error, RequestValidationError)
    sent = request.headers.get("content-type", "")
    is_form = sent.startswith(("multipart/", "application/x-www-form-urlencoded"))
    if re.fullmatch(UPLOAD_PATH, request.url.path) and not is_form:
        # Fields sent as JSON (or nothing) look "missing" to a form: say what is expected.
        return _respond(request, 422, HTTP_MESSAGES[400])
    services = getattr(request.app.state, "services", None)
    limit = services.settings.max_question_length if services is not None else None
    return _respond(request, 422, describe_validation(error.errors(), limit))


async def on_http_error(request: Request, error: Exception) -> Response:
    """A route that does not exist, a method it does not take, a body that cannot be parsed:
    the framework's refusals, with a Russian message (an HTML page under /console)."""
    assert isinstance(error, HTTPException)
    template = HTTP_MESSAGES.get(error.status_code)
    message = template.format(method=request.method) if template else str(error.detail)
    response = _respond(request, error.status_code, message)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    """A fault nobody raised on purpose: a Russian 500 (an HTML page under /console) instead
    of Starlette's bare "Internal Server Error". Starlette raises the error again after
    this response, so uvicorn still logs its traceback."""
    del error
    return _respond(request, 500, HTTP_MESSAGES[500])


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(LoginRequiredError, on_login_required)
    app.add_exception_handler(CoreError, on_core_error)
    app.add_exception_handler(WebError, on_core_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
