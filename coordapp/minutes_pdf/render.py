"""The minutes document: its HTML and the unsigned PDF with a signature field per chair."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.minutes.service import document_context
from coordapp.models import Meeting, meeting_page_options
from coordapp.models.minutes import MinutesVersion


class RenderError(Exception):
    """The document cannot be rendered; the message says why."""


def signature_box_id(user_id: int) -> str:
    """The id of a chair's empty signature box in the HTML."""
    return f"sig-chair-{user_id}"


def signature_field_name(position: int, user_id: int) -> str:
    """The PDF field a chair signs: "Chair1_42" for the first chair, user 42."""
    return f"Chair{position}_{user_id}"


def fields_key(user_id: int) -> str:
    """The key of a chair's field in MinutesDocument.fields."""
    return f"chair-{user_id}"


def document_locale(meeting: Meeting) -> str:
    """The meeting's language, where the app speaks it: the minutes, their signature
    stamps and the agenda are written in it."""
    return supported(meeting.language)


def minutes_html(version: MinutesVersion) -> str:
    """The printable minutes of `version`: the body shared with the preview page, then a
    signature page naming every chair in the meeting's order, each with an empty box.
    Rendered in the meeting's language (the worker has no request to choose one)."""
    return _html(_meeting_of(version), version)


def _meeting_of(version: MinutesVersion) -> Meeting:
    meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.id == version.meeting_id).options(*meeting_page_options())
    )
    if meeting is None:
        raise RenderError(f"the meeting of minutes version {version.id} no longer exists")
    return meeting


def _html(meeting: Meeting, version: MinutesVersion) -> str:
    locale = document_locale(meeting)
    with force_locale(locale):
        return render_template(
            "minutes_pdf/document.html",
            network_name=current_app.config.get("NETWORK_NAME") or "",
            title=meeting.title,
            document_language=locale,
            signature_box_id=signature_box_id,
            **document_context(meeting, version),
        )


def render_unsigned(version: MinutesVersion) -> tuple[bytes, dict[int, str]]:
    """(PDF bytes, {chair user id: signature field name}) for `version`.

    Lays the document out once, measures where each chair's box landed, and adds all the
    empty signature fields there in ONE incremental update: every later change to the
    file is a chair's signature. Slow (WeasyPrint): run it in the worker."""
    from coordapp.pdf.render import render_pdf_with_boxes
    from coordapp.signing.pdfsign import SignatureFieldSpec, add_signature_fields

    meeting = _meeting_of(version)
    chair_ids = [chair.user_id for chair in meeting.chairs]
    if not chair_ids:
        raise RenderError("the meeting has no chairs: there is nobody to sign the minutes")
    html = _html(meeting, version)
    pdf, boxes = render_pdf_with_boxes(html, [signature_box_id(uid) for uid in chair_ids])
    fields = {
        uid: signature_field_name(position, uid) for position, uid in enumerate(chair_ids, start=1)
    }
    specs = [
        SignatureFieldSpec(
            name=fields[uid],
            page=boxes[signature_box_id(uid)].page_index,
            box=boxes[signature_box_id(uid)].rect,
        )
        for uid in chair_ids
    ]
    return add_signature_fields(pdf, specs), fields
