"""Writing topic files of the knowledge base (CONTRACTS.md §1) as clean YAML.

The output reads like the hand-written files: `topic:` then `entries:`, entries indented under
it and separated by a blank line, fields in a fixed order, empty optional fields left out,
answers and other multi-line text as `|` blocks, short lists (`keywords`, `tags`) inline,
Cyrillic as-is and no line folding. Every writer of the base (the spreadsheet import, the
alternatives tool, approved proposals) goes through here, so a file keeps one style.

Writing is atomic (a temporary file renamed over the old one) and serialised by the writers'
lock of the file's folder, so that the server's hot reload never sees half a file and two
writers never lose each other's edits. Writers that check the base before they write (the
console's phrasings, approved proposals, the spreadsheet import) lock every folder of the base
from the check to the write, so that two curators cannot both pass a check the other's edit
would fail (`locked_base`, from async code `BaseWriters`).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import (
    AbstractContextManager,
    ExitStack,
    asynccontextmanager,
    contextmanager,
    nullcontext,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import InvalidInputError
from matcher.knowledge import Entry
from matcher.loading import topic_paths

# Long lines stay whole: folded answers make diffs of the base hard to review.
NO_WRAP_WIDTH = 1_000_000_000
# Fields written as short inline lists, like `keywords: [пароль, сброс]`.
FLOW_FIELDS = ("keywords", "tags")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append, in the fields of the knowledge-base format."""

    id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str | None = None


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


def existing_ids(kb_dir: Path) -> set[str]:
    """Ids of all entries in the base's YAML files (files that fail to parse are skipped)."""
    ids: set[str] = set()
    for path in topic_paths(kb_dir):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the loader reports broken files; here we only avoid id clashes
        if isinstance(data, dict):
            for entry in data.get("entries") or []:
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    ids.add(entry["id"])
    return ids


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the writers' lock of the topic file `path` while the block runs.

    The lock is taken on the file's folder, which is always there: a lock file beside the
    topic would be left in the staff's folder (and in their commits).
    """
    with _locked_folders([path.parent]):
        yield


@contextmanager
def locked_base(kb_dir: Path) -> Iterator[None]:
    """Hold the writers' lock of every folder of the base while the block runs: no other
    writer can change any topic file between the block's reading the base and writing it."""
    with _locked_folders([kb_dir, *(path.parent for path in topic_paths(kb_dir))]):
        yield


@asynccontextmanager
async def holding(lock: AbstractContextManager[None]) -> AsyncIterator[None]:
    """Hold a writers' lock (`locked_base`) across awaits: it is waited for on a worker
    thread, so the event loop keeps serving while another writer has it."""
    taking = asyncio.ensure_future(asyncio.to_thread(lock.__enter__))
    try:
        await asyncio.shield(taking)
    except asyncio.CancelledError:
        # Given up while waiting: let the lock go once it is taken, or no writer gets it again.
        taking.add_done_callback(lambda done: _release_if_taken(done, lock))
        raise
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def _release_if_taken(taking: asyncio.Future[None], lock: AbstractContextManager[None]) -> None:
    if not taking.cancelled() and taking.exception() is None:
        lock.__exit__(None, None, None)


class BaseWriters:
    """The writers' lock of one base (`locked_base`) for the async code of one process.

    Its writers queue for it on the event loop, and only the first of them waits for the
    file lock on a thread: when each waited on a thread of its own, more writers at once
    than asyncio has threads left none for the one holding the lock, which then waited for
    them forever (and so did every other `asyncio.to_thread`, the matcher's among them).
    """

    def __init__(self, kb_dir: Path) -> None:
        self._kb_dir = kb_dir
        self._turn = asyncio.Lock()

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """Hold the lock of the whole base across awaits."""
        async with self._turn, holding(locked_base(self._kb_dir)):
            yield


@contextmanager
def _locked_folders(folders: Iterable[Path]) -> Iterator[None]:
    # Always in the same (sorted) order, so two writers that each need several never wait
    # for each other in a circle.
    with ExitStack() as stack:
        for folder in sorted({f.resolve() for f in folders}):
            descriptor = os.open(folder, os.O_RDONLY)
            stack.callback(os.close, descriptor)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, descriptor, fcntl.LOCK_UN)
        yield


def _entry_mapping(entry: NewEntry) -> dict[str, Any]:
    mapping: dict[str, Any] = {"id": entry.id, "question": entry.question}
    if entry.alternatives:
        mapping["alternatives"] = list(entry.alternatives)
    mapping["answer"] = entry.answer.rstrip("\n") + "\n"
    if entry.tags:
        mapping["tags"] = _FlowList(entry.tags)
    if entry.source:
        mapping["source"] = entry.source
    return mapping


def _as_written(entry: Any) -> Any:
    """An entry read back from a file, styled as the writer writes it (inline short lists)."""
    if not isinstance(entry, dict):
        return entry
    styled = dict(entry)
    for field in FLOW_FIELDS:
        if isinstance(styled.get(field), list):
            styled[field] = _FlowList(styled[field])
    return styled


def append_entry(path: Path, entry: NewEntry, *, topic: str, lock: bool = True) -> None:
    """Add `entry` to the topic file at `path`, creating the file with `topic` if needed.

    `lock=False` when the caller holds the writers' lock already (`locked_base`): taking the
    folder's lock again would wait for the caller forever.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path) if lock else nullcontext():
        if path.exists():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as error:
                raise InvalidInputError(
                    f"Файл {path} не читается как YAML ({error}): исправьте его "
                    "(faqbot kb check покажет строку) и повторите."
                ) from None
            if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
                raise InvalidInputError(
                    f"Файл {path} — не файл темы (нужны «topic:» и «entries:»): исправьте "
                    "его или задайте другое имя файла для новых ответов."
                )
        else:
            data = {}
        entries = [_as_written(e) for e in data.get("entries") or []]
        entries.append(_entry_mapping(entry))
        text = _dump_topic(data.get("topic", topic), entries)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


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
    return _dump_topic(topic, [entry_fields(entry) for entry in entries])


def _dump_topic(topic: str, entries: Sequence[dict[str, Any]]) -> str:
    document = {"topic": topic, "entries": list(entries)}
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
