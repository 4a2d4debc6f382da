"""PDFs the worker renders and the database keeps (the agenda's, the periodic report's):
one row per document, PENDING until the worker has rendered it, then READY with its bytes
or FAILED with the error shown on the page. The job takes a lease on its row
(coordapp/jobs.py), so a document a dead worker left PENDING is queued again."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from coordapp.extensions import db
from coordapp.jobs import hold_for_tests, lease_cutoff, renew_expired_lease
from coordapp.models import utcnow
from coordapp.models.document import DocumentStatus

log = logging.getLogger(__name__)


def render_stored_pdf(model: Any, document_id: int, html: Callable[[Any], str], *, job: str):
    """Render the PENDING document `document_id` of `model` (a table with the stored-PDF
    columns: status, claimed_at, data, size, sha256, error, finished_at) from the HTML
    `html(document)` gives, and store the bytes; returns the status, None when there was
    nothing to do. `job` names it for logs and tests (hold_for_tests). Commits."""
    from coordapp.pdf.render import render_pdf  # WeasyPrint: seconds to import

    document = db.session.get(model, document_id)
    if document is None or document.status != DocumentStatus.PENDING:
        return None
    document.claimed_at = utcnow()
    db.session.commit()
    hold_for_tests(job)
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
    stalled = db.session.scalars(
        sa.select(model.id).where(
            model.status == DocumentStatus.PENDING,
            sa.or_(model.claimed_at.is_(None), model.claimed_at < lease_cutoff()),
        )
    ).all()
    renewed = [
        document_id
        for document_id in stalled
        if renew_expired_lease(model, document_id, DocumentStatus.PENDING)
    ]
    db.session.commit()
    for document_id in renewed:
        log.warning("re-queued %s %s (its worker died)", job, document_id)
    return renewed
