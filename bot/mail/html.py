"""The HTML part of a letter, written from its plain text (Jinja2, autoescaped).

The plain text stays the letter's content as the outbox keeps it; the HTML part shows the
same words with paragraphs, line breaks, list bullets and clickable links, each line marked
up as the Telegram bot marks it up (`bot.core.plain_html`): every other character is
escaped, so nothing in an answer can become markup in the reader's mail client.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from bot.core.plain_html import PARAGRAPH_BREAK, line_html


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("letter.html")


def html_body(subject: str, text: str) -> str:
    """An HTML document with the letter's text: escaped, links made clickable."""
    paragraphs = [
        # line_html escapes the line itself: its markup goes into the template as it is.
        [Markup(line_html(line)) for line in paragraph.split("\n") if line.strip()]
        for paragraph in PARAGRAPH_BREAK.split(text.strip())
    ]
    return _template().render(subject=subject, paragraphs=paragraphs)
