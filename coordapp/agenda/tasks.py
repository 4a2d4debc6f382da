"""Worker jobs of the agenda: rendering the agenda PDF (never in a web request)."""

from __future__ import annotations

import hashlib

from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.agenda import service
from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.jobs import task
from coordapp.models import Meeting, utcnow
from coordapp.models.document import DocumentStatus, GeneratedDocument


def _agenda_pdf_html(meeting: Meeting) -> str:
    language = supported(meeting.language)
    with force_locale(language):
        return render_template(
            "agenda/pdf.html",
            network_name=current_app.config.get("NETWORK_NAME", ""),
            title=meeting.title,
            document_language=language,
            meeting=meeting,
            agenda=service.agenda_of(meeting),
        )


@task()
def render_agenda_pdf(document_id: int) -> str | None:
    """Render the agenda of the document's meeting and store the bytes; returns the status."""
    from coordapp.pdf.render import render_pdf

    document = db.session.get(GeneratedDocument, document_id)
    if document is None or document.status != DocumentStatus.PENDING:
        return None
    meeting = db.session.get(Meeting, document.meeting_id)
    try:
        pdf = render_pdf(_agenda_pdf_html(meeting))
    except Exception as exc:  # a broken render must be reported on the page, not lost
        current_app.logger.exception("agenda PDF %s failed", document_id)
        db.session.rollback()
        document = db.session.get(GeneratedDocument, document_id)
        document.status = DocumentStatus.FAILED
        document.error = f"{type(exc).__name__}: {exc}"[:1000]
        document.finished_at = utcnow()
        db.session.commit()
        return document.status.value
    document.data = pdf
    document.size = len(pdf)
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.status = DocumentStatus.READY
    document.finished_at = utcnow()
    db.session.commit()
    return document.status.value
