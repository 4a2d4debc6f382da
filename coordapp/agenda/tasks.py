"""Worker jobs of the agenda: rendering the agenda PDF (never in a web request). The job
takes a lease on its document (coordapp/jobs.py); `requeue_expired` queues again the
documents a dead worker left PENDING."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.agenda import service
from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.jobs import INTERACTIVE, task
from coordapp.models import Meeting
from coordapp.models.document import GeneratedDocument
from coordapp.pdf.stored import render_stored_pdf, renew_stalled_pdfs


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


@task(priority=INTERACTIVE)
def render_agenda_pdf(document_id: int) -> str | None:
    """Render the agenda of the document's meeting and store the bytes; returns the status."""
    return render_stored_pdf(
        GeneratedDocument,
        document_id,
        lambda document: _agenda_pdf_html(db.session.get(Meeting, document.meeting_id)),
        job="render_agenda_pdf",
    )


def requeue_expired() -> list[int]:
    """Queue again the agenda PDFs whose worker died (PENDING, lease expired); returns
    their ids. Commits."""
    renewed = renew_stalled_pdfs(GeneratedDocument, job="render_agenda_pdf")
    for document_id in renewed:
        render_agenda_pdf(document_id)
    return renewed
