"""The analysts' report computed from recorded questions and tickets: pure arithmetic.

Every figure is derived here, once; the HTML page, the charts and the CSV files only
present what this module computed.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import InvalidInputError
from bot.core.question_records import Decision, QuestionRecord
from bot.core.records import MAX_STARS, Rating, RatingScale
from bot.core.ticket_status import TicketStatus
from bot.core.ticket_timing import TicketRating, TicketTiming
from bot.core.unanswered import Cluster

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DayOutcomes:
    """Questions of one day by what became of them."""

    day: date
    answered: int  # answered at once
    chosen: int  # clarified, then the citizen picked an entry
    abandoned: int  # clarified, no choice followed
    handed_off: int

    @property
    def total(self) -> int:
        """All questions of the day."""
        return self.answered + self.chosen + self.abandoned + self.handed_off


@dataclass(frozen=True, slots=True)
class EntryFigures:
    """How often an entry's answer was shown and how citizens rated it."""

    entry_id: str
    question: str
    shown: int
    ratings: int
    liked: int
    disliked: int

    @property
    def satisfaction(self) -> float | None:
        """Share of ratings that were not complaints; None without ratings."""
        return self.liked / self.ratings if self.ratings else None


@dataclass(frozen=True, slots=True)
class OperatorFigures:
    """One operator's tickets."""

    operator: str
    tickets: int
    resolved: int
    median_first_response_hours: float | None
    mean_rating: float | None  # 1-5 stars; thumbs count as 5 or 1


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """How people handled the tickets opened in the period."""

    tickets: int
    taken: int
    replied: int
    median_wait_hours: float | None
    median_first_response_hours: float | None
    within_limit: int  # first answered by a person by the time promised to the citizen
    late: int  # answered after it, or still unanswered with the time passed
    mean_rating: float | None
    ratings: int

    @property
    def within_limit_share(self) -> float | None:
        """Share answered in time among the tickets whose promised time has come: a ticket
        still waiting within its time counts neither way."""
        decided = self.within_limit + self.late
        return self.within_limit / decided if decided else None


@dataclass(frozen=True, slots=True)
class RatedComment:
    """What a citizen wrote with a rating, masked, with the answer it was about."""

    at: datetime  # in the report's time zone
    entry_id: str | None
    question: str | None
    rating: str
    comment: str


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the report shows."""

    since: datetime | None
    until: datetime | None
    total: int
    answered_by_bot: int
    days: tuple[DayOutcomes, ...]
    top_entries: tuple[EntryFigures, ...]
    worst_entries: tuple[EntryFigures, ...]
    clusters: tuple[Cluster, ...]
    queue: QueueFigures
    operators: tuple[OperatorFigures, ...]
    comments: tuple[RatedComment, ...] = ()
    zone: str = "Europe/Moscow"  # the time zone its days and times are in (the staff's)
    # The question of each entry the unanswered groups are closest to, by id.
    closest_questions: Mapping[str, str] = field(default_factory=dict)
    # Unanswered questions asked before the newest `grouped_texts` distinct texts the groups
    # are made of, in no group: questions and their distinct texts.
    older_unanswered: int = 0
    older_unanswered_texts: int = 0
    grouped_texts: int = 0

    @property
    def last_day(self) -> date | None:
        """The period's last day included (`until` is the midnight after it)."""
        return (self.until - timedelta(days=1)).date() if self.until else None

    @property
    def bot_share(self) -> float | None:
        """Share of questions answered without a person."""
        return self.answered_by_bot / self.total if self.total else None


