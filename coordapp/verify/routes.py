"""/verify: upload a minutes PDF and see whether it is authentic and unchanged.

Public: anyone holding a PDF may check it. Uploads are size-limited (VERIFY_MAX_BYTES) and
rate-limited per client address (VERIFY_RATE_LIMIT per VERIFY_RATE_WINDOW_SECONDS), since
each check costs some CPU.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from coordapp import ratelimit
from coordapp.access import public
from coordapp.agenda.uploads import human_size
from coordapp.signing import SigningConfigError
from coordapp.verify import service
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

    from coordapp.signing.ca import trust_roots
    from coordapp.signing.verify import verify_pdf

    try:
        roots = trust_roots()
    except SigningConfigError:
        current_app.logger.exception("verify: the signing CA cannot be loaded")
        abort(503, _("Verification is not available at the moment. Please try again later."))
    report = verify_pdf(data, roots)
    if report.error in ("not_pdf", "unreadable"):
        return _page(form, 400, error=report.error_message)

    match = service.match_document(report, service.revision_prefix_hashes(data))
    return _page(
        VerifyForm(formdata=None),
        report=report,
        match=match,
        verdict=service.verdict(report, match),
        filename=form.file.data.filename,
    )
