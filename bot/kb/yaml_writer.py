"""Writing one topic file (CONTRACTS.md §1) as clean, human-friendly YAML.

The output reads like the hand-written files: `topic:` then `entries:`, entries indented under
it and separated by a blank line, fields in a fixed order, empty optional fields left out,
answers and other multi-line text as `|` blocks, Cyrillic as-is and no line folding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from matcher.knowledge import Entry

# Long answers must stay on one line each: folding would make diffs noisy and hard to review.
NO_WRAP_WIDTH = 1_000_000_000


class _FlowList(list[str]):
    """A short list written inline, like `keywords: [пароль, сброс]`."""


class _TopicDumper(yaml.SafeDumper):
    """SafeDumper that indents list items under their key, as our hand-written files do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # The emitter falls back to a quoted style by itself when a block is not possible
    # (trailing spaces, control characters), so content never changes.
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, items: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


_TopicDumper.add_representer(str, _represent_text)
_TopicDumper.add_representer(_FlowList, _represent_flow_list)


def entry_fields(entry: Entry) -> dict[str, Any]:
    """An entry's fields in file order (id, question, alternatives, keywords, answer, links,
    tags, source), empty optional ones left out."""
    fields: dict[str, Any] = {"id": entry.id, "question": entry.question}
    if entry.alternatives:
        fields["alternatives"] = list(entry.alternatives)
    if entry.keywords:
        fields["keywords"] = _FlowList(entry.keywords)
    # Answers are always `|` blocks, as in the hand-written files, so a first import does not
    # restyle every short answer; the newline picks `|` over `|-`, and the loader strips it.
    fields["answer"] = entry.answer + "\n"
    if entry.links:
        fields["links"] = [{"title": link.title, "url": link.url} for link in entry.links]
    if entry.tags:
        fields["tags"] = _FlowList(entry.tags)
    if entry.source:
        fields["source"] = entry.source
    return fields


def topic_file_text(topic: str, entries: Sequence[Entry]) -> str:
    """The YAML text of a topic file holding `entries` (in this order) under `topic`."""
    document = {"topic": topic, "entries": [entry_fields(entry) for entry in entries]}
    text = yaml.dump(
        document,
        Dumper=_TopicDumper,
        allow_unicode=True,
        sort_keys=False,
        width=NO_WRAP_WIDTH,
        default_flow_style=False,
    )
    return "".join(_blank_line_between_entries(text.splitlines(keepends=True)))


def _blank_line_between_entries(lines: Iterable[str]) -> Iterable[str]:
    # Entries are the only lines that start with exactly "  - ": everything inside an entry
    # (fields, block scalars, quoted continuations) is indented deeper.
    seen_entry = False
    for line in lines:
        if line.startswith("  - "):
            if seen_entry:
                yield "\n"
            seen_entry = True
        yield line
