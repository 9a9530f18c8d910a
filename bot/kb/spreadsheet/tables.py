"""Rows to and from files: CSV (UTF-8 with a BOM, or what a Russian Excel saves) and XLSX.

The only module that knows openpyxl and the csv module."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from bot.kb.spreadsheet.rows import COLUMNS, HEADERS, TABLE_COLUMNS, Row, SpreadsheetError

# Russian Excel splits CSV on ";" (the list separator of the ru-RU locale); a comma-separated
# file opens there as one wide column. Reading accepts both.
CSV_DELIMITER = ";"
CSV_DELIMITERS = (";", ",", "\t")
SHEET_TITLE = "База знаний"
SUFFIXES = (".csv", ".xlsx")


def write_csv(rows: Sequence[Row], path: Path, *, delimiter: str = CSV_DELIMITER) -> None:
    """Save rows as CSV: UTF-8 with a BOM (so Excel shows Cyrillic), a header row, and
    standard quoting (cells with line breaks or separators in double quotes). The entry's
    version is the last column."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(column.header for column in TABLE_COLUMNS)
    writer.writerows([row.cell(column.name) for column in TABLE_COLUMNS] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def write_xlsx(rows: Sequence[Row], path: Path) -> None:
    """Save rows as an Excel workbook: bold frozen header, filters, wide wrapped columns; the
    entry's version in a last, hidden column (it moves with its row when rows are sorted)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([column.header for column in TABLE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        try:
            sheet.append([row.cell(column.name) for column in TABLE_COLUMNS])
        except IllegalCharacterError:
            raise SpreadsheetError(
                f"В записи «{row.id}» есть управляющий символ, который Excel не хранит: "
                "уберите его из YAML-файла или выгрузите базу в CSV."
            ) from None
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.alignment = wrap
            if cell.data_type == "f":
                cell.data_type = "s"  # text such as "=2+2" is an answer, not a formula
    for index, column in enumerate(TABLE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.column_dimensions[get_column_letter(len(TABLE_COLUMNS))].hidden = True
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)


def write_rows(rows: Sequence[Row], path: Path) -> None:
    """Save rows as CSV or XLSX, chosen by the file's extension."""
    if _suffix(path) == ".csv":
        write_csv(rows, path)
    else:
        write_xlsx(rows, path)


def read_rows(path: Path) -> list[Row]:
    """Read an edited table (.csv or .xlsx, by extension) into rows, skipping empty rows.

    Columns are found by their headers in row 1, in any order; extra columns are ignored, and
    the version column may be missing. A cell of a workbook that holds a formula is read as
    its text and named in the row's `formulas` (`check_rows` refuses it).
    Raises SpreadsheetError when the file is not a readable table or a column is missing.
    """
    if _suffix(path) == ".csv":
        records, windows_1251 = _csv_records(path)
        return _rows_from_records(
            records, path, formulas=set(), dates=set(), windows_1251=windows_1251
        )
    records, formulas, dates = _xlsx_records(path)
    return _rows_from_records(records, path, formulas=formulas, dates=dates)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = f"«{path.suffix}»" if path.suffix else "без расширения"
        raise SpreadsheetError(
            f"{path.name}: файл {shown} не подходит. Нужна таблица .xlsx (Excel) или .csv; "
            "в Excel выберите «Сохранить как» → «Книга Excel (*.xlsx)»."
        )
    return suffix


def _csv_records(path: Path) -> tuple[list[list[str]], bool]:
    """The rows' cells, and whether the file was in Windows-1251 rather than UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SpreadsheetError(f"{path}: не удаётся прочитать файл ({error.strerror}).") from None
    try:
        text, windows_1251 = data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        text, windows_1251 = _windows_cyrillic(data, path), True
    if "\x00" in text:
        raise SpreadsheetError(f"{path.name}: это двоичный файл, а не таблица CSV.")
    first_line = text.partition("\n")[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    try:
        records = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [list(record) for record in records], windows_1251
    except csv.Error as error:
        raise SpreadsheetError(f"{path.name}: CSV испорчен ({error}).") from None


def _windows_cyrillic(data: bytes, path: Path) -> str:
    """A table a Russian Excel saved as plain "CSV (разделители — запятые)": Windows-1251,
    recognised by its header; anything else is refused."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    header = _header_key(text.partition("\n")[0])
    if not all(_header_key(HEADERS[name]) in header for name in ("id", "question", "answer")):
        raise SpreadsheetError(
            f"{path.name}: файл не в кодировке UTF-8 или это не текст. В Excel сохраните "
            "таблицу как «CSV UTF-8 (разделитель — запятая)» или как .xlsx."
        )
    return text


def _xlsx_records(
    path: Path,
) -> tuple[list[list[str]], set[tuple[int, int]], set[tuple[int, int]]]:
    """The cells' texts by row, and the (row index, column index) of cells holding formulas
    and of cells holding dates (every column is text: a date is what Excel made of it).

    Formulas are read as formulas, not as their cached values: a workbook saved by a program
    other than Excel has no cached values, and a formula's value is no text anyone wrote.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            records: list[list[str]] = []
            formulas: set[tuple[int, int]] = set()
            dates: set[tuple[int, int]] = set()
            for row_index, cells in enumerate(sheet.iter_rows()):
                records.append([_cell_text(cell.value) for cell in cells])
                formulas.update(
                    (row_index, column_index)
                    for column_index, cell in enumerate(cells)
                    if cell.data_type == "f"
                )
                dates.update(
                    (row_index, column_index)
                    for column_index, cell in enumerate(cells)
                    if isinstance(cell.value, datetime | date | time)
                )
            return records, formulas, dates
        finally:
            workbook.close()
    except FileNotFoundError:
        raise SpreadsheetError(f"{path}: файл не найден.") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ParseError, ValueError, OSError):
        raise SpreadsheetError(
            f"{path.name}: это не таблица Excel (.xlsx) — файл повреждён или имеет другой "
            "формат под этим расширением. Откройте его в Excel и сохраните как «Книга Excel "
            "(*.xlsx)» или «CSV UTF-8»."
        ) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _rows_from_records(
    records: list[list[str]],
    path: Path,
    *,
    formulas: set[tuple[int, int]],
    dates: set[tuple[int, int]],
    windows_1251: bool = False,
) -> list[Row]:
    if not records:
        raise SpreadsheetError(
            f"{path.name}: файл пуст. В первой строке должны быть заголовки: "
            f"{', '.join(HEADERS.values())}."
        )
    positions = _header_positions(records[0], path)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        cells = {
            name: _clean(record[index]) if index < len(record) else ""
            for name, index in positions.items()
        }
        # A row cleared in Excel keeps its hidden version: it is still an empty row.
        if any(cells[column.name] for column in COLUMNS):
            in_formulas = tuple(
                name for name, index in positions.items() if (number - 1, index) in formulas
            )
            in_dates = tuple(
                name for name, index in positions.items() if (number - 1, index) in dates
            )
            rows.append(
                Row(
                    **cells,
                    number=number,
                    formulas=in_formulas,
                    dates=in_dates,
                    windows_1251=windows_1251,
                )
            )
    return rows


def _header_positions(header: list[str], path: Path) -> dict[str, int]:
    known = {_header_key(column.header): column.name for column in TABLE_COLUMNS}
    known.update({column.name: column.name for column in TABLE_COLUMNS})
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = known.get(_header_key(title))
        if name is None:
            continue
        if name in positions:
            raise SpreadsheetError(
                f"{path.name}: столбец «{HEADERS[name]}» встречается дважды — оставьте один."
            )
        positions[name] = index
    missing = [HEADERS[column.name] for column in COLUMNS if column.name not in positions]
    if missing:
        raise SpreadsheetError(
            f"{path.name}: в первой строке нет столбцов {', '.join(f'«{m}»' for m in missing)}. "
            "Верните заголовки как в выгрузке (не переименовывайте и не удаляйте столбцы)."
        )
    return positions


def _header_key(title: str) -> str:
    return " ".join(title.split()).casefold().replace("ё", "е")


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