def report_period(
    since: date | None, until: date | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """The report's [start, end) for the days `since` to `until` included, in the zone's
    wall-clock time; None for an open end. InvalidInputError when the days are backwards or
    past the ends of the calendar."""
    if since and until and since > until:
        raise InvalidInputError("Начало периода позже его конца: поменяйте даты местами.")
    timezone = ZoneInfo(zone)
    start = _midnight(since, timezone) if since else None
    end = _midnight(until, timezone, days_after=1) if until else None
    return start, end


def _midnight(day: date, timezone: ZoneInfo, *, days_after: int = 0) -> datetime:
    """The zone's midnight `days_after` days after `day`, refused when it (or the same
    moment in UTC, as the database compares it) is past the calendar's ends: 0001 or 9999."""
    try:
        moment = datetime.combine(day + timedelta(days=days_after), time(0), tzinfo=timezone)
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(
            f"Дата {day.isoformat()} вне допустимого диапазона: укажите настоящий день "
            "периода, например 2025-01-31, или оставьте поле пустым — тогда отчёт возьмёт "
            "все записи."
        ) from None
    return moment


def build_report(
    records: Sequence[QuestionRecord],
    tickets: Sequence[TicketTiming],
    clusters: Sequence[Cluster],
    *,
    title_of: Callable[[str], str],
    zone: str,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    entries_limit: int,
    min_ratings: int = 1,
    comments: Sequence[Rating] = (),
    older_unanswered: int = 0,
    older_unanswered_texts: int = 0,
    grouped_texts: int = 0,
) -> Report:
    """Compute the report over questions and tickets of the period.

    Only entries rated at least `min_ratings` times are ranked by feedback: one angry
    citizen should not put an entry at the top of the worst list.
    """
    timezone = ZoneInfo(zone)
    entries = entry_figures(records, title_of)
    shown_clusters = tuple(clusters[:entries_limit])
    rated = [e for e in entries if e.ratings >= max(1, min_ratings)]
    rated.sort(key=lambda e: (e.satisfaction or 0.0, -e.disliked, -e.ratings, e.entry_id))
    return Report(
        since=since,
        until=until,
        total=len(records),
        answered_by_bot=sum(1 for r in records if r.answered_by_bot),
        days=tuple(day_outcomes(records, timezone)),
        top_entries=tuple(entries[:entries_limit]),
        worst_entries=tuple(rated[:entries_limit]),
        clusters=shown_clusters,
        queue=queue_figures(tickets, now),
        operators=tuple(operator_figures(tickets)),
        comments=tuple(
            RatedComment(
                at=c.created_at.astimezone(timezone),
                entry_id=c.entry_id,
                question=title_of(c.entry_id) if c.entry_id else None,
                rating=rating_label(c),
                comment=c.comment or "",
            )
            for c in comments
        ),
        zone=zone,
        closest_questions={
            c.closest_entry_id: title_of(c.closest_entry_id)
            for c in shown_clusters
            if c.closest_entry_id is not None
        },
        older_unanswered=older_unanswered,
        older_unanswered_texts=older_unanswered_texts,
        grouped_texts=grouped_texts,
    )


def rating_label(rating: Rating) -> str:
    """ "👍", "👎" or "4 из 5", as the citizen gave it."""
    if rating.scale is RatingScale.THUMBS:
        return "👍" if rating.score else "👎"
    return f"{rating.score} из 5"


def day_outcomes(records: Sequence[QuestionRecord], timezone: ZoneInfo) -> list[DayOutcomes]:
    """Questions per local calendar day by outcome, every day of the span listed."""
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for r in records:
        day = r.asked_at.astimezone(timezone).date()
        if r.decision is Decision.ANSWER:
            counts[day]["answered"] += 1
        elif r.decision is Decision.HANDOFF:
            counts[day]["handed_off"] += 1
        elif r.chosen_entry_id is not None:
            counts[day]["chosen"] += 1
        else:
            counts[day]["abandoned"] += 1
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        DayOutcomes(
            day=d,
            answered=counts[d]["answered"],
            chosen=counts[d]["chosen"],
            abandoned=counts[d]["abandoned"],
            handed_off=counts[d]["handed_off"],
        )
        for d in days
    ]


def _liked(scale: RatingScale, score: int) -> bool:
    return score == 1 if scale is RatingScale.THUMBS else score >= MAX_STARS - 1


def entry_figures(
    records: Sequence[QuestionRecord], title_of: Callable[[str], str]
) -> list[EntryFigures]:
    """Entries whose answers were shown, most shown first."""
    shown: Counter[str] = Counter()
    ratings: Counter[str] = Counter()
    liked: Counter[str] = Counter()
    disliked: Counter[str] = Counter()
    for r in records:
        entry = r.answered_entry
        if entry is None:
            continue
        shown[entry] += 1
        if r.feedback_scale is not None and r.feedback_score is not None:
            ratings[entry] += 1
            if _liked(r.feedback_scale, r.feedback_score):
                liked[entry] += 1
            if r.disliked:
                disliked[entry] += 1
    ordered = sorted(shown, key=lambda e: (-shown[e], e))
    return [
        EntryFigures(
            entry_id=e,
            question=title_of(e),
            shown=shown[e],
            ratings=ratings[e],
            liked=liked[e],
            disliked=disliked[e],
        )
        for e in ordered
    ]


def _hours(values: list[timedelta]) -> float | None:
    return statistics.median(v / HOUR for v in values) if values else None


def _stars(ratings: Sequence[TicketRating]) -> list[int]:
    return [
        r.score if r.scale is RatingScale.STARS else (MAX_STARS if r.score else 1) for r in ratings
    ]


def queue_figures(tickets: Sequence[TicketTiming], now: datetime) -> QueueFigures:
    """Waiting and first-response times, answers in and out of the promised time (as of
    `now`), ratings."""
    waits = [t.waiting for t in tickets if t.waiting is not None]
    responses = [t.first_response for t in tickets if t.first_response is not None]
    stars = _stars([r for t in tickets for r in t.ratings])
    in_time = [t.answered_in_time(now) for t in tickets]
    return QueueFigures(
        tickets=len(tickets),
        taken=len(waits),
        replied=len(responses),
        median_wait_hours=_hours(waits),
        median_first_response_hours=_hours(responses),
        within_limit=in_time.count(True),
        late=in_time.count(False),
        mean_rating=statistics.fmean(stars) if stars else None,
        ratings=len(stars),
    )


def operator_figures(tickets: Sequence[TicketTiming]) -> list[OperatorFigures]:
    """Tickets per assigned operator, busiest first."""
    by_operator: dict[str, list[TicketTiming]] = defaultdict(list)
    for t in tickets:
        if t.operator is not None:
            by_operator[t.operator].append(t)
    figures = []
    for name, own in by_operator.items():
        stars = _stars([r for t in own for r in t.ratings])
        figures.append(
            OperatorFigures(
                operator=name,
                tickets=len(own),
                resolved=sum(1 for t in own if t.status == TicketStatus.RESOLVED.value),
                median_first_response_hours=_hours(
                    [t.first_response for t in own if t.first_response is not None]
                ),
                mean_rating=statistics.fmean(stars) if stars else None,
            )
        )
    return sorted(figures, key=lambda f: (-f.tickets, f.operator))
