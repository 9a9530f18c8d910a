"""Writing a checked table into the base.

The export records, in a last column staff leave alone («Версия записи»), a short hash of each
entry as exported. The import compares it with the base as it is now, so that a table exported
before someone edited the YAML (by hand, or through the console) does not quietly undo that
edit: a row left as exported keeps the base's newer version, and a row edited in the table
whose entry also changed in the base stops the import (unless forced). Entries of the base
missing from the table are kept unless the import is told to delete them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.kb_writer import locked_base, topic_file_text
from bot.kb.spreadsheet.checking import check_rows
from bot.kb.spreadsheet.rows import (
    COLUMNS,
    Problem,
    Row,
    canonical,
    entry_cells,
    entry_row,
    entry_version,
    export_rows,
    file_name,
    relative_file,
    row_entry,
)
from matcher.errors import KnowledgeBaseError, KnowledgeBaseErrors
from matcher.knowledge import Entry, KnowledgeBase
from matcher.loading import (
    load_knowledge_base,
    topic_paths,
)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. With `problems`, nothing was written.

    File names (relative to the base): `changed` were rewritten, `unchanged` are named in the
    table but hold the same entries, `removed_files` were deleted (no entry left), `untouched`
    are not named in the table and were left as they are. Entry ids: `added`, `edited` and
    `deleted` by the import; `kept`: missing from the table, kept in the base; `base_kept`:
    changed in the base since the export and left as exported in the table, so the base's
    version stays; `not_restored`: deleted from the base since the export, rows left as
    exported, so not brought back.
    """

    problems: tuple[Problem, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    untouched: tuple[str, ...] = ()
    removed_files: tuple[str, ...] = ()
    entries: int = 0
    added: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    base_kept: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the table was accepted and written."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Topic:
    """What the table says one topic file should hold."""

    title: str
    entries: list[Entry] = field(default_factory=list)


def topic_texts(rows: Sequence[Row]) -> dict[str, str]:
    """The new text of each topic file named in the table, entries in table order."""
    return {
        name: topic_file_text(topic.title, topic.entries) for name, topic in _topics(rows).items()
    }


def import_rows(
    rows: Sequence[Row], kb_dir: Path, *, force: bool = False, delete_missing: bool = False
) -> ImportReport:
    """Check every row against the base as it is now; if all is well, rewrite the topic files
    whose entries change.

    Refused, writing nothing: a base that does not load (its hand edits would be overwritten),
    a wrong row, an entry edited both in the table and in the base since the export (unless
    `force`: then the table wins), a result that would not load. Entries of the base missing
    from the table stay where they are unless `delete_missing`; a topic file left without
    entries is deleted. A file whose entries stay the same (same parsed content) is not
    rewritten, so its comments and styles stay. Synonyms files are never touched. The result
    is loaded in a scratch copy first, so a table that would break the base writes nothing.
    The base is read and written under the writers' lock of all its folders: a phrasing the
    console adds meanwhile waits, and is not lost.
    """
    if not kb_dir.is_dir():
        return ImportReport((Problem(f"папка базы знаний {kb_dir} не найдена."),))
    with locked_base(kb_dir):
        return _import_locked(rows, kb_dir, force=force, delete_missing=delete_missing)


def _import_locked(
    rows: Sequence[Row], kb_dir: Path, *, force: bool, delete_missing: bool
) -> ImportReport:
    try:
        base = _current_base(kb_dir)
    except KnowledgeBaseErrors as errors:
        return ImportReport(tuple(_unloadable(problem, kb_dir) for problem in errors.problems))
    except KnowledgeBaseError as error:
        return ImportReport((_unloadable(error, kb_dir),))
    problems = check_rows(rows, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    if any(row.windows_1251 for row in rows) and (lost := _lost_in_windows_1251(base)):
        return ImportReport((lost,))
    merge = _merge(rows, base, force=force)
    if merge.conflicts:
        return ImportReport(merge.conflicts)
    plan = _plan(merge, base, delete_missing=delete_missing)
    problems = _trial_load(plan.texts, plan.removed_files, kb_dir)
    if problems:
        return ImportReport(tuple(problems))
    for name, text in plan.texts.items():
        _replace_file(kb_dir / name, text)
    for name in plan.removed_files:
        (kb_dir / name).unlink()
    return ImportReport(
        changed=tuple(plan.texts),
        unchanged=plan.unchanged,
        untouched=plan.untouched,
        removed_files=plan.removed_files,
        entries=len(rows),
        added=plan.added,
        edited=plan.edited,
        deleted=plan.deleted,
        kept=plan.kept,
        base_kept=merge.base_kept,
        not_restored=merge.not_restored,
    )


def _current_base(kb_dir: Path) -> KnowledgeBase:
    """The base as it is now; empty when the folder has no YAML files yet."""
    if not topic_paths(kb_dir):
        return KnowledgeBase((), (), kb_dir)
    return load_knowledge_base(kb_dir)


def _lost_in_windows_1251(base: KnowledgeBase) -> Problem | None:
    """Excel saving in Windows-1251 turns every character it lacks ("→", emoji) into "?":
    refused when the base holds any, naming the entries, since the table no longer does."""
    ids = [
        row.id
        for row in export_rows(base)
        if not all(_fits_windows_1251(row.cell(column.name)) for column in COLUMNS)
    ]
    if not ids:
        return None
    return Problem(
        "таблица сохранена в кодировке Windows-1251, в которой нет части символов записей "
        f"{', '.join(ids)}: Excel заменил их на «?». Сохраните таблицу как «CSV UTF-8 "
        "(разделитель — запятая)» или как .xlsx и повторите импорт."
    )


def _fits_windows_1251(text: str) -> bool:
    try:
        text.encode("cp1251")
    except UnicodeEncodeError:
        return False
    return True


def _unloadable(error: KnowledgeBaseError, kb_dir: Path) -> Problem:
    return Problem(
        f"база знаний не загружается, а импорт перезаписал бы файл вместе с ручной правкой: "
        f"{_where(error, kb_dir)}{error.message} — исправьте файл (проверьте командой "
        "faqbot kb check) и повторите импорт."
    )


@dataclass(frozen=True, slots=True)
class _Merge:
    """The table reconciled with the base as it is now (see `_merge`)."""

    rows: tuple[Row, ...]
    conflicts: tuple[Problem, ...] = ()
    base_kept: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()


def _merge(rows: Sequence[Row], base: KnowledgeBase, *, force: bool) -> _Merge:
    """Which rows to write, judged by the version each row recorded at export.

    A row without a version (an old table, a row staff added) is written, and so is every row
    into a folder with no entries yet (a base set up, or restored, from a table). Otherwise,
    when the
    base's entry is still as exported, the row is written; when it has changed since (or was
    deleted), a row left as exported gives way to the base, and a row edited in the table is
    a conflict, unless it says what the base says already. With `force`, a conflicting row is
    written over the base's change; rows left as exported still give way to the base.
    """
    written: list[Row] = []
    conflicts: list[Problem] = []
    base_kept: list[str] = []
    not_restored: list[str] = []
    for row in rows:
        entry_id = row.id.strip()
        current = base.get(entry_id)
        now = None if current is None else entry_row(current, base.root, row.number)
        recorded = row.version.strip()
        if not recorded or not len(base) or (now is not None and now.version == recorded):
            written.append(row)
        elif entry_version(row) == recorded:  # left as exported: the base's change stays
            (not_restored if now is None else base_kept).append(entry_id)
        elif now is None or canonical(now) == canonical(row):
            written.append(row)  # a new entry from a copied row, or the base's change itself
        elif force:
            written.append(row)  # edited in both places: the table wins, as asked
        else:
            conflicts.append(_conflict(row, now))
    return _Merge(tuple(written), tuple(conflicts), tuple(base_kept), tuple(not_restored))


def _conflict(row: Row, now: Row) -> Problem:
    return Problem(
        f"запись «{now.id}» изменена в базе после выгрузки (файл {now.file}), а в таблице её "
        "тоже правили; выгрузите базу заново и перенесите правку в новую таблицу или, чтобы "
        "записать версию из таблицы для этих записей и потерять их изменения в базе, повторите "
        "импорт с флагом --force.",
        row=row.number,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an import writes: new text by file, files to delete, and the report's lists."""

    texts: dict[str, str]
    unchanged: tuple[str, ...]
    removed_files: tuple[str, ...]
    untouched: tuple[str, ...]
    added: tuple[str, ...]
    edited: tuple[str, ...]
    deleted: tuple[str, ...]
    kept: tuple[str, ...]


def _plan(merge: _Merge, base: KnowledgeBase, *, delete_missing: bool) -> _Plan:
    """The files the merged rows make. Files named in the rows are rebuilt from them, with
    the base's entries that stay (missing from the table, or given way to) in their places;
    a file losing entries to `delete_missing` is rebuilt too."""
    current = _files_of(base)
    table = _topics(merge.rows)
    written_ids = {row.id.strip() for row in merge.rows}
    missing = [entry.id for entry in base if entry.id not in written_ids]
    given_way = set(merge.base_kept)
    deleted = [i for i in missing if delete_missing and i not in given_way]
    staying = set(missing) - set(deleted)
    candidates = [*table, *(name for name in current if name not in table)]
    texts: dict[str, str] = {}
    unchanged: list[str] = []
    removed: list[str] = []
    for name in candidates:
        old_title, old_entries = current.get(name, ("", []))
        title = table[name].title if name in table else old_title
        new_entries = table[name].entries if name in table else []
        entries = _with_staying(new_entries, old_entries, staying)
        if name not in table and entries == old_entries:
            continue  # not in the table and nothing deleted: untouched
        if not entries:
            removed.append(name)
        elif title == old_title and _same_entries(entries, old_entries, name):
            unchanged.append(name)
        else:
            texts[name] = topic_file_text(title, entries)
    by_id = {entry.id: entry for entry in base}
    rebuilt_names = {*texts, *unchanged, *removed}
    return _Plan(
        texts=texts,
        unchanged=tuple(unchanged),
        removed_files=tuple(removed),
        untouched=tuple(n for n in current if n not in rebuilt_names),
        added=tuple(row.id.strip() for row in merge.rows if row.id.strip() not in by_id),
        edited=tuple(
            row.id.strip()
            for row in merge.rows
            if (entry := by_id.get(row.id.strip())) is not None
            and canonical(entry_cells(entry, relative_file(entry, base.root), 0)) != canonical(row)
        ),
        deleted=tuple(deleted),
        kept=tuple(i for i in missing if i in staying and i not in given_way),
    )


def _files_of(base: KnowledgeBase) -> dict[str, tuple[str, list[Entry]]]:
    """Each topic file of the base: its topic and entries, in order."""
    files: dict[str, tuple[str, list[Entry]]] = {}
    for entry in base:
        files.setdefault(relative_file(entry, base.root), (entry.topic, []))[1].append(entry)
    return files


def _topics(rows: Sequence[Row]) -> dict[str, _Topic]:
    topics: dict[str, _Topic] = {}
    for row in rows:
        topic = topics.setdefault(file_name(row), _Topic(row.topic.strip()))
        topic.entries.append(row_entry(row))
    return topics


def _with_staying(new: list[Entry], old: list[Entry], staying: set[str]) -> list[Entry]:
    """`new` with the entries of `old` whose ids are `staying` put back, each right after the
    nearest entry that preceded it in `old` (or first)."""
    result = list(new)
    for index, entry in enumerate(old):
        if entry.id not in staying:
            continue
        ids = [e.id for e in result]
        before = [e.id for e in old[:index] if e.id in ids]
        result.insert(ids.index(before[-1]) + 1 if before else 0, entry)
    return result


def _same_entries(new: list[Entry], old: list[Entry], file: str) -> bool:
    """Whether a file would hold the same entries, read as the import reads them."""
    if len(new) != len(old):
        return False
    return all(
        canonical(entry_cells(a, file, 0)) == canonical(entry_cells(b, file, 0))
        for a, b in zip(new, old, strict=True)
    )


def _trial_load(texts: dict[str, str], removed: Sequence[str], kb_dir: Path) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="faqbot-kb-import-") as scratch:
        trial = Path(scratch) / "kb"
        shutil.copytree(kb_dir, trial)
        for name, text in texts.items():
            path = trial / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for name in removed:
            (trial / name).unlink()
        try:
            load_knowledge_base(trial)
        except KnowledgeBaseErrors as errors:
            return [_base_problem(problem, trial) for problem in errors.problems]
        except KnowledgeBaseError as error:
            return [_base_problem(error, trial)]
    return []


def _base_problem(error: KnowledgeBaseError, trial: Path) -> Problem:
    message = error.message.replace(f"{trial}{os.sep}", "")
    return Problem(f"после импорта база не загрузится: {_where(error, trial)}{message}")


def _where(error: KnowledgeBaseError, root: Path) -> str:
    """`file:line: ` of a load error, the file relative to `root`; empty without a file."""
    if error.file is None:
        return ""
    name = (
        error.file.relative_to(root).as_posix()
        if error.file.is_relative_to(root)
        else str(error.file)
    )
    return f"{name}:{error.line}: " if error.line else f"{name}: "


def _replace_file(path: Path, text: str) -> None:
    # Write beside the target and rename, so a crash never leaves half a topic file.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
