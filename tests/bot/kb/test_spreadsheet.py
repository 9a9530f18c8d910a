"""The spreadsheet round trip as staff use it: export, edit in Excel, import back."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from bot.cli.main import main
from bot.core.kb_writer import locked, topic_file_text
from bot.kb.spreadsheet import (
    HEADERS,
    ImportReport,
    Row,
    SpreadsheetError,
    export_command,
    export_rows,
    import_command,
    import_rows,
    read_rows,
    write_csv,
    write_rows,
    write_xlsx,
)
from matcher.knowledge import Entry
from matcher.loading import TopicFile, load_knowledge_base, parse_file

ACCOUNT_YAML = """\
topic: Вход и учётная запись
entries:
  - id: password-recovery
    question: Как восстановить пароль от Госуслуг?
    alternatives:
      - забыл пароль
      - не помню пароль от личного кабинета
    keywords: [пароль, восстановление]
    answer: |
      Новый пароль можно задать самостоятельно:
      - на странице входа нажмите «Забыли пароль?»;
      - введите код из СМС.

      Если код не приходит, восстановите доступ через электронную почту.
    links:
      - title: Восстановление доступа
        url: https://www.gosuslugi.ru/recovery
      - title: Помощь | вопросы и ответы
        url: https://www.gosuslugi.ru/help/faq?tab=1#login
    tags: [вход]
    source: 002_aac7166fb7beab18.txt

  - id: account-blocked
    question: "Что делать, если учётная запись заблокирована: вход невозможен?"
    answer: Подождите час и попробуйте снова или обратитесь в центр обслуживания.
"""

EPTS_YAML = """\
topic: Электронный ПТС
entries:
  - id: epts-what-is
    question: Что такое ЭПТС?
    alternatives: [электронный паспорт транспортного средства]
    answer: |
      ЭПТС — электронный паспорт транспортного средства.
      Бумажный ПТС больше не выдаётся.
    tags: [эптс, "2024"]

  - id: epts-status
    question: Как узнать статус ЭПТС?
    keywords: [статус]
    answer: Статус виден в личном кабинете.
"""

SYNONYMS_YAML = """\
# Синонимы пишут вручную: этот файл импорт не трогает.
synonyms:
  - [лк, личный кабинет]
  - [эптс, электронный паспорт транспортного средства]
"""

FIELDS_IN_TABLE = (
    "file",
    "topic",
    "id",
    "question",
    "alternatives",
    "keywords",
    "answer",
    "links",
    "tags",
    "source",
)

FIELDS = (
    "id",
    "topic",
    "question",
    "alternatives",
    "keywords",
    "answer",
    "links",
    "tags",
    "source",
)


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A small real base: two topic files (one in a subfolder) and a synonyms file."""
    root = tmp_path / "kb"
    (root / "transport").mkdir(parents=True)
    (root / "account.yaml").write_text(ACCOUNT_YAML, encoding="utf-8")
    (root / "transport" / "epts.yaml").write_text(EPTS_YAML, encoding="utf-8")
    (root / "synonyms.yaml").write_text(SYNONYMS_YAML, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the base, by relative path, to prove what changed and what did not."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def fields_of(entry: Entry) -> dict[str, object]:
    """What citizens and staff see of an entry (not where it was read from)."""
    return {name: getattr(entry, name) for name in FIELDS}


def sheet_of(kb_dir: Path, tmp_path: Path, suffix: str) -> Path:
    """Export the base to a table file, as `faqbot kb export` does."""
    sheet = tmp_path / f"база{suffix}"
    write_rows(export_rows(load_knowledge_base(kb_dir)), sheet)
    return sheet


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_loses_nothing(kb_dir: Path, tmp_path: Path, suffix: str) -> None:
    before = load_knowledge_base(kb_dir)
    synonyms = (kb_dir / "synonyms.yaml").read_bytes()

    report = import_rows(read_rows(sheet_of(kb_dir, tmp_path, suffix)), kb_dir)

    assert report.ok, report.problems
    assert report.entries == 4
    after = load_knowledge_base(kb_dir)
    assert [fields_of(e) for e in after] == [fields_of(e) for e in before]
    assert after.synonyms == before.synonyms
    assert (kb_dir / "synonyms.yaml").read_bytes() == synonyms


def test_rewritten_yaml_reads_like_the_hand_written_files(kb_dir: Path, tmp_path: Path) -> None:
    import_rows(read_rows(sheet_of(kb_dir, tmp_path, ".xlsx")), kb_dir)

    text = (kb_dir / "account.yaml").read_text(encoding="utf-8")
    assert text.startswith("topic: Вход и учётная запись\nentries:\n  - id: password-recovery\n")
    assert "    answer: |\n      Новый пароль можно задать самостоятельно:\n" in text
    assert "      - введите код из СМС.\n\n      Если код не приходит" in text
    assert "    keywords: [пароль, восстановление]\n" in text
    assert "\n\n  - id: account-blocked\n" in text  # a blank line between entries
    assert "\\u" not in text  # Cyrillic as-is


def test_second_import_of_the_same_table_changes_no_file(kb_dir: Path, tmp_path: Path) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".csv")
    import_rows(read_rows(sheet), kb_dir)
    written = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.changed == ()
    assert report.unchanged == ("account.yaml", "transport/epts.yaml")
    assert snapshot(kb_dir) == written


