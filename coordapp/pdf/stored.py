"""PDFs the worker renders and the database keeps (the agenda's, the periodic report's;
models/document.py, `StoredDocument`): one row per document, PENDING until the worker has
rendered it, then READY with its bytes or FAILED with the error shown on the page. The job
holds a lease on its row while it renders (coordapp/jobs.py), so a document a dead worker
left PENDING is queued again.

Here too, for the features' views: the one page of such a document (`status_page`: it
waits for the worker, then offers the download) and its download (`download`). The
feature's view loads the document and checks who may see it first."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.orm import undefer
from werkzeug.utils import secure_filename

from coordapp.extensions import db
from coordapp.jobs import held_lease, requeue_expired
from coordapp.models import utcnow
from coordapp.models.document import DocumentStatus

log = logging.getLogger(__name__)

# Seconds between two looks of the waiting page at its document.
REFRESH_SECONDS = 3


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


# --- the page and the download ------------------------------------------------------------


def load(model: Any, document_id: int, *, with_data: bool = False, missing: str):
    """The document `document_id` of `model` (a StoredDocument kind), or 404 `missing`."""
    query = sa.select(model).where(model.id == document_id)
    if with_data:
        query = query.options(undefer(model.data))
    document = db.session.scalar(query)
    if document is None:
        abort(404, missing)
    return document


def status_page(document: Any, **context: Any) -> Response:
    """The page of `document`: while PENDING it waits for the worker (templates/
    _waiting.html), then it offers the download, or says it failed. `context`: what
    templates/documents/status.html names (heading, back link, download_url…)."""
    pending = document.status == DocumentStatus.PENDING
    return Response(
        render_template(
            "documents/status.html",
            document=document,
            pending=pending,
            refresh_seconds=REFRESH_SECONDS,
            **context,
        )
    )


def download(document: Any) -> Response:
    """The bytes of a READY document (loaded with its data) as an attachment; 409 while
    it is not ready. Not cached anywhere (coordapp/headers.py)."""
    if document.status != DocumentStatus.READY or document.data is None:
        abort(409, _("This document is not ready yet. Please try again in a moment."))
    response = Response(document.data, mimetype=document.content_type)
    fallback = secure_filename(document.filename) or "document.pdf"
    disposition = f'attachment; filename="{fallback}"'
    if fallback != document.filename:
        disposition += f"; filename*=UTF-8''{quote(document.filename, safe='')}"
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
