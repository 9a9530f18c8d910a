"""Operators' hours on the real Russian production calendar of 2025 and 2026.

Calendar facts checked against the `holidays` data and the government's transfer decrees:
1 November 2025 is a working Saturday and 3 November is given off in exchange; 31 December
2025 is a day off; 1-8 January 2026 are holidays and 9 January is given off for 3 January.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.workhours import WorkCalendar, WorkingHours

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
    ("created", "due"),
    [
        (msk("2025-11-20 14:30"), msk("2025-11-21 14:30")),
        (msk("2025-11-21 14:30"), msk("2025-11-22 14:30")),
        (msk("2025-11-20 23:00"), msk("2025-11-22 06:00")),
        (msk("2025-11-21 05:00"), msk("2025-11-22 06:00")),
        (msk("2025-11-21 20:00"), msk("2025-11-25 06:00")),
        (msk("2025-11-22 11:00"), msk("2025-11-25 06:00")),
        (msk("2025-10-31 19:00"), msk("2025-11-02 06:00")),
        (msk("2025-12-30 19:00"), msk("2026-01-13 06:00")),
        (utc("2025-11-21 15:30"), utc("2025-11-25 03:00")),
    ],
)
def test_due_at(calendar: WorkCalendar, created: datetime, due: datetime) -> None:
    assert calendar.due_at(created) == due


def test_due_at_uses_answer_time_from_settings() -> None:
    calendar = WorkCalendar(WorkingHours(answer_within=timedelta(hours=4)))
    assert calendar.due_at(msk("2025-11-21 20:00")) == msk("2025-11-24 10:00")


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
        (msk("2025-11-21 14:30"), "ответим до 14:30 22 ноября по московскому времени"),
        (msk("2025-11-21 19:00"), "ответим до 06:00 25 ноября по московскому времени"),
        (msk("2025-12-30 19:00"), "ответим до 06:00 13 января по московскому времени"),
        (utc("2025-11-21 11:30"), "ответим до 14:30 22 ноября по московскому времени"),
    ],
)
def test_describe_due(calendar: WorkCalendar, created: datetime, phrase: str) -> None:
    assert calendar.describe_due(created) == phrase


def test_hours_in_another_zone_are_named_by_the_zone() -> None:
    calendar = WorkCalendar(WorkingHours(timezone="Asia/Yekaterinburg"))
    friday_evening = datetime.fromisoformat("2025-11-21 19:00+05:00")
    assert calendar.describe_pickup(friday_evening) == (
        "в понедельник, 24 ноября, с 06:00 по времени Asia/Yekaterinburg"
    )
    assert calendar.is_open(msk("2025-11-21 05:00"))  # 07:00 in Yekaterinburg


@pytest.mark.parametrize(
    "method",
    ["is_open", "next_opening", "due_at", "describe_pickup", "describe_due"],
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
