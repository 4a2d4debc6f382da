"""PDFs the worker renders and the database keeps (the agenda's, the periodic report's):
one row per document, PENDING until the worker has rendered it, then READY with its bytes
or FAILED with the error shown on the page. The job holds a lease on its row while it
renders (coordapp/jobs.py), so a document a dead worker left PENDING is queued again."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app

from coordapp.extensions import db
from coordapp.jobs import held_lease, requeue_expired
from coordapp.models import utcnow
from coordapp.models.document import DocumentStatus

log = logging.getLogger(__name__)


def render_stored_pdf(model: Any, document_id: int, html: Callable[[Any], str], *, job: str):
    """Render the PENDING document `document_id` of `model` (a table with the stored-PDF
    columns: status, claimed_at, claim_token, data, size, sha256, error, finished_at) from
    the HTML `html(document)` gives, and store the bytes; returns the status, None when
    there was nothing to do (not PENDING, or another worker is on it). `job` names it in
    logs. Commits."""
    with held_lease(model, document_id, DocumentStatus.PENDING) as held:
        if not held:
            return None
        return _render(model, document_id, html, job)


def _render(model: Any, document_id: int, html: Callable[[Any], str], job: str):
    from coordapp.pdf.render import render_pdf  # WeasyPrint: seconds to import

    document = db.session.get(model, document_id)
    try:
        pdf = render_pdf(html(document))
    except Exception as exc:  # a broken render must be reported on the page, not lost
        current_app.logger.exception("%s %s failed", job, document_id)
        db.session.rollback()
        document = db.session.get(model, document_id)
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


def renew_stalled_pdfs(model: Any, *, job: str) -> list[int]:
    """The PENDING documents of `model` whose worker died (lease expired), their lease
    renewed: the caller queues each again. Commits."""
    renewed = requeue_expired(model, DocumentStatus.PENDING)
    for document_id in renewed:
        log.warning("re-queued %s %s (its worker died)", job, document_id)
    return renewed
