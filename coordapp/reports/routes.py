"""The periodic report of a series: the page, its CSV, and its PDF (rendered by the
worker, with a page that shows progress, then stored and downloaded).

The secretariat reads the report and asks for PDFs; the chairs of the series (or of one
of its meetings) read it, download its CSV and its PDFs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from coordapp.access import login_required, secretariat_required
from coordapp.errors import render_error
from coordapp.extensions import db
from coordapp.i18n import native_name
from coordapp.inputs import ConfirmForm
from coordapp.models import Series, utcnow
from coordapp.models.report import ReportDocument
from coordapp.pdf import stored
from coordapp.reports import charts, service
from coordapp.timefmt import local_day

bp = Blueprint("reports", __name__)


# Formatting for the report's templates (page and PDF); none of them queries.
@bp.app_template_filter("report_count")
def report_count(number: int) -> str:
    """A count in the reader's language ("1 000" in Russian)."""
    return format_decimal(number)


@bp.app_template_filter("report_day")
def report_day(day) -> str:
    return local_day(day)


bp.add_app_template_global(charts.meeting_label, "report_meeting_label")


# --- loading and access -------------------------------------------------------------------


def _readable_series(series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        abort(404, _("This series does not exist."))
    if not service.can_read_report(current_user, series):
        abort(403)
    return series


def _get_document(report_id: int, *, with_data: bool = False) -> ReportDocument:
    return stored.load(
        ReportDocument, report_id, with_data=with_data, missing=_("This report does not exist.")
    )


def _today():
    return utcnow().date()


# --- the list of series ---------------------------------------------------------------


@bp.get("/reports")
@login_required
def index():
    return render_template(
        "reports/index.html",
        series_list=service.readable_series(current_user),
        years=service.year_choices(_today()),
    )


# --- the report -------------------------------------------------------------------------


@bp.get("/series/<id:series_id>/report")
@login_required
def show(series_id: int):
    series = _readable_series(series_id)
    today = _today()
    try:
        period = service.parse_period(request.args, today)
    except service.ReportError as error:
        return (
            render_template(
                "reports/show.html",
                series=series,
                error=str(error.message),
                years=service.year_choices(today),
                form_values=request.args,
                report=None,
                charts={},
                documents=service.recent_pdfs(series),
                pdf_form=None,
            ),
            error.status,
        )
    report = service.build_report(series, period, today)
    return render_template(
        "reports/show.html",
        series=series,
        error=None,
        years=service.year_choices(today),
        form_values=period.args,
        report=report,
        charts=charts.report_charts(report),
        documents=service.recent_pdfs(series),
        pdf_form=ConfirmForm() if service.can_request_pdf(current_user) else None,
    )


@bp.get("/series/<id:series_id>/report.csv")
@login_required
def export_csv(series_id: int):
    series = _readable_series(series_id)
    try:
        period = service.parse_period(request.args, _today())
    except service.ReportError as error:
        return render_error(error.status, str(error.message))
    report = service.build_report(series, period, _today())
    filename = f"report-{series.id}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        service.export_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# --- the PDF ----------------------------------------------------------------------------


@bp.post("/series/<id:series_id>/report/pdf")
@secretariat_required
def request_pdf(series_id: int):
    from coordapp.reports import tasks

    series = _readable_series(series_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        period = service.parse_period(request.form, _today())
    except service.ReportError as error:
        return render_error(error.status, str(error.message))
    document, new = service.request_pdf(series, period, str(get_locale()), by=current_user)
    db.session.commit()
    if new:  # enqueued after the commit, so the worker finds the row
        tasks.render_report_pdf(document.id)
    return redirect(url_for("reports.document", report_id=document.id), code=303)


@bp.get("/reports/<id:report_id>")
@login_required
def document(report_id: int):
    document = _get_document(report_id)
    series = _readable_series(document.series_id)
    period = service.Period(document.period_start, document.period_end)
    return stored.status_page(
        document,
        heading=_("Report PDF"),
        subject=series.name,
        back_url=url_for("reports.show", series_id=series.id, **period.args),
        back_label=_("Report of %(series)s", series=series.name),
        details=_("Period: %(period)s", period=period.label)
        + " · "
        + native_name(document.language),
        pending_message=_("The report PDF is being prepared… This page refreshes by itself."),
        download_url=url_for("reports.download", report_id=document.id),
        timezone="UTC",
    )


@bp.get("/reports/<id:report_id>/download")
@login_required
def download(report_id: int):
    document = _get_document(report_id, with_data=True)
    _readable_series(document.series_id)
    return stored.download(document)
