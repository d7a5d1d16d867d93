"""Times and dates for people: in the compound's time zone, to the minute, never raw UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local(moment: datetime | None, zone_name: str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone(zone_name)).strftime(pattern)


def local_date(moment: datetime | None, zone_name: str | None) -> str:
    return local(moment, zone_name, "%Y-%m-%d")


def today(now: datetime, zone_name: str | None) -> date:
    return now.astimezone(zone(zone_name)).date()


# Days a person may ask for (a log day, an export): the local midnights of days near
# 0001-01-01 or 9999-12-31 fall outside Python's calendar once turned into UTC.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def start_of_day(day: date, zone_name: str | None) -> datetime:
    """Local midnight at the start of ``day``, in UTC (a quarantine ends at this moment)."""
    return datetime.combine(day, time(0), tzinfo=zone(zone_name)).astimezone(UTC)


def end_of_day(day: date, zone_name: str | None) -> datetime:
    return start_of_day(day + timedelta(days=1), zone_name)


def days_left(until: datetime | None, now: datetime, zone_name: str | None) -> int | None:
    """Whole local days until ``until`` (0 on the day it ends); None without an end."""
    if until is None:
        return None
    return max(0, (today(until, zone_name) - today(now, zone_name)).days)
