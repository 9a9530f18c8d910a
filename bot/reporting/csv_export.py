"""Report tables as CSV: UTF-8 with a byte-order mark, so that Excel reads the Cyrillic, and
";" between cells and a decimal comma, so that a Russian Excel opens them in columns and reads
the shares as numbers ("," between cells left each row in one column), as `kb export` writes.

Citizens' words reach these files (unanswered questions, rating comments), and a spreadsheet
runs a cell that starts like a formula: `=HYPERLINK(...)` would send the analyst's data away.
Such text gets a leading apostrophe, as OWASP advises for CSV injection, which shows the text
as typed; numbers (negative ones too) are written as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from bot.reporting.tables import Cell, Table

BOM = "\ufeff"
# What makes a spreadsheet read a cell as a formula (OWASP's list, with the full-width forms
# some Excel locales also take).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Text that is only a number ("-5", "+3,5") cannot run anything: it is left to read as one.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
NEUTRALISER = "'"
DELIMITER = ";"


def safe_cell(cell: Cell) -> str | int | float:
    """A cell as written to CSV: empty for None, text that a spreadsheet would run as a
    formula behind an apostrophe, anything else as it is."""
    if cell is None:
        return ""
    if (
        isinstance(cell, str)
        and cell.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(cell)
    ):
        return NEUTRALISER + cell
    if isinstance(cell, float):
        return repr(cell).replace(".", ",")
    return cell


def table_csv(table: Table) -> str:
    """One table as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER)
    writer.writerow([safe_cell(cell) for cell in table.header])
    writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
    return BOM + buffer.getvalue()


def write_csv_dir(tables: Sequence[Table], folder: Path) -> list[Path]:
    """Write every table as `<name>.csv` into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        path.write_text(table_csv(table), encoding="utf-8")
        written.append(path)
    return written
