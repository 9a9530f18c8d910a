"""The letter that carries a knowledge-base answer to a citizen's e-mail, as plain text (the
mail channel adds an HTML rendering of the same words, `bot.mail.html`).

The letter is written from the entry alone (its question, answer and links), never from text
a client sent, so the feature cannot be used to mail arbitrary words to strangers. It travels
through the outbox as JSON in the row's text; the mail channel turns it into a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.core.errors import InvalidInputError
from matcher.knowledge import Entry

SUBJECT_PREFIX = "Ответ на ваш вопрос: "
MAX_SUBJECT_QUESTION = 120
GREETING = "Здравствуйте!"
INTRO = "Вы попросили прислать ответ виртуального консультанта на этот адрес."
LINKS_HEADING = "Полезные ссылки:"
AUTOMATIC_NOTE = (
    "Это письмо отправлено автоматически, отвечать на него не нужно. Если вы не просили "
    "прислать этот ответ, просто удалите письмо."
)


@dataclass(frozen=True, slots=True)
class Letter:
    """A subject line and a plain-text body, both in Russian."""

    subject: str
    body: str

    def to_text(self) -> str:
        """The letter as the outbox stores it."""
        return json.dumps({"subject": self.subject, "body": self.body}, ensure_ascii=False)

    @classmethod
    def from_text(cls, text: str) -> Letter:
        """A letter read back from an outbox row, or `InvalidInputError` for a foreign row."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if not (
            isinstance(data, dict)
            and isinstance(data.get("subject"), str)
            and isinstance(data.get("body"), str)
        ):
            raise InvalidInputError(
                "An e-mail outbox row must hold JSON {'subject': str, 'body': str}; "
                f"got {text[:80]!r}. Queue letters with AnswerLetters.request."
            )
        return cls(subject=data["subject"], body=data["body"])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def subject_of(entry: Entry) -> str:
    """ "Ответ на ваш вопрос: …" with the entry's question on one line, shortened if long."""
    question = _one_line(entry.question)
    if len(question) > MAX_SUBJECT_QUESTION:
        question = question[: MAX_SUBJECT_QUESTION - 1].rstrip() + "…"
    return SUBJECT_PREFIX + question


def compose_letter(entry: Entry) -> Letter:
    """The letter for one entry: the question, the answer, its links as plain URLs."""
    parts = [
        GREETING,
        INTRO,
        f"Вопрос: {_one_line(entry.question)}",
        "Ответ:\n" + entry.answer.strip(),
    ]
    if entry.links:
        parts.append(
            "\n".join([LINKS_HEADING, *(f"{link.title}: {link.url}" for link in entry.links)])
        )
    parts.append("—\n" + AUTOMATIC_NOTE)
    return Letter(subject=subject_of(entry), body="\n\n".join(parts) + "\n")
