"""Times as the staff read and type them: wall-clock time of the support centre's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.errors import InvalidInputError
from bot.core.settings import default_working_hours
from bot.core.workhours import TIMEZONE_PHRASES

TIME_FORMAT = "%Y-%m-%d %H:%M"


def staff_zone() -> ZoneInfo:
    """The support centre's time zone (Moscow), from the working-hours settings."""
    return ZoneInfo(default_working_hours().timezone)


def zone_phrase() -> str:
    """How the zone is named in messages: "по московскому времени"."""
    zone = default_working_hours().timezone
    return TIMEZONE_PHRASES.get(zone, f"по времени {zone}")


def show_time(moment: datetime) -> str:
    """`2026-11-23 06:00`, in the staff's zone."""
    return moment.astimezone(staff_zone()).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """An aware time from `2026-11-23 06:00` (the staff's zone) or an ISO time with an offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=staff_zone())
        # A moment the staff's zone cannot show ("0001-01-01T00:00+05:00") is no time at all.
        moment.astimezone(staff_zone())
    except (ValueError, OverflowError):
        raise InvalidInputError(
            f"Время «{text}» не распознано: напишите, например, «2026-11-23 06:00» "
            f"({zone_phrase()}) или «2026-11-23T06:00+03:00»."
        ) from None
    return moment
