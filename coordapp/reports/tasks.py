"""Worker jobs of the report: rendering its PDF (never in a web request), in the language
of the person who asked for it. The job takes a lease on its row (coordapp/jobs.py);
`requeue_expired` queues again the PDFs a dead worker left PENDING."""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.jobs import hold_for_tests, lease_cutoff, renew_expired_lease, task
from coordapp.models import Series, utcnow
from coordapp.models.document import DocumentStatus
from coordapp.models.report import ReportDocument
from coordapp.reports import charts, service

log = logging.getLogger(__name__)


def report_pdf_html(document: ReportDocument) -> str:
    """The printable report the document asks for, in its language, as of today."""
    language = supported(document.language)
    series = db.session.get(Series, document.series_id)
    period = service.Period(document.period_start, document.period_end)
    with force_locale(language):
        report = service.build_report(series, period, utcnow().date())
        return render_template(
            "reports/pdf.html",
            network_name=current_app.config.get("NETWORK_NAME", ""),
            title=series.name,
            document_language=language,
            report=report,
            charts=charts.report_charts(report),
        )


@task()
def render_report_pdf(document_id: int) -> str | None:
    """Render the report the row asks for and store the bytes; returns the status."""
    from coordapp.pdf.render import render_pdf

    document = db.session.get(ReportDocument, document_id)
    if document is None or document.status != DocumentStatus.PENDING:
        return None
    document.claimed_at = utcnow()
    db.session.commit()
    hold_for_tests("render_report_pdf")
    try:
        pdf = render_pdf(report_pdf_html(document))
    except Exception as exc:  # a broken render must be reported on the page, not lost
        current_app.logger.exception("report PDF %s failed", document_id)
        db.session.rollback()
        document = db.session.get(ReportDocument, document_id)
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
    """Queue again the report PDFs whose worker died (PENDING, lease expired); returns
    their ids. Commits."""
    stalled = db.session.scalars(
        sa.select(ReportDocument.id).where(
            ReportDocument.status == DocumentStatus.PENDING,
            sa.or_(
                ReportDocument.claimed_at.is_(None),
                ReportDocument.claimed_at < lease_cutoff(),
            ),
        )
    ).all()
    renewed = [
        document_id
        for document_id in stalled
        if renew_expired_lease(ReportDocument, document_id, DocumentStatus.PENDING)
    ]
    db.session.commit()
    for document_id in renewed:
        log.warning("re-queued report PDF %s (its worker died)", document_id)
        render_report_pdf(document_id)
    return renewed
