"""Report tables as CSV: UTF-8 with a byte-order mark, so that Excel reads the Cyrillic."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from bot.reporting.tables import Table

BOM = "\ufeff"


def table_csv(table: Table) -> str:
    """One table as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
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
