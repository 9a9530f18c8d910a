"""Reading a knowledge-base directory (CONTRACTS.md §1) into values, with file:line errors.

`load_knowledge_base(dir)` reads every *.yaml file; `parse_topic_file` and
`parse_synonyms_file` turn one file's text into values, so reading stays apart from parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from matcher.errors import KnowledgeBaseError, KnowledgeBaseErrors
from matcher.knowledge import Entry, KnowledgeBase, Link

ID_RE = re.compile(r"[a-z0-9-]+")
URL_RE = re.compile(r"https?://\S+")
ENTRY_FIELDS = frozenset(
    {"id", "question", "alternatives", "keywords", "answer", "links", "tags", "source"}
)
# Files larger than this are refused: a knowledge base is text written by people.
MAX_FILE_BYTES = 5_000_000
# libyaml's parser, when PyYAML was built with it: it reads a base some twenty times faster
# (start-up, every hot reload, every check of a curator's phrasing). A file it refuses is read
# again by the pure-Python parser, whose error the curator is told, as before.
FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


@dataclass(frozen=True, slots=True)
class TopicFile:
    """One parsed topic file."""

    topic: str
    entries: tuple[Entry, ...]


def load_knowledge_base(root: Path | str) -> KnowledgeBase:
    """Load every *.yaml file under `root` (subfolders included, hidden ones left out),
    sorted by path.

    Raises KnowledgeBaseErrors listing every problem found, each with its file and line.
    """
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeBaseError(f"база знаний — это папка, а «{root}» не папка или её нет")
    files = topic_paths(root)
    if not files:
        raise KnowledgeBaseError(
            "нет файлов *.yaml: в базе должен быть хотя бы один файл с темой", file=root
        )
    problems: list[KnowledgeBaseError] = []
    entries: list[Entry] = []
    synonyms: list[tuple[str, ...]] = []
    for path in files:
        try:
            text = read_text(path)
            parsed = parse_file(text, path)
        except KnowledgeBaseErrors as error:
            problems.extend(error.problems)
            continue
        except KnowledgeBaseError as error:
            problems.append(error)
            continue
        if isinstance(parsed, TopicFile):
            entries.extend(parsed.entries)
        else:
            synonyms.extend(parsed)
    problems.extend(_duplicate_ids(entries))
    if not entries and not problems:
        problems.append(
            KnowledgeBaseError("нет ни одной записи: нашлись только файлы синонимов", file=root)
        )
    if problems:
        raise KnowledgeBaseErrors(problems)
    return KnowledgeBase(tuple(entries), tuple(synonyms), root)


def topic_paths(root: Path) -> list[Path]:
    """The *.yaml files under `root`, sorted, leaving out hidden ones (see `visible_files`)."""
    return visible_files(root, "*.yaml")


def visible_files(root: Path, pattern: str) -> list[Path]:
    """The files under `root` matching `pattern`, sorted, leaving out hidden files and folders
    (".git", ".github", an editor's ".#account.yaml"): they are not the staff's topics."""
    return sorted(
        path
        for path in root.rglob(pattern)
        if not any(part.startswith(".") for part in path.relative_to(root).parts) and path.is_file()
    )


def read_text(path: Path) -> str:
    """A file's text as UTF-8, refusing binary and oversized files with a clear message."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise KnowledgeBaseError(f"файл не читается: {error.strerror}", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise KnowledgeBaseError(
            f"файл весит {len(data)} байт, больше допустимых {MAX_FILE_BYTES}", file=path
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise KnowledgeBaseError(
            f"текст не в кодировке UTF-8 (байт {error.start}): сохраните файл в UTF-8", file=path
        ) from None
    if "\x00" in text:
        raise KnowledgeBaseError(
            "в файле двоичные данные (нулевые байты), а не текст YAML", file=path
        )
    return text


def parse_file(text: str, path: Path) -> TopicFile | list[tuple[str, ...]]:
    """Parse one file: a topic file, or a synonyms file (top-level key `synonyms`)."""
    root = _compose(text, path)
    if isinstance(root, MappingNode) and "synonyms" in _keys(root):
        return parse_synonyms_file(root, path)
    return parse_topic_file(root, path)


def parse_topic_file(root: Node | None, path: Path) -> TopicFile:
    """Parse a composed topic file: `topic` and a non-empty list of `entries`."""
    if not isinstance(root, MappingNode):
        raise _error(
            root,
            path,
            "файл пуст или это не тема: ожидаются поля `topic` и `entries` "
            "(или `synonyms` в файле синонимов)",
        )
    fields = _mapping(root, path)
    topic = _required_text(fields, "topic", root, path)
    entries_node = fields.get("entries")
    if entries_node is None:
        raise _error(root, path, "нет поля `entries`: нужен список записей")
    if not isinstance(entries_node, SequenceNode) or not entries_node.value:
        raise _error(entries_node, path, "`entries` должно быть непустым списком записей")
    problems: list[KnowledgeBaseError] = []
    entries: list[Entry] = []
    for node in entries_node.value:
        try:
            entries.append(_parse_entry(node, topic, path))
        except KnowledgeBaseError as error:
            problems.append(error)
    if problems:
        raise KnowledgeBaseErrors(problems)
    return TopicFile(topic, tuple(entries))


def parse_synonyms_file(root: MappingNode, path: Path) -> list[tuple[str, ...]]:
    """Parse a composed synonyms file: a list of groups, each a list of two or more phrases."""
    node = _mapping(root, path)["synonyms"]
    if not isinstance(node, SequenceNode):
        raise _error(node, path, "`synonyms` должно быть списком групп вида [лк, личный кабинет]")
    groups: list[tuple[str, ...]] = []
    for group in node.value:
        phrases = _text_list(group, path, "группа синонимов")
        if len(phrases) < 2:
            raise _error(group, path, "в группе синонимов нужно хотя бы два слова или выражения")
        groups.append(phrases)
    return groups


def _parse_entry(node: Node, topic: str, path: Path) -> Entry:
    if not isinstance(node, MappingNode):
        raise _error(
            node,
            path,
            "запись должна состоять из полей id, question, answer…, а не быть строкой или списком",
        )
    fields = _mapping(node, path)
    unknown = sorted(set(fields) - ENTRY_FIELDS)
    if unknown:
        raise _error(
            fields[unknown[0]],
            path,
            f"неизвестное поле `{unknown[0]}`; "
            f"у записи бывают поля: {', '.join(sorted(ENTRY_FIELDS))}",
        )
    entry_id = _required_text(fields, "id", node, path)
    if not ID_RE.fullmatch(entry_id):
        raise _error(
            fields["id"],
            path,
            f"id «{entry_id}»: допустимы только латинские строчные буквы, цифры и «-»",
        )
    source = fields.get("source")
    return Entry(
        id=entry_id,
        topic=topic,
        question=_required_text(fields, "question", node, path),
        answer=_required_text(fields, "answer", node, path).strip(),
        alternatives=_optional_list(fields, "alternatives", path),
        keywords=_optional_list(fields, "keywords", path),
        links=_links(fields.get("links"), path),
        tags=_optional_list(fields, "tags", path),
        source=_text(source, path, "`source`") if source is not None else None,
        file=path,
        line=node.start_mark.line + 1,
        phrasing_lines=_phrasing_lines(fields),
    )


def _phrasing_lines(fields: dict[str, Node]) -> tuple[int, ...]:
    """The line of the question and of each alternative (already checked to be text)."""
    alternatives = fields.get("alternatives")
    items = alternatives.value if isinstance(alternatives, SequenceNode) else []
    return tuple(node.start_mark.line + 1 for node in (fields["question"], *items))


def _links(node: Node | None, path: Path) -> tuple[Link, ...]:
    if node is None:
        return ()
    if not isinstance(node, SequenceNode):
        raise _error(node, path, "`links` должно быть списком ссылок с полями title и url")
    links = []
    for item in node.value:
        if not isinstance(item, MappingNode):
            raise _error(item, path, "у каждой ссылки должны быть поля `title` и `url`")
        fields = _mapping(item, path)
        title = _required_text(fields, "title", item, path)
        url = _required_text(fields, "url", item, path)
        if not URL_RE.fullmatch(url):
            raise _error(
                fields["url"],
                path,
                f"адрес ссылки «{url}» должен начинаться с http:// или https://",
            )
        links.append(Link(title, url))
    return tuple(links)


def _compose(text: str, path: Path) -> Node | None:
    if FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=FAST_LOADER)
        except (yaml.YAMLError, RecursionError):
            pass  # read again below: the pure-Python parser's messages are the ones we translate
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or "invalid YAML"
        raise KnowledgeBaseError(_yaml_problem(problem), file=path, line=line) from None
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"ошибка YAML: {error}", file=path) from None
    except RecursionError:
        raise KnowledgeBaseError(
            "ошибка YAML: слишком глубокая вложенность списков", file=path
        ) from None


