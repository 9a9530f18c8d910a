"""The report as HTML: charts embedded as base64 PNG, no outside files.

`render_report` writes the self-contained page `faqbot report` saves, or with `part=True` the
same report as a part of another page (the console's, inside its menu), with `report_style`
for that page's head.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.core.report_figures import Report
from bot.core.staff_time import staff_time
from bot.reporting.charts import Chart, report_charts
from bot.reporting.tables import Table, report_tables


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.reporting", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}".replace(".", ",")


def _number(value: int) -> str:
    """A count as Russian text writes it: "1 500"."""
    return f"{value:,}".replace(",", "\N{NO-BREAK SPACE}")


def report_style() -> Markup:
    """The CSS of the report's part of a page (its classes start with `.report`)."""
    css = resources.files("bot.reporting").joinpath("templates", "report.css")
    return Markup(css.read_text(encoding="utf-8"))


def render_page(
    report: Report,
    tables: Sequence[Table],
    charts: Sequence[Chart],
    *,
    generated_at: datetime,
    csv_links: Mapping[str, str] | None = None,
    template: str = "report.html",
) -> str:
    """The HTML text of the report: the whole page, or with `template="report_body.html"`
    the part that goes into another page."""
    return (
        _environment()
        .get_template(template)
        .render(
            report=report,
            tables=tables,
            charts=[(c.title, base64.b64encode(c.png).decode("ascii"), c.name) for c in charts],
            bot_share=_percent(report.bot_share),
            within_share=_percent(report.queue.within_limit_share),
            generated=staff_time(generated_at, report.zone),
            csv_links=csv_links or {},
            # Unanswered questions in no group (asked before the newest texts grouped), their
            # distinct texts, and how many texts are grouped.
            older=(
                tuple(
                    _number(n)
                    for n in (
                        report.older_unanswered,
                        report.older_unanswered_texts,
                        report.grouped_texts,
                    )
                )
                if report.older_unanswered
                else None
            ),
        )
    )


def render_report(
    report: Report,
    *,
    generated_at: datetime,
    csv_links: Mapping[str, str] | None = None,
    part: bool = False,
) -> str:
    """Tables, charts and the page in one call (the CLI and the console both use it);
    `part`: only the report's part, for a page of the console."""
    return render_page(
        report,
        report_tables(report),
        report_charts(report),
        generated_at=generated_at,
        csv_links=csv_links,
        template="report_body.html" if part else "report.html",
    )
