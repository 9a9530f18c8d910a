"""Rendering core replies as Telegram HTML: escaping, links, lists, splitting."""

from __future__ import annotations

import html
import re

import pytest

from bot.core.replies import Choice, Reply, ReplyKind
from bot.telegram.render import MESSAGE_LIMIT, RenderOptions, render_reply, render_text
from matcher import Link

TAG = re.compile(r"<[^>]*>")
ALLOWED_TAG = re.compile(r"</?a( href=\"[^\"<>]*\")?>")


def visible(html_text: str) -> str:
    """What the citizen reads: tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", html_text))


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>жирный</b>", "&lt;b&gt;жирный&lt;/b&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("- пункт списка", "• пункт списка"),
        (
            "Сайт: https://www.gosuslugi.ru/help.",
            'Сайт: <a href="https://www.gosuslugi.ru/help">https://www.gosuslugi.ru/help</a>.',
        ),
        (
            'ссылка http://x.ru/?a=1&b="2"',
            'ссылка <a href="http://x.ru/?a=1&amp;b=">http://x.ru/?a=1&amp;b=</a>&quot;2&quot;'.replace(
                "&quot;", '"'
            ),
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
    ids=["bold-tag", "ampersand", "script", "list-item", "link", "link-with-query", "js-scheme"],
)
def test_text_is_escaped_and_marked_up(text: str, expected: str) -> None:
    assert render_text(text) == [expected]


def test_only_link_tags_come_out() -> None:
    hostile = "<b>x</b> <a href='evil'>y</a> &amp; <i>z</i> https://example.org/a<b>"
    (rendered,) = render_text(hostile)
    assert all(ALLOWED_TAG.fullmatch(tag) for tag in TAG.findall(rendered))
    assert visible(rendered) == hostile


def long_text() -> str:
    paragraphs = []
    for p in range(30):
        lines = [
            f"- пункт {p}.{i}: зайдите на https://www.gosuslugi.ru/{p}/{i} & <проверьте>"
            for i in range(8)
        ]
        paragraphs.append(f"Раздел {p}. " + "Текст абзаца " * 20 + "\n" + "\n".join(lines))
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize(
    "text",
    [
        long_text(),
        "слово " * 3000,  # one paragraph, one line: cut between words
        "&" * 5000,  # one huge word of characters that grow when escaped
        "а" * 9000,
    ],
    ids=["paragraphs", "one-line", "ampersands", "one-word"],
)
def test_long_text_is_split_within_the_limit_and_nothing_is_lost(text: str) -> None:
    parts = render_text(text)
    assert len(parts) > 1
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    for part in parts:
        # No part ends or starts inside a tag or an entity.
        assert part.count("<a ") == part.count("</a>")
        assert not re.search(r"&[a-z]*$", part)
        assert all(ALLOWED_TAG.fullmatch(tag) for tag in TAG.findall(part))
    seen = "".join(visible(part) for part in parts)
    expected = text.replace("- пункт", "• пункт")
    assert "".join(words(seen)) == "".join(words(expected))


def test_parts_break_at_paragraphs_when_they_can() -> None:
    paragraph = "Абзац. " * 300  # ~2100 characters
    parts = render_text("\n\n".join([paragraph.strip()] * 4))
    assert len(parts) == 4
    assert all(part == paragraph.strip() for part in parts)


def test_clarify_shows_the_prompt_the_choices_become_buttons() -> None:
    reply = Reply(
        kind=ReplyKind.CLARIFY,
        text="Уточните, пожалуйста, что вы имели в виду:\n- Что такое ЭПТС?\n- Где ЭПТС?",
        choices=(Choice("a", "Что такое ЭПТС?"), Choice("b", "Где ЭПТС?")),
    )
    assert render_reply(reply) == ["Уточните, пожалуйста, что вы имели в виду:"]


def test_hand_off_states_the_number_and_the_promise() -> None:
    reply = Reply(
        kind=ReplyKind.HANDOFF,
        text="Передали ваш вопрос специалисту. Ответ придёт сюда же; ответим до 10:00.",
        ticket_number=42,
    )
    (rendered,) = render_reply(reply, RenderOptions(answer_within="24 часов"))
    assert rendered.startswith("Обращение № 42\n\n")
    assert rendered.endswith("Специалисты отвечают в течение 24 часов.")


def test_silent_reply_sends_nothing_and_notice_comes_first() -> None:
    assert render_reply(Reply(kind=ReplyKind.SILENT, text="")) == []
    reply = Reply(kind=ReplyKind.ANSWER, text="Ответ", notice="Идут работы <до 10:00>")
    assert render_reply(reply) == ["⚠️ Идут работы &lt;до 10:00&gt;\n\nОтвет"]


def test_answer_links_are_listed_escaped_and_only_http() -> None:
    reply = Reply(kind=ReplyKind.ANSWER, text="Ответ", entry_id="x")
    links = (
        Link(title="Портал <поддержки> & помощь", url="https://example.org/?a=1&b=2"),
        Link(title="Опасная", url="javascript:alert(1)"),
    )
    assert render_reply(reply, links=links) == [
        "Ответ\n\nПолезные ссылки:\n"
        '• <a href="https://example.org/?a=1&amp;b=2">Портал &lt;поддержки&gt; &amp; помощь</a>'
    ]


def test_links_after_a_long_answer_stay_within_the_limit() -> None:
    reply = Reply(kind=ReplyKind.ANSWER, text="слово " * 680, entry_id="x")
    links = tuple(Link(title=f"Ссылка {i}", url=f"https://example.org/{i}") for i in range(5))
    parts = render_reply(reply, links=links)
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(parts).count("<a href=") == 5