# PyYAML's commonest complaints, as a curator would understand them.
YAML_PROBLEMS = {
    "found character '\\t' that cannot start any token": (
        "табуляция: отступы в YAML делаются только пробелами"
    ),
    "mapping values are not allowed here": (
        "лишнее «: » — возьмите текст в кавычки или проверьте отступ строки выше"
    ),
    "could not find expected ':'": "не найдено двоеточие после названия поля",
}


def _yaml_problem(problem: str | None) -> str:
    """PyYAML's problem in Russian where it is a common one, with the original beside."""
    if problem is None:
        return "ошибка YAML"
    known = YAML_PROBLEMS.get(problem) or (
        "неверный отступ или лишний текст" if problem.startswith("expected <block end>") else None
    )
    return f"ошибка YAML: {known} ({problem})" if known else f"ошибка YAML: {problem}"


def _keys(node: MappingNode) -> Iterator[str]:
    for key, _ in node.value:
        if isinstance(key, ScalarNode):
            yield str(key.value)


def _mapping(node: MappingNode, path: Path) -> dict[str, Node]:
    fields: dict[str, Node] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise _error(key, path, "названия полей должны быть простыми словами")
        if key.value in fields:
            raise _error(key, path, f"поле `{key.value}` указано дважды")
        fields[str(key.value)] = value
    return fields


