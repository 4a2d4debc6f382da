"""Downloading the minutes PDF, signing with one's own certificate, and "Try again".

Progress of rendering and signing is shown by the approval pages (which refresh
themselves); this blueprint serves the bytes and the actions on a failed job.
"""

from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from coordapp.access import login_required, public, secretariat_required
from coordapp.extensions import db
from coordapp.invitations.links import RSVP_LINK, invitation_by_link
from coordapp.jobs import fresh_lease, renew_expired_lease
from coordapp.links import slugify
from coordapp.minutes_pdf import signing
from coordapp.minutes_pdf.forms import CertificateSignForm, RetryForm
from coordapp.models import Meeting, Series, User
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    SignatureStatus,
)
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.signing import InvalidCertificateFile, SigningError
from coordapp.web import load_by_link

bp = Blueprint("minutes_pdf", __name__)


def download_name(meeting: Meeting, series: Series | None, version: MinutesVersion) -> str:
    """E.g. "un-country-network-on-migration-04-minutes-v2.pdf"."""
    parts = [slugify(series.name) if series is not None else slugify(meeting.title)]
    if meeting.number:
        parts.append(f"{meeting.number:02d}")
    parts += ["minutes", f"v{version.number}"]
    if version.status is MinutesStatus.SUPERSEDED:
        parts.append("superseded")
    return "-".join(part for part in parts if part) + ".pdf"


def _pdf_response(meeting: Meeting, version: MinutesVersion, pdf: bytes) -> Response:
    # send_file writes a non-ASCII name as filename* (RFC 6266) with an ASCII fallback.
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=download_name(meeting, meeting.series, version),
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _downloadable_or_404(version: MinutesVersion):
    document = signing.downloadable_document(version)
    if document is None:
        abort(404, _("There is no signed PDF of this version of the minutes (yet)."))
    return document


@bp.get("/minutes/versions/<id:version_id>/minutes.pdf")
@login_required
def download(version_id: int):
    version = db.get_or_404(MinutesVersion, version_id)
    if not signing.can_download(current_user, version):
        abort(403)
    document = _downloadable_or_404(version)
    return _pdf_response(version.meeting, version, document.pdf)


@bp.get("/rsvp/<token>/minutes/<id:version_id>.pdf")
@public
def rsvp_download(token: str, version_id: int):
    # 404 wrong link, 410 withdrawn, 429 guessing
    invitation = load_by_link(token, RSVP_LINK, invitation_by_link)
    version = db.session.get(MinutesVersion, version_id)
    if version is None or version.meeting_id != invitation.meeting_id:
        abort(404)
    document = _downloadable_or_404(version)
    response = _pdf_response(invitation.meeting, version, document.pdf)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- signing with one's own certificate, and "Try again" ----------------------------------


def _back_to_version(version_id: int):
    return redirect(url_for("approval.version", version_id=version_id), code=303)


def _certificate_page(
    approval: MinutesApproval, form: CertificateSignForm, *, error=None, code=200
):
    version = db.session.get(MinutesVersion, approval.version_id)
    return (
        render_template(
            "minutes_pdf/sign_with_certificate.html",
            approval=approval,
            version=version,
            meeting=version.meeting,
            form=form,
            error=error,
        ),
        code,
    )


