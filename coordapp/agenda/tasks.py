"""Worker jobs of the agenda: rendering the agenda PDF (never in a web request). The job
takes a lease on its document (coordapp/jobs.py); `requeue_expired` queues again the
documents a dead worker left PENDING."""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.agenda import service
from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.jobs import hold_for_tests, lease_cutoff, renew_expired_lease, task
from coordapp.models import Meeting, utcnow
from coordapp.models.document import DocumentStatus, GeneratedDocument

log = logging.getLogger(__name__)


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
    document.claimed_at = utcnow()
    db.session.commit()
    hold_for_tests("render_agenda_pdf")
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


def requeue_expired() -> list[int]:
    """Queue again the agenda PDFs whose worker died (PENDING, lease expired); returns
    their ids. Commits."""
    stalled = db.session.scalars(
        sa.select(GeneratedDocument.id).where(
            GeneratedDocument.status == DocumentStatus.PENDING,
            sa.or_(
                GeneratedDocument.claimed_at.is_(None),
                GeneratedDocument.claimed_at < lease_cutoff(),
            ),
        )
    ).all()
    renewed = [
        document_id
        for document_id in stalled
        if renew_expired_lease(GeneratedDocument, document_id, DocumentStatus.PENDING)
    ]
    db.session.commit()
    for document_id in renewed:
        log.warning("re-queued agenda PDF %s (its worker died)", document_id)
        render_agenda_pdf(document_id)
    return renewed
