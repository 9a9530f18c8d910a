"""Errors of the web layer; mapped to responses in `handlers.py` with the core's own."""

from __future__ import annotations

import math


class WebError(Exception):
    """Base class of the errors the web layer raises on purpose."""


class SettingsError(WebError):
    """A setting in the environment is malformed; `faqbot serve` refuses to start with it."""


class InsecureSettingsError(SettingsError):
    """The server would start with a secret anyone can know."""


class EmailDisabledError(WebError):
    """ "Send the answer by e-mail" was asked for, but no SMTP server is configured."""

    def __init__(self) -> None:
        super().__init__("Отправка ответов на электронную почту на этом сайте не настроена.")


class CsrfError(WebError):
    """A console form came without the token of the operator's session."""

    def __init__(self) -> None:
        super().__init__(
            "Форма устарела или отправлена не со страницы консоли. Обновите страницу и "
            "повторите действие."
        )


class LoginRequiredError(WebError):
    """A console page was opened without logging in."""


class RateLimitedError(WebError):
    """Too many requests from one address or one widget session."""

    def __init__(
        self,
        retry_after: float,
        message: str = "Слишком много запросов. Подождите немного и повторите.",
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyLoginAttemptsError(RateLimitedError):
    """Too many wrong passwords for one login or from one address: a guessing guard."""

    def __init__(self, retry_after: float) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            retry_after,
            "Слишком много неудачных попыток входа. Вход временно закрыт: попробуйте снова "
            f"через {minutes} мин. Если забыли пароль, обратитесь к администратору.",
        )


class SessionError(WebError):
    """A widget session id that is malformed."""


class RequestInProgressError(WebError):
    """A request sent again with its request id while the first one is still being answered."""

    def __init__(self) -> None:
        super().__init__(
            "Этот вопрос уже получен и ещё обрабатывается. Подождите немного и отправьте его "
            "снова: ответ не повторится дважды."
        )