@bp.route("/minutes/approvals/<id:approval_id>/sign-with-certificate", methods=["GET", "POST"])
@login_required
def sign_with_certificate(approval_id: int):
    """The chair signs their approval with their own PKCS#12 certificate, here and now:
    the file and its password are used in this request only, never stored or queued."""
    approval = db.get_or_404(MinutesApproval, approval_id)
    if not signing.can_sign(current_user, approval):
        abort(403)
    form = CertificateSignForm()
    if approval.status not in signing.SIGNABLE:
        return _certificate_page(
            approval, form, error=_("This approval is already signed."), code=409
        )
    document = signing.document_of(approval.version_id)
    if document is None or document.status is not DocumentStatus.READY:
        return _certificate_page(
            approval,
            form,
            error=_("The PDF of the minutes is still being prepared. Please try again shortly."),
            code=409,
        )
    if request.method == "GET":
        return _certificate_page(approval, form)

    if not form.validate():
        return _certificate_page(
            approval,
            form,
            error=_("Nothing was signed. Please correct the marked fields."),
            code=400,
        )
    data = form.read_certificate()
    if data is None:
        return _certificate_page(
            approval,
            form,
            error=_("Nothing was signed. Please correct the marked fields."),
            code=400,
        )
    from coordapp.signing.identities import identity_from_pkcs12

    try:
        cert, key, chain = identity_from_pkcs12(
            data, form.password.data or "", chair=db.session.get(User, approval.user_id)
        )
    except InvalidCertificateFile as error:
        form.certificate.errors = [str(error)]
        return _certificate_page(approval, form, error=str(error), code=error.status)
    meeting = db.session.get(MinutesVersion, approval.version_id).meeting
    when = signing.signing_time(approval, meeting)
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        when = signing.now_in(meeting)  # a certificate newer than the approval: sign now
    try:
        signing.sign_approval_with(approval, cert, key, chain, when=when, by=current_user)
    except signing.AlreadySigned as refused:
        db.session.rollback()
        return _certificate_page(
            approval, form, error=_("This approval is already signed."), code=refused.status
        )
    except SigningError as error:
        db.session.rollback()
        message = _("Your certificate could not sign the minutes: %(reason)s", reason=str(error))
        return _certificate_page(approval, form, error=message, code=error.status)
    version_id = approval.version_id  # the other chair's return may delete the approval
    db.session.commit()
    flash(_("Your signature was added to the minutes PDF."), "success")
    return _back_to_version(version_id)


@bp.post("/minutes/approvals/<id:approval_id>/retry-signature")
@login_required
def retry_signature(approval_id: int):
    """A failed signature, or one whose worker died (pending, lease expired): the worker
    tries again (with the deployment's certificate)."""
    approval = db.get_or_404(MinutesApproval, approval_id)
    if not signing.can_retry_signature(current_user, approval):
        abort(403)
    if not RetryForm().validate():
        abort(400)
    if approval.status is SignatureStatus.FAILED:
        approval.status = SignatureStatus.PENDING
        approval.error = None
        fresh_lease(approval)
    elif not (
        approval.status is SignatureStatus.PENDING
        and renew_expired_lease(MinutesApproval, approval.id, SignatureStatus.PENDING)
    ):
        flash(_("This signature has not failed: there is nothing to try again."), "info")
        return _back_to_version(approval.version_id)
    version_id = approval.version_id  # the other chair's return may delete the approval
    db.session.commit()
    from coordapp.minutes_pdf.tasks import sign_approval

    sign_approval(approval_id)
    flash(_("Signing again. This page shows when the signature is in the PDF."), "info")
    return _back_to_version(version_id)


@bp.post("/minutes/versions/<id:version_id>/pdf/retry")
@secretariat_required
def retry_render(version_id: int):
    """The PDF could not be rendered (or its worker died: pending, lease expired): the
    worker tries again (once the cause is fixed)."""
    version = db.get_or_404(MinutesVersion, version_id)
    if not RetryForm().validate():
        abort(400)
    document = signing.document_of(version.id)
    if document is not None and document.status is DocumentStatus.FAILED:
        document.status = DocumentStatus.PENDING
        document.error = None
        fresh_lease(document)
    elif not (
        document is not None
        and document.status is DocumentStatus.PENDING
        and renew_expired_lease(MinutesDocument, document.id, DocumentStatus.PENDING)
    ):
        flash(_("The PDF has not failed: there is nothing to try again."), "info")
        return _back_to_version(version.id)
    db.session.commit()
    from coordapp.minutes_pdf.tasks import render_minutes_pdf

    render_minutes_pdf(version.id)
    flash(_("Preparing the PDF again. This page shows when it is ready."), "info")
    return _back_to_version(version.id)
