"""Channel-neutral replies as Telegram HTML, split under the message length limit.

Pure functions. The plain text is cut first, at paragraph, line, word or (for one huge word)
character boundaries, and each piece is escaped and marked up on its own, so a cut never
falls inside an HTML tag or entity.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from bot.core.plain_html import BULLET, PARAGRAPH_BREAK, URL, inline_html, line_html
from bot.core.replies import Reply, ReplyKind
from matcher import Link

MESSAGE_LIMIT = 4096  # characters in one Telegram message
WARNING_SIGN = "⚠️ "
LINKS_TITLE = "Полезные ссылки:"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What the renderer adds around the core's text.

    `answer_within`: the promise shown under a hand-off that does not state it ("24 часов").
    """

    answer_within: str | None = None
    limit: int = MESSAGE_LIMIT


def render_reply(
    reply: Reply, options: RenderOptions | None = None, *, links: tuple[Link, ...] = ()
) -> list[str]:
    """The messages (HTML, each within the limit) that show `reply`; [] for a silent one.

    `links`: the answered entry's links, listed under the answer.
    """
    opts = options or RenderOptions()
    if reply.kind is ReplyKind.SILENT or not (reply.text.strip() or reply.notice):
        return []
    text = reply.text
    if reply.kind is ReplyKind.CLARIFY and reply.choices:
        # The choices become buttons: keep the prompt, not the plain-text listing.
        text = text.split("\n", 1)[0]
    parts: list[str] = []
    if reply.notice:
        parts.append(WARNING_SIGN + reply.notice)
    if reply.kind is ReplyKind.HANDOFF and reply.ticket_number is not None:
        parts.append(f"Обращение № {reply.ticket_number}")
    parts.append(text)
    if reply.kind is ReplyKind.HANDOFF and opts.answer_within and "в течение" not in text:
        parts.append(f"Специалисты отвечают в течение {opts.answer_within}.")
    messages = render_text("\n\n".join(parts), limit=opts.limit)
    if links and reply.kind is ReplyKind.ANSWER:
        messages = _with_links(messages, links, opts.limit)
    return messages


def links_html(links: tuple[Link, ...]) -> list[str]:
    """One line per link: a bullet and the title, clickable."""
    return [
        f'{BULLET}<a href="{html.escape(link.url, quote=True)}">'
        f"{html.escape(link.title, quote=False)}</a>"
        for link in links
        if URL.fullmatch(link.url)
    ]


def _with_links(messages: list[str], links: tuple[Link, ...], limit: int) -> list[str]:
    out = list(messages)
    current = out.pop() if out else ""
    for separator, line in [("\n\n", LINKS_TITLE)] + [("\n", x) for x in links_html(links)]:
        if len(line) > limit:
            continue
        if current and len(current) + len(separator) + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = current + separator + line if current else line
    out.append(current)
    return out


def render_text(text: str, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text (blank-line paragraphs, "- " items, bare links) as HTML messages."""
    messages: list[str] = []
    current = ""
    for separator, block in _blocks(text.strip(), limit):
        if not current:
            current = block
        elif len(current) + len(separator) + len(block) <= limit:
            current += separator + block
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


def _blocks(text: str, limit: int) -> Iterator[tuple[str, str]]:
    """(separator before it, HTML) pieces, each within `limit`, in reading order."""
    for paragraph in PARAGRAPH_BREAK.split(text):
        rendered = "\n".join(line_html(line) for line in paragraph.split("\n"))
        if len(rendered) <= limit:
            yield "\n\n", rendered
            continue
        separator = "\n\n"
        for line in paragraph.split("\n"):
            for piece_separator, piece in _line_blocks(line, limit):
                yield (separator if piece_separator is None else piece_separator), piece
                separator = "\n"


def _line_blocks(line: str, limit: int) -> Iterator[tuple[str | None, str]]:
    rendered = line_html(line)
    if len(rendered) <= limit:
        yield None, rendered
        return
    first = True
    for word in line.split(" "):
        if not word:
            continue
        for piece in _word_pieces(word, limit):
            yield (None if first else " "), piece
            first = False


def _word_pieces(word: str, limit: int) -> Iterator[str]:
    """A word too long for one message, cut between characters (never inside an entity)."""
    if len(inline_html(word)) <= limit:
        yield inline_html(word)
        return
    start = 0
    size = 0
    for index, char in enumerate(word):
        width = len(html.escape(char, quote=False))
        if size + width > limit:
            yield html.escape(word[start:index], quote=False)
            start, size = index, 0
        size += width
    yield html.escape(word[start:], quote=False)