def test_csv_opens_in_excel_with_cyrillic(kb_dir: Path, tmp_path: Path) -> None:
    data = sheet_of(kb_dir, tmp_path, ".csv").read_bytes()

    assert data.startswith("\ufeff".encode())  # the BOM Excel needs to see UTF-8
    assert data.decode("utf-8-sig").startswith("Файл;Тема;Идентификатор;Вопрос;")


def test_xlsx_has_a_bold_frozen_header_and_wrapped_cells(kb_dir: Path, tmp_path: Path) -> None:
    sheet = load_workbook(sheet_of(kb_dir, tmp_path, ".xlsx")).active

    assert [cell.value for cell in sheet[1]] == list(HEADERS.values())
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    answer = sheet.cell(row=2, column=7)
    assert answer.value.startswith("Новый пароль можно задать самостоятельно:\n- на странице")
    assert answer.alignment.wrap_text
    assert sheet.column_dimensions["G"].width >= 60


def test_comma_separated_csv_from_another_program_is_read(kb_dir: Path, tmp_path: Path) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    sheet = tmp_path / "google.csv"
    write_csv(rows, sheet, delimiter=",")

    assert [row.id for row in read_rows(sheet)] == [row.id for row in rows]


# ---------------------------------------------------------------- edits reach the YAML


def test_cells_edited_in_excel_show_up_in_the_yaml(kb_dir: Path, tmp_path: Path) -> None:
    path = sheet_of(kb_dir, tmp_path, ".xlsx")
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet["G3"] = "Разблокируйте запись в центре обслуживания.\n\nВозьмите паспорт и СНИЛС."
    sheet["E4"] = sheet["E4"].value + "\nчто за эптс"
    workbook.save(path)

    report = import_rows(read_rows(path), kb_dir)

    assert report.ok, report.problems
    assert report.changed == ("account.yaml", "transport/epts.yaml")
    kb = load_knowledge_base(kb_dir)
    blocked, epts = kb.get("account-blocked"), kb.get("epts-what-is")
    assert blocked is not None and epts is not None
    assert (
        blocked.answer == "Разблокируйте запись в центре обслуживания.\n\nВозьмите паспорт и СНИЛС."
    )
    assert epts.alternatives == ("электронный паспорт транспортного средства", "что за эптс")
    assert "      - что за эптс\n" in (kb_dir / "transport" / "epts.yaml").read_text("utf-8")


def test_rows_in_a_new_file_make_a_new_topic_file(kb_dir: Path, tmp_path: Path) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    new = Row(
        file="transport/fines.yaml",
        topic="Штрафы",
        id="fines-pay",
        question="Как оплатить штраф?",
        answer="Оплатите штраф в разделе «Штрафы».",
        number=len(rows) + 2,
    )
    import_rows([*rows, new], kb_dir)

    fines = load_knowledge_base(kb_dir).get("fines-pay")
    assert fines is not None and fines.topic == "Штрафы"


def test_a_file_whose_rows_were_deleted_is_left_alone_and_named(
    kb_dir: Path, tmp_path: Path
) -> None:
    rows = [r for r in export_rows(load_knowledge_base(kb_dir)) if r.file == "account.yaml"]
    epts_before = (kb_dir / "transport" / "epts.yaml").read_bytes()

    report = import_rows(rows, kb_dir)

    assert report.ok
    assert report.untouched == ("transport/epts.yaml",)
    assert (kb_dir / "transport" / "epts.yaml").read_bytes() == epts_before


