"""Showing times: always in the meeting's timezone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask
from flask_babel import format_datetime


def in_zone(moment: datetime | None, tz_name: str) -> datetime | None:
    return moment.astimezone(ZoneInfo(tz_name)) if moment else None


def local_datetime(
    moment: datetime | None, tz_name: str, fmt: str = "EEE d MMM y, HH:mm", *, zone: bool = True
) -> str:
    """e.g. "Thu 4 Mar 2027, 10:00 (Europe/Minsk)"; without the zone (`zone=False`) where
    a column header names it once."""
    if moment is None:
        return ""
    local = in_zone(moment, tz_name)
    # flask-babel would convert to its own default zone; format the wall-clock time as is.
    text = format_datetime(local.replace(tzinfo=None), fmt, rebase=False)
    return f"{text} ({tz_name})" if zone else text


def local_time(moment: datetime | None, tz_name: str) -> str:
    return local_datetime(moment, tz_name, "HH:mm")


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
