"""Times as the staff read them: the support centre's wall clock, `22.11.2026 09:15 МСК`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

STAFF_TIME_FORMAT = "%d.%m.%Y %H:%M"
ZONE_ABBREVIATIONS = {"Europe/Moscow": "МСК"}


def zone_abbreviation(moment: datetime, zone: str) -> str:
    """ "МСК" for Moscow; for a zone without a Russian name, its offset ("UTC+05:00")."""
    if zone in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[zone]
    offset = moment.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def staff_time(moment: datetime, zone: str) -> str:
    """`moment` (aware) in the zone `zone` (e.g. the working hours' `Europe/Moscow`)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(STAFF_TIME_FORMAT)} {zone_abbreviation(moment, zone)}"
