"""Messages of a ticket's thread as its topic in the operators' group shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.staff_cards import StatusChange, TopicMessage
from bot.core.tickets import ATTACHED, Author, TicketEvent, TicketMessage, Via
from bot.telegram.staff_texts import MESSAGE_TEXT_LIMIT, change_text, topic_message_text

WRITTEN = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def posted(author: Author, text: str, name: str | None = None) -> TopicMessage:
    via = Via.CONSOLE if author is Author.OPERATOR else None
    return TopicMessage(TicketMessage(1, author, text, WRITTEN, via=via), name)


@pytest.mark.parametrize(
    ("author", "text", "name", "shown"),
    [
        (Author.CITIZEN, "код не пришёл", None, "💬 Гражданин: код не пришёл"),
        (
            Author.OPERATOR,
            "Проверьте папку «Спам».",
            "Ольга Смирнова",
            "✉️ Ответ специалиста (Ольга Смирнова): Проверьте папку «Спам».",
        ),
        (
            Author.OPERATOR,
            "<b>Tom</b> & Jerry",
            "<Админ>",
            "✉️ Ответ специалиста (&lt;Админ&gt;): &lt;b&gt;Tom&lt;/b&gt; &amp; Jerry",
        ),
        (Author.OPERATOR, "Ответ без автора", None, "✉️ Ответ специалиста: Ответ без автора"),
    ],
)
def test_topic_message_text(author: Author, text: str, name: str | None, shown: str) -> None:
    assert topic_message_text(posted(author, text, name)) == shown


@pytest.mark.parametrize("author", [Author.CITIZEN, Author.OPERATOR])
def test_a_long_message_is_cut_with_an_ellipsis(author: Author) -> None:
    shown = topic_message_text(posted(author, "я" * 10_000, "Ольга"))
    assert shown.endswith("я…")
    assert shown.count("я") == MESSAGE_TEXT_LIMIT - 1


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("скриншот ошибки.png", "📎 Гражданин приложил файл «скриншот ошибки.png»"),
        ("паспорт 4510 123456.jpg", "📎 Гражданин приложил файл «паспорт [паспорт].jpg»"),
        ("заявление 89001234567.pdf", "📎 Гражданин приложил файл «заявление [телефон].pdf»"),
    ],
)
def test_a_files_name_is_posted_into_the_topic_masked(filename: str, shown: str) -> None:
    """The topic shows the citizen's messages and contacts masked; a file's name is no
    exception (a passport number in it went to Telegram as it was)."""
    event = TicketEvent(1, ATTACHED, Author.CITIZEN, WRITTEN, note=filename)
    assert change_text(StatusChange(event, None), zone="Europe/Moscow").startswith(shown)
