"""The log of `faqbot serve` and `faqbot telegram`: one form for every line, in Russian.

Every line but the access log's reads "time LEVEL logger: message": faqbot's own records
(`bot.*`, INFO and up; their messages are Russian where they are written), uvicorn's and
aiogram's (WARNING and up, and aiogram's polling start and stop), instead of faqbot's
warnings printed as a bare message by Python's last-resort handler.

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
import logging.config
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

# Time, level and logger before the message, as `faqbot telegram` has always written them.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

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
    # aiogram's polling, in `faqbot telegram` and in `serve` with a bot token.
    "Start polling": "Опрос Telegram начат",
    "Polling stopped": "Опрос Telegram остановлен",
    "Run polling for bot @%s id=%d - %r": "Бот @%s (id=%d, имя %r) опрашивает Telegram",
    "Polling stopped for bot @%s id=%d - %r": (
        "Бот @%s (id=%d, имя %r) больше не опрашивает Telegram"
    ),
    "Failed to fetch updates - %s: %s": "Не удалось получить обновления от Telegram: %s: %s",
    # aiogram's "tryings" counts the waits before this one (0 after the first failure), not
    # the failed requests: «попыток: 0» after a failure read as if nothing had been tried.
    "Sleep for %f seconds and try again... (tryings = %d, bot id = %d)": (
        "Новая попытка через %.1f с (повторов до неё: %d, бот id=%d)"
    ),
    "Connection established (tryings = %d, bot id = %d)": (
        "Связь с Telegram восстановлена (повторов: %d, бот id=%d)"
    ),
    "Received %s signal": "Получен сигнал %s",
}


class RussianFormatter(DefaultFormatter):
    """The process's formatter: uvicorn's and aiogram's lines with the catalogue's wording."""

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
    """uvicorn's default logging settings (its access log as it is), with every other line
    in one form and in Russian, faqbot's own records included."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["()"] = f"{__name__}.{RussianFormatter.__name__}"
    config["formatters"]["default"]["fmt"] = LOG_FORMAT
    # Other libraries' chatter (migrations, dictionaries loaded) stays out below WARNING.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    config["loggers"]["bot"] = {"level": "INFO"}
    # The matcher says when its meaning stage is being built in the background and is ready.
    config["loggers"]["matcher"] = {"level": "INFO"}
    config["loggers"]["aiogram.dispatcher"] = {"level": "INFO"}
    return config


def configure() -> None:
    """Log as `faqbot serve` does, for a process that runs no uvicorn (`faqbot telegram`)."""
    logging.config.dictConfig(log_config())
