"""Showing times: always in the meeting's timezone, with the zone named, in the words
and order of the language being spoken (flask_babel's locale: the page's, the email
recipient's or the document's, see coordapp/i18n.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime
from flask import Flask
from flask_babel import gettext as _

from coordapp.i18n import current_locale, date_pattern, datetime_pattern, zone_name


def in_zone(moment: datetime | None, tz_name: str) -> datetime | None:
    return moment.astimezone(ZoneInfo(tz_name)) if moment else None


def local_datetime(
    moment: datetime | None, tz_name: str, fmt: str | None = None, *, zone: bool = True
) -> str:
    """e.g. "Thu 4 Mar 2027, 10:00 (Europe/Minsk)", «чт, 4 мар. 2027 г., 10:00 (Минск)»;
    without the zone (`zone=False`) where a column header names it once."""
    if moment is None:
        return ""
    locale = current_locale()
    local = in_zone(moment, tz_name)
    # Format the wall-clock time as is (flask-babel would convert to its default zone).
    text = format_datetime(
        local.replace(tzinfo=None), fmt or datetime_pattern(locale), locale=locale
    )
    return f"{text} ({zone_name(tz_name, locale)})" if zone else text


def local_time(moment: datetime | None, tz_name: str) -> str:
    return local_datetime(moment, tz_name, "HH:mm")


def time_range(
    start: datetime | None, end: datetime | None, tz_name: str, *, zone: bool = True
) -> str:
    """From `start` to `end`, the zone named once: "Tue 15 Dec 2026, 11:00 – 14:00
    (Europe/Minsk)"; the end's day too when it is another day."""
    if start is None or end is None:
        return local_datetime(start or end, tz_name, zone=zone)
    same_day = in_zone(start, tz_name).date() == in_zone(end, tz_name).date()
    text = "{} – {}".format(
        local_datetime(start, tz_name, zone=False),
        local_datetime(end, tz_name, "HH:mm" if same_day else None, zone=False),
    )
    return f"{text} ({zone_name(tz_name, current_locale())})" if zone else text


def local_day(day: date | datetime | None, *, full_month: bool = False) -> str:
    """A day as the language writes it: "6 Jan 2027", «6 янв. 2027 г.», «6 студзеня
    2027 г.» (see i18n.date_pattern)."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    locale = current_locale()
    return babel_format_date(day, date_pattern(locale, full_month=full_month), locale=locale)


def quarter_label(quarter: int, year: int) -> str:
    """A quarter as a due date: "Q2 2027", «2 кв. 2027 г.»."""
    return _("Q%(quarter)s %(year)s", quarter=quarter, year=year)


def due_date_label(due: date | None, quarter: int | None = None) -> str:
    """A due date for people: the quarter when one was given, else the day."""
    if due is None:
        return ""
    if quarter:
        return quarter_label(quarter, due.year)
    return local_day(due)


_ZONES: list[str] | None = None


def timezone_choices() -> list[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(
            z
            for z in available_timezones()
            if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
        ) + ["UTC"]
    return _ZONES


def register(app: Flask) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["time_range"] = time_range
    app.jinja_env.filters["local_day"] = local_day
    app.jinja_env.filters["quarter_label"] = quarter_label
    app.jinja_env.filters["due_date"] = due_date_label
    # A time zone as the reader says it: "Europe/Minsk", «Минск».
    app.jinja_env.filters["zone_name"] = lambda tz_name: zone_name(tz_name, current_locale())


def wall_clock_to_utc(local: datetime, zone: tzinfo) -> datetime | None:
    """A naive wall-clock time in `zone`, as an aware UTC datetime; None when the clocks
    skip it (daylight saving time starts). A time that happens twice takes the first."""
    in_utc = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if in_utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return in_utc