def _required_text(fields: dict[str, Node], name: str, parent: Node, path: Path) -> str:
    node = fields.get(name)
    if node is None:
        raise _error(parent, path, f"нет поля `{name}`")
    value = _text(node, path, f"`{name}`")
    if not value.strip():
        raise _error(node, path, f"поле `{name}` пустое")
    return value


def _optional_list(fields: dict[str, Node], name: str, path: Path) -> tuple[str, ...]:
    node = fields.get(name)
    if node is None:
        return ()
    return _text_list(node, path, f"`{name}`")


def _text_list(node: Node, path: Path, what: str) -> tuple[str, ...]:
    if not isinstance(node, SequenceNode):
        raise _error(node, path, f"{what}: ожидается список (строки с «- »)")
    items = tuple(_text(item, path, f"{what}, элемент списка").strip() for item in node.value)
    if any(not item for item in items):
        raise _error(node, path, f"{what}: пустой элемент списка")
    return items


def _text(node: Node, path: Path, what: str) -> str:
    if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        raise _error(node, path, f"{what}: ожидается текст, а здесь {_describe(node)}")
    return str(node.value)


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "набор полей (лишнее двоеточие?)"
    if isinstance(node, SequenceNode):
        return "список"
    return "пусто" if node.tag.endswith(":null") else f"«{node.value}»"


def _error(node: Node | None, path: Path, message: str) -> KnowledgeBaseError:
    line = node.start_mark.line + 1 if node is not None else None
    return KnowledgeBaseError(message, file=path, line=line)


def _duplicate_ids(entries: list[Entry]) -> Iterator[KnowledgeBaseError]:
    seen: dict[str, Entry] = {}
    for entry in entries:
        first = seen.setdefault(entry.id, entry)
        if first is not entry:
            yield KnowledgeBaseError(
                f"id `{entry.id}` уже занят записью в {first.location}",
                file=entry.file,
                line=entry.line,
            )
