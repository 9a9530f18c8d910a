"""The report's charts as PNG images: the one module that imports matplotlib (Agg backend)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

from bot.core.report_figures import Report

DPI = 100
WIDE = (10, 4)
OUTCOME_COLOURS = ("#2e7d32", "#81c784", "#ffb300", "#c62828")
OUTCOME_LABELS = ("ответ сразу", "выбор после уточнения", "уточнение без выбора", "передано людям")
LABEL_WIDTH = 45
MAX_DAY_LABELS = 16
BAR_HEIGHT = 0.35  # inches per bar of a horizontal bar chart


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: a title and its PNG bytes."""

    name: str
    title: str
    png: bytes


def _short(text: str) -> str:
    return textwrap.shorten(text, width=LABEL_WIDTH, placeholder="…")


def report_charts(report: Report) -> tuple[Chart, ...]:
    """The charts the report has data for."""
    import matplotlib

    matplotlib.use("Agg")
    charts = []
    if report.days:
        charts.append(Chart("days", "Вопросы по дням и чем они закончились", _days(report)))
    if report.top_entries:
        charts.append(Chart("entries", "Самые частые ответы", _entries(report)))
    if report.worst_entries:
        charts.append(Chart("feedback", "Оценки ответов, худшие сверху", _feedback(report)))
    if report.clusters:
        charts.append(Chart("unanswered", "Крупнейшие группы неотвеченных", _clusters(report)))
    return tuple(charts)


def _whole_numbers(axis: object) -> None:
    """Ticks at whole numbers only: every chart counts questions, answers or ratings."""
    from matplotlib.axis import Axis
    from matplotlib.ticker import MaxNLocator

    assert isinstance(axis, Axis)
    axis.set_major_locator(MaxNLocator(integer=True))


def _png(figure: object) -> bytes:
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)
    pyplot.close(figure)
    return buffer.getvalue()


def _days(report: Report) -> bytes:
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=WIDE)
    days = list(range(len(report.days)))
    series = (
        [d.answered for d in report.days],
        [d.chosen for d in report.days],
        [d.abandoned for d in report.days],
        [d.handed_off for d in report.days],
    )
    bottom = [0] * len(days)
    for values, colour, label in zip(series, OUTCOME_COLOURS, OUTCOME_LABELS, strict=True):
        axes.bar(days, values, bottom=bottom, color=colour, label=label, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("вопросов")
    _whole_numbers(axes.yaxis)
    axes.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize="small", ncols=4, frameon=False
    )
    axes.grid(axis="y", alpha=0.3)
    step = max(1, len(days) // MAX_DAY_LABELS)
    axes.set_xticks(days[::step], labels=[d.day.strftime("%d.%m") for d in report.days[::step]])
    figure.autofmt_xdate()
    return _png(figure)


def _barh(labels: list[str], values: list[float], *, colour: str, xlabel: str) -> bytes:
    from matplotlib import pyplot

    height = max(2.0, BAR_HEIGHT * len(labels) + 1)
    figure, axes = pyplot.subplots(figsize=(10, height))
    positions = list(range(len(labels)))
    axes.barh(positions, values, color=colour)
    axes.set_yticks(positions, labels=labels, fontsize="small")
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    _whole_numbers(axes.xaxis)
    axes.grid(axis="x", alpha=0.3)
    for y, value in zip(positions, values, strict=True):
        axes.text(value, y, f" {value:g}", va="center", fontsize="small")
    return _png(figure)


def _entries(report: Report) -> bytes:
    entries = report.top_entries
    return _barh(
        [_short(e.question) for e in entries],
        [float(e.shown) for e in entries],
        colour="#1565c0",
        xlabel="показов",
    )


def _feedback(report: Report) -> bytes:
    from matplotlib import pyplot

    entries = report.worst_entries
    labels = [_short(e.question) for e in entries]
    height = max(2.0, BAR_HEIGHT * len(labels) + 1.5)
    figure, axes = pyplot.subplots(figsize=(10, height))
    positions = list(range(len(labels)))
    parts = (
        ([e.disliked for e in entries], "#c62828", "недовольны"),
        ([e.ratings - e.liked - e.disliked for e in entries], "#bdbdbd", "нейтрально"),
        ([e.liked for e in entries], "#2e7d32", "довольны"),
    )
    left = [0] * len(entries)
    for values, colour, label in parts:
        axes.barh(positions, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions, labels=labels, fontsize="small")
    axes.invert_yaxis()
    axes.set_xlabel("оценок")
    _whole_numbers(axes.xaxis)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize="small", ncols=3, frameon=False
    )
    return _png(figure)


def _clusters(report: Report) -> bytes:
    clusters = report.clusters
    return _barh(
        [_short(c.examples[0]) for c in clusters],
        [float(c.size) for c in clusters],
        colour="#c62828",
        xlabel="вопросов",
    )