# ---------------------------------------------------------------- wrong rows

# Export order: row 2 password-recovery, 3 account-blocked (account.yaml),
# 4 epts-what-is, 5 epts-status (transport/epts.yaml).
WRONG_ROWS: list[tuple[str, int, dict[str, Any], str, str]] = [
    ("нет идентификатора", 3, {"id": ""}, "Идентификатор", "не указан идентификатор"),
    ("кириллица в id", 4, {"id": "эптс-что-это"}, "Идентификатор", "латинских строчных"),
    ("заглавные в id", 4, {"id": "EPTS"}, "Идентификатор", "латинских строчных"),
    ("повтор id", 5, {"id": "epts-what-is"}, "Идентификатор", "уже есть в строке 4"),
    ("пустой ответ", 3, {"answer": "  \n "}, "Ответ", "пустой ответ"),
    ("пустой вопрос", 2, {"question": ""}, "Вопрос", "не указан вопрос"),
    ("нет темы", 5, {"topic": ""}, "Тема", "не указана тема"),
    ("ссылка без |", 2, {"links": "Сайт https://example.org"}, HEADERS["links"], "«Сайт https://"),
    ("ссылка не http", 2, {"links": "Сайт | www.example.org"}, HEADERS["links"], "https://адрес"),
    ("выход из папки", 3, {"file": "../evil.yaml"}, "Файл", "внутри папки базы"),
    ("абсолютный путь", 3, {"file": "/etc/evil.yaml"}, "Файл", "внутри папки базы"),
    ("не .yaml", 3, {"file": "account.txt"}, "Файл", "оканчиваться на .yaml"),
    ("в файл синонимов", 3, {"file": "synonyms.yaml"}, "Файл", "файл синонимов"),
    ("две темы у файла", 5, {"topic": "ЭПТС"}, "Тема", "одна тема"),
]


