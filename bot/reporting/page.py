"""The report as one self-contained HTML page: charts embedded as base64 PNG, no outside files."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.core.report_figures import Report
from bot.reporting.charts import Chart, report_charts
from bot.reporting.tables import Table, report_tables


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.reporting", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}".replace(".", ",")


def render_page(
    report: Report,
    tables: Sequence[Table],
    charts: Sequence[Chart],
    *,
    generated_at: datetime,
    csv_links: Mapping[str, str] | None = None,
    back_link: str | None = None,
) -> str:
    """The HTML text of the report."""
    template = _environment().get_template("report.html")
    return template.render(
        report=report,
        tables=tables,
        charts=[(c.title, base64.b64encode(c.png).decode("ascii"), c.name) for c in charts],
        bot_share=_percent(report.bot_share),
        within_share=_percent(report.queue.within_limit_share),
        generated_at=generated_at,
        csv_links=csv_links or {},
        back_link=back_link,
    )


def render_report(
    report: Report,
    *,
    generated_at: datetime,
    csv_links: Mapping[str, str] | None = None,
    back_link: str | None = None,
) -> str:
    """Tables, charts and the page in one call (the CLI and the console both use it)."""
    return render_page(
        report,
        report_tables(report),
        report_charts(report),
        generated_at=generated_at,
        csv_links=csv_links,
        back_link=back_link,
    )
