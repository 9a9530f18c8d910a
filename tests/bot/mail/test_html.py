"""The letter's HTML: the widget's link rule, and nothing in the text becomes markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.mail.html import URL, linkify, paragraphs_of

WIDGET = Path(__file__).resolve().parents[3] / "bot" / "web" / "static" / "widget.js"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "сайт https://elpts.ru; звоните",
            'сайт <a href="https://elpts.ru" target="_blank" rel="noopener noreferrer">'
            "https://elpts.ru</a>; звоните",
        ),
        (
            "«https://help.elpts.ru/ru»!",
            '«<a href="https://help.elpts.ru/ru" target="_blank" rel="noopener noreferrer">'
            "https://help.elpts.ru/ru</a>»!",
        ),
        (
            "https://a.ru/?x=1&y=2.",
            '<a href="https://a.ru/?x=1&amp;y=2" target="_blank" rel="noopener noreferrer">'
            "https://a.ru/?x=1&amp;y=2</a>.",
        ),
        ("javascript:alert(1) и www.gosuslugi.ru", "javascript:alert(1) и www.gosuslugi.ru"),
        (
            'https://x.ru/"onmouseover=alert(1)',
            '<a href="https://x.ru/" target="_blank" rel="noopener noreferrer">https://x.ru/</a>'
            "&#34;onmouseover=alert(1)",
        ),
        ("<b>не разметка</b>", "&lt;b&gt;не разметка&lt;/b&gt;"),
    ],
)
def test_links_and_escaping(line: str, expected: str) -> None:
    assert str(linkify(line)) == expected


def test_the_link_rule_is_the_widgets() -> None:
    found = re.search(r"var URL_RE = /(.+)/g;", WIDGET.read_text(encoding="utf-8"))
    assert found is not None
    assert found.group(1).replace("\\/", "/") == URL.pattern


def test_paragraphs_keep_their_lines_and_drop_blank_ones() -> None:
    text = "Здравствуйте!\r\n\r\nОтвет:\n- первое\n  \n\n\n- второе\n"
    assert paragraphs_of(text) == [["Здравствуйте!"], ["Ответ:", "- первое"], ["- второе"]]
