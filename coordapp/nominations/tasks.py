"""Worker jobs of nominations: rendering each organisation's official letter (never in a
web request). The job holds a lease on its stored document; a letter a dead worker left
PENDING is queued again by the sweep. The focal point's email waits for its letter."""

from __future__ import annotations

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.jobs import BULK, task
from coordapp.models import NominationLetter, NominationRequest
from coordapp.nominations import letters
from coordapp.pdf.stored import render_stored_pdf, renew_stalled_pdfs


def _html(document: NominationLetter) -> str:
    nomination_id = db.session.scalar(
        sa.select(NominationRequest.id).where(NominationRequest.letter_document_id == document.id)
    )
    return letters.letter_html(letters.load(nomination_id))


@task(priority=BULK)
def render_nomination_letter(document_id: int) -> str | None:
    """Render one organisation's letter and store the PDF; returns the status."""
    return render_stored_pdf(NominationLetter, document_id, _html, job="render_nomination_letter")


@task(priority=BULK)
def render_nomination_letters(document_ids: list[int]) -> int:
    """Queue one rendering job per letter: the request queues this one job only (200
    organisations asked = one enqueue, not 200), the workers share the letters."""
    for document_id in document_ids:
        render_nomination_letter(document_id)
    return len(document_ids)


def requeue_expired() -> list[int]:
    """Queue again the letters whose worker died (PENDING, lease expired). Commits."""
    renewed = renew_stalled_pdfs(NominationLetter, job="render_nomination_letter")
    for document_id in renewed:
        render_nomination_letter(document_id)
    return renewed
