"""The staff's spreadsheet round trip: the knowledge base as one table, and back.

`export_rows` turns a loaded base into rows (`rows`), `write_csv`/`write_xlsx` save them and
`read_rows` reads an edited table (`tables`, the only module that knows the file formats);
`check_rows` finds every wrong row (`checking`) and `import_rows` rewrites the topic files
whose entries changed, or writes nothing at all when a row is wrong (`importing`).
`export_command` and `import_command` are what `faqbot kb export|import` run (`commands`).
Messages for staff are in Russian.
"""

from bot.kb.spreadsheet.checking import check_rows
from bot.kb.spreadsheet.commands import export_command, format_report, import_command
from bot.kb.spreadsheet.importing import ImportReport, import_rows, topic_texts
from bot.kb.spreadsheet.rows import (
    COLUMNS,
    HEADERS,
    Problem,
    Row,
    SpreadsheetError,
    entry_version,
    export_rows,
    row_entry,
)
from bot.kb.spreadsheet.tables import read_rows, write_csv, write_rows, write_xlsx

__all__ = [
    "COLUMNS",
    "HEADERS",
    "ImportReport",
    "Problem",
    "Row",
    "SpreadsheetError",
    "check_rows",
    "entry_version",
    "export_command",
    "export_rows",
    "format_report",
    "import_command",
    "import_rows",
    "read_rows",
    "row_entry",
    "topic_texts",
    "write_csv",
    "write_rows",
    "write_xlsx",
]
