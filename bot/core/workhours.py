"""When operators work, when they pick up a question, and by when it is answered.

Operators work on Russian working days by the official production calendar, including the
government's day transfers: a working Saturday counts as a working day and the weekday given
off in exchange does not. The calendar comes from the `holidays` package, which keeps the
transfers of each year; this is the only module that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

COUNTRY = "RU"
# A guard against a settings mistake that closes every day (e.g. a generated list of closed
# days): no opening within this many days means the settings are wrong, not that we wait.
SEARCH_LIMIT_DAYS = 400

TIMEZONE_PHRASES = {
    "Europe/Moscow": "по московскому времени",
}
WEEKDAYS_ACCUSATIVE = (
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
)
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
OPEN_NOW = "сейчас"
TODAY = "сегодня"
TOMORROW = "завтра"


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The operators' schedule: daily hours in one time zone, extra closed days, answer time.

    `closed_days` are closed in addition to the production calendar (e.g. a corporate event);
    `answer_within` is how long after pick-up an answer is promised, counted on working days
    only (see `WorkCalendar.due_at`).
    """

    opens: time = time(6)
    closes: time = time(18)
    timezone: str = "Europe/Moscow"
    closed_days: frozenset[date] = frozenset()
    answer_within: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError(
                f"Working hours must be wall-clock times without a zone, got opens={self.opens}"
                f" and closes={self.closes}; put the zone into `timezone` instead."
            )
        if not self.opens < self.closes:
            raise ValueError(
                f"Working hours must open before they close, got opens={self.opens:%H:%M} and"
                f" closes={self.closes:%H:%M}; hours past midnight are not supported."
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"Unknown time zone {self.timezone!r} in working hours; use an IANA name"
                f" such as 'Europe/Moscow'."
            ) from error
        if self.answer_within < timedelta(0):
            raise ValueError(
                f"The answer time must not be negative, got answer_within={self.answer_within}."
            )


