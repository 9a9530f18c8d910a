"""The report as named tables: the rows the HTML page shows and the CSV files hold."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.report_figures import Report
from bot.core.staff_time import zone_abbreviation

TIME_FORMAT = "%Y-%m-%d %H:%M"  # sortable in a spreadsheet, as the days are

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report."""

    name: str  # file name stem of its CSV export
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _round(value: float | None, digits: int = 2) -> float | None:
    return round(value, digits) if value is not None else None


def _when(report: Report) -> str:
    """The comments' time column, named with its zone: "когда, МСК"."""
    if not report.comments:
        return "когда"
    return f"когда, {zone_abbreviation(report.comments[0].at, report.zone)}"


def report_tables(report: Report) -> tuple[Table, ...]:
    """Every table of the report, in page order."""
    queue = report.queue
    return (
        Table(
            "days",
            "Вопросы по дням",
            (
                "день",
                "ответ сразу",
                "выбор после уточнения",
                "уточнение без выбора",
                "передано людям",
                "всего",
            ),
            tuple(
                (d.day.isoformat(), d.answered, d.chosen, d.abandoned, d.handed_off, d.total)
                for d in report.days
            ),
        ),
        Table(
            "entries",
            "Самые частые ответы",
            ("id", "вопрос", "показан", "оценок", "👍", "👎"),
            tuple(
                (e.entry_id, e.question, e.shown, e.ratings, e.liked, e.disliked)
                for e in report.top_entries
            ),
        ),
        Table(
            "feedback",
            "Оценки ответов, худшие сверху",
            ("id", "вопрос", "оценок", "довольны, доля", "👎"),
            tuple(
                (e.entry_id, e.question, e.ratings, _round(e.satisfaction), e.disliked)
                for e in report.worst_entries
            ),
        ),
        Table(
            "unanswered",
            "Крупнейшие группы неотвеченных вопросов",
            (
                "вопросов",
                "за неделю",
                "за прошлую неделю",
                "примеры",
                "ближе всего, по мнению бота",
                "id",
            ),
            tuple(
                (
                    c.size,
                    c.this_week,
                    c.previous_week,
                    " | ".join(c.examples[:3]),
                    report.closest_questions.get(c.closest_entry_id)
                    if c.closest_entry_id
                    else None,
                    c.closest_entry_id,
                )
                for c in report.clusters
            ),
        ),
        Table(
            "queue",
            "Очередь",
            ("показатель", "значение"),
            (
                ("обращений", queue.tickets),
                ("взято в работу", queue.taken),
                ("получили ответ человека", queue.replied),
                ("ожидание до взятия, медиана, ч", _round(queue.median_wait_hours)),
                ("до первого ответа, медиана, ч", _round(queue.median_first_response_hours)),
                ("ответ в обещанный срок", queue.within_limit),
                ("ответ позже срока или срок прошёл без ответа", queue.late),
                ("в срок, доля (из тех, чей срок наступил)", _round(queue.within_limit_share)),
                ("средняя оценка (1-5)", _round(queue.mean_rating)),
                ("оценок", queue.ratings),
            ),
        ),
        Table(
            "operators",
            "Обращения по операторам",
            (
                "оператор",
                "обращений",
                "завершено",
                "до первого ответа, медиана, ч",
                "средняя оценка",
            ),
            tuple(
                (
                    o.operator,
                    o.tickets,
                    o.resolved,
                    _round(o.median_first_response_hours),
                    _round(o.mean_rating),
                )
                for o in report.operators
            ),
        ),
        Table(
            "comments",
            "Комментарии к оценкам, новые сверху",
            (_when(report), "id", "вопрос", "оценка", "комментарий"),
            tuple(
                (c.at.strftime(TIME_FORMAT), c.entry_id, c.question, c.rating, c.comment)
                for c in report.comments
            ),
        ),
    )
