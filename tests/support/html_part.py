"""What a mail client would show of an HTML part: its tags, attributes, links and text."""

from __future__ import annotations

from html.parser import HTMLParser


class HtmlPart(HTMLParser):
    """The tags, attributes, links and visible text of an HTML part."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "a":
            self.links.extend(value or "" for name, value in attrs if name == "href")
        if tag in ("head", "script", "style"):
            self._skip += 1
        if tag in ("br", "p", "div"):
            self.text.append("\n")  # where a mail client breaks the line

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    @property
    def shown(self) -> str:
        """The visible text, its whitespace folded."""
        return " ".join("".join(self.text).split())