class WorkCalendar:
    """Answers "are operators working?" and "when will they?" for one `WorkingHours`.

    Build it once at start-up: it keeps the production calendar of each year it has looked
    at. All datetimes it takes must be aware; the answers are in the zone of the argument.
    """

    __slots__ = ("_calendars", "_hours", "_zone")

    def __init__(self, hours: WorkingHours) -> None:
        self._hours = hours
        self._zone = ZoneInfo(hours.timezone)
        self._calendars: dict[int, holidays.HolidayBase] = {}

    @property
    def hours(self) -> WorkingHours:
        """The schedule this calendar follows."""
        return self._hours

    def prepare(self, around: datetime) -> None:
        """Load the production calendars of the year of `around` and the next one.

        Loading is slow (about 80 ms for the first year, most of it the country's module):
        called at start-up, it keeps that out of the first citizen's hand-off.
        """
        year = self._to_local(around).year
        for each in (year, year + 1):
            self._calendar(each)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day: by the production calendar and not closed in settings."""
        if day in self._hours.closed_days:
            return False
        return bool(self._calendar(day.year).is_working_day(day))

    def is_open(self, at: datetime) -> bool:
        """Whether operators are working at the moment `at`."""
        local = self._to_local(at)
        return (
            self.is_working_day(local.date())
            and self._hours.opens <= local.time() < self._hours.closes
        )

    def next_opening(self, at: datetime) -> datetime:
        """When operators are next at work: `at` itself if they are working now."""
        if self.is_open(at):
            return at
        local = self._to_local(at)
        day = local.date()
        if local.time() >= self._hours.opens:
            day += timedelta(days=1)
        opening = datetime.combine(self._first_working_day(day), self._hours.opens, self._zone)
        return opening.astimezone(at.tzinfo)

    def pickup_at(
        self, created: datetime, *, people_away_until: datetime | None = None
    ) -> datetime:
        """When operators pick up a question asked at `created`: at once if they are working,
        else at their next opening. During maintenance (`people_away_until`), the first working
        moment at or after its end."""
        start = created if people_away_until is None else max(created, people_away_until)
        return self.next_opening(start).astimezone(created.tzinfo)

    def due_at(self, created: datetime, *, people_away_until: datetime | None = None) -> datetime:
        """The moment by which an answer to a question asked at `created` is promised.

        `answer_within` is counted from the pick-up (see `pickup_at`) on working days only:
        weekends, holidays and closed days from settings do not count, the nights of working
        days do. So on an ordinary weekday the promise is the same time the next working day:
        Friday 17:59 is due on Monday 17:59, not on Saturday. A moment that lands outside the
        hours of its day (an answer time that is not whole days, or a DST change on a working
        day) is moved to that day's opening or closing, so nobody is promised an answer at
        night. A later question is never due earlier than an earlier one.
        """
        pickup = self._to_local(self.pickup_at(created, people_away_until=people_away_until))
        day, cursor, remaining = pickup.date(), pickup, self._hours.answer_within
        for _ in range(SEARCH_LIMIT_DAYS):
            # Elapsed time, not wall-clock time: a day with a DST change is 23 or 25 hours.
            left_today = _elapsed(cursor, self._midnight(day + timedelta(days=1)))
            if remaining < left_today:
                due = self._into_hours(day, _after(cursor, remaining).astimezone(self._zone))
                return due.astimezone(created.tzinfo)
            remaining -= left_today
            day = self._first_working_day(day + timedelta(days=1))
            cursor = self._midnight(day)
        raise ValueError(
            f"The answer time {self._hours.answer_within} does not fit into"
            f" {SEARCH_LIMIT_DAYS} days after {pickup:%Y-%m-%d}; check `answer_within`"
            f" and the closed days in the working-hours settings."
        )

    def describe_pickup(self, at: datetime) -> str:
        """When operators pick up a question asked at `at`, in the citizen's words.

        "сейчас", "сегодня с 06:00 по московскому времени", "завтра с 06:00 ...", or
        "в понедельник, 12 января, с 06:00 по московскому времени".
        """
        if self.is_open(at):
            return OPEN_NOW
        today = self._to_local(at).date()
        opening = self._to_local(self.next_opening(at))
        clock = f"с {opening:%H:%M} {self.timezone_phrase}"
        days_ahead = (opening.date() - today).days
        if days_ahead == 0:
            return f"{TODAY} {clock}"
        if days_ahead == 1:
            return f"{TOMORROW} {clock}"
        return f"{_weekday_phrase(opening.date())}, {_day_and_month(opening.date())}, {clock}"

    def describe_promise(self, due: datetime) -> str:
        """The promise for a due moment (see `due_at`): "ответим до 14:30 23 ноября ..."."""
        local = self._to_local(due)
        return f"ответим до {local:%H:%M} {_day_and_month(local.date())} {self.timezone_phrase}"

    @property
    def timezone_phrase(self) -> str:
        """How the settings' time zone is named to citizens: "по московскому времени"."""
        zone = self._hours.timezone
        return TIMEZONE_PHRASES.get(zone, f"по времени {zone}")

    def _calendar(self, year: int) -> holidays.HolidayBase:
        calendar = self._calendars.get(year)
        if calendar is None:
            # One year per object and no expansion: a lookup never grows it behind our back.
            calendar = holidays.country_holidays(COUNTRY, years=year, expand=False)
            self._calendars[year] = calendar
        return calendar

    def _first_working_day(self, start: date) -> date:
        """`start` or the first working day after it."""
        for offset in range(SEARCH_LIMIT_DAYS):
            day = start + timedelta(days=offset)
            if self.is_working_day(day):
                return day
        raise ValueError(
            f"No working day within {SEARCH_LIMIT_DAYS} days after {start:%Y-%m-%d};"
            f" check the closed days in the working-hours settings."
        )

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self._zone)

    def _into_hours(self, day: date, local: datetime) -> datetime:
        """`local` (on `day`) moved into that day's working hours, closing time included."""
        if local.time() < self._hours.opens:
            return datetime.combine(day, self._hours.opens, self._zone)
        if local.time() > self._hours.closes:
            return datetime.combine(day, self._hours.closes, self._zone)
        return local

    def _to_local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(
                f"Expected an aware datetime, got the naive {at.isoformat()}; attach its zone,"
                f" e.g. datetime.now(tz=ZoneInfo({self._hours.timezone!r}))."
            )
        return at.astimezone(self._zone)


def _weekday_phrase(day: date) -> str:
    return WEEKDAYS_ACCUSATIVE[day.weekday()]


def _day_and_month(day: date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]}"


def _elapsed(start: datetime, end: datetime) -> timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


def _after(start: datetime, span: timedelta) -> datetime:
    return start.astimezone(UTC) + span
