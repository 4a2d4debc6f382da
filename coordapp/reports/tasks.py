"""Worker jobs of the report: rendering its PDF (never in a web request), in the language
of the person who asked for it. The job takes a lease on its row (coordapp/jobs.py);
`requeue_expired` queues again the PDFs a dead worker left PENDING."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

from coordapp.extensions import db
from coordapp.i18n import supported
from coordapp.jobs import BULK, task
from coordapp.models import Series, utcnow
from coordapp.models.report import ReportDocument
from coordapp.pdf.stored import render_stored_pdf, renew_stalled_pdfs
from coordapp.reports import charts, service


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


@task(priority=BULK)
def render_report_pdf(document_id: int) -> str | None:
    """Render the report the row asks for and store the bytes; returns the status."""
    return render_stored_pdf(ReportDocument, document_id, report_pdf_html, job="render_report_pdf")


def requeue_expired() -> list[int]:
    """Queue again the report PDFs whose worker died (PENDING, lease expired); returns
    their ids. Commits."""
    renewed = renew_stalled_pdfs(ReportDocument, job="render_report_pdf")
    for document_id in renewed:
        render_report_pdf(document_id)
    return renewed
