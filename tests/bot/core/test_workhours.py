"""Operators' hours on the real Russian production calendar of 2025 and 2026.

Calendar facts checked against the `holidays` data and the government's transfer decrees:
1 November 2025 is a working Saturday and 3 November is given off in exchange; 31 December
2025 is a day off; 1-8 January 2026 are holidays and 9 January is given off for 3 January.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.workhours import WorkCalendar, WorkingHours

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = pytest.mark.xdist_group("test_workhours")

MOSCOW = ZoneInfo("Europe/Moscow")


def msk(text: str) -> datetime:
    """A Moscow wall-clock moment written as "2025-11-21 18:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def utc(text: str) -> datetime:
    """A UTC moment written as "2025-11-21 15:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar(WorkingHours())


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2025, 11, 21), True, "обычная пятница"),
        (date(2025, 11, 22), False, "обычная суббота"),
        (date(2025, 11, 23), False, "обычное воскресенье"),
        (date(2025, 11, 1), True, "рабочая суббота, перенесена на 3 ноября"),
        (date(2025, 11, 3), False, "понедельник, выходной вместо 1 ноября"),
        (date(2025, 11, 4), False, "День народного единства"),
        (date(2025, 11, 5), True, "среда после праздников"),
        (date(2025, 12, 30), True, "последний рабочий день 2025 года"),
        (date(2025, 12, 31), False, "выходной, перенесён с 5 января"),
        (date(2026, 1, 1), False, "новогодние каникулы"),
        (date(2026, 1, 5), False, "новогодние каникулы, понедельник"),
        (date(2026, 1, 7), False, "Рождество"),
        (date(2026, 1, 8), False, "новогодние каникулы, четверг"),
        (date(2026, 1, 9), False, "пятница, выходной вместо 3 января"),
        (date(2026, 1, 12), True, "первый рабочий день 2026 года"),
        (date(2026, 3, 9), False, "8 Марта в воскресенье, выходной переносится на понедельник"),
    ],
)
def test_working_days_follow_production_calendar(
    calendar: WorkCalendar, day: date, working: bool, why: str
) -> None:
    assert calendar.is_working_day(day) is working, why


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (msk("2025-11-21 05:59"), False),
        (msk("2025-11-21 06:00"), True),
        (msk("2025-11-21 17:59"), True),
        (msk("2025-11-21 18:00"), False),
        (msk("2025-11-22 12:00"), False),
        (msk("2025-11-01 12:00"), True),
        (msk("2025-11-03 12:00"), False),
        (msk("2026-01-09 12:00"), False),
        (utc("2025-11-21 02:59"), False),
        (utc("2025-11-21 03:00"), True),
        (utc("2025-11-21 14:59"), True),
        (utc("2025-11-21 15:00"), False),
        (datetime.fromisoformat("2025-11-21 12:30+10:00"), False),
        (datetime.fromisoformat("2025-11-21 13:30+10:00"), True),
    ],
)
def test_is_open(calendar: WorkCalendar, moment: datetime, is_open: bool) -> None:
    assert calendar.is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        (msk("2025-11-21 12:00"), msk("2025-11-21 12:00")),
        (msk("2025-11-21 17:59"), msk("2025-11-21 17:59")),
        (msk("2025-11-21 05:59"), msk("2025-11-21 06:00")),
        (msk("2025-11-21 18:00"), msk("2025-11-24 06:00")),
        (msk("2025-11-21 21:15"), msk("2025-11-24 06:00")),
        (msk("2025-11-23 23:59"), msk("2025-11-24 06:00")),
        (msk("2025-10-31 18:30"), msk("2025-11-01 06:00")),
        (msk("2025-11-01 18:30"), msk("2025-11-05 06:00")),
        (msk("2025-12-30 18:00"), msk("2026-01-12 06:00")),
        (msk("2025-12-31 10:00"), msk("2026-01-12 06:00")),
        (msk("2026-01-09 10:00"), msk("2026-01-12 06:00")),
        (utc("2025-11-21 15:00"), utc("2025-11-24 03:00")),
        (utc("2025-11-20 22:00"), utc("2025-11-21 03:00")),
    ],
)
def test_next_opening(calendar: WorkCalendar, moment: datetime, opening: datetime) -> None:
    assert calendar.next_opening(moment) == opening


def test_next_opening_is_given_in_the_zone_of_the_question(calendar: WorkCalendar) -> None:
    opening = calendar.next_opening(utc("2025-11-21 15:00"))
    assert (opening.tzinfo, opening.hour) == (UTC, 3)


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        (msk("2025-11-21 18:30"), msk("2025-11-25 06:00")),
        (msk("2025-11-24 12:00"), msk("2025-11-25 06:00")),
        (msk("2025-11-25 12:00"), msk("2025-11-25 12:00")),
    ],
)
def test_extra_closed_day_from_settings(moment: datetime, opening: datetime) -> None:
    calendar = WorkCalendar(WorkingHours(closed_days=frozenset({date(2025, 11, 24)})))
    assert calendar.next_opening(moment) == opening


@pytest.mark.parametrize(
    ("created", "due", "why"),
    [
        (msk("2025-11-20 14:30"), msk("2025-11-21 14:30"), "четверг: то же время завтра"),
        (msk("2025-11-20 23:00"), msk("2025-11-24 06:00"), "ночь на пятницу: с 06:00 пятницы"),
        (msk("2025-11-21 05:00"), msk("2025-11-24 06:00"), "утро пятницы до открытия"),
        (msk("2025-11-21 20:00"), msk("2025-11-25 06:00"), "вечер пятницы: с 06:00 понедельника"),
        (msk("2025-11-22 11:00"), msk("2025-11-25 06:00"), "суббота"),
        (msk("2025-12-30 19:00"), msk("2026-01-13 06:00"), "после работы 30 декабря"),
        (utc("2025-11-21 15:30"), utc("2025-11-25 03:00"), "в UTC: 18:30 по Москве"),
    ],
)
def test_due_at(calendar: WorkCalendar, created: datetime, due: datetime, why: str) -> None:
    assert calendar.due_at(created) == due, why


@pytest.mark.parametrize(
    ("created", "due", "why"),
    [
        (msk("2026-12-04 17:59"), msk("2026-12-07 17:59"), "пятница: суббота не считается"),
        (msk("2026-12-04 18:01"), msk("2026-12-08 06:00"), "пятница после работы"),
        (msk("2026-12-03 20:00"), msk("2026-12-07 06:00"), "вечер четверга: с 06:00 пятницы"),
        (msk("2026-12-04 06:00"), msk("2026-12-07 06:00"), "открытие в пятницу"),
        (msk("2026-12-30 17:00"), msk("2027-01-11 17:00"), "31 декабря и каникулы"),
        (msk("2026-11-03 17:30"), msk("2026-11-05 17:30"), "4 ноября — праздник"),
        (msk("2025-11-01 17:00"), msk("2025-11-05 17:00"), "рабочая суббота, потом 2-4 ноября"),
        (msk("2025-10-31 19:00"), msk("2025-11-05 06:00"), "вечер пятницы перед рабочей субботой"),
        (msk("2027-02-20 10:00"), msk("2027-02-24 10:00"), "рабочая суббота, потом 21-23 февраля"),
    ],
)
def test_the_answer_time_counts_only_on_working_days(
    calendar: WorkCalendar, created: datetime, due: datetime, why: str
) -> None:
    assert calendar.due_at(created) == due, why


def test_an_extra_closed_day_from_settings_does_not_count() -> None:
    calendar = WorkCalendar(WorkingHours(closed_days=frozenset({date(2026, 12, 7)})))
    assert calendar.due_at(msk("2026-12-04 17:59")) == msk("2026-12-08 17:59")


@pytest.mark.parametrize(
    ("created", "away_until", "due"),
    [
        (msk("2026-12-05 10:00"), msk("2026-12-07 12:00"), msk("2026-12-08 12:00")),
        (msk("2026-12-07 09:00"), msk("2026-12-07 12:00"), msk("2026-12-08 12:00")),
        (msk("2026-12-04 17:00"), msk("2026-12-04 20:00"), msk("2026-12-08 06:00")),
        (msk("2026-12-07 13:00"), msk("2026-12-07 12:00"), msk("2026-12-08 13:00")),
    ],
)
def test_during_maintenance_the_answer_time_counts_from_when_people_are_back(
    calendar: WorkCalendar, created: datetime, away_until: datetime, due: datetime
) -> None:
    assert calendar.due_at(created, people_away_until=away_until) == due


def _local_clock(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%d.%m %H:%M}"


@pytest.mark.parametrize(
    ("zone", "created", "due", "elapsed"),
    [
        # Israel moves its clocks forward at 02:00 on Friday 27 March 2026.
        ("Asia/Jerusalem", "2026-03-26 10:00+02:00", "27.03 11:00", timedelta(hours=24)),
        (
            "Asia/Jerusalem",
            "2026-03-26 17:30+02:00",
            "27.03 18:00",
            timedelta(hours=23, minutes=30),
        ),
        # Egypt moves them back at midnight after Thursday 29 October 2026.
        ("Africa/Cairo", "2026-10-29 10:00+03:00", "30.10 09:00", timedelta(hours=24)),
        ("Africa/Cairo", "2026-10-29 06:30+03:00", "30.10 06:00", timedelta(hours=24, minutes=30)),
        # Germany changes on Sunday 29 March 2026, a day that does not count.
        ("Europe/Berlin", "2026-03-27 17:00+01:00", "30.03 17:00", timedelta(hours=24 + 47)),
    ],
)
def test_across_a_dst_change_the_answer_time_is_elapsed_time_kept_within_hours(
    zone: str, created: str, due: str, elapsed: timedelta
) -> None:
    calendar = WorkCalendar(WorkingHours(timezone=zone))
    asked = datetime.fromisoformat(created)
    promised = calendar.due_at(asked)
    assert _local_clock(promised, zone) == due
    assert promised - asked == elapsed


@pytest.mark.parametrize(
    ("answer_within", "created", "due"),
    [
        (timedelta(hours=4), msk("2025-11-21 20:00"), msk("2025-11-24 10:00")),
        # Not whole days: a moment at night is moved into the hours of its day.
        (timedelta(hours=4), msk("2025-11-24 17:00"), msk("2025-11-24 18:00")),
        (timedelta(hours=20), msk("2025-11-24 07:00"), msk("2025-11-25 06:00")),
        (timedelta(hours=48), msk("2025-11-20 17:00"), msk("2025-11-24 17:00")),
    ],
)
def test_due_at_uses_answer_time_from_settings(
    answer_within: timedelta, created: datetime, due: datetime
) -> None:
    calendar = WorkCalendar(WorkingHours(answer_within=answer_within))
    assert calendar.due_at(created) == due


# Any minute of 2025-2027 in Moscow, and two of them in either order.
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 20), timezones=st.just(MOSCOW)
)


@settings(max_examples=300, deadline=None)
@given(first=MOMENTS, second=MOMENTS)
def test_a_later_question_is_never_due_earlier(first: datetime, second: datetime) -> None:
    calendar = WorkCalendar(WorkingHours())
    earlier, later = sorted((first, second))
    assert calendar.due_at(earlier) <= calendar.due_at(later)


def _count_on_working_days(calendar: WorkCalendar, start: datetime, span: timedelta) -> datetime:
    """The same promise counted the slow way: quarter-hour steps, each counting if it starts
    on a working day."""
    step, moment, counted = timedelta(minutes=15), start.astimezone(MOSCOW), timedelta(0)
    while counted < span:
        if calendar.is_working_day(moment.date()):
            counted += step
        moment += step
    return moment


@settings(max_examples=200, deadline=None)
@given(
    created=MOMENTS.map(lambda at: at.replace(minute=at.minute // 15 * 15, second=0, microsecond=0))
)
def test_the_promise_counts_24_hours_of_working_days_from_the_pickup(created: datetime) -> None:
    calendar = WorkCalendar(WorkingHours())
    pickup = calendar.next_opening(created)
    assert calendar.due_at(created) == _count_on_working_days(calendar, pickup, timedelta(hours=24))


@settings(max_examples=300, deadline=None)
@given(created=MOMENTS)
def test_the_promise_falls_on_a_working_day_within_hours_after_a_full_answer_time(
    created: datetime,
) -> None:
    calendar = WorkCalendar(WorkingHours())
    due = calendar.due_at(created).astimezone(MOSCOW)
    assert calendar.is_working_day(due.date())
    assert time(6) <= due.time() < time(18)
    assert due - calendar.pickup_at(created) >= timedelta(hours=24)


@pytest.mark.parametrize(
    ("moment", "phrase"),
    [
        (msk("2025-11-21 12:00"), "сейчас"),
        (msk("2025-11-21 05:00"), "сегодня с 06:00 по московскому времени"),
        (msk("2025-11-20 19:00"), "завтра с 06:00 по московскому времени"),
        (msk("2025-11-21 19:00"), "в понедельник, 24 ноября, с 06:00 по московскому времени"),
        (msk("2025-10-31 19:00"), "завтра с 06:00 по московскому времени"),
        (msk("2025-11-01 19:00"), "в среду, 5 ноября, с 06:00 по московскому времени"),
        (msk("2026-02-20 19:00"), "во вторник, 24 февраля, с 06:00 по московскому времени"),
        (msk("2025-12-30 19:00"), "в понедельник, 12 января, с 06:00 по московскому времени"),
        (msk("2025-11-25 20:00"), "завтра с 06:00 по московскому времени"),
        (msk("2025-11-21 00:30"), "сегодня с 06:00 по московскому времени"),
        (utc("2025-11-20 21:30"), "сегодня с 06:00 по московскому времени"),
        (utc("2025-11-20 20:30"), "завтра с 06:00 по московскому времени"),
    ],
)
def test_describe_pickup(calendar: WorkCalendar, moment: datetime, phrase: str) -> None:
    assert calendar.describe_pickup(moment) == phrase


@pytest.mark.parametrize(
    ("created", "phrase"),
    [
        (msk("2025-11-22 14:30"), "ответим до 06:00 25 ноября по московскому времени"),
        (msk("2025-11-20 14:30"), "ответим до 14:30 21 ноября по московскому времени"),
        (msk("2025-11-21 14:30"), "ответим до 14:30 24 ноября по московскому времени"),
        (msk("2025-11-21 19:00"), "ответим до 06:00 25 ноября по московскому времени"),
        (msk("2025-12-30 19:00"), "ответим до 06:00 13 января по московскому времени"),
        (utc("2025-11-21 11:30"), "ответим до 14:30 24 ноября по московскому времени"),
    ],
)
def test_describe_promise(calendar: WorkCalendar, created: datetime, phrase: str) -> None:
    assert calendar.describe_promise(calendar.due_at(created)) == phrase


def test_hours_in_another_zone_are_named_by_the_zone() -> None:
    calendar = WorkCalendar(WorkingHours(timezone="Asia/Yekaterinburg"))
    friday_evening = datetime.fromisoformat("2025-11-21 19:00+05:00")
    assert calendar.describe_pickup(friday_evening) == (
        "в понедельник, 24 ноября, с 06:00 по времени Asia/Yekaterinburg"
    )
    assert calendar.is_open(msk("2025-11-21 05:00"))  # 07:00 in Yekaterinburg


@pytest.mark.parametrize(
    "method",
    ["is_open", "next_opening", "pickup_at", "due_at", "describe_pickup", "describe_promise"],
)
def test_naive_datetime_is_rejected(calendar: WorkCalendar, method: str) -> None:
    with pytest.raises(ValueError, match="naive"):
        getattr(calendar, method)(datetime(2025, 11, 21, 12, 0))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"opens": time(18), "closes": time(6)}, "open before they close"),
        ({"opens": time(9), "closes": time(9)}, "open before they close"),
        ({"timezone": "Europe/Moskva"}, "Unknown time zone 'Europe/Moskva'"),
        ({"timezone": ""}, "Unknown time zone"),
        ({"opens": time(6, tzinfo=UTC)}, "without a zone"),
        ({"answer_within": timedelta(hours=-1)}, "must not be negative"),
    ],
)
def test_invalid_working_hours_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHours(**settings)  # type: ignore[arg-type]


def test_everything_closed_is_reported_as_a_settings_mistake() -> None:
    start = date(2025, 11, 21)
    closed = frozenset(start + timedelta(days=n) for n in range(500))
    calendar = WorkCalendar(WorkingHours(closed_days=closed))
    with pytest.raises(ValueError, match="closed days"):
        calendar.next_opening(msk("2025-11-21 12:00"))


def test_a_prepared_calendar_answers_this_year_and_the_next_without_loading(
    request: pytest.FixtureRequest,
) -> None:
    calendar = WorkCalendar(WorkingHours())
    new_year_eve = datetime(2026, 12, 31, 17, 0, tzinfo=MOSCOW)
    calendar.prepare(new_year_eve)
    request.getfixturevalue("calendar_loading_refused")
    # The long New Year holidays: the next opening is in January 2027.
    due = calendar.due_at(new_year_eve)
    assert due.year == 2027
    assert not calendar.is_working_day(date(2027, 1, 5))
