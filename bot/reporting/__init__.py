"""Presenting the analysts' report: charts, tables, a self-contained HTML page, CSV files."""
