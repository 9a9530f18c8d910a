"""The HTML part of a letter, written from its plain text (Jinja2, autoescaped).

The plain text stays the letter's content as the outbox keeps it; the HTML part shows the
same words with paragraphs, line breaks and clickable links. Every character of the text is
escaped: nothing in an answer can become markup in the reader's mail client.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup, escape

# The widget's rule (bot/web/static/widget.js), so a link reads the same in both: http(s)
# only, never ending in the punctuation that closes a Russian sentence or quote. (Jinja2's
# `urlize` leaves "https://elpts.ru;" unlinked and would link bare domains.)
URL = re.compile(r"""https?://[^\s<>"«»]+[^\s<>"«».,;:!?)]""")


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("letter.html")


def paragraphs_of(text: str) -> list[list[str]]:
    """Paragraphs (split at blank lines) as their lines, blank ones left out."""
    found: list[list[str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            found.append(lines)
    return found


def linkify(line: str) -> Markup:
    """The line escaped, with its http(s) URLs as links that open apart from the letter."""
    parts: list[Markup] = []
    shown = 0
    for found in URL.finditer(line):
        url = found.group()
        parts.append(escape(line[shown : found.start()]))
        parts.append(
            Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>').format(url)
        )
        shown = found.end()
    parts.append(escape(line[shown:]))
    return Markup("").join(parts)


def html_body(subject: str, text: str) -> str:
    """An HTML document with the letter's text: escaped, links made clickable."""
    paragraphs = [[linkify(line) for line in lines] for lines in paragraphs_of(text)]
    return _template().render(subject=subject, paragraphs=paragraphs)
