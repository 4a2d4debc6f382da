"""Calendar downloads: a meeting's .ics file and a series' subscription feed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response
from flask_babel import lazy_gettext as _l

from coordapp import ics
from coordapp.access import login_required, public
from coordapp.extensions import db
from coordapp.links import PersonalLink, external_url, make_token
from coordapp.models import Series
from coordapp.web import get_meeting_or_404, load_by_link

bp = Blueprint("calendar", __name__)

FEED_PURPOSE = "series-feed"
FEED_LINK = PersonalLink(
    FEED_PURPOSE, _l("This calendar feed does not exist. Ask the secretariat for a new link.")
)
CALENDAR_MIMETYPE = "text/calendar"


def series_feed_token(series: Series) -> str:
    return make_token(series.feed_link_id, FEED_PURPOSE)


@bp.app_template_global()
def series_feed_url(series: Series) -> str:
    """The absolute subscription link of `series` (for the series page and emails)."""
    return external_url("calendar.series_feed", token=series_feed_token(series))


def _calendar_response(text: str, filename: str, *, download: bool) -> Response:
    response = Response(text, mimetype=CALENDAR_MIMETYPE)
    response.charset = "utf-8"
    response.headers.set(
        "Content-Disposition", "attachment" if download else "inline", filename=filename
    )
    return response


@bp.get("/meetings/<id:meeting_id>/calendar.ics")
@login_required
def meeting_ics(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id)
    text = ics.meeting_calendar(meeting, "PUBLISH")
    return _calendar_response(text, ics.ics_filename(meeting.title), download=True)


@bp.get("/feeds/series/<token>.ics")
@public
def series_feed(token: str):
    series = load_by_link(
        token,
        FEED_LINK,
        lambda link_id: db.session.scalar(sa.select(Series).where(Series.feed_link_id == link_id)),
    )
    return _calendar_response(
        ics.series_feed(series), ics.ics_filename(series.name, "series"), download=False
    )
