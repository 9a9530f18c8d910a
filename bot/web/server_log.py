"""uvicorn's own log lines, as `faqbot serve` writes them, in Russian.

uvicorn logs its start-up and shutdown ("Started server process", "Application startup
complete.", "Shutting down", ...) through the `uvicorn.error` logger with a fixed English
format string and the values apart, so a formatter can swap the format string for its
Russian one before the values go in. Lines missing from the catalogue stay as uvicorn has
them. The access log's lines (`--access-log`) are left as they are: the address, the request
line and the status code, the form proxies and log readers expect.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

_STOP_KEYS = "остановить: CTRL+C"
_FORCE_KEYS = "остановить сразу: CTRL+C"

# uvicorn's format string, exactly as in its source -> Russian, with the same placeholders.
MESSAGES: dict[str, str] = {
    "Started server process [%d]": "Процесс сервера запущен [%d]",
    "Waiting for application startup.": "Приложение запускается.",
    "Application startup complete.": "Приложение запущено, сервер принимает запросы.",
    "Application startup failed. Exiting.": "Приложение не запустилось: сервер завершает работу.",
    "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)": (
        f"Сервер работает по адресу %s://%s:%d ({_STOP_KEYS})"
    ),
    "Uvicorn running on %s://[%s]:%d (Press CTRL+C to quit)": (
        f"Сервер работает по адресу %s://[%s]:%d ({_STOP_KEYS})"
    ),
    "Uvicorn running on unix socket %s (Press CTRL+C to quit)": (
        f"Сервер работает на сокете Unix %s ({_STOP_KEYS})"
    ),
    "Uvicorn running on socket %s (Press CTRL+C to quit)": (
        f"Сервер работает на сокете %s ({_STOP_KEYS})"
    ),
    "Shutting down": "Сервер останавливается",
    "Waiting for connections to close. (CTRL+C to force quit)": (
        f"Ждём, пока закроются открытые соединения ({_FORCE_KEYS})"
    ),
    "Waiting for background tasks to complete. (CTRL+C to force quit)": (
        f"Ждём, пока закончатся начатые запросы ({_FORCE_KEYS})"
    ),
    "Cancel %s running task(s), timeout graceful shutdown exceeded": (
        "Время на остановку вышло: прерваны незаконченные запросы (%s)"
    ),
    "Waiting for application shutdown.": "Приложение останавливается.",
    "Application shutdown complete.": "Приложение остановлено.",
    "Application shutdown failed. Exiting.": "Приложение не остановилось как следует.",
    "Finished server process [%d]": "Процесс сервера завершён [%d]",
    "Exception in ASGI application\n": "Ошибка в приложении при обработке запроса\n",
    "Invalid HTTP request received.": "Получен неправильный HTTP-запрос.",
    "Unsupported upgrade request.": "Запрос на смену протокола не поддерживается.",
    "Exceeded concurrency limit.": "Слишком много одновременных запросов.",
}


class RussianFormatter(DefaultFormatter):
    """uvicorn's formatter for its own lines, with the catalogue's Russian wording."""

    def format(self, record: logging.LogRecord) -> str:
        russian = MESSAGES.get(record.msg) if isinstance(record.msg, str) else None
        if russian is None:
            return super().format(record)
        # A copy: other handlers of the record see it as it was logged. uvicorn's coloured
        # variant of the line (on a terminal) is English too, so it goes.
        shown = copy.copy(record)
        shown.msg = russian
        shown.__dict__.pop("color_message", None)
        return super().format(shown)


def log_config() -> dict[str, Any]:
    """uvicorn's default logging settings, with its own lines written in Russian."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["()"] = f"{__name__}.{RussianFormatter.__name__}"
    return config
