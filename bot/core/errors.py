"""Errors of the conversation core, each with a message a person can act on.

Messages are in Russian where operators or citizens read them; channels map these classes
to replies in one place.
"""

from __future__ import annotations

from collections.abc import Sequence


class CoreError(Exception):
    """Base class of every error the core raises on purpose."""


class InvalidInputError(CoreError):
    """Something a citizen or an operator typed is not acceptable; the message says why."""


class ContactError(InvalidInputError):
    """A name, phone number or e-mail address given as contacts is not valid."""


class AttachmentError(InvalidInputError):
    """An attached file has a type or size that is not accepted."""


class WorseBaseError(InvalidInputError):
    """A change to the knowledge base that its check says would make the bot answer worse
    (another entry's questions pulled over, a phrasing two entries share); nothing was
    written. `problems`: what `kb check` would say."""

    def __init__(self, refused: str, problems: Sequence[str], remedy: str) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"{refused}: с этим бот будет отвечать хуже.\n{bullet_list(self.problems)}\n{remedy}"
        )


def bullet_list(lines: Sequence[str], *, limit: int = 5) -> str:
    """Lines as a dashed list for a console message, the first `limit` of them."""
    shown = [f"– {line}." for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"– и ещё {len(lines) - limit}.")
    return "\n".join(shown)


class WeakPasswordError(InvalidInputError):
    """A new operator password does not meet the password policy."""


class IllegalTransitionError(CoreError):
    """The requested action is not possible in the current state of a ticket or conversation."""


class TicketClosedError(IllegalTransitionError):
    """The ticket is closed, so `action` is not possible until it is returned to work. The
    message says so as the console puts it (its «Вернуть в работу» is on the page); a
    channel with its own way of reopening names that instead."""

    def __init__(self, number: int, *, status_label: str, action: str) -> None:
        self.number = number
        self.status_label = status_label
        self.action = action
        super().__init__(
            f"Обращение № {number} в статусе «{status_label}»: действие «{action}» "
            "недоступно (обращение закрыто; чтобы продолжить, верните его в работу)."
        )


class UnreadMessageError(IllegalTransitionError):
    """The citizen wrote, or attached a file, after what the operator's page showed: the
    ticket was not closed and nothing was sent, so the operator reads it before closing it.
    `rejecting`: the closing was a rejection; `file`: what came is a file, not a message."""

    def __init__(
        self, number: int, *, with_reply: bool, rejecting: bool = False, file: bool = False
    ) -> None:
        came = "гражданин приложил новый файл" if file else "гражданин прислал новое сообщение"
        read = "Посмотрите его" if file else "Прочитайте его"
        if rejecting:
            told = (
                f"Обращение № {number} не отклонено: после того как вы открыли страницу, "
                f"{came}. {read} и отклоните обращение ещё раз (причина осталась в поле)."
            )
        elif with_reply:
            told = (
                f"Обращение № {number} не завершено, ответ не отправлен: пока вы писали, "
                f"{came}. {read} и отправьте ответ ещё раз (ваш текст остался в поле ответа)."
            )
        else:
            told = (
                f"Обращение № {number} не завершено: после того как вы открыли страницу, "
                f"{came}. {read} и завершите обращение ещё раз."
            )
        super().__init__(told)
        self.number = number
        self.file = file


class TicketNotFoundError(CoreError):
    """No such ticket, or it belongs to someone else (the two are deliberately not told apart)."""

    def __init__(self, number: int, *, yours: bool = True) -> None:
        # A citizen reads only their own tickets; staff look among all of them.
        among = " среди ваших обращений" if yours else ""
        super().__init__(f"Обращение № {number} не найдено{among}.")
        self.number = number


class AttachmentNotFoundError(CoreError):
    """The ticket has no attached file with this id."""

    def __init__(self, number: int, attachment_id: int) -> None:
        super().__init__(f"У обращения № {number} нет вложения {attachment_id}.")


class PermissionDeniedError(CoreError):
    """The operator's role does not allow the action."""


class AuthenticationError(CoreError):
    """Wrong login or password, or the account is disabled."""

    def __init__(self) -> None:
        super().__init__("Неверный логин или пароль.")


class AccountExistsError(CoreError):
    """An account with this login already exists."""


class AccountNotFoundError(CoreError):
    """No operator account with this login or id."""


class ProposalNotFoundError(CoreError):
    """No knowledge-base proposal with this id."""


class RecipientRefusedError(CoreError):
    """A channel refuses to deliver to a recipient for now (a citizen blocked the bot): the
    reply stays in the outbox and is tried again later; the message says why, in Russian, for
    the ticket's history."""


class UnknownChannelError(CoreError):
    """No sender is registered for a channel name."""


class DatabaseUnavailableError(CoreError):
    """The database cannot be reached right now (restarting, network cut, overloaded);
    worth retrying."""

    retry_after_seconds = 5

    def __init__(self) -> None:
        super().__init__(
            "Сервис временно недоступен: база данных не отвечает. "
            "Повторите запрос через несколько секунд."
        )


class LinkCodeError(InvalidInputError):
    """A link code that is malformed, wrong, expired, used or typed in its own channel."""


class TooManyLinkAttemptsError(CoreError):
    """Too many wrong link codes from one identity or one address: a guessing guard."""


class RequestTakenOverError(CoreError):
    """A request answered after its claim went stale and another try took it over: the
    answer rolls back, and the other try's reply is the one given."""