@pytest.mark.parametrize(
    ("row", "changes", "expected"),
    [(row, changes, (column, words)) for _, row, changes, column, words in WRONG_ROWS],
    ids=[case[0] for case in WRONG_ROWS],
)
def test_a_wrong_row_is_reported_and_nothing_is_written(
    kb_dir: Path, tmp_path: Path, row: int, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    column, words = expected
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[row - 2] = dataclasses.replace(rows[row - 2], **changes)
    sheet = tmp_path / "правка.csv"
    write_csv(rows, sheet)
    before = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert not report.ok
    assert [(p.row, p.column) for p in report.problems] == [(row, column)]
    assert words in report.problems[0].message
    assert snapshot(kb_dir) == before
    assert not (tmp_path / "evil.yaml").exists()


def test_every_wrong_row_is_reported_at_once(kb_dir: Path, tmp_path: Path) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[0] = dataclasses.replace(rows[0], answer="")
    rows[2] = dataclasses.replace(rows[2], id="Плохой", links="без адреса")
    before = snapshot(kb_dir)

    report = import_rows(rows, kb_dir)

    assert [(p.row, p.column) for p in report.problems] == [
        (2, "Ответ"),
        (4, "Идентификатор"),
        (4, HEADERS["links"]),
    ]
    assert snapshot(kb_dir) == before


def test_an_id_taken_by_a_file_missing_from_the_table_is_refused(
    kb_dir: Path, tmp_path: Path
) -> None:
    rows = [r for r in export_rows(load_knowledge_base(kb_dir)) if r.file == "account.yaml"]
    rows[1] = dataclasses.replace(rows[1], id="epts-status")
    before = snapshot(kb_dir)

    report = import_rows(rows, kb_dir)

    assert [(p.row, p.column) for p in report.problems] == [(3, "Идентификатор")]
    assert "transport/epts.yaml" in report.problems[0].message
    assert snapshot(kb_dir) == before


def test_the_import_command_prints_the_problems_in_russian(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[1] = dataclasses.replace(rows[1], answer="")
    sheet = tmp_path / "правка.xlsx"
    write_xlsx(rows, sheet)

    code = import_command(kb_dir, sheet)

    err = capsys.readouterr().err
    assert code == 1
    assert "Импорт не выполнен, ни один файл не изменён" in err
    assert "Строка 3, столбец «Ответ»: пустой ответ" in err


# ---------------------------------------------------------------- files that are not our table


@pytest.mark.parametrize(
    ("header", "renamed_to"),
    [("Ответ", None), ("Идентификатор", "Код")],
    ids=["удалён столбец", "переименован столбец"],
)
def test_a_missing_header_column_is_named(
    kb_dir: Path, tmp_path: Path, header: str, renamed_to: str | None
) -> None:
    path = sheet_of(kb_dir, tmp_path, ".xlsx")
    workbook = load_workbook(path)
    sheet = workbook.active
    column = list(HEADERS.values()).index(header) + 1
    if renamed_to is None:
        sheet.delete_cols(column)
    else:
        sheet.cell(row=1, column=column).value = renamed_to
    workbook.save(path)

    with pytest.raises(SpreadsheetError, match=f"нет столбцов «{header}»"):
        read_rows(path)


def test_a_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "база.txt"
    path.write_text("Файл;Тема\n", encoding="utf-8")

    with pytest.raises(SpreadsheetError, match=r"«\.txt» не подходит.*\.xlsx.*\.csv"):
        read_rows(path)


def test_a_binary_file_renamed_xlsx_is_refused_without_a_traceback(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "фото.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    before = snapshot(kb_dir)

    code = import_command(kb_dir, path)

    err = capsys.readouterr().err
    assert code == 1
    assert "фото.xlsx: это не таблица Excel (.xlsx)" in err
    assert "Traceback" not in err
    assert snapshot(kb_dir) == before


def test_a_table_a_russian_excel_saved_in_windows_1251_is_imported(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Excel's plain "CSV (разделители — запятые)" in Russia is Windows-1251: refused once
    with "не в кодировке UTF-8", the curator's edit is read now."""
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[1] = dataclasses.replace(rows[1], answer="Подождите два часа — и войдите «снова».")
    utf8 = tmp_path / "utf8.csv"
    write_csv(rows, utf8)
    sheet = tmp_path / "база.csv"
    sheet.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("cp1251"))

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    blocked = load_knowledge_base(kb_dir).get("account-blocked")
    assert blocked is not None
    assert blocked.answer == "Подождите два часа — и войдите «снова»."


def test_a_windows_1251_table_of_a_base_with_symbols_it_lacks_is_refused(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Saving in Windows-1251, Excel turned the base's "→" into "?": importing that table
    would have written the "?" into the base."""
    path = kb_dir / "account.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Подождите час", "Подождите час → снова"),
        encoding="utf-8",
    )
    utf8 = tmp_path / "utf8.csv"
    write_csv(export_rows(load_knowledge_base(kb_dir)), utf8)
    sheet = tmp_path / "база.csv"
    sheet.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("cp1251", errors="replace"))
    before = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert [str(p) for p in report.problems] == [
        "таблица сохранена в кодировке Windows-1251, в которой нет части символов записей "
        "account-blocked: Excel заменил их на «?». Сохраните таблицу как «CSV UTF-8 "
        "(разделитель — запятая)» или как .xlsx и повторите импорт."
    ]
    assert snapshot(kb_dir) == before


def test_a_binary_file_renamed_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "архив.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))

    with pytest.raises(SpreadsheetError, match="не в кодировке UTF-8 или это не текст"):
        read_rows(path)


# ---------------------------------------------------------------- commands


def test_the_export_command_says_what_it_saved(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "база.xlsx"

    code = export_command(kb_dir, out)

    assert code == 0
    assert out.is_file()
    assert f"Выгружено 4 вопроса из 2 файлов в {out}." in capsys.readouterr().out


def test_the_import_command_reports_changed_files(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    import_rows(rows, kb_dir)  # the first import puts the hand-written files in writer style
    rows[3] = dataclasses.replace(rows[3], answer="Статус виден в разделе «Заявления».")
    sheet = tmp_path / "правка.csv"
    write_csv(rows, sheet)

    code = import_command(kb_dir, sheet)

    out = capsys.readouterr().out
    assert code == 0
    assert "Импортировано 4 вопроса." in out
    assert "Изменено записей: 1 — epts-status." in out
    assert (
        "Изменены файлы (комментарии в изменённых файлах не сохраняются): transport/epts.yaml."
        in out
    )


def test_faqbot_kb_import_checks_the_base_it_wrote(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row that takes another entry's phrasing is written, and the check that follows says
    so at once, with the file and line, instead of waiting for a `kb check` run."""
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[1] = dataclasses.replace(rows[1], alternatives="забыл пароль\nаккаунт заблокирован")
    sheet = tmp_path / "правка.xlsx"
    write_rows(rows, sheet)

    code = main(["kb", "import", "--kb", str(kb_dir), str(sheet)])

    out = capsys.readouterr().out
    assert code == 0, "the table was written"
    assert "Импортировано 4 вопроса." in out
    after = out.split("Проверка базы после импорта:\n", 1)[1]
    assert "ОШИБКА: " in after and "account.yaml:" in after and "«забыл пароль»" in after
    assert "проверьте снова командой faqbot kb check" in after


# ---------------------------------------------------------------- the YAML writer

ANSWER_TEXT = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзэюя ABCxyz019-:#|'\"«»{}[],.!?&*%@`\n\t")),
    min_size=1,
).filter(lambda text: text.strip())


@given(answer=ANSWER_TEXT, question=ANSWER_TEXT, alternative=ANSWER_TEXT)
def test_the_writer_and_the_loader_agree_on_any_text(
    answer: str, question: str, alternative: str
) -> None:
    entry = Entry(
        id="x",
        topic="Тема",
        question=question.strip(),
        answer=answer.strip(),
        alternatives=(alternative.strip(),),
    )

    parsed = parse_file(topic_file_text("Тема", [entry]), Path("x.yaml"))

    assert isinstance(parsed, TopicFile)
    assert fields_of(parsed.entries[0]) == fields_of(entry)


# ---------------------------------------------------------------- the base changed after the export


def add_alternative_by_hand(kb_dir: Path, phrasing: str) -> None:
    """What a curator (or the console, which writes YAML) does to account.yaml after the
    table was exported: one more phrasing for password-recovery."""
    path = kb_dir / "account.yaml"
    text = path.read_text(encoding="utf-8")
    old = "      - не помню пароль от личного кабинета\n"
    path.write_text(text.replace(old, f"{old}      - {phrasing}\n"), encoding="utf-8")


def edit_cell(path: Path, cell: str, value: str) -> None:
    """Type a value into one cell of an exported workbook, as a curator does in Excel."""
    workbook = load_workbook(path)
    workbook.active[cell] = value
    workbook.save(path)


def test_an_import_waits_for_a_writer_of_the_base_and_loses_neither_edit(
    kb_dir: Path, tmp_path: Path
) -> None:
    """The console adds a phrasing (it read account.yaml and is writing it back) while a
    curator imports a table that edits another entry of the same file: the import waits for
    the console's write and then reads the base, so both edits are there."""
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    edit_cell(sheet, "G3", "Подождите два часа и попробуйте снова.")  # account-blocked
    rows = read_rows(sheet)
    path = kb_dir / "account.yaml"
    reports: list[ImportReport] = []
    importer = threading.Thread(target=lambda: reports.append(import_rows(rows, kb_dir)))
    with locked(path):
        text = path.read_text(encoding="utf-8")
        importer.start()
        importer.join(timeout=1.0)
        waited = importer.is_alive()
        old = "      - не помню пароль от личного кабинета\n"
        path.write_text(text.replace(old, f"{old}      - сброс пароля госуслуги\n"), "utf-8")
    importer.join(timeout=60)

    assert waited, "the import wrote the base while another writer held it"
    assert reports and reports[0].ok, reports
    base = load_knowledge_base(kb_dir)
    recovery, blocked = base.get("password-recovery"), base.get("account-blocked")
    assert recovery is not None and blocked is not None
    assert "сброс пароля госуслуги" in recovery.alternatives
    assert blocked.answer.startswith("Подождите два часа")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_old_table_does_not_undo_a_yaml_edit_it_did_not_touch(
    kb_dir: Path, tmp_path: Path, suffix: str
) -> None:
    sheet = sheet_of(kb_dir, tmp_path, suffix)
    add_alternative_by_hand(kb_dir, "сброс пароля госуслуги")

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    recovery = load_knowledge_base(kb_dir).get("password-recovery")
    assert recovery is not None
    assert "сброс пароля госуслуги" in recovery.alternatives
    assert report.base_kept == ("password-recovery",)
    assert "сброс пароля госуслуги" in (kb_dir / "account.yaml").read_text(encoding="utf-8")


def test_an_entry_edited_in_the_base_and_in_the_table_refuses_the_import(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    edit_cell(sheet, "G2", "Задайте новый пароль на странице входа.")  # password-recovery
    add_alternative_by_hand(kb_dir, "сброс пароля госуслуги")
    before = snapshot(kb_dir)

    code = import_command(kb_dir, sheet)

    err = capsys.readouterr().err
    assert code == 1
    assert snapshot(kb_dir) == before
    assert "Импорт не выполнен, ни один файл не изменён" in err
    assert "Строка 2: запись «password-recovery» изменена в базе после выгрузки" in err
    assert "выгрузите базу заново" in err and "--force" in err


def test_force_writes_the_table_over_an_edit_made_after_the_export(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--force` settles the conflicts it was told about, and only those: an entry changed in
    the base whose row nobody touched keeps its change."""
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    edit_cell(sheet, "G2", "Задайте новый пароль на странице входа.")
    add_alternative_by_hand(kb_dir, "сброс пароля госуслуги")
    path = kb_dir / "account.yaml"
    blocked = '    question: "Что делать, если учётная запись заблокирована: вход невозможен?"\n'
    path.write_text(
        path.read_text("utf-8").replace(
            blocked, blocked + "    alternatives:\n      - аккаунт заблокирован\n"
        ),
        encoding="utf-8",
    )

    code = main(["kb", "import", "--kb", str(kb_dir), "--force", str(sheet)])

    assert code == 0
    base = load_knowledge_base(kb_dir)
    recovery, other = base.get("password-recovery"), base.get("account-blocked")
    assert recovery is not None and other is not None
    assert recovery.answer == "Задайте новый пароль на странице входа."
    assert "сброс пароля госуслуги" not in recovery.alternatives
    assert other.alternatives == ("аккаунт заблокирован",)
    out = capsys.readouterr().out
    assert "Изменено записей: 1 — password-recovery." in out
    assert "оставлена версия из базы: 1 — account-blocked" in out


def test_an_entry_deleted_from_the_base_after_the_export_is_not_brought_back(
    kb_dir: Path, tmp_path: Path
) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".csv")
    text = (kb_dir / "transport" / "epts.yaml").read_text(encoding="utf-8")
    (kb_dir / "transport" / "epts.yaml").write_text(
        text.split("\n  - id: epts-status")[0], encoding="utf-8"
    )

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    assert load_knowledge_base(kb_dir).get("epts-status") is None
    assert report.not_restored == ("epts-status",)


def test_the_export_records_a_version_of_each_entry_outside_the_edited_columns(
    kb_dir: Path, tmp_path: Path
) -> None:
    csv_text = sheet_of(kb_dir, tmp_path, ".csv").read_text(encoding="utf-8-sig")
    header = csv_text.splitlines()[0].split(";")
    workbook = load_workbook(sheet_of(kb_dir, tmp_path, ".xlsx"))
    sheet = workbook.active
    last = get_column_letter(sheet.max_column)

    assert header[-1] == HEADERS["version"]
    assert header[:-1] == [HEADERS[name] for name in FIELDS_IN_TABLE]
    assert sheet[f"{last}1"].value == HEADERS["version"]
    assert sheet.column_dimensions[last].hidden
    versions = [sheet[f"{last}{row}"].value for row in range(2, 6)]
    # A letter first: Excel would read "880941e80087" as a number.
    assert all(isinstance(v, str) and re.fullmatch(r"v[0-9a-f]{12}", v) for v in versions)
    assert len(set(versions)) == 4


def test_an_old_table_without_versions_is_still_imported(kb_dir: Path, tmp_path: Path) -> None:
    """A table exported before versions were recorded: no check, but a deleted row still
    keeps its entry."""
    exported = sheet_of(kb_dir, tmp_path, ".csv").read_text(encoding="utf-8-sig")
    records = list(csv.reader(io.StringIO(exported), delimiter=";"))
    old = [record[: len(FIELDS_IN_TABLE)] for record in records if record[2] != "account-blocked"]
    old[-1][6] = "Статус в ЛК."  # epts-status
    sheet = tmp_path / "старая.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, delimiter=";").writerows(old)

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    kb = load_knowledge_base(kb_dir)
    status = kb.get("epts-status")
    assert status is not None and status.answer == "Статус в ЛК."
    assert kb.get("account-blocked") is not None
    assert report.kept == ("account-blocked",)


# ---------------------------------------------------------------- rows missing from the table


def test_an_entry_missing_from_the_table_is_kept_and_named(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    sheet = tmp_path / "без строки.xlsx"
    write_xlsx([row for row in rows if row.id != "account-blocked"], sheet)

    code = import_command(kb_dir, sheet)

    out = capsys.readouterr().out
    assert code == 0
    assert load_knowledge_base(kb_dir).get("account-blocked") is not None
    assert "Нет в таблице, оставлены в базе: 1 — account-blocked." in out
    assert "--delete-missing" in out
    assert "Удалено записей: 0." in out


def test_an_entry_added_to_the_base_after_the_export_is_kept(kb_dir: Path, tmp_path: Path) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    with (kb_dir / "account.yaml").open("a", encoding="utf-8") as file:
        file.write(
            "\n  - id: login-esia\n"
            "    question: Как войти через ЕСИА?\n"
            "    answer: Нажмите «Войти».\n"
        )

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    kb = load_knowledge_base(kb_dir)
    assert [e.id for e in kb][:3] == ["password-recovery", "account-blocked", "login-esia"]
    assert report.kept == ("login-esia",)
    assert report.deleted == ()


def test_delete_missing_deletes_and_names_the_entries(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    sheet = tmp_path / "без строк.csv"
    write_csv([row for row in rows if row.id not in ("account-blocked", "epts-status")], sheet)

    code = main(["kb", "import", "--kb", str(kb_dir), "--delete-missing", str(sheet)])

    out = capsys.readouterr().out
    assert code == 0
    kb = load_knowledge_base(kb_dir)
    assert [e.id for e in kb] == ["password-recovery", "epts-what-is"]
    assert "Удалено записей: 2 — account-blocked, epts-status." in out
    assert "Добавлено записей: 0." in out


def test_the_report_names_added_and_changed_entries(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[3] = dataclasses.replace(rows[3], answer="Статус виден в разделе «Заявления».")
    new = Row(
        file="account.yaml",
        topic="Вход и учётная запись",
        id="login-esia",
        question="Как войти через ЕСИА?",
        answer="Нажмите «Войти».",
    )
    sheet = tmp_path / "правка.csv"
    write_csv([*rows, new], sheet)

    code = import_command(kb_dir, sheet)

    out = capsys.readouterr().out
    assert code == 0
    assert "Добавлено записей: 1 — login-esia." in out
    assert "Изменено записей: 1 — epts-status." in out
    assert "Удалено записей: 0." in out


# ---------------------------------------------------------------- a broken base


def test_a_base_that_does_not_load_is_not_overwritten(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    path = kb_dir / "account.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "  - id: account-blocked", "  - id: account-blocked\n  oops"
        ),
        encoding="utf-8",
    )
    before = snapshot(kb_dir)

    code = import_command(kb_dir, sheet)

    err = capsys.readouterr().err
    assert code == 1
    assert snapshot(kb_dir) == before
    assert "база знаний не загружается" in err
    assert re.search(r"account\.yaml:\d+: ", err), err  # the file and line of the error


# ---------------------------------------------------------------- what an unedited round trip keeps

COMMENTED_YAML = """\
# Вход: правит Мария, ответы сверены с порталом 2026-11-01.
topic: "Вход и учётная запись"
entries:
  - id: password-recovery  # самый частый вопрос
    question: 'Как восстановить пароль от Госуслуг?'
    alternatives: [забыл пароль, "не помню пароль"]
    answer: >
      Нажмите «Забыли пароль?»
      на странице входа.
    tags: []

  - id: account-blocked
    question: Учётная запись заблокирована
    answer: |-
      Подождите час.
"""


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unedited_round_trip_keeps_comments_and_styles(
    kb_dir: Path, tmp_path: Path, suffix: str
) -> None:
    (kb_dir / "account.yaml").write_text(COMMENTED_YAML, encoding="utf-8")
    sheet = sheet_of(kb_dir, tmp_path, suffix)
    before = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    assert report.changed == ()
    assert "account.yaml" in report.unchanged
    assert snapshot(kb_dir) == before


def test_a_changed_file_is_reported_with_the_comments_warning(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb_dir / "account.yaml").write_text(COMMENTED_YAML, encoding="utf-8")
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    edit_cell(sheet, "G3", "Подождите два часа.")

    assert import_command(kb_dir, sheet) == 0

    out = capsys.readouterr().out
    assert "Изменены файлы (комментарии в изменённых файлах не сохраняются): account.yaml." in out
    assert "Без изменений: transport/epts.yaml." in out


# ---------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    ("cell", "header"),
    [("E2", "Другие формулировки"), ("G3", "Ответ"), ("C4", "Идентификатор")],
)
def test_a_formula_in_a_cell_is_a_wrong_row(
    kb_dir: Path, tmp_path: Path, cell: str, header: str
) -> None:
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    edit_cell(sheet, cell, "=A1")  # openpyxl saves no cached value, as after a paste of links
    before = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert [str(p) for p in report.problems] == [
        f"Строка {cell[1:]}, столбец «{header}»: в ячейке формула — вставьте значение "
        "(Вставить как значения)."
    ]
    assert snapshot(kb_dir) == before


def test_a_keyword_excel_turned_into_a_date_is_a_wrong_row(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A curator types "12.05" into the keywords: Excel keeps the date 12 May, which the
    import once wrote to the base as the keyword '2026-05-12T00:00:00'."""
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    workbook = load_workbook(sheet)
    workbook.active["F2"] = datetime(2026, 5, 12)
    workbook.save(sheet)
    before = snapshot(kb_dir)

    assert import_command(kb_dir, sheet) == 1

    err = capsys.readouterr().err
    assert (
        "Строка 2, столбец «Ключевые слова»: Excel превратил текст ячейки в дату (12.05.2026)"
        in err
    )
    assert "задайте ячейке формат «Текстовый»" in err
    assert snapshot(kb_dir) == before


def test_keywords_and_tags_typed_in_one_cell_with_commas_are_separate(
    kb_dir: Path, tmp_path: Path
) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[0] = dataclasses.replace(rows[0], keywords="пароль, сброс; вход", tags="вход , логин")
    sheet = tmp_path / "таблица.csv"
    write_csv(rows, sheet)

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    entry = load_knowledge_base(kb_dir).get("password-recovery")
    assert entry is not None
    assert entry.keywords == ("пароль", "сброс", "вход")
    assert entry.tags == ("вход", "логин")


def test_a_table_imported_into_an_empty_folder_makes_the_base(
    kb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base set up, or restored, from an exported table: its recorded versions name entries
    the new folder never had, which once refused it with "после импорта база не
    загрузится: .: нет файлов *.yaml"."""
    sheet = sheet_of(kb_dir, tmp_path, ".xlsx")
    empty = tmp_path / "новая база"
    empty.mkdir()

    assert import_command(empty, sheet) == 0

    assert "Добавлено записей: 4" in capsys.readouterr().out
    restored = load_knowledge_base(empty)
    assert [e.id for e in restored] == [e.id for e in load_knowledge_base(kb_dir)]


@pytest.mark.parametrize("value", ["#ИМЯ?", "#NAME?"])
def test_an_answer_excel_could_not_read_as_text_is_a_wrong_row(
    kb_dir: Path, tmp_path: Path, value: str
) -> None:
    """A list answer ("- Подождите час…") opened from the CSV in Excel is read as a formula
    and saved back as "#ИМЯ?": the import wrote that as the answer."""
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[1] = dataclasses.replace(rows[1], answer=value)
    sheet = tmp_path / "база.csv"
    write_csv(rows, sheet)
    before = snapshot(kb_dir)

    report = import_rows(read_rows(sheet), kb_dir)

    assert [str(p) for p in report.problems] == [
        f"Строка 3, столбец «Ответ»: в ячейке ошибка Excel «{value}» вместо текста: так Excel "
        "читает текст, начатый с «-», «+» или «=», как формулу. Впишите текст заново с "
        "апострофом в начале ('- …) или выгрузите базу в .xlsx и правьте там."
    ]
    assert snapshot(kb_dir) == before


def test_text_that_looks_like_a_formula_is_an_answer(kb_dir: Path, tmp_path: Path) -> None:
    rows = export_rows(load_knowledge_base(kb_dir))
    rows[1] = dataclasses.replace(rows[1], answer="=2+2 — так считает калькулятор.")
    sheet = tmp_path / "ответ.xlsx"
    write_xlsx(rows, sheet)

    report = import_rows(read_rows(sheet), kb_dir)

    assert report.ok, report.problems
    blocked = load_knowledge_base(kb_dir).get("account-blocked")
    assert blocked is not None and blocked.answer == "=2+2 — так считает калькулятор."
