"""/verify: upload a minutes PDF and see whether it is authentic and unchanged.

Public: anyone holding a PDF may check it. Uploads are size-limited (VERIFY_MAX_BYTES) and
rate-limited per client address (VERIFY_RATE_LIMIT per VERIFY_RATE_WINDOW_SECONDS), since
each check costs some CPU.

The request never checks the file itself: it stores the upload and queues the worker's
job, then sends the browser to /verify/<token>, which refreshes itself until the answer
is there. A hostile file thus occupies the worker's bounded child process for at most
VERIFY_CPU_SECONDS, never a web worker.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coordapp import ratelimit
from coordapp.access import public
from coordapp.agenda.uploads import human_size
from coordapp.extensions import db
from coordapp.models import PdfCheckStatus
from coordapp.verify import checks, service
from coordapp.verify.forms import VerifyForm

bp = Blueprint("verify", __name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_RATE_LIMIT = 30
DEFAULT_RATE_WINDOW_SECONDS = 600
RATE_BUCKET = "verify-upload"


def _max_bytes() -> int:
    return int(current_app.config.get("VERIFY_MAX_BYTES", DEFAULT_MAX_BYTES))


def _too_large_message() -> str:
    return _(
        "The file you sent is too large. Files of at most %(limit)s can be checked.",
        limit=human_size(_max_bytes()),
    )


def _page(form: VerifyForm, code: int = 200, *, error: str | None = None, **result):
    return (
        render_template(
            "verify/index.html",
            form=form,
            error=error,
            max_size=human_size(_max_bytes()),
            modification_text=service.modification_text,
            **result,
        ),
        code,
    )


@bp.errorhandler(413)
def _too_large(error):
    # The request body was over MAX_CONTENT_LENGTH: Werkzeug refused it before the view.
    return _page(VerifyForm(formdata=None), 413, error=_too_large_message())


@bp.route("/verify", methods=["GET", "POST"])
@public
def index():
    form = VerifyForm()
    if request.method == "GET":
        return _page(form)

    allowed = ratelimit.hit_and_check(
        RATE_BUCKET,
        request.remote_addr or "unknown",
        int(current_app.config.get("VERIFY_RATE_LIMIT", DEFAULT_RATE_LIMIT)),
        int(current_app.config.get("VERIFY_RATE_WINDOW_SECONDS", DEFAULT_RATE_WINDOW_SECONDS)),
    )
    if not allowed:
        return _page(
            form,
            429,
            error=_("Too many files checked from your address. Please wait ten minutes."),
        )
    if not form.validate():
        message = " ".join(str(e) for e in form.file.errors) or _("Choose the PDF file to check.")
        return _page(form, 400, error=message)

    limit = _max_bytes()
    data = form.file.data.stream.read(limit + 1)
    if len(data) > limit:
        return _page(form, 413, error=_too_large_message())
    if not data:
        return _page(form, 400, error=_("The file you sent is empty."))
    if b"%PDF-" not in data[:1024]:
        return _page(form, 400, error=_("This file is not a PDF. Choose the minutes PDF."))

    check = checks.start_check(data, form.file.data.filename)
    db.session.commit()
    from coordapp.verify.tasks import check_uploaded_pdf

    check_uploaded_pdf(check.id)
    return redirect(url_for("verify.result", token=check.token), code=303)


# Seconds between two refreshes of the page that waits for the worker's answer.
REFRESH_SECONDS = 2


@bp.get("/verify/<token>")
@public
def result(token: str):
    check = checks.check_by_token(token)
    if check is None:
        abort(404, _("This check is not known (any more). Please upload the file again."))
    form = VerifyForm(formdata=None)
    if check.status is PdfCheckStatus.PENDING and not checks.is_lost(check):
        # The page asks again until the answer is there (static/js/waiting.js; without
        # script, a refresh inside <noscript>).
        return render_template(
            "verify/waiting.html", filename=check.filename, refresh_seconds=REFRESH_SECONDS
        )
    if check.status is PdfCheckStatus.PENDING or check.status is PdfCheckStatus.FAILED:
        return _page(
            form,
            503,
            error=_("The file could not be checked at the moment. Please upload it again later."),
        )
    report = checks.report_from_data(check.result["report"])
    if report.error in ("not_pdf", "unreadable", "too_complex"):
        return _page(
            form, 422 if report.error == "too_complex" else 400, error=report.error_message
        )
    match = service.match_document(report, check.result.get("earlier") or [])
    return _page(
        form,
        report=report,
        match=match,
        verdict=service.verdict(report, match),
        filename=check.filename,
    )
