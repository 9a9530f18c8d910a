"""Plain text as HTML, the way every channel that speaks HTML shows it (pure functions).

Answers are plain text: blank-line paragraphs, "- " list items, bare http(s) links. The
Telegram renderer and the e-mail letter both turn a line into HTML here, so a link or a list
item reads the same in either, and every other character is escaped.
"""

from __future__ import annotations

import html
import re

LIST_MARKER = "- "
BULLET = "• "
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
URL = re.compile(r"https?://[^\s<>\"«»]+", re.IGNORECASE)
URL_TRAILING = ".,;:!?)]}'"


def line_html(line: str) -> str:
    """One line of plain text as HTML: escaped, links clickable, a list item with a bullet."""
    if line.startswith(LIST_MARKER):
        return BULLET + inline_html(line[len(LIST_MARKER) :])
    return inline_html(line)


def inline_html(text: str) -> str:
    """Escape `text` and make its http(s) links clickable."""
    out: list[str] = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(URL_TRAILING)
        start, end = match.start(), match.start() + len(url)
        out.append(html.escape(text[position:start], quote=False))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>')
        position = end
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)
