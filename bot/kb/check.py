"""`faqbot kb check`: what is wrong with a knowledge base, before citizens notice it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from matcher import KnowledgeBase, KnowledgeBaseErrors, Matcher, load_knowledge_base
from matcher.errors import KnowledgeBaseError
from matcher.leave_one_out import Ask, rivals
from matcher.loading import visible_files

# An entry found by fewer phrasings than this is too thin: citizens word things many ways.
MIN_PHRASINGS = 2
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


class Severity(StrEnum):
    """Errors fail the check; warnings are advice."""

    ERROR = "error"
    WARNING = "warning"


class Kind(StrEnum):
    """What a finding is about."""

    SCHEMA = "schema"  # the file cannot be loaded: YAML, a missing field, a duplicate id
    DUPLICATE_QUESTION = "duplicate-question"  # the same phrasing under two entries
    CONFLICT = "conflict"  # a phrasing the matcher answers with another entry
    AMBIGUOUS = "ambiguous"  # a phrasing whose best match is another entry, but not surely
    REPEATED = "repeated"  # the same phrasing twice in one entry
    THIN = "thin"  # an entry with one phrasing only
    UNREAD_FILE = "unread-file"  # a YAML file the loader skips (".yml", ".YAML")
    SYNONYMS = "synonyms"  # a word in two synonym groups


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, with where it is."""

    severity: Severity
    kind: Kind
    message: str
    file: str | None = None
    line: int | None = None
    entry_id: str | None = None

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "")
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        label = "ОШИБКА" if self.severity is Severity.ERROR else "внимание"
        return f"{label}: {where}{entry} {self.message}".replace(":  ", ": ")


