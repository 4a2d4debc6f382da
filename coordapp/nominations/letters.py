"""The official letter asking an organisation to nominate: HTML for the PDF pipeline.

The worker renders it (coordapp/nominations/tasks.py) through coordapp.pdf (restricted
fetcher, vendored fonts) into a stored document. Everything it shows is embedded: the
QR code of the nomination link as a PNG `data:` URL, the letterhead's logo read from
LETTERHEAD_LOGO as a `data:` URL; the renderer loads nothing else.
"""

from __future__ import annotations

import base64
import io
import mimetypes
from datetime import datetime
from pathlib import Path

import qrcode
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from qrcode.image.pil import PilImage
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.links import nomination_url
from coordapp.models import (
    AgendaItem,
    Meeting,
    MeetingChair,
    NominationRequest,
)

LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml"}
LOGO_MAX_BYTES = 2_000_000


def qr_data_url(text: str) -> str:
    """A QR code of `text` as a PNG data: URL (qrcode, drawn with Pillow). A PNG, not an
    SVG: WeasyPrint draws an SVG of a thousand modules in ~0.4 s, a PNG in no time."""
    image = qrcode.make(
        text,
        image_factory=PilImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=8,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def logo_data_url() -> str | None:
    """The configured logo as a data: URL, or None (none set, unreadable, not an image)."""
    path = current_app.config.get("LETTERHEAD_LOGO") or ""
    if not path:
        return None
    content_type = mimetypes.guess_type(path)[0]
    if content_type not in LOGO_TYPES:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        current_app.logger.warning("LETTERHEAD_LOGO %s cannot be read", path)
        return None
    if len(data) > LOGO_MAX_BYTES:
        return None
    return f"data:{content_type};base64," + base64.b64encode(data).decode("ascii")


def letterhead() -> dict:
    config = current_app.config
    address = config.get("LETTERHEAD_ADDRESS") or ""
    return {
        "name": config.get("LETTERHEAD_NAME") or config.get("NETWORK_NAME", ""),
        "address": [line.strip() for line in address.split("|") if line.strip()],
        "logo": logo_data_url(),
    }


def letter_number(nomination: NominationRequest) -> str:
    """The letter's number: the meeting, the request, the year ("12-34/2027")."""
    return nomination.letter_number or (
        f"{nomination.meeting_id}-{nomination.id}/{nomination.created_at.year}"
    )


def load(nomination_id: int) -> NominationRequest:
    """The request with what its letter shows, in three queries."""
    return db.session.scalars(
        sa.select(NominationRequest)
        .where(NominationRequest.id == nomination_id)
        .options(
            joinedload(NominationRequest.organisation),
            joinedload(NominationRequest.meeting).joinedload(Meeting.series),
            joinedload(NominationRequest.meeting)
            .selectinload(Meeting.chairs)
            .joinedload(MeetingChair.user),
        )
    ).one()


def agenda_titles(meeting_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem.title)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def letter_html(nomination: NominationRequest, *, today: datetime | None = None) -> str:
    """The letter in the organisation's language (the request's)."""
    meeting = nomination.meeting
    link = nomination_url(nomination)
    language = supported(nomination.language)
    with force_locale(language):
        return render_template(
            "nominations/letter.html",
            document_language=language,
            network_name=letterhead()["name"],
            title=meeting.title,
            letterhead=letterhead(),
            nomination=nomination,
            organisation=nomination.organisation,
            meeting=meeting,
            agenda=agenda_titles(meeting.id),
            number=letter_number(nomination),
            dated=(today or nomination.created_at).astimezone(meeting.tz).date(),
            link=link,
            qr=qr_data_url(link),
        )
