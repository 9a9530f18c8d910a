"""Messages of a ticket's thread as its topic in the operators' group shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.staff_cards import TopicMessage
from bot.core.tickets import Author, TicketMessage, Via
from bot.telegram.staff_texts import MESSAGE_TEXT_LIMIT, topic_message_text

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