@dataclass(frozen=True, slots=True)
class Report:
    """Everything `kb check` found."""

    findings: tuple[Finding, ...]
    entries: int

    @property
    def errors(self) -> int:
        """How many findings fail the check."""
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are advice."""
        return sum(f.severity is Severity.WARNING for f in self.findings)

    def to_json(self) -> dict[str, object]:
        """The `--json` report."""
        return {
            "ok": self.errors == 0,
            "entries": self.entries,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_json() for f in self.findings],
        }


# Called as the conflict check asks each phrasing: (asked so far, phrasings in all).
Progress = Callable[[int, int], None]


def check_directory(
    root: Path,
    *,
    matcher: Matcher | None = None,
    progress: Progress | None = None,
    building: Progress | None = None,
) -> Report:
    """Load and check a knowledge-base directory; `progress` as `check_base` takes it, and
    `building` as the `Matcher` built for it does (`progress`: a first start's vectors)."""
    unread = tuple(_unread_files(root))
    try:
        kb = load_knowledge_base(root)
    except KnowledgeBaseErrors as error:
        return Report((*(_schema(p) for p in error.problems), *unread), 0)
    except KnowledgeBaseError as error:
        return Report((_schema(error), *unread), 0)
    checked = check_base(kb, matcher or Matcher(kb, progress=building), progress=progress)
    return Report((*unread, *checked.findings), checked.entries)


def check_base(
    kb: KnowledgeBase,
    matcher: Matcher,
    *,
    progress: Progress | None = None,
) -> Report:
    """Check a loaded base with a matcher built from it.

    The conflict check asks every phrasing of the base (seconds for tens of thousands):
    `progress` hears of each one.
    """
    findings = [
        *duplicates(kb, matcher),
        *conflicts(kb, matcher, progress),
        *_thin(kb),
        *_synonym_overlaps(kb, matcher),
    ]
    return Report(tuple(findings), len(kb))


def _schema(problem: KnowledgeBaseError) -> Finding:
    file = str(problem.file) if problem.file is not None else None
    return Finding(Severity.ERROR, Kind.SCHEMA, problem.message, file, problem.line)


def duplicates(kb: KnowledgeBase, matcher: Matcher) -> Iterator[Finding]:
    """A phrasing twice in one entry (a warning) or under two entries (an error)."""
    owners: dict[tuple[str, ...], str] = {}
    for entry in kb:
        seen: set[tuple[str, ...]] = set()
        for index, phrasing in enumerate(entry.phrasings):
            key = matcher.analyzer.normalise(phrasing)
            if key in seen:
                yield _finding(
                    Severity.WARNING,
                    Kind.REPEATED,
                    entry.id,
                    kb,
                    f"«{phrasing}» повторяется в этой записи",
                    phrasing=index,
                )
                continue
            seen.add(key)
            owner = owners.setdefault(key, entry.id)
            if owner != entry.id:
                yield _finding(
                    Severity.ERROR,
                    Kind.DUPLICATE_QUESTION,
                    entry.id,
                    kb,
                    f"«{phrasing}» уже есть в записи {owner}: оставьте его в одной",
                    phrasing=index,
                )


def conflicts(
    kb: KnowledgeBase,
    matcher: Matcher,
    progress: Progress | None = None,
    *,
    only: Collection[str] | None = None,
) -> Iterator[Finding]:
    """Phrasings the matcher gives to another entry (errors) or ranks below another entry
    (warnings), each asked as if the base lacked it; `only`: these entries' phrasings.

    Each phrasing is asked as if the base lacked it, so the entry must earn the match from
    its other phrasings; an entry with one phrasing keeps it (and is reported as thin). The
    phrasings are scored all at once (`matcher.leave_one_out`), with the outcome
    `Matcher.match_without` gives each.
    """
    position = {e.id: index for index, e in enumerate(matcher.kb)}
    entries = [e for e in kb if only is None or e.id in only]
    asks = [
        Ask(position[e.id], index, left_out=len(e.phrasings) >= MIN_PHRASINGS)
        for e in entries
        for index in range(len(e.phrasings))
    ]
    texts = [(e, index, phrasing) for e in entries for index, phrasing in enumerate(e.phrasings)]
    found = rivals(matcher, asks)
    for asked, ((entry, index, phrasing), rival) in enumerate(
        zip(texts, found, strict=True), start=1
    ):
        if progress is not None:
            progress(asked, len(asks))
        if rival is None:
            continue
        if rival.answered:
            yield _finding(
                Severity.ERROR,
                Kind.CONFLICT,
                entry.id,
                kb,
                f"«{phrasing}» получает ответ записи {rival.entry_id} "
                f"(уверенность {rival.score:.2f}): переформулируйте или перенесите",
                phrasing=index,
            )
        elif not rival.own_offered:
            yield _finding(
                Severity.WARNING,
                Kind.AMBIGUOUS,
                entry.id,
                kb,
                f"«{phrasing}» ближе к записи {rival.entry_id}, чем к своей",
                phrasing=index,
            )


def _thin(kb: KnowledgeBase) -> Iterator[Finding]:
    for entry in kb:
        if len(entry.phrasings) < MIN_PHRASINGS:
            yield _finding(
                Severity.WARNING,
                Kind.THIN,
                entry.id,
                kb,
                "только одна формулировка: добавьте альтернативы словами граждан",
            )


def _unread_files(root: Path) -> Iterator[Finding]:
    """Files named like YAML that the loader skips: only `*.yaml` is read (CONTRACTS.md)."""
    if not root.is_dir():
        return
    for path in visible_files(root, "*"):
        if path.suffix.lower() in YAML_SUFFIXES and path.suffix != ".yaml":
            yield Finding(
                Severity.WARNING,
                Kind.UNREAD_FILE,
                f"файл не читается: консультант берёт только файлы «.yaml» — "
                f"переименуйте его в «{path.stem}.yaml»",
                str(path),
            )


def _synonym_overlaps(kb: KnowledgeBase, matcher: Matcher) -> Iterator[Finding]:
    """A word (or phrase) in two groups: each of its groups is one meaning, so it has one."""
    groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in kb.synonyms:
        for member in dict.fromkeys(matcher.analyzer.lemmatize_phrase(m) for m in group):
            groups.setdefault(member, []).append(group)
    for member, holders in groups.items():
        if len(holders) > 1:
            shown = " и ".join("[" + ", ".join(g) + "]" for g in holders)
            yield Finding(
                Severity.WARNING,
                Kind.SYNONYMS,
                f"«{' '.join(member)}» есть в нескольких группах синонимов: {shown} — "
                "оставьте его в одной (повторять группу из другого файла тоже не нужно)",
            )


def _finding(
    severity: Severity,
    kind: Kind,
    entry_id: str,
    kb: KnowledgeBase,
    message: str,
    *,
    phrasing: int | None = None,
) -> Finding:
    """A finding about an entry, at the line of its phrasing `phrasing` when given."""
    entry = kb.get(entry_id)
    file = str(entry.file) if entry is not None and entry.file is not None else None
    if entry is None:
        line = None
    else:
        line = entry.line if phrasing is None else entry.phrasing_line(phrasing)
    return Finding(severity, kind, message, file, line, entry_id)
